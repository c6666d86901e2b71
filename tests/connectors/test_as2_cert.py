"""``crossdock as2 cert`` and what ``crossdock check`` says of AS2 certificates (expired, expiring, wrong key)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from crossdock.cli import main
from tests.as2_keys import Party, make_party


def _config(tmp_path: Path, ours: Party, theirs: Party, **source: Any) -> Path:
    block = {
        "type": "as2",
        "as2_id": "CROSSDOCK-AS2",
        "partner_as2_id": "WALMART",
        "certificate": str(ours.cert_path),
        "private_key": str(ours.key_path),
        "partner_certificate": str(theirs.cert_path),
        **source,
    }
    data = {
        "store": {"url": f"sqlite:///{tmp_path}/c.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "sources": {"walmart-as2": block},
        "sinks": {"walmart-out": {**block, "url": "https://as2.example.invalid/as2"}},
    }
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_as2_cert_prints_our_certificate_and_its_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = make_party(tmp_path, "ours"), make_party(tmp_path, "theirs")
    path = _config(tmp_path, ours, theirs)
    assert main(["as2", "cert", "-c", str(path), "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)  # the sink and the source share it: shown once
    der = ours.cert.public_bytes(serialization.Encoding.DER)
    assert shown["sha256"].replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    assert shown["pem"].encode() == ours.cert_pem and shown["used_by"] == ["sources.walmart-as2", "sinks.walmart-out"]
    assert main(["as2", "cert", "-c", str(path)]) == 0
    assert "BEGIN CERTIFICATE" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("days", "word", "code"),
    [(400, None, 0), (10, "warning: ", 0), (-1, "expired", 1)],
)
def test_check_tells_an_expiring_or_expired_partner_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], days: int, word: str | None, code: int
) -> None:
    ours = make_party(tmp_path, "ours")
    theirs = make_party(tmp_path, "theirs", days=days, starts=min(days - 1, -1) - 30)
    path = _config(tmp_path, ours, theirs)
    assert main(["check", "-c", str(path)]) == code
    err = capsys.readouterr().err
    if word is None:
        assert "certificate" not in err
    else:
        assert word in err and "partner_certificate" in err


def test_check_refuses_a_key_that_is_not_our_certificates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours, theirs = make_party(tmp_path, "ours"), make_party(tmp_path, "theirs")
    path = _config(tmp_path, ours, theirs, private_key=str(theirs.key_path))
    assert main(["check", "-c", str(path)]) == 1
    assert "not the one of our certificate" in capsys.readouterr().err
