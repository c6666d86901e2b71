"""AS2 messages posted to ``/as2/<source>``: opened by the source's endpoint, stored, processed, answered an MDN.

What is stored comes first: the payload (or the refused message, quarantined) is committed before the MDN is
written, so a positive MDN is never sent for a message crossdock could lose. The MDN says the message arrived whole
and from the partner (RFC 4130); what its X12 says is the 997's business, so the document is processed once the MDN
is on its way (``process_after``), and one a crash left unprocessed is taken up by ``crossdock run``'s processing.
A Message-ID stored already is answered ``processed/warning: duplicate-document`` and not processed again. A store
that fails is answered 503 without an MDN: the partner sends the message again. A message for or from another AS2
name than the source's is answered unknown-trading-partner and not stored (it is logged): it is nobody's, and
storing it would let anyone fill the store.

A sender that asks for an asynchronous MDN is answered 200 at once and its MDN queued in the outbox, only for a URL
on the partner's origin (``connectors.as2_mdn``). An MDN posted here (an answer to one of our sinks' messages) is
verified with that sink's keys and applied by ``core.acknowledgments.as2_receipts``. Every MDN sent or
received is kept as bytes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping

from sqlalchemy import Connection

from crossdock.connectors.as2 import MAX_MESSAGE_ID, As2Endpoint, As2Sink, Reply, judge
from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig
from crossdock.connectors.as2_mdn import PREFIX as MDN_SINK
from crossdock.connectors.as2_mdn import mdn_request, mdn_url_allowed
from crossdock.connectors.as2_mime import As2Refused, Entity, is_mdn, parse_mdn
from crossdock.core.acknowledgments.as2_receipts import awaited, put, settle
from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process
from crossdock.core.ports import Inbound

log = logging.getLogger("crossdock.as2")


def as2_path(source: str) -> str:
    return f"/as2/{source}"


def as2_endpoints(config: Config) -> dict[str, As2Endpoint]:
    """Each AS2 source's endpoint, by its path (its keys read now: a bad one stops the server at its start)."""
    return {
        as2_path(name): As2Endpoint(name, cfg)
        for name, cfg in config.sources.items()
        if isinstance(cfg, As2SourceConfig)
    }


def received(hub: Hub, endpoint: As2Endpoint, headers: Mapping[str, str], body: bytes) -> tuple[Reply, int | None]:
    """Open, store and answer one posted message (or take a posted MDN), and the document to process once answered
    (blocks: run it in a worker thread)."""
    if is_mdn(Entity(headers.get("content-type", "text/plain"), body)):
        return take_mdn(hub, endpoint, headers, body), None
    got = endpoint.open(headers, body)
    if got.disposition.endswith("unknown-trading-partner"):  # not stored: anyone could fill the store so
        log.warning("as2 %s: %s refused: %s", endpoint.name, got.message_id, got.text)
        return endpoint.mdn(headers, got), None  # synchronous: never an MDN sent where a stranger asks
    try:
        stored = ingest(hub, endpoint.name, endpoint.inbound(got, headers, body))
    except CrossdockError as exc:
        log.warning("as2 %s: %s not stored: %s", endpoint.name, got.message_id, exc)
        return Reply(503, {"Retry-After": "60"}, b"not stored: send it again\n"), None
    if got.payload is None:
        log.warning("as2 %s: %s refused: %s: %s", endpoint.name, got.message_id, got.disposition, got.text)
    elif not stored.new:
        text = f"Message-ID {got.message_id} was received before (document {stored.document_id})"
        got = dataclasses.replace(got, disposition="processed/warning: duplicate-document", text=text)
    reply = endpoint.mdn(headers, got)
    signed = "signed" if reply.headers["Content-Type"].startswith("multipart/signed") else "unsigned"
    said = f"{signed} MDN to {got.message_id}: {got.disposition}" + (f"; MIC {got.mic}" if got.mic else "")
    asked = headers.get("receipt-delivery-option", "").strip()
    document_id = stored.document_id or None
    with hub.store.transaction() as conn:  # beside the document: `crossdock documents show` tells it
        state, key = "answered", None
        if asked:
            why = mdn_url_allowed(asked, endpoint.config.partner_mdn_url)
            state = "refused" if why else "queued"
            said = f"asynchronous {said}: " + (f"not sent: {why}" if why else f"queued for {asked[:300]}")
            if why is None:
                key = _queue_mdn(
                    hub,
                    conn,
                    endpoint,
                    got.message_id + "\n" + got.disposition,
                    mdn_request(asked, reply.headers, reply.body),
                    document_id,
                )
        hub.store.log(conn, "as2-mdn", said, document_id=document_id)
        if stored.new:  # a duplicate's answer is told above; the first answer stays the one kept
            mdn = Entity(reply.headers["Content-Type"], reply.body).whole()
            put(
                conn,
                "in",
                endpoint.name,
                got.message_id,
                document_id=document_id,
                state=state,
                delivery_key=key,  # queued: its delivery's outcome (sent, dead) is recorded here by housekeeping
                mic=got.mic,
                disposition=got.disposition,
                mdn=mdn,
            )
    if asked:
        log.log(logging.WARNING if state == "refused" else logging.INFO, "as2 %s: %s", endpoint.name, said)
        text = "received; the MDN follows\n" if state == "queued" else "received; no MDN: see the event log\n"
        reply = Reply(200, {**reply.headers, "Content-Type": "text/plain"}, text.encode())
    fresh = stored.new and got.payload is not None and stored.state == "received"
    return reply, stored.document_id if fresh else None


def _queue_mdn(hub: Hub, conn: Connection, endpoint: As2Endpoint, cause: str, data: bytes, parent: int | None) -> str:
    """An asynchronous MDN into the outbox (retried, dead-lettered), once per message and disposition: a document
    caused by the message's, so its delivery shows under it. Its delivery's key."""
    key = "as2-mdn-" + hashlib.sha256(f"{endpoint.name}\n{cause}".encode()).hexdigest()[:40]
    sink = MDN_SINK + endpoint.name
    doc = hub.store.add_document(
        conn,
        direction="out",
        data=data,
        state="queued",
        endpoint=sink,
        remote_name=f"{key}.mdn",
        kind="mdn",
        parent_id=parent,
    )
    if hub.store.enqueue(conn, key=key, sink=sink, purpose="mdn", document_id=doc) is None:
        hub.store.delete_document(conn, doc)
    return key


def take_mdn(hub: Hub, endpoint: As2Endpoint, headers: Mapping[str, str], body: bytes) -> Reply:
    """An asynchronous MDN posted to us: verified with the keys of the sink that sent the message it answers,
    and applied (``as2_receipts.settle``); one that matches nothing or is wrongly signed is kept quarantined."""
    cfg = endpoint.config
    sender, to = headers.get("as2-from", "").strip().strip('"'), headers.get("as2-to", "").strip().strip('"')
    if sender != cfg.partner_as2_id or to != cfg.as2_id:
        log.warning("as2 %s: an MDN from %r to %r refused: not this endpoint's partner", endpoint.name, sender, to)
        return Reply(403, {"Content-Type": "text/plain"}, b"not this endpoint's partner\n")
    entity = Entity(headers.get("content-type", "text/plain"), body)
    why = f"no AS2 sink with mdn: async sends as {to} to {sender}"
    for name, sink_cfg in hub.config.sinks.items():
        if not isinstance(sink_cfg, As2SinkConfig) or (sink_cfg.as2_id, sink_cfg.partner_as2_id) != (to, sender):
            continue
        sink = hub.sink(name)
        if not isinstance(sink, As2Sink):
            continue
        try:
            receipt = parse_mdn(entity, sink.theirs, need_signature=sink_cfg.signed_mdn)
        except As2Refused as exc:
            why = f"the MDN is refused: {exc.text}"
            continue
        with hub.store.transaction() as conn:
            row = awaited(conn, name, receipt.original_message_id)
        if row is None:
            why = f"Original-Message-ID {receipt.original_message_id[:MAX_MESSAGE_ID]!r} matches no message sent"
            continue
        problem = judge(receipt, row.mic or "", signed=sink_cfg.sign)
        said = settle(hub.store, hub.config, name, row.message_id, entity.whole(), receipt.disposition, problem)
        log.info("as2 %s: MDN to %s: %s", name, row.message_id, receipt.disposition)
        return Reply(200, {"Content-Type": "text/plain"}, f"MDN received: {said}\n".encode())
    digest = hashlib.sha256(body).hexdigest()
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() not in ("authorization", "cookie"))
    kept = Inbound(
        name=f"{endpoint.name}-mdn-refused-{digest[:16]}",
        data=head.encode("utf-8", "replace") + b"\r\n" + body,
        identity=f"as2:{endpoint.name}:mdn:{digest}",
        sender=sender[:128],
        quarantine=f"AS2 MDN refused: {why}",
    )
    try:
        ingest(hub, endpoint.name, kept)
    except CrossdockError as exc:
        log.warning("as2 %s: a refused MDN not stored: %s", endpoint.name, exc)
        return Reply(503, {"Retry-After": "60"}, b"not stored: send it again\n")
    log.warning("as2 %s: MDN refused: %s", endpoint.name, why)
    return Reply(400, {"Content-Type": "text/plain"}, f"MDN refused: {why}\n".encode())


def process_after(hub: Hub, document_id: int) -> None:
    """Process a stored message once its MDN is answered (a failure is the document's, recorded by ``process``)."""
    try:
        process(hub, document_id)
    except Exception:  # the server goes on; the document stays received for crossdock run to process
        log.exception("as2: document %s not processed now", document_id)
