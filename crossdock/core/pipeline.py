"""The inbound flow: store the raw bytes, then decode, acknowledge, upsert, route and enqueue in one transaction.

Two commits per document, and nothing in between that a crash can lose:

1. ``ingest_many`` stores the raw bytes of a chunk of documents (or recognises them as already stored) and
   commits; only then does the source archive or delete the remote files.
2. ``process_many`` reads the documents, finds each one's partner, decodes it, and writes the orders (upserted by
   natural key), their deliveries, the 997/999 and the 855 with their control numbers, and the document's new
   state, all of a document in the transaction that records it (a chunk of X12 documents shares one, each in
   its own savepoint: ``x12_inbound``). A crash before that commit leaves the documents ``received``, and any
   worker's ``process_received`` picks them up again.

A document that cannot be processed (not X12, unknown partner, no mapping) is marked ``failed`` with the
reason and kept: ``crossdock replay`` runs it again after the configuration is fixed. The flows by kind of
document: ``x12_inbound`` (a partner's EDI), ``channel_inbound`` (a sales channel's orders), ``ship_files``
(a warehouse's CSV or JSON ship confirmations).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, IntegrityError

from crossdock.core.alerts import raise_alert
from crossdock.core.channel_inbound import channel_orders
from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.configuration.connectors import RECEIPT_FORMATS
from crossdock.core.errors import CrossdockError, PermanentError
from crossdock.core.failures import PROCESSABLE
from crossdock.core.fulfilment.invoicing import held_day, invoice_day, is_held_day
from crossdock.core.fulfilment.ship_files import ship_file
from crossdock.core.hub import Hub
from crossdock.core.plan import Processed
from crossdock.core.ports import Inbound
from crossdock.core.returns.intake import KIND as RETURN
from crossdock.core.returns.intake import return_documents
from crossdock.core.returns.receipts import SHIPBOB_RETURN, receipt_file
from crossdock.core.storage import bounds
from crossdock.core.storage.retention import purged_note
from crossdock.core.storage.store import Store, sha256
from crossdock.core.x12_inbound import process_x12

log = logging.getLogger("crossdock.pipeline")


@dataclass(slots=True)
class Ingested:
    document_id: int
    new: bool
    state: str  # "refused": not stored (document_id 0), ``reason`` says why
    reason: str | None = None


def ingest(hub: Hub, source: str, item: Inbound) -> Ingested:
    """Store the raw bytes of one inbound document, or find them already stored; commits before returning. One the
    store refuses even quarantined raises: its sender must send it again (an http post)."""
    got = ingest_many(hub, source, [item])[0]
    if got.state == "refused":
        raise PermanentError(got.reason or "refused by the store")
    return got


def ingest_many(hub: Hub, source: str, items: list[Inbound]) -> list[Ingested]:
    """Store the raw bytes of inbound documents from one source in one transaction, committed before returning:
    each is new, the same remote object read again (not stored twice), or the same bytes as an earlier one (kept
    as a duplicate, not processed). Each item's ``data`` is emptied then: the store holds the bytes.

    What an outsider chose (name, identity, sender) is cut to its column first (``bounds``). When the store
    still refuses the chunk, each document is stored alone, and one the store refuses is quarantined with the
    reason, or, when even that is refused, left where it is (``state`` ``refused``, not settled) with an
    event and an alert: one document never stops its source."""
    try:
        return _ingest(hub, source, items)
    except (DataError, IntegrityError) as exc:
        if len(items) == 1:
            return [_refused(hub, source, items[0], exc)]
    return [_alone(hub, source, item) for item in items]


def _alone(hub: Hub, source: str, item: Inbound) -> Ingested:
    try:
        return _ingest(hub, source, [item])[0]
    except (DataError, IntegrityError) as exc:
        return _refused(hub, source, item, exc)


def _refused(hub: Hub, source: str, item: Inbound, exc: Exception) -> Ingested:
    """A document the store refused: quarantined with the reason; when that is refused too, not stored at all."""
    said = bounds.cut(str(getattr(exc, "orig", exc)).splitlines()[0], 300)
    name = bounds.cut(item.name, bounds.REMOTE_NAME)
    reason = f"the store refused {name} ({len(item.data)} bytes) from {source}: {said}"
    try:
        got = _ingest(hub, source, [item], refusal=f"{reason}; quarantined, not processed")[0]
    except (DataError, IntegrityError) as again:
        reason += f"; not stored as quarantined either ({type(again).__name__}): left on {source}"
        got = Ingested(0, False, "refused", reason)
    with hub.store.transaction() as conn:
        hub.store.log(conn, "refused", reason, document_id=got.document_id or None)
        subject = f"crossdock: {source} could not store a document"
        cause = f"refused:{source}:{bounds.cut_identity(item.identity)}"
        raise_alert(hub.store, conn, hub.config, cause, subject, reason)
    return got


def _ingest(hub: Hub, source: str, items: list[Inbound], refusal: str | None = None) -> list[Ingested]:
    store = hub.store
    digests = [sha256(item.data) for item in items]
    identities = [bounds.cut_identity(item.identity) for item in items]
    with store.transaction() as conn:
        by_identity, by_digest = store.find_inbound_many(conn, source, list(zip(identities, digests, strict=True)))
        fresh: list[int] = []  # the items to store: one per remote object not stored before
        seen = set(by_identity)
        for i, identity in enumerate(identities):
            if identity not in seen:
                seen.add(identity)
                fresh.append(i)
        ids = dict(zip(fresh, store.new_ids(conn, "documents", len(fresh)), strict=True))
        out: list[Ingested] = []
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        first: dict[str, Ingested] = {}  # identity -> what this batch made of it
        for i, (item, digest, identity) in enumerate(zip(items, digests, identities, strict=True)):
            known = by_identity.get(identity)
            if known is not None:  # not logged: a source that polls a window (an API) re-reads every poll
                out.append(Ingested(int(known.id), False, str(known.state)))
                continue
            if identity in first:
                out.append(Ingested(first[identity].document_id, False, first[identity].state))
                continue
            quarantine = refusal or item.quarantine
            state, error = ("quarantined", quarantine) if quarantine else ("received", None)
            name = bounds.cut(item.name, bounds.REMOTE_NAME)
            same = by_digest.get(digest)
            if same is not None and refusal is None:
                state = "duplicate"
                error = (
                    f"the same bytes as document {same.id} ({same.remote_name}) from {source}: not processed "
                    "again (crossdock replay processes it anyway)"
                )
            else:
                by_digest[digest] = _Stored(ids[i], str(name))
            rows.append(
                {
                    "direction": "in",
                    "data": item.data,
                    "state": state,
                    "endpoint": source,
                    "remote_name": name,
                    "identity": identity,
                    "sender": bounds.cut(item.sender, bounds.SENDER),
                    "error": error,
                    "kind": item.kind or None,
                }
            )
            message = f"{name} ({len(item.data)} bytes) from {source}"
            if name != item.name or bounds.cut(item.sender, bounds.SENDER) != item.sender:  # whole, as data
                message += f"; cut to fit the store: name {item.name!r}, sender {item.sender!r}"
            events.append({"kind": state, "message": message, "document_id": ids[i]})
            first[identity] = Ingested(ids[i], True, state)
            out.append(first[identity])
        store.insert_documents(conn, rows, [ids[i] for i in fresh])
        store.log_many(conn, events)
    for item in items:  # stored: from now on the bytes are the store's, and a large file is not held twice
        item.data = b""
    return out


@dataclass(frozen=True, slots=True)
class _Stored:
    """A document stored earlier in the same batch, as a duplicate's reason names it."""

    id: int
    remote_name: str


def process(hub: Hub, document_id: int, checkpoint: tuple[str, str] | None = None) -> Processed:
    """Decode a stored inbound document and record everything it causes, in one transaction.

    ``checkpoint`` (cursor name, value) is a polling source's high-water mark, saved in that same transaction.
    """
    results = process_many(hub, [document_id], checkpoint)
    if not results:
        raise CrossdockError(f"no document {document_id}")
    return results[0]


def process_many(
    hub: Hub, document_ids: list[int], checkpoint: tuple[str, str] | None = None, *, skip_locked: bool = False
) -> list[Processed]:
    """Process stored inbound documents from one source, ``checkpoint`` saved with the last. A sales channel's
    orders are recorded in one transaction (a page of an API's orders), and so are X12 documents (each in its
    own savepoint); a ship file in its own. With ``skip_locked`` the documents another worker is recording are
    left to it, and out of the result. What they queued wakes this worker's dispatcher (``Hub.on_queued``)."""
    results = _process_many(hub, document_ids, checkpoint, skip_locked)
    if any(r.deliveries or r.acks for r in results):
        hub.on_queued()
    return results


def _process_many(
    hub: Hub, document_ids: list[int], checkpoint: tuple[str, str] | None, skip_locked: bool
) -> list[Processed]:
    store = hub.store
    with store.transaction() as conn:
        heads = store.document_heads(conn, document_ids)
    ids = [d for d in document_ids if d in heads]
    endpoint = heads[ids[0]][0] if ids else ""
    source_cfg = hub.config.sources.get(endpoint or "")
    if source_cfg is not None and source_cfg.format in CHANNELS:
        with store.transaction() as conn:
            rows = store.documents_by_id(conn, ids)
        ready = [rows[d] for d in ids if rows[d].state in PROCESSABLE and rows[d].kind != RETURN]
        done = {d: Processed(d, str(rows[d].state)) for d in ids if rows[d].state not in PROCESSABLE}
        returned = [rows[d] for d in ids if rows[d].state in PROCESSABLE and rows[d].kind == RETURN]
        if ready or checkpoint is not None:
            done.update({r.document_id: r for r in channel_orders(hub, ready, str(endpoint), checkpoint)})
        done.update({r.document_id: r for r in return_documents(hub, returned, str(endpoint))})  # after the orders
        return [done[d] for d in ids]
    if source_cfg is not None and source_cfg.format != "x12":
        results = [_ship_file(hub, d, source_cfg) for d in ids]
    else:
        results = process_x12(hub, ids, skip_locked=skip_locked)
    if checkpoint is not None:  # only a sales channel's API reads by a high-water mark today
        with store.transaction() as conn:
            store.set_cursor(conn, *checkpoint)
    return results


def _ship_file(hub: Hub, document_id: int, source_cfg: Any) -> Processed:
    with hub.store.transaction() as conn:
        row = hub.store.document(conn, document_id)
    assert row is not None
    if row.state not in PROCESSABLE:
        return Processed(document_id, str(row.state))
    name = row.remote_name or f"document {document_id} (unnamed)"
    if source_cfg.format in RECEIPT_FORMATS or row.kind == SHIPBOB_RETURN:
        return receipt_file(hub, document_id, bytes(row.data), name, str(row.endpoint), source_cfg, row.kind)
    return ship_file(hub, document_id, bytes(row.data), name, str(row.endpoint), source_cfg)


def process_received(hub: Hub, limit: int = 100) -> list[Processed]:
    """Process up to ``limit`` stored documents waiting in ``received`` that no other worker holds: what a
    crash interrupted, and on PostgreSQL what another worker's poll stored (every worker shares processing)."""
    done = process_x12(hub, limit=limit)
    if any(r.deliveries or r.acks for r in done):  # process_many below wakes it for its own
        hub.on_queued()
    if len(done) < limit:
        others = [name for name, source in hub.config.sources.items() if source.format != "x12"]
        if others:
            with hub.store.transaction() as conn:
                waiting = hub.store.received_ids(conn, others, limit - len(done))
            by_source: dict[str, list[int]] = {}
            for document_id, endpoint in waiting:
                by_source.setdefault(endpoint, []).append(document_id)
            for ids in by_source.values():
                done.extend(process_many(hub, ids))
    return done


def process_pending(hub: Hub, limit: int = 100) -> list[Processed]:
    """Finish documents whose processing a crash interrupted: ``process_received``, under its older name."""
    return process_received(hub, limit)


def replay(hub: Hub, document_id: int, *, force: bool = False) -> Processed:
    """Run a stored inbound document through the flow again (after a fix); orders are upserted, never doubled.
    With ``force`` an X12 order's version in it is applied even when older or conflicting (``order_gate``).
    A day's 810s a guide held are written again from the shipments still to invoice (``invoice_day``)."""
    store = hub.store
    with store.transaction() as conn:
        row = store.document(conn, document_id)
        if row is not None and is_held_day(row):
            partner = str(row.partner)
        else:
            partner = None
            _replaying(store, conn, row, document_id, force)
    if partner is not None:
        return _invoice_again(hub, document_id, partner)
    return process(hub, document_id)


def _replaying(store: Store, conn: Connection, row: Any, document_id: int, force: bool) -> None:
    """Mark an inbound document to be processed again (the replay's flags kept), or say why it cannot be."""
    if row is None or row.direction != "in":
        raise CrossdockError(f"no inbound document {document_id}")
    if row.purged_at is not None:
        raise CrossdockError(purged_note(document_id, row.purged_at))
    flags = "force" if force else (None if row.flags == "force" else row.flags)  # --force is for this replay
    store.update_document(conn, document_id, state="received", error=None, flags=flags)
    store.log(
        conn, "replay", f"document {document_id} replayed" + (" (--force)" if force else ""), document_id=document_id
    )


def _invoice_again(hub: Hub, document_id: int, partner: str) -> Processed:
    """The held day's 810s, written and checked again: sent when the guide now passes them, else held again
    (as a new document, which replaces this one)."""
    if invoice_day(hub, partner):
        return Processed(document_id, "processed", deliveries=1)
    with hub.store.transaction() as conn:
        again = held_day(conn, partner)
    if again is None:  # nothing was left to invoice
        return Processed(document_id, "processed")
    return Processed(int(again.id), "held", again.error)
