"""AS2 (RFC 4130): the sink that signs, encrypts (and compresses, if asked) and posts a document and checks the
partner's synchronous MDN or records that an asynchronous one is awaited (``core.acknowledgments.as2_receipts``
takes it when it comes), and the endpoint (``/as2/<source>``, carried by ``http_app``) that opens a partner's
message and writes its MDN.

The sink's Message-ID is made from the delivery's stable key, so the outbox's retry of a message whose MDN was lost
is the same message again: the partner answers it as a duplicate, which counts as delivered. A delivery is done only
on a positive MDN whose MIC is the one we computed; a negative or wrongly signed MDN is permanent (dead-lettered
with an alert); no answer, or a 5xx, is transient and retried.

The endpoint stores the opened payload (the X12 the partner signed) under the identity ``as2:<source>:<Message-ID>``
before the MDN is answered, so a repeated Message-ID is recognised as a duplicate; a message it refuses is kept
whole (headers and body) quarantined with the reason, and answered an MDN naming the failure.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from cryptography import x509

from crossdock.connectors.as2_cms import CmsError, Keys, load_keys
from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig, read_pem
from crossdock.connectors.as2_mime import (
    MDN_LIMIT,
    As2Refused,
    Entity,
    Receipt,
    build,
    build_mdn,
    is_mdn,
    open_message,
    parse_mdn,
    same_mic,
)
from crossdock.connectors.http import check, request
from crossdock.core.errors import ConfigError, PermanentError
from crossdock.core.ports import Inbound, Outbound

log = logging.getLogger("crossdock.as2")
CONTENT_TYPE = "application/edi-x12"
MAX_MESSAGE_ID = 250


def party_keys(name: str, config: As2SinkConfig | As2SourceConfig, side: str) -> tuple[Keys, x509.Certificate]:
    """Our keys and the partner's certificate, read from their references; a ConfigError names the block."""
    where = f"{side}.{name}"
    try:
        ours = load_keys(
            read_pem(config.certificate, f"{where}.certificate"), read_pem(config.private_key, f"{where}.private_key")
        )
        theirs = x509.load_pem_x509_certificate(read_pem(config.partner_certificate, f"{where}.partner_certificate"))
    except (ValueError, CmsError) as exc:
        raise ConfigError(f"{where}: a certificate or key is not readable PEM: {exc}") from None
    return ours, theirs


def stable_message_id(key: str, as2_id: str) -> str:
    """The Message-ID of a delivery: the same for every try of it."""
    host = "".join(c for c in as2_id if c.isalnum()) or "as2"
    return f"<crossdock-{hashlib.sha256(key.encode()).hexdigest()[:32]}@{host}>"


class MdnRecorder(Protocol):
    """Where a sink records its messages' receipts (``core.acknowledgments.as2_receipts.MdnRecords``, bound by
    the hub)."""

    def awaiting(self, sink: str, message_id: str, key: str, mic: str, window: float) -> None: ...

    def received(
        self, sink: str, message_id: str, key: str, mic: str, mdn: bytes, disposition: str, good: bool
    ) -> None: ...


def judge(receipt: Receipt, sent_mic: str, *, signed: bool) -> str | None:
    """What is wrong with an MDN to a message we sent, or None when it completes it. A duplicate-document warning
    answers a message sent again after its MDN was lost: delivered already."""
    said = receipt.disposition.lower()
    duplicate = "duplicate-document" in said and "error" not in said
    if not receipt.positive and not duplicate:
        return f"negative MDN: {receipt.disposition}"
    if signed and not duplicate and not same_mic(receipt.mic, sent_mic):
        return f"the MDN's MIC {receipt.mic!r} is not the one sent ({sent_mic})"
    return None


class As2Sink:
    records: MdnRecorder | None = None

    def __init__(self, name: str, config: As2SinkConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        self.ours, self.theirs = party_keys(name, config, "sinks")
        self._client = httpx.Client(timeout=config.timeout, transport=transport)

    def send(self, document: Outbound) -> str:
        cfg = self.config
        entity, sent_mic = build(
            document.data,
            CONTENT_TYPE,
            self.ours,
            self.theirs,
            sign_it=cfg.sign,
            encrypt_it=cfg.encrypt,
            digest=cfg.digest,
            cipher=cfg.encryption,
            compression=cfg.compression,
        )
        mid = stable_message_id(document.idempotency_key, cfg.as2_id)
        headers = {
            "AS2-Version": "1.2",
            "AS2-From": cfg.as2_id,
            "AS2-To": cfg.partner_as2_id,
            "Message-ID": mid,
            "MIME-Version": "1.0",
            "Subject": document.name,
            "Content-Type": entity.content_type,
            "Disposition-Notification-To": cfg.as2_id,
        }
        if cfg.signed_mdn:
            headers["Disposition-Notification-Options"] = (
                f"signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, {cfg.digest}"
            )
        if cfg.mdn == "async":
            if self.records is None:
                raise ConfigError(f"sinks.{self.name}: mdn: async needs the store to record what awaits its MDN")
            headers["Receipt-Delivery-Option"] = cfg.mdn_url or ""
            self.records.awaiting(self.name, mid, document.idempotency_key, sent_mic, cfg.mdn_window)
        where = f"as2 {self.name}: POST {cfg.url} {mid}"
        response = request(self._client, "POST", cfg.url, where, content=entity.body, headers=headers, limit=MDN_LIMIT)
        check(response, where)
        mdn = Entity(response.headers.get("content-type", "text/plain"), response.content)
        if cfg.mdn == "async" and not is_mdn(mdn):
            return f"{mid} awaiting an asynchronous MDN (MIC {sent_mic})"
        try:
            receipt = parse_mdn(mdn, self.theirs, need_signature=cfg.signed_mdn)
        except As2Refused as exc:
            raise PermanentError(f"{where}: the MDN is refused: {exc.text}") from None
        if receipt.original_message_id != mid:
            raise PermanentError(f"{where}: the MDN answers {receipt.original_message_id!r}, not this message")
        problem = judge(receipt, sent_mic, signed=cfg.sign)
        if self.records is not None:  # kept as received, before what it says is acted on
            key = document.idempotency_key
            self.records.received(self.name, mid, key, sent_mic, mdn.whole(), receipt.disposition, problem is None)
        if problem is not None:
            raise PermanentError(f"{where}: {problem}")
        return f"{mid} MDN {receipt.disposition} MIC {receipt.mic}"

    def close(self) -> None:
        self._client.close()


# --- the endpoint ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Received:
    """What the endpoint makes of a message: the payload to store, or the refusal, and the MDN's parts."""

    message_id: str
    payload: bytes | None
    disposition: str
    text: str
    mic: str | None


class As2Endpoint:
    """One AS2 source's endpoint: opens messages and writes MDNs; the hub's storing is ``http_app``'s."""

    def __init__(self, name: str, config: As2SourceConfig) -> None:
        self.name = name
        self.config = config
        self.ours, self.theirs = party_keys(name, config, "sources")

    def open(self, headers: Mapping[str, str], body: bytes) -> Received:
        """Check the AS2 names, decrypt and verify: the payload, or the disposition that refuses it."""
        cfg = self.config
        mid = headers.get("message-id", "").strip()[:MAX_MESSAGE_ID]
        sender, to = headers.get("as2-from", "").strip().strip('"'), headers.get("as2-to", "").strip().strip('"')
        if to != cfg.as2_id or sender != cfg.partner_as2_id:
            return Received(
                mid,
                None,
                "processed/error: unknown-trading-partner",
                f"AS2-From {sender!r} to {to!r} is not this endpoint's partner",
                None,
            )
        try:
            opened = open_message(
                Entity(headers.get("content-type", "text/plain"), body),
                self.ours,
                self.theirs,
                need_encryption=cfg.require_encryption,
                need_signature=cfg.require_signature,
            )
        except As2Refused as exc:
            return Received(mid, None, f"processed/error: {exc.disposition}", exc.text, None)
        return Received(mid, opened.payload, "processed", "received and stored", opened.mic)

    def mdn(self, headers: Mapping[str, str], got: Received) -> Reply:
        """The synchronous MDN for ``got``, signed when the sender asked for a signed receipt."""
        options = headers.get("disposition-notification-options", "").lower()
        signed = "pkcs7-signature" in options
        asked = options.replace("-", "").partition("signedreceiptmicalg=")[2]
        digest = next((d for d in ("sha256", "sha384", "sha512") if d in asked), "sha256")  # no SHA-1 signing
        entity = build_mdn(
            self.ours if signed else None,
            self.config.as2_id,
            got.message_id,
            got.disposition,
            got.text,
            got.mic,
            digest,
        )
        return Reply(
            200,
            {
                "AS2-Version": "1.2",
                "AS2-From": self.config.as2_id,
                "AS2-To": headers.get("as2-from", "").strip()[:128] or self.config.partner_as2_id,
                "Message-ID": f"<mdn-{hashlib.sha256(got.message_id.encode()).hexdigest()[:24]}@crossdock>",
                "Content-Type": entity.content_type,
            },
            entity.body,
        )

    def inbound(self, got: Received, headers: Mapping[str, str], body: bytes) -> Inbound:
        """The document to store: the payload, or (refused) the whole message quarantined with the reason."""
        if got.payload is not None:
            return Inbound(
                name=f"{self.name}-{got.message_id.strip('<>')[:80]}",
                data=got.payload,
                identity=f"as2:{self.name}:{got.message_id}",
                sender=headers.get("as2-from", "")[:128],
            )
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in ("authorization", "cookie"))
        digest = hashlib.sha256(body).hexdigest()
        return Inbound(
            name=f"{self.name}-refused-{digest[:16]}",
            data=head.encode("utf-8", "replace") + b"\r\n" + body,
            identity=f"as2:{self.name}:refused:{got.message_id}:{digest}",
            sender=headers.get("as2-from", "")[:128],
            quarantine=f"AS2 message {got.message_id or '(no Message-ID)'} refused: {got.disposition}: {got.text}",
        )
