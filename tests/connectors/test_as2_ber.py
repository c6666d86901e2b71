"""BER's indefinite lengths (what streaming AS2 products send) read in signatures and compressed-data, and bounded:
a signature made by ``openssl cms -sign -stream`` verifies, and a hand-built BER compressed-data opens; nesting too
deep, a missing end of contents or an indefinite primitive is refused as such."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.connectors.as2_cms import MAX_DEPTH, CmsError, _children, _read, verify
from crossdock.connectors.as2_zlib import _der, compress, decompress
from tests.as2_keys import Party, make_party

EDI = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261207*1200*U*00401*000000001*0*P*>~\n"


def _ber(der: bytes) -> bytes:
    """The same value with every constructed encoding given an indefinite length, as a streaming writer does."""
    node, _ = _read(der)
    if not node.tag & 0x20:
        return node.raw
    return bytes([node.tag, 0x80]) + b"".join(_ber(child.raw) for child in _children(node)) + b"\x00\x00"


@pytest.fixture(scope="module")
def party(tmp_path_factory: pytest.TempPathFactory) -> Party:
    return make_party(tmp_path_factory.mktemp("as2keys"), "them")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_streamed_signature_from_openssl_verifies(party: Party, tmp_path: Path) -> None:
    (tmp_path / "part").write_bytes(EDI)
    signed = subprocess.run(
        [
            *("openssl", "cms", "-sign", "-binary", "-stream", "-outform", "DER", "-md", "sha256", "-in", "part"),
            *("-signer", str(party.cert_path), "-inkey", str(party.key_path)),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout
    assert signed[1] == 0x80, "openssl wrote an indefinite length: the case this is about"
    assert verify(EDI, signed, party.cert) == "sha256"
    with pytest.raises(CmsError, match="does not match"):
        verify(EDI + b"x", signed, party.cert)


@given(st.binary(max_size=3000))
@settings(max_examples=30, deadline=None)
def test_compressed_data_in_indefinite_lengths_opens(data: bytes) -> None:
    streamed = _ber(compress(data))
    assert streamed[1] == 0x80
    assert decompress(streamed) == data


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x30\x80" * (MAX_DEPTH + 1) + b"\x00\x00" * (MAX_DEPTH + 1), "nested more than"),
        (b"\x30\x80\x02\x01\x00", "no end of contents"),
        (b"\x04\x80\x00\x00", "indefinite length on a primitive"),
        (b"\x30\x80\x02\x05\x00\x00\x00", "truncated"),
    ],
)
def test_indefinite_lengths_that_abuse_are_refused(data: bytes, why: str, party: Party) -> None:
    with pytest.raises(CmsError, match=why):
        verify(EDI, data, party.cert)
    with pytest.raises(CmsError):
        decompress(data)


def test_octet_strings_nested_without_end_are_refused() -> None:
    good = compress(EDI)
    octets = b"\x04\x01A"
    for _ in range(2000):  # definite lengths, each piece one more constructed OCTET STRING deep
        octets = bytes([0x24, 0x82]) + len(octets).to_bytes(2, "big") + octets
    with pytest.raises(CmsError):
        decompress(_swap_octets(good, octets))


def _swap_octets(der: bytes, octets: bytes) -> bytes:
    """``der`` (a compressed-data) with its compressed bytes replaced by ``octets``, in definite lengths."""
    node, _ = _read(der)
    if node.tag == 0x04:
        return octets
    if not node.tag & 0x20:
        return node.raw
    value = b"".join(_swap_octets(child.raw, octets) for child in _children(node))
    return _der(node.tag, value)


@given(st.binary(max_size=400))
@settings(max_examples=200, deadline=None)
def test_any_bytes_after_an_indefinite_start_are_read_or_refused_as_such(tail: bytes) -> None:
    with pytest.raises(CmsError):
        decompress(b"\x30\x80" + tail)
