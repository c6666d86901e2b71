"""AS2 messages and MDNs as MIME (RFC 4130, RFC 3798): built for sending, opened on receipt, bytes kept exact.

A signed part is cut out of its ``multipart/signed`` by its boundary, never re-serialised by ``email``: the signature
and the MIC are over the bytes as sent. What the opener refuses is an ``As2Refused`` naming the MDN disposition the
sender is owed (RFC 4130 section 7.4.3): decryption-failed, authentication-failed, integrity-check-failed,
insufficient-message-security, unexpected-processing-error.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass

from cryptography import x509

from crossdock.connectors.as2_cms import MICALG, CmsError, Keys, decrypt, encrypt, mic, sign, verify
from crossdock.connectors.as2_zlib import COMPRESSED, compress, decompress

_DIGEST_BY_MICALG = {v: k for k, v in MICALG.items()} | {"sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
MDN_LIMIT = 200_000  # an MDN larger than this is not an MDN


class As2Refused(Exception):
    """A message refused: ``disposition`` goes in the MDN (``processed/error: <it>``), ``text`` says why."""

    def __init__(self, disposition: str, text: str) -> None:
        super().__init__(text)
        self.disposition = disposition
        self.text = text


@dataclass(frozen=True, slots=True)
class Entity:
    content_type: str
    body: bytes

    def whole(self) -> bytes:
        return f"Content-Type: {self.content_type}\r\n\r\n".encode() + self.body


@dataclass(frozen=True, slots=True)
class Opened:
    """A message opened: its payload, and what the MDN reports of it (the MIC over what was signed, or received)."""

    payload: bytes
    mic: str
    signed: bool
    encrypted: bool


def message_id(as2_id: str) -> str:
    return f"<{uuid.uuid4().hex}@{re.sub(r'[^A-Za-z0-9.-]', '_', as2_id)}>"


def _signed(part: bytes, keys: Keys, digest: str) -> Entity:
    """``part`` (a whole MIME entity) and its detached signature as one multipart/signed entity."""
    boundary = f"----=_as2_{uuid.uuid4().hex}"
    signature = base64.encodebytes(sign(part, keys, digest))
    body = (
        f"--{boundary}\r\n".encode()
        + part
        + f"\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n"
        + signature.replace(b"\n", b"\r\n")
        + f"\r\n--{boundary}--\r\n".encode()
    )
    ctype = f'multipart/signed; protocol="application/pkcs7-signature"; micalg={MICALG[digest]}; boundary="{boundary}"'
    return Entity(ctype, body)


def build(
    payload: bytes,
    content_type: str,
    ours: Keys,
    theirs: x509.Certificate,
    *,
    sign_it: bool,
    encrypt_it: bool,
    digest: str,
    cipher: str,
    compression: str = "none",
) -> tuple[Entity, str]:
    """The entity to post (its Content-Type goes in the HTTP headers) and the MIC the MDN must return.
    ``compression`` is ``none``, ``before-signing`` (the signed part is the compressed entity) or ``after-signing``
    (the signed entity is compressed): RFC 5402 allows both, and the MIC is over what is signed either way."""
    inner = Entity(content_type, payload)
    if compression == "before-signing":
        inner = Entity(COMPRESSED, compress(inner.whole()))
    part = inner.whole()
    sent_mic = mic(part, digest)
    entity = _signed(part, ours, digest) if sign_it else inner
    if compression == "after-signing":
        entity = Entity(COMPRESSED, compress(entity.whole()))
    if encrypt_it:
        envelope = encrypt(entity.whole(), theirs, cipher)
        entity = Entity('application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"', envelope)
    return entity, sent_mic


def _headers(head: bytes) -> dict[str, str]:
    """A MIME header block's fields (names lower-cased, folded lines joined; the first of a repeated name)."""
    out: dict[str, str] = {}
    last = ""
    for line in re.split(r"\r?\n", head.decode("utf-8", "replace")):
        if line[:1] in (" ", "\t") and last:
            out[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        last = name.strip().lower() if sep else ""
        if last and last not in out:
            out[last] = value.strip()
    return out


def _params(content_type: str) -> tuple[str, dict[str, str]]:
    main, *rest = content_type.split(";")
    params: dict[str, str] = {}
    for item in rest:
        key, _, value = item.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), params


def split_entity(whole: bytes) -> tuple[dict[str, str], bytes]:
    """A MIME entity's headers (lower-cased names) and its body, the body's bytes untouched."""
    found = re.search(rb"\r?\n\r?\n", whole)
    if found is None:
        return _headers(whole), b""
    return _headers(whole[: found.start()]), whole[found.end() :]


def _parts(body: bytes, boundary: str) -> list[bytes]:
    """The parts of a multipart body, each exactly as sent (the line break before a delimiter is the delimiter's)."""
    delim = b"--" + boundary.encode()
    pieces: list[bytes] = []
    at = body.find(delim)
    if at < 0 or (at > 0 and body[at - 1 : at] != b"\n"):
        raise As2Refused("unexpected-processing-error", "a multipart body without its boundary")
    while True:
        end_of_line = body.find(b"\n", at)
        if body[at + len(delim) : at + len(delim) + 2] == b"--" or end_of_line < 0:
            return pieces
        start = end_of_line + 1
        nxt = body.find(b"\n" + delim, start)
        if nxt < 0:
            raise As2Refused("unexpected-processing-error", "a multipart body that does not end")
        pieces.append(body[start : nxt - 1 if body[nxt - 1 : nxt] == b"\r" else nxt])
        at = nxt + 1


def _decoded(headers: dict[str, str], body: bytes) -> bytes:
    if headers.get("content-transfer-encoding", "").strip().lower() == "base64":
        try:
            return base64.b64decode(body)
        except binascii.Error:
            raise As2Refused("unexpected-processing-error", "a base64 part that is not base64") from None
    return body


def unsign(entity: Entity, signer: x509.Certificate) -> tuple[bytes, str]:
    """The signed part of a multipart/signed entity, checked against ``signer``, and its MIC."""
    _, params = _params(entity.content_type)
    parts = _parts(entity.body, params.get("boundary", ""))
    if len(parts) != 2:
        raise As2Refused("integrity-check-failed", f"a signed message of {len(parts)} parts, not 2")
    sig_headers, sig_body = split_entity(parts[1])
    try:
        digest = verify(parts[0], _decoded(sig_headers, sig_body), signer)
    except CmsError as exc:
        raise As2Refused("authentication-failed", str(exc)) from None
    return parts[0], mic(parts[0], digest)


def open_message(
    entity: Entity, ours: Keys, theirs: x509.Certificate, *, need_encryption: bool, need_signature: bool
) -> Opened:
    """Decrypt and verify a received message: its payload, or As2Refused with the disposition it earns."""
    kind, params = _params(entity.content_type)
    encrypted = kind in ("application/pkcs7-mime", "application/x-pkcs7-mime") and not _compressed(entity)
    if encrypted:
        if params.get("smime-type", "enveloped-data") != "enveloped-data":
            raise As2Refused("unexpected-processing-error", f"smime-type {params.get('smime-type')} is not read here")
        try:
            headers, body = split_entity(decrypt(entity.body, ours))
        except CmsError as exc:
            raise As2Refused("decryption-failed", str(exc)) from None
        entity = Entity(headers.get("content-type", "text/plain"), _decoded(headers, body))
        try:
            return _open_plain(entity, theirs, need_signature=need_signature, encrypted=True)
        except As2Refused as refused:
            if refused.disposition != "unexpected-processing-error":
                raise
            # CBC has no integrity of its own: damage that passes the padding check decrypts to garbage.
            raise As2Refused("decryption-failed", f"the decrypted content is not whole ({refused.text})") from None
    if need_encryption:
        raise As2Refused("insufficient-message-security", "the message is not encrypted")
    return _open_plain(entity, theirs, need_signature=need_signature, encrypted=False)


def _compressed(entity: Entity) -> bool:
    kind, params = _params(entity.content_type)
    return (
        kind in ("application/pkcs7-mime", "application/x-pkcs7-mime") and params.get("smime-type") == "compressed-data"
    )


def _inflated(entity: Entity) -> Entity:
    """The entity inside a compressed-data entity (RFC 5402), or As2Refused decompression-failed."""
    try:
        headers, body = split_entity(decompress(entity.body))
    except CmsError as exc:
        raise As2Refused("decompression-failed", str(exc)) from None
    inner = Entity(headers.get("content-type", "text/plain"), _decoded(headers, body))
    if _compressed(inner):
        raise As2Refused("decompression-failed", "compressed twice")
    return inner


def _open_plain(entity: Entity, theirs: x509.Certificate, *, need_signature: bool, encrypted: bool) -> Opened:
    if _compressed(entity):  # compressed after signing (or not signed)
        entity = _inflated(entity)
    kind, _ = _params(entity.content_type)
    if kind == "multipart/signed":
        part, got_mic = unsign(entity, theirs)
        headers, body = split_entity(part)
        inner = Entity(headers.get("content-type", "text/plain"), _decoded(headers, body))
        if _compressed(inner):  # compressed before signing: the MIC is over the compressed part, as signed
            return Opened(_inflated(inner).body, got_mic, True, encrypted)
        return Opened(inner.body, got_mic, True, encrypted)
    if need_signature:
        raise As2Refused("insufficient-message-security", "the message is not signed")
    return Opened(entity.body, mic(entity.whole(), "sha256"), False, encrypted)


# --- MDNs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Receipt:
    """What an MDN says: the message it answers, its disposition, the MIC it read, and whether it was signed."""

    original_message_id: str
    disposition: str
    mic: str
    signed: bool

    @property
    def positive(self) -> bool:
        return (
            re.fullmatch(r"automatic-action/mdn-sent-automatically;\s*processed", self.disposition.lower()) is not None
        )


def build_mdn(
    ours: Keys | None, our_id: str, original_id: str, disposition: str, text: str, received_mic: str | None, digest: str
) -> Entity:
    """An MDN entity: signed with ``ours`` when given (the sender asked for a signed receipt)."""
    boundary = f"----=_mdn_{uuid.uuid4().hex}"
    fields = [
        "Reporting-UA: crossdock",
        f"Original-Recipient: rfc822; {our_id}",
        f"Final-Recipient: rfc822; {our_id}",
        f"Original-Message-ID: {original_id}",
    ]
    if received_mic:
        fields.append(f"Received-Content-MIC: {received_mic}")
    fields.append(f"Disposition: automatic-action/MDN-sent-automatically; {disposition}")
    body = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n" + "\r\n".join(fields) + "\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    report = Entity(f'multipart/report; report-type=disposition-notification; boundary="{boundary}"', body)
    return _signed(report.whole(), ours, digest) if ours is not None else report


def parse_mdn(entity: Entity, signer: x509.Certificate, *, need_signature: bool) -> Receipt:
    """Read an MDN (verified against ``signer`` when signed): As2Refused when it is unreadable or wrongly signed."""
    kind, _ = _params(entity.content_type)
    signed = kind == "multipart/signed"
    report = unsign(entity, signer)[0] if signed else entity.whole()
    if need_signature and not signed:
        raise As2Refused("insufficient-message-security", "the MDN is not signed")
    fields: dict[str, str] = {}
    for line in re.split(rb"\r?\n", report):
        name, sep, value = line.decode("utf-8", "replace").partition(":")
        if sep and name.strip().lower() in ("original-message-id", "disposition", "received-content-mic"):
            fields.setdefault(name.strip().lower(), value.strip())
    if "disposition" not in fields:
        raise As2Refused("unexpected-processing-error", "an MDN without a Disposition")
    return Receipt(
        fields.get("original-message-id", ""), fields["disposition"], fields.get("received-content-mic", ""), signed
    )


def is_mdn(entity: Entity) -> bool:
    """Whether a posted entity is an MDN (a report, signed or not) rather than a message: encrypted ones never are."""
    kind, params = _params(entity.content_type)
    if kind == "multipart/report":
        return True
    if kind != "multipart/signed":
        return False
    try:
        first = _parts(entity.body, params.get("boundary", ""))[0]
    except (As2Refused, IndexError):
        return False
    return _params(split_entity(first)[0].get("content-type", ""))[0] == "multipart/report"


def same_mic(got: str, sent: str) -> bool:
    """Whether the MDN's MIC is the one we computed: the same digest value and algorithm (sha256 or sha-256)."""

    def norm(value: str) -> tuple[str, str]:
        digest, _, alg = value.partition(",")
        return digest.strip(), _DIGEST_BY_MICALG.get(alg.strip().lower(), alg.strip().lower())

    return norm(got) == norm(sent)
