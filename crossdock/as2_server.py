"""AS2 messages posted to ``/as2/<source>``: opened by the source's endpoint, stored, processed, answered an MDN.

What is stored comes first: the payload (or the refused message, quarantined) is committed before the MDN is
written, so a positive MDN is never sent for a message crossdock could lose. The MDN says the message arrived whole
and from the partner (RFC 4130); what its X12 says is the 997's business, so the document is processed once the MDN
is on its way (``process_after``), and one a crash left unprocessed is taken up by ``crossdock run``'s processing.
A Message-ID stored already is answered ``processed/warning: duplicate-document`` and not processed again. A store
that fails is answered 503 without an MDN: the partner sends the message again. A message for or from another AS2
name than the source's is answered unknown-trading-partner and not stored (it is logged): it is nobody's, and
storing it would let anyone fill the store.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from crossdock.connectors.as2 import As2Endpoint, Reply
from crossdock.connectors.as2_config import As2SourceConfig
from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process

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
    """Open, store and answer one posted message, and the document to process once answered (blocks: run it in a
    worker thread)."""
    got = endpoint.open(headers, body)
    if got.disposition.endswith("unknown-trading-partner"):  # not stored: anyone could fill the store so
        log.warning("as2 %s: %s refused: %s", endpoint.name, got.message_id, got.text)
        return endpoint.mdn(headers, got), None
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
    with hub.store.transaction() as conn:  # beside the document: `crossdock documents show` tells it
        hub.store.log(conn, "as2-mdn", said, document_id=stored.document_id or None)
    fresh = stored.new and got.payload is not None and stored.state == "received"
    return reply, stored.document_id if fresh else None


def process_after(hub: Hub, document_id: int) -> None:
    """Process a stored message once its MDN is answered (a failure is the document's, recorded by ``process``)."""
    try:
        process(hub, document_id)
    except Exception:  # the server goes on; the document stays received for crossdock run to process
        log.exception("as2: document %s not processed now", document_id)
