"""The AS2 readers on anything a sender can post (hypothesis), and the MDN crossdock writes (golden)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.connectors import as2_mime
from crossdock.connectors.as2_cms import CmsError, verify
from crossdock.connectors.as2_mime import As2Refused, Entity, build, build_mdn, open_message, parse_mdn, split_entity
from tests.as2_keys import Party, make_party
from tests.golden import assert_golden

GOLDEN = Path(__file__).parent.parent / "cases" / "as2"


_US: list[Party] = []  # hypothesis tests take no function-scoped fixtures: the module's party is kept here


@pytest.fixture(scope="module")
def parties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Party]:
    folder = tmp_path_factory.mktemp("as2keys")
    return {name: make_party(folder, name) for name in ("us", "them")}


@pytest.fixture(autouse=True, scope="module")
def _us(parties: dict[str, Party]) -> None:
    _US[:] = [parties["us"]]


@given(st.binary(max_size=2000))
def test_a_signature_that_is_no_signature_is_refused_as_such(data: bytes) -> None:
    with pytest.raises(CmsError):
        verify(b"content", data, _US[0].cert)


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=3000), st.sampled_from(["multipart/signed; boundary=b", "application/pkcs7-mime", "text/plain"])
)
def test_any_posted_body_is_opened_or_refused_with_a_disposition(data: bytes, content_type: str) -> None:
    try:
        open_message(Entity(content_type, data), _US[0].keys, _US[0].cert, need_encryption=False, need_signature=False)
    except As2Refused as exc:
        assert exc.disposition in {
            "decryption-failed",
            "authentication-failed",
            "integrity-check-failed",
            "insufficient-message-security",
            "unexpected-processing-error",
            "decompression-failed",
        }


@given(st.binary(max_size=2000))
def test_an_entity_splits_into_headers_and_the_exact_body(body: bytes) -> None:
    headers, got = split_entity(b"Content-Type: application/edi-x12\r\nX-Folded: a\r\n b\r\n\r\n" + body)
    assert got == body and headers == {"content-type": "application/edi-x12", "x-folded": "a b"}


@settings(max_examples=20, deadline=None)
@given(st.binary(min_size=1, max_size=5000))
def test_any_payload_goes_through_signed_and_encrypted_unchanged(payload: bytes) -> None:
    us = _US[0]
    entity, sent = build(
        payload,
        "application/edi-x12",
        us.keys,
        us.cert,
        sign_it=True,
        encrypt_it=True,
        digest="sha256",
        cipher="aes128",
    )
    opened = open_message(entity, us.keys, us.cert, need_encryption=True, need_signature=True)
    assert opened.payload == payload and opened.mic == sent


def test_the_mdn_crossdock_writes(monkeypatch: pytest.MonkeyPatch, parties: dict[str, Party]) -> None:
    monkeypatch.setattr(as2_mime.uuid, "uuid4", lambda: uuid.UUID(int=7))
    mdn = build_mdn(
        None, "CROSSDOCK-AS2", "<m-1@northwind>", "processed", "received and stored", "q1w2=, sha-256", "sha256"
    )
    assert_golden(GOLDEN / "mdn-processed.txt", mdn.whole())
    receipt = parse_mdn(mdn, parties["us"].cert, need_signature=False)
    assert receipt.positive and receipt.mic == "q1w2=, sha-256"
    refused = build_mdn(
        None, "CROSSDOCK-AS2", "<m-2@northwind>", "processed/error: decryption-failed", "no", None, "sha256"
    )
    assert_golden(GOLDEN / "mdn-decryption-failed.txt", refused.whole())
