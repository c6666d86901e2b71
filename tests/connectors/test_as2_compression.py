"""AS2 compression (RFC 5402, CMS compressed-data with zlib): written before or after signing, read in either
position, refused when damaged or too large once inflated; checked against openssl where it has zlib."""

from __future__ import annotations

import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.connectors import as2_zlib
from crossdock.connectors.as2_cms import CmsError
from crossdock.connectors.as2_mime import As2Refused, Entity, build, open_message, same_mic
from crossdock.connectors.as2_zlib import COMPRESSED, compress, decompress
from tests.as2_keys import Party, make_party

EDI = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261207*1200*U*00401*000000001*0*P*>~\n"
EDI += b"ST*850*0001~BEG*00*SA*PO-1**20261207~" * 200


@pytest.fixture(scope="module")
def parties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Party]:
    folder = tmp_path_factory.mktemp("as2keys")
    return {name: make_party(folder, name) for name in ("us", "them")}


@given(st.binary(max_size=5000))
@settings(max_examples=50, deadline=None)
def test_compressed_data_round_trips(data: bytes) -> None:
    assert decompress(compress(data)) == data


@pytest.mark.parametrize("position", ["before-signing", "after-signing"])
@pytest.mark.parametrize("encrypt_it", [True, False])
def test_a_compressed_message_opens_to_the_same_bytes_and_mic(
    parties: dict[str, Party], position: str, encrypt_it: bool
) -> None:
    us, them = parties["us"], parties["them"]
    entity, sent_mic = build(
        EDI,
        "application/edi-x12",
        us.keys,
        them.cert,
        sign_it=True,
        encrypt_it=encrypt_it,
        digest="sha256",
        cipher="aes256",
        compression=position,
    )
    plain, _ = build(
        EDI, "application/edi-x12", us.keys, them.cert, sign_it=True, encrypt_it=False, digest="sha256", cipher="aes256"
    )
    if not encrypt_it:
        assert len(entity.body) < len(plain.body) / 3, "compressed"
        assert (entity.content_type == COMPRESSED) == (position == "after-signing")
    opened = open_message(entity, them.keys, us.cert, need_encryption=encrypt_it, need_signature=True)
    assert opened.payload == EDI and opened.signed
    assert same_mic(opened.mic, sent_mic)


def test_an_unsigned_compressed_message_is_refused_when_a_signature_is_required(parties: dict[str, Party]) -> None:
    entity = Entity(COMPRESSED, compress(b"Content-Type: application/edi-x12\r\n\r\n" + EDI))
    opened = open_message(entity, parties["them"].keys, parties["us"].cert, need_encryption=False, need_signature=False)
    assert opened.payload == EDI and not opened.encrypted
    with pytest.raises(As2Refused) as refused:
        open_message(entity, parties["them"].keys, parties["us"].cert, need_encryption=True, need_signature=False)
    assert refused.value.disposition == "insufficient-message-security", "compressed is not encrypted"


def test_damaged_or_oversized_compressed_data_is_decompression_failed(
    parties: dict[str, Party], monkeypatch: pytest.MonkeyPatch
) -> None:
    good = compress(b"Content-Type: application/edi-x12\r\n\r\n" + EDI)
    damaged = good[:-20] + bytes(20)
    with pytest.raises(As2Refused) as refused:
        open_message(
            Entity(COMPRESSED, damaged),
            parties["them"].keys,
            parties["us"].cert,
            need_encryption=False,
            need_signature=False,
        )
    assert refused.value.disposition == "decompression-failed"
    monkeypatch.setattr(as2_zlib, "LIMIT", 1000)
    with pytest.raises(CmsError, match="more than 1000 bytes"):
        decompress(good)


def test_ber_constructed_content_is_read() -> None:
    """Other AS2 products may cut the compressed bytes into a constructed OCTET STRING: read in order."""
    der, oid = as2_zlib._der, as2_zlib._oid_der
    deflated = zlib.compress(b"hello, partner")
    constructed = der(0x24, der(0x04, deflated[:5]) + der(0x04, deflated[5:]))
    encapsulated = der(0x30, oid("1.2.840.113549.1.7.1") + der(0xA0, constructed))
    body = der(0x30, der(0x02, b"\x00") + der(0x30, oid("1.2.840.113549.1.9.16.3.8")) + encapsulated)
    assert decompress(der(0x30, oid("1.2.840.113549.1.9.16.1.9") + der(0xA0, body))) == b"hello, partner"


def _openssl_zlib() -> bool:
    if shutil.which("openssl") is None:
        return False
    done = subprocess.run(["openssl", "cms", "-compress", "-binary"], input=b"x", capture_output=True)
    return done.returncode == 0


@pytest.mark.skipif(not _openssl_zlib(), reason="the local openssl has no zlib: `openssl cms -compress` fails")
def test_openssl_reads_what_crossdock_compresses_and_the_other_way(tmp_path: Path) -> None:
    (tmp_path / "ours.der").write_bytes(compress(EDI))
    out = subprocess.run(
        ["openssl", "cms", "-uncompress", "-inform", "DER", "-in", tmp_path / "ours.der", "-binary"],
        check=True,
        capture_output=True,
    ).stdout
    assert out == EDI
    (tmp_path / "edi").write_bytes(EDI)
    theirs = subprocess.run(
        ["openssl", "cms", "-compress", "-in", tmp_path / "edi", "-outform", "DER", "-binary"],
        check=True,
        capture_output=True,
    ).stdout
    assert decompress(theirs) == EDI
