"""``crossdock check`` refuses configurations that let an outsider in: a mailbox anyone may mail orders to, a
DKIM or DMARC requirement without the server whose word counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.cli import main
from tests.hub.test_check import found, write
from tests.hub.test_config import MINIMAL

MAILBOX = """\
sources:
  mail:
    type: imap
    host: imap.example.com
    username: orders
    password: ${TRUST_TEST_PASSWORD}
"""


@pytest.fixture(autouse=True)
def _variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUST_TEST_PASSWORD", "imap-password")


def test_a_mailbox_without_allowed_senders_fails_check_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, MINIMAL + MAILBOX)

    code = main(["check", "-c", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert f"{path}:10: sources.mail.allowed_senders: allowed_senders is required" in err
    assert "anyone who knows the mailbox's address could send orders" in err
    fixed = write(tmp_path, MINIMAL + MAILBOX + '    allowed_senders: ["edi@partner.example", "@acme.example"]\n')
    assert found(fixed) == []
    empty = write(tmp_path, MINIMAL + MAILBOX + "    allowed_senders: []\n")
    assert [key for _, key, _ in found(empty)] == ["sources.mail.allowed_senders"]


def test_allowed_senders_are_addresses_or_domains(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + MAILBOX + '    allowed_senders: ["partner.example", "Edi <edi@p.example>"]\n')
    ((_, key, message),) = found(path)
    assert key == "sources.mail.allowed_senders"
    assert "'partner.example' is neither an address (edi@partner.com) nor a domain (@partner.com)" in message


def test_dkim_and_dmarc_need_the_receiving_servers_authserv_id(tmp_path: Path) -> None:
    senders = '    allowed_senders: ["@partner.example"]\n'
    path = write(tmp_path, MINIMAL + MAILBOX + senders + "    require_dkim: true\n")
    ((_, key, message),) = found(path)
    assert key == "sources.mail" and "require_dkim and require_dmarc need authserv_id" in message
    idle = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx.us.example\n")
    ((_, _, message),) = found(idle)
    assert "authserv_id is set but neither require_dkim nor require_dmarc" in message
    spaced = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx us\n    require_dmarc: true\n")
    assert [key for _, key, _ in found(spaced)] == ["sources.mail.authserv_id"]
    good = write(tmp_path, MINIMAL + MAILBOX + senders + "    authserv_id: mx.us.example\n    require_dmarc: true\n")
    assert found(good) == []
