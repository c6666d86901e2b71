"""AS2 messages and MDNs: built and opened by crossdock, and checked both ways with the openssl command line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from crossdock.connectors.as2 import As2Endpoint, As2Sink
from crossdock.connectors.as2_cms import encrypt
from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig
from crossdock.connectors.as2_mdn import mdn_request
from crossdock.connectors.as2_mime import As2Refused, Entity, build, build_mdn, open_message, parse_mdn, same_mic
from crossdock.core.errors import ConfigError, PermanentError, TransientError
from crossdock.core.ports import Outbound
from tests.as2_keys import Party, make_party
from tests.golden import assert_golden

EDI = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261207*1200*U*00401*000000001*0*P*>~\n"
EDI += bytes(range(256))  # every byte value goes through unchanged
ENVELOPED = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command line")


@pytest.fixture(scope="module")
def parties(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Party]:
    folder = tmp_path_factory.mktemp("as2keys")
    return {name: make_party(folder, name) for name in ("us", "them", "stranger")}


def _message(parties: dict[str, Party], **kw: bool) -> tuple[Entity, str]:
    sign_it, encrypt_it = kw.get("sign_it", True), kw.get("encrypt_it", True)
    us, them = parties["us"], parties["them"]
    return build(
        EDI,
        "application/edi-x12",
        us.keys,
        them.cert,
        sign_it=sign_it,
        encrypt_it=encrypt_it,
        digest="sha256",
        cipher="aes256",
    )


def _open(parties: dict[str, Party], entity: Entity, *, signer: str = "us") -> bytes:
    opened = open_message(entity, parties["them"].keys, parties[signer].cert, need_encryption=True, need_signature=True)
    return opened.payload


def test_a_signed_encrypted_message_opens_to_the_same_bytes_and_mic(parties: dict[str, Party]) -> None:
    entity, sent_mic = _message(parties)
    assert entity.content_type.startswith("application/pkcs7-mime")
    assert EDI not in entity.body  # encrypted
    opened = open_message(entity, parties["them"].keys, parties["us"].cert, need_encryption=True, need_signature=True)
    assert opened.payload == EDI and opened.signed and opened.encrypted
    assert same_mic(opened.mic, sent_mic)


@pytest.mark.parametrize(
    ("case", "disposition"),
    [
        ("tampered", "decryption-failed"),
        ("decrypts to garbage", "decryption-failed"),
        ("encrypted to someone else", "decryption-failed"),
        ("signed by someone else", "authentication-failed"),
        ("not encrypted", "insufficient-message-security"),
        ("not signed", "insufficient-message-security"),
    ],
)
def test_a_bad_message_is_refused_with_its_disposition(parties: dict[str, Party], case: str, disposition: str) -> None:
    us, them, stranger = parties["us"], parties["them"], parties["stranger"]
    entity, _ = _message(parties)
    signer = "us"
    if case == "tampered":
        entity = Entity(entity.content_type, entity.body[:-40])
    elif case == "decrypts to garbage":
        broken = b'Content-Type: multipart/signed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPO'
        entity = Entity("application/pkcs7-mime; smime-type=enveloped-data", encrypt(broken, them.cert, "aes128"))
    elif case == "encrypted to someone else":
        entity, _ = build(
            EDI,
            "application/edi-x12",
            us.keys,
            stranger.cert,
            sign_it=True,
            encrypt_it=True,
            digest="sha256",
            cipher="aes128",
        )
    elif case == "signed by someone else":
        signer = "stranger"
    elif case == "not encrypted":
        entity, _ = _message(parties, encrypt_it=False)
    else:
        entity, _ = _message(parties, sign_it=False)
    with pytest.raises(As2Refused) as refused:
        open_message(entity, them.keys, parties[signer].cert, need_encryption=True, need_signature=True)
    assert refused.value.disposition == disposition


def test_a_changed_signed_part_fails_the_integrity_check(parties: dict[str, Party]) -> None:
    entity, _ = _message(parties, encrypt_it=False)
    changed = Entity(entity.content_type, entity.body.replace(b"RECEIVER", b"RECEIVEX"))
    with pytest.raises(As2Refused, match="digest does not match") as refused:
        open_message(changed, parties["them"].keys, parties["us"].cert, need_encryption=False, need_signature=True)
    assert refused.value.disposition == "authentication-failed"


def _run(*argv: str | Path) -> bytes:
    return subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True).stdout


def _verify(signature: Path, content: Path, ca: Path, *more: str | Path) -> bytes:
    """``openssl cms -verify`` of a detached DER signature over ``content``, trusting ``ca``."""
    return _run(
        "cms", "-verify", "-inform", "DER", "-in", signature, "-content", content, "-CAfile", ca,
        "-purpose", "any", "-binary", *more,
    )  # fmt: skip


@openssl
def test_openssl_decrypts_and_verifies_what_crossdock_sends(parties: dict[str, Party], tmp_path: Path) -> None:
    us, them = parties["us"], parties["them"]
    entity, _ = _message(parties)
    (tmp_path / "msg.p7m").write_bytes(entity.body)
    inner = _run(
        "cms",
        "-decrypt",
        "-inform",
        "DER",
        "-in",
        tmp_path / "msg.p7m",
        "-recip",
        them.cert_path,
        "-inkey",
        them.key_path,
        "-binary",
    )
    assert inner.startswith(b"Content-Type: multipart/signed")
    # the parts cut by hand (openssl's own S/MIME reader rewrites line ends): the signed part's exact bytes and the
    # detached signature, which openssl checks against our certificate
    boundary = inner.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    _, part, signature, _ = inner.split(b"--" + boundary)
    part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
    assert part == b"Content-Type: application/edi-x12\r\n\r\n" + EDI
    (tmp_path / "part").write_bytes(part)
    (tmp_path / "sig.b64").write_bytes(signature.split(b"\r\n\r\n", 1)[1])
    _run("base64", "-d", "-in", tmp_path / "sig.b64", "-out", tmp_path / "sig.der")
    _verify(tmp_path / "sig.der", tmp_path / "part", us.cert_path, "-out", tmp_path / "verified")
    assert (tmp_path / "verified").read_bytes() == part
    (tmp_path / "other").write_bytes(part.replace(b"SENDER", b"SENDEX"))
    with pytest.raises(subprocess.CalledProcessError):  # the same check refuses a changed part
        _verify(tmp_path / "sig.der", tmp_path / "other", us.cert_path)


@openssl
def test_crossdock_opens_what_openssl_signs_and_encrypts(parties: dict[str, Party], tmp_path: Path) -> None:
    us, them = parties["us"], parties["them"]
    (tmp_path / "part").write_bytes(b"Content-Type: application/edi-x12\r\n\r\n" + EDI)
    signed = _run(
        "cms",
        "-sign",
        "-in",
        tmp_path / "part",
        "-signer",
        us.cert_path,
        "-inkey",
        us.key_path,
        "-md",
        "sha256",
        "-binary",
    )
    (tmp_path / "signed").write_bytes(signed)
    envelope = _run(
        "cms", "-encrypt", "-in", tmp_path / "signed", "-outform", "DER", "-aes256", "-binary", them.cert_path
    )
    assert _open(parties, Entity(ENVELOPED, envelope)) == EDI
    # the same, signed by a stranger: refused
    bad = _run(
        "cms",
        "-sign",
        "-in",
        tmp_path / "part",
        "-signer",
        parties["stranger"].cert_path,
        "-inkey",
        parties["stranger"].key_path,
        "-md",
        "sha256",
        "-binary",
    )
    (tmp_path / "bad").write_bytes(bad)
    envelope = _run("cms", "-encrypt", "-in", tmp_path / "bad", "-outform", "DER", "-aes128", "-binary", them.cert_path)
    with pytest.raises(As2Refused) as refused:
        _open(parties, Entity(ENVELOPED, envelope))
    assert refused.value.disposition == "authentication-failed"


def test_a_signed_mdn_is_read_and_a_forged_one_refused(parties: dict[str, Party]) -> None:
    them = parties["them"]
    mdn = build_mdn(them.keys, "THEM", "<m1@us>", "processed", "ok", "abc=, sha-256", "sha256")
    receipt = parse_mdn(mdn, them.cert, need_signature=True)
    assert receipt.positive and receipt.original_message_id == "<m1@us>" and receipt.signed
    assert same_mic(receipt.mic, "abc=, sha256") and not same_mic(receipt.mic, "abd=, sha-256")
    with pytest.raises(As2Refused):
        parse_mdn(mdn, parties["stranger"].cert, need_signature=True)
    unsigned = build_mdn(None, "THEM", "<m1@us>", "processed/error: decryption-failed", "no", None, "sha256")
    with pytest.raises(As2Refused, match="not signed"):
        parse_mdn(unsigned, them.cert, need_signature=True)
    assert not parse_mdn(unsigned, them.cert, need_signature=False).positive


def _sink_and_endpoint(parties: dict[str, Party]) -> tuple[As2SinkConfig, As2Endpoint]:
    us, them = parties["us"], parties["them"]
    sink = As2SinkConfig(
        type="as2",
        url="http://127.0.0.1:9/as2/us",
        as2_id="US",
        partner_as2_id="THEM",
        certificate=str(us.cert_path),
        private_key=str(us.key_path),
        partner_certificate=str(them.cert_path),
    )
    source = As2SourceConfig(
        type="as2",
        as2_id="THEM",
        partner_as2_id="US",
        certificate=str(them.cert_path),
        private_key=str(them.key_path),
        partner_certificate=str(us.cert_path),
    )
    return sink, As2Endpoint("us", source)


def _answering(endpoint: As2Endpoint, disposition: str | None = None) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        got = endpoint.open(headers, request.content)
        if disposition is not None:
            got = type(got)(got.message_id, got.payload, disposition, "said so", got.mic)
        reply = endpoint.mdn(headers, got)
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    return httpx.MockTransport(answer)


def test_the_sink_is_done_on_a_positive_signed_mdn_with_the_mic(parties: dict[str, Party]) -> None:
    config, endpoint = _sink_and_endpoint(parties)
    sink = As2Sink("them", config, transport=_answering(endpoint))
    said = sink.send(Outbound("po.edi", EDI, "delivery-1"))
    assert "MDN automatic-action/MDN-sent-automatically; processed" in said


def test_a_negative_mdn_is_permanent_and_no_answer_transient(parties: dict[str, Party]) -> None:
    config, endpoint = _sink_and_endpoint(parties)
    sink = As2Sink("them", config, transport=_answering(endpoint, "processed/error: decryption-failed"))
    with pytest.raises(PermanentError, match="negative MDN"):
        sink.send(Outbound("po.edi", EDI, "delivery-1"))

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError):
        As2Sink("them", config, transport=httpx.MockTransport(down)).send(Outbound("po.edi", EDI, "delivery-1"))


def test_a_wrong_partner_is_answered_unknown_trading_partner(parties: dict[str, Party]) -> None:
    _, endpoint = _sink_and_endpoint(parties)
    entity, _ = _message(parties)
    got = endpoint.open(
        {"as2-from": "SOMEONE", "as2-to": "THEM", "message-id": "<x@y>", "content-type": entity.content_type},
        entity.body,
    )
    assert got.payload is None and got.disposition == "processed/error: unknown-trading-partner"


class _Records:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def awaiting(self, sink: str, message_id: str, key: str, mic: str, window: float) -> None:
        self.calls.append(("awaiting", message_id, key, mic, str(window)))

    def received(
        self, sink: str, message_id: str, key: str, mic: str, mdn: bytes, disposition: str, good: bool
    ) -> None:
        self.calls.append(("received", message_id, disposition, str(good), mdn.decode("latin-1")))


def test_an_async_sink_records_the_message_as_awaiting_before_it_posts(parties: dict[str, Party]) -> None:
    config, endpoint = _sink_and_endpoint(parties)
    config = config.model_copy(update={"mdn": "async", "mdn_url": "http://127.0.0.1:9/as2/them"})
    records = _Records()
    seen: list[int] = []

    def partner(request: httpx.Request) -> httpx.Response:
        seen.append(len(records.calls))
        assert request.headers["receipt-delivery-option"] == "http://127.0.0.1:9/as2/them"
        return httpx.Response(200, text="ok")

    sink = As2Sink("them", config, transport=httpx.MockTransport(partner))
    with pytest.raises(ConfigError, match="mdn: async"):
        sink.send(Outbound("po.edi", EDI, "delivery-1"))  # no store bound: nowhere to record what awaits
    sink.records = records
    said = sink.send(Outbound("po.edi", EDI, "delivery-1"))
    assert "awaiting an asynchronous MDN" in said and seen == [1]
    (call,) = records.calls
    assert call[0] == "awaiting" and call[2] == "delivery-1" and call[4] == str(4 * 3600.0)
    # a partner that answers an MDN at once anyway: read as a synchronous one, and kept
    answering = As2Sink("them", config, transport=_answering(endpoint))
    answering.records = records
    assert "processed MIC" in answering.send(Outbound("po.edi", EDI, "delivery-2"))
    assert records.calls[-1][0] == "received" and records.calls[-1][3] == "True"
    assert "Original-Message-ID: <crossdock-" in records.calls[-1][4]


def test_an_unsigned_mdn_as_stored_for_the_outbox_matches_its_golden_file() -> None:
    """The MDN report and the request it is stored as (``as2_mdn.mdn_request``), the random boundary named."""
    entity = build_mdn(None, "THEM", "<m1@us>", "processed/error: decryption-failed", "cannot decrypt", None, "sha256")
    boundary = entity.content_type.split('boundary="', 1)[1].rstrip('"')
    headers = {"AS2-Version": "1.2", "AS2-From": "THEM", "Content-Type": entity.content_type.replace(boundary, "B")}
    stored = mdn_request("https://partner.example/mdn", headers, entity.body.replace(boundary.encode(), b"B"))
    assert_golden(Path(__file__).parent.parent / "cases" / "as2" / "async-mdn.request", stored)
