"""The inbound flow: store the raw bytes, then decode, acknowledge, upsert, route and enqueue in one transaction.

Two commits per document, and nothing in between that a crash can lose:

1. ``ingest`` stores the raw bytes (or recognises them as already stored) and commits; only then does the
   source archive or delete the remote file.
2. ``process`` reads the document, finds the partner, decodes it, and in one transaction writes the orders
   (upserted by natural key), their deliveries, the 997/999 and the 855 with their control numbers, and the
   document's new state. A crash before that commit leaves the document ``received``; ``process_pending``
   (run at start and by housekeeping) picks it up again.

A document that cannot be processed (not X12, unknown partner, no mapping) is marked ``failed`` with the
reason and kept: ``crossdock replay`` runs it again after the configuration is fixed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from crossdock.connectors.base import Inbound
from crossdock.core import registry
from crossdock.core.api_config import CHANNELS
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.failures import fail_document, report_problems
from crossdock.core.hub import Hub
from crossdock.core.models import Acknowledgment, Order, Shipment
from crossdock.core.orders import upsert_orders
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, Processed, delivery_key, outbound, queued, safe_name
from crossdock.core.reconcile import reconcile, reconcile_interchange
from crossdock.core.retention import purged_note
from crossdock.core.shipping import record_shipments
from crossdock.core.spool import SpooledLines
from crossdock.core.store import OrderRace, sha256

log = logging.getLogger("crossdock.pipeline")


PROCESSABLE = ("received", "failed")


@dataclass(slots=True)
class Ingested:
    document_id: int
    new: bool
    state: str


def ingest(hub: Hub, source: str, item: Inbound) -> Ingested:
    """Store the raw bytes of one inbound document, or find them already stored; commits before returning."""
    return ingest_many(hub, source, [item])[0]


def ingest_many(hub: Hub, source: str, items: list[Inbound]) -> list[Ingested]:
    """Store the raw bytes of inbound documents from one source in one transaction, committed before returning:
    each is new, the same remote object read again (not stored twice), or the same bytes as an earlier one (kept
    as a duplicate, not processed). Each item's ``data`` is emptied then: the store holds the bytes."""
    store = hub.store
    digests = [sha256(item.data) for item in items]
    with store.transaction() as conn:
        by_identity, by_digest = store.find_inbound_many(
            conn, source, [(item.identity, digest) for item, digest in zip(items, digests, strict=True)]
        )
        fresh: list[int] = []  # the items to store: one per remote object not stored before
        seen = set(by_identity)
        for i, item in enumerate(items):
            if item.identity not in seen:
                seen.add(item.identity)
                fresh.append(i)
        ids = dict(zip(fresh, store.new_ids(conn, "documents", len(fresh)), strict=True))
        out: list[Ingested] = []
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        first: dict[str, Ingested] = {}  # identity -> what this batch made of it
        for i, (item, digest) in enumerate(zip(items, digests, strict=True)):
            known = by_identity.get(item.identity)
            if known is not None:  # not logged: a source that polls a window (an API) re-reads every poll
                out.append(Ingested(int(known.id), False, str(known.state)))
                continue
            if item.identity in first:
                out.append(Ingested(first[item.identity].document_id, False, first[item.identity].state))
                continue
            state, error = ("quarantined", item.quarantine) if item.quarantine else ("received", None)
            same = by_digest.get(digest)
            if same is not None:
                state = "duplicate"
                error = (
                    f"the same bytes as document {same.id} ({same.remote_name}) from {source}: not processed "
                    "again (crossdock replay processes it anyway)"
                )
            else:
                by_digest[digest] = _Stored(ids[i], item.name)
            rows.append(
                {
                    "direction": "in",
                    "data": item.data,
                    "state": state,
                    "endpoint": source,
                    "remote_name": item.name,
                    "identity": item.identity,
                    "sender": item.sender,
                    "error": error,
                }
            )
            events.append(
                {"kind": state, "message": f"{item.name} ({len(item.data)} bytes) from {source}", "document_id": ids[i]}
            )
            first[item.identity] = Ingested(ids[i], True, state)
            out.append(first[item.identity])
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
    store = hub.store
    with store.transaction() as conn:
        row = store.document(conn, document_id, large=False)  # a large X12 file is read as a stream (raw)
    if row is None:
        raise CrossdockError(f"no document {document_id}")
    if row.state not in PROCESSABLE:
        return Processed(document_id, str(row.state))
    name = f"document {document_id} ({row.remote_name or 'unnamed'})"
    source_cfg = hub.config.sources.get(row.endpoint or "")
    if source_cfg is not None and source_cfg.format != "x12" and row.data is None:
        with store.transaction() as conn:
            row = store.document(conn, document_id)
        assert row is not None
    if source_cfg is not None and source_cfg.format in CHANNELS:
        return _channel_orders(hub, [row], str(row.endpoint), checkpoint)[0]
    if source_cfg is not None and source_cfg.format != "x12":
        return _ship_file(hub, document_id, bytes(row.data), row.remote_name or name, str(row.endpoint), source_cfg)
    x12 = registry.mapping("x12")
    partner: Partner | None = None
    try:
        with store.raw(document_id, row.data) as raw:
            inbound = x12.read(raw, encoding="latin-1", name=row.remote_name or name)
        partner = _partner_of(hub, inbound, name)
        if partner.config.encoding.lower() not in ("latin-1", "latin1", "iso-8859-1"):
            with store.raw(document_id, row.data) as raw:
                inbound = x12.read(raw, encoding=partner.config.encoding, name=row.remote_name or name)
        if source_cfg is not None and source_cfg.partner and source_cfg.partner != partner.name:
            raise DecodeError(
                f"the file is from partner {partner.name!r} but source {row.endpoint!r} belongs to "
                f"{source_cfg.partner!r}",
                source=row.remote_name,
            )
    except Exception as exc:
        return fail_document(
            hub, document_id, _reason(exc, name), partner.name if partner else None, row.endpoint, row.remote_name
        )
    for attempt in range(3):
        try:
            with store.transaction() as conn:
                state = store.claim_document(conn, document_id)
                if state not in PROCESSABLE:  # another worker processed it while this one was decoding
                    return Processed(document_id, state)
                result = _record(hub, conn, document_id, row.endpoint, inbound, partner)
            return report_problems(result, row.endpoint, row.remote_name)
        except OrderRace:
            if attempt == 2:
                raise
        except SQLAlchemyError:
            raise
        except Exception as exc:  # rolled back: the document fails alone, and the poll goes on
            return fail_document(hub, document_id, _reason(exc, name), partner.name, row.endpoint, row.remote_name)
    raise AssertionError("unreachable")


def _reason(exc: Exception, name: str) -> str:
    """A document's failure as its reader sees it; anything but a CrossdockError is a crossdock bug.

    A file that trips a bug fails alone, its bytes kept, instead of stopping its source's every poll.
    """
    if isinstance(exc, CrossdockError):
        return str(exc)
    log.error("%s: unexpected error", name, exc_info=exc)
    return f"{name}: crossdock failed on it ({type(exc).__name__}: {exc}); this is a crossdock bug, please report it"


def _ship_file(hub: Hub, document_id: int, data: bytes, name: str, source_name: str, source: Any) -> Processed:
    """A warehouse's CSV ship file or Shipment JSON: its shipments recorded and answered like a 945's."""
    shipper = source.partner or source_name
    try:
        if source.format == "csv-shipments":
            found = registry.mapping("shipcsv").shipments_from_csv(data, source.shipment_columns, name=name)
        elif source.format == "shipbob":
            found = registry.mapping("shipbob").shipments_from_shipbob(data, name=name)
        else:
            found = registry.mapping("shipjson").shipments_from_json(data, name=name)
    except Exception as exc:
        return fail_document(hub, document_id, _reason(exc, name), shipper, source_name, name)
    try:
        with hub.store.transaction() as conn:
            state = hub.store.claim_document(conn, document_id)
            if state not in PROCESSABLE:
                return Processed(document_id, state)
            result = Processed(document_id, "processed")
            plan = Plan()
            problems = record_shipments(hub, conn, plan, document_id, found, shipper, result)
            plan.write(hub.store, conn)
            result.error = "; ".join(problems)[:4000] or None
            hub.store.update_document(
                conn, document_id, state=result.state, error=result.error, partner=shipper, kind=source.format
            )
    except SQLAlchemyError:
        raise
    except Exception as exc:  # rolled back: the document fails alone
        return fail_document(hub, document_id, _reason(exc, name), shipper, source_name, name)
    return result


def process_many(hub: Hub, document_ids: list[int], checkpoint: tuple[str, str] | None = None) -> list[Processed]:
    """Process stored inbound documents from one source, ``checkpoint`` saved with the last. A sales channel's
    orders are recorded in one transaction (a page of an API's orders); any other document in its own."""
    with hub.store.transaction() as conn:
        rows = hub.store.documents_by_id(conn, document_ids, large=False)  # a large file: read by process
    endpoint = str(rows[document_ids[0]].endpoint) if document_ids and document_ids[0] in rows else ""
    source_cfg = hub.config.sources.get(endpoint)
    if source_cfg is None or source_cfg.format not in CHANNELS or len(rows) != len(document_ids):
        last = len(document_ids) - 1
        return [process(hub, d, checkpoint if i == last else None) for i, d in enumerate(document_ids)]
    if any(row.data is None for row in rows.values()):
        with hub.store.transaction() as conn:
            rows = hub.store.documents_by_id(conn, document_ids)
    ready = [rows[d] for d in document_ids if rows[d].state in PROCESSABLE]
    done = {d: Processed(d, str(rows[d].state)) for d in document_ids if rows[d].state not in PROCESSABLE}
    if ready or checkpoint is not None:
        done.update({r.document_id: r for r in _channel_orders(hub, ready, endpoint, checkpoint)})
    return [done[d] for d in document_ids]


def _channel_orders(hub: Hub, rows: list[Any], source: str, checkpoint: tuple[str, str] | None) -> list[Processed]:
    """A sales channel's orders, each a document as its API gave it: mapped, then upserted and routed like a
    partner's PO, all in one transaction. The natural key is (channel, source, the channel's order id), so a
    re-poll, a webhook and a poll of the same order, or its versions arriving out of order, never make a
    second order. A document that does not map fails alone, its raw bytes kept."""
    channel = hub.config.sources[source].format
    mapping = registry.mapping(channel)
    failed: dict[int, Processed] = {}
    decoded: list[tuple[int, list[Order]]] = []
    for row in rows:
        document_id = int(row.id)
        name = row.remote_name or f"document {document_id}"
        try:
            payload = json.loads(bytes(row.data), parse_float=Decimal)
            decoded.append((document_id, [mapping.order_from_payload(payload, name=name)]))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            failed[document_id] = fail_document(hub, document_id, f"{name}: not JSON ({exc})", source, source, name)
        except Exception as exc:
            failed[document_id] = fail_document(hub, document_id, _reason(exc, name), source, source, name)
    for attempt in range(3):
        results = dict(failed)
        try:
            with hub.store.transaction() as conn:
                states = hub.store.claim_documents(conn, [document_id for document_id, _ in decoded])
                for document_id, _ in decoded:
                    if states[document_id] not in PROCESSABLE:  # another worker recorded it meanwhile
                        results[document_id] = Processed(document_id, states[document_id])
                ready = [(d, found) for d, found in decoded if states[d] in PROCESSABLE]
                for group in _distinct_runs(ready):
                    orders = [order for _, found in group for order in found]
                    keys = [order.external_id or order.po_number for order in orders]
                    existing = hub.store.find_orders(conn, orders[0].channel, source, keys) if orders else {}
                    plan = Plan()
                    for document_id, found in group:
                        result = Processed(document_id, "processed")
                        upsert_orders(hub, conn, plan, document_id, source, found, source, result, existing)
                        results[document_id] = result
                    plan.write(hub.store, conn)
                recorded = [(d, results[d].state) for d, _ in decoded if states[d] in PROCESSABLE]
                hub.store.set_document_states(conn, recorded, source, channel)
                if checkpoint is not None:
                    hub.store.set_cursor(conn, *checkpoint)
            return [results[int(row.id)] for row in rows]
        except OrderRace:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _distinct_runs(decoded: list[tuple[int, list[Order]]]) -> list[list[tuple[int, list[Order]]]]:
    """The documents in runs where no order appears twice: a run's stored orders are looked up at once and its
    rows written at once, and a second version of an order waits for the next run, which sees the first."""
    runs: list[list[tuple[int, list[Order]]]] = []
    seen: set[str] = set()
    for document_id, found in decoded:
        keys = {order.external_id or order.po_number for order in found}
        if not runs or keys & seen:
            runs.append([])
            seen = set()
        runs[-1].append((document_id, found))
        seen |= keys
    return runs


def _partner_of(hub: Hub, inbound: Any, name: str) -> Partner:
    found: Partner | None = None
    for ic in inbound.interchanges:
        gs = ic.groups[0].sender if ic.groups else None
        partner = hub.partners.find(ic.sender_qualifier, ic.sender_id, gs)
        if partner is None:
            raise DecodeError(
                f"unknown partner: interchange {ic.control} is from ISA {ic.sender_qualifier}/{ic.sender_id}"
                + (f" (GS {gs})" if gs else "")
                + ", which no configured partner has; add the partner and run `crossdock replay`",
                source=name,
            )
        if found is not None and partner is not found:
            raise DecodeError(f"the file mixes interchanges from {found.name!r} and {partner.name!r}", source=name)
        found = partner
    if found is None:
        raise DecodeError("no interchange in the file", source=name)
    return found


def _record(
    hub: Hub, conn: Connection, document_id: int, source: str | None, inbound: Any, partner: Partner
) -> Processed:
    store = hub.store
    result = Processed(document_id, "processed")
    plan = Plan()
    first = inbound.interchanges[0]
    dup = store.find_interchange(conn, partner.name, first.control, document_id)
    if dup is not None:
        plan.event(
            "duplicate",
            f"interchange {first.control} from {partner.name} was already received in document {dup}",
            document=document_id,
        )
    result.acks = _acknowledge(hub, conn, plan, document_id, inbound, partner)
    problems: list[str] = []
    found: list[Order] = []
    spooled: dict[int, SpooledLines] = {}  # a large order's lines, by id(order)
    shipped: list[Shipment] = []
    total = 0
    for ic in inbound.interchanges:
        if not ic.ok and ic.errors:
            problems.append(f"interchange {ic.control}: {'; '.join(ic.errors[:3])}")
        for ta1 in ic.acknowledgments:
            if problem := reconcile_interchange(hub, conn, plan, document_id, ta1, partner):
                problems.append(problem)
        for group in ic.groups:
            for ts in group.sets:
                total += 1
                if ts.status == "rejected":
                    problems.append(f"{ts.code} {ts.control} rejected: {'; '.join(ts.errors[:3])}")
                elif ts.decode_error:
                    problems.append(f"{ts.code} {ts.control}: {ts.decode_error}")
                elif isinstance(ts.document, Order):
                    ts.document.partner = partner.name
                    found.append(ts.document)
                    if ts.lines is not None:
                        spooled[id(ts.document)] = ts.lines
                elif isinstance(ts.document, Acknowledgment):
                    if problem := reconcile(hub, conn, plan, document_id, ts.document, partner):
                        problems.append(problem)
                elif isinstance(ts.document, Shipment):
                    shipped.append(ts.document)
                elif ts.document is None:
                    problems.append(f"{ts.code} {ts.control}: crossdock has no inbound flow for this set yet")
    if shipped:
        problems.extend(record_shipments(hub, conn, plan, document_id, shipped, partner.name, result))
    if found:
        upsert_orders(hub, conn, plan, document_id, source, found, partner, result, spooled=spooled)
    if problems:
        rejected = sum(1 for p in problems if " rejected" in p)
        result.state = "rejected" if total and rejected == total else "processed"
        result.error = "; ".join(problems)[:4000]
    plan.write(store, conn)
    store.update_document(
        conn,
        document_id,
        state=result.state,
        error=result.error,
        partner=partner.name,
        kind="x12",
        interchange_control=first.control,
        group_control=",".join(g.control for g in first.groups)[:16] or None,
        flags="duplicate-interchange" if dup is not None else None,
    )
    return result


def _acknowledge(hub: Hub, conn: Connection, plan: Plan, document_id: int, inbound: Any, partner: Partner) -> int:
    kind = partner.config.ack
    key = delivery_key("ack", document_id)
    if kind == "none" or queued(conn, key):
        return 0
    interchanges, groups = inbound.ack_counts()
    if not interchanges:
        return 0
    controls = reserve(hub.store, conn, partner.name, interchanges=interchanges, groups=groups, sets=groups)
    data = inbound.ack(
        kind,
        interchange=controls.interchange,
        group=controls.group,
        transaction=controls.transaction,
        usage=partner.usage,
        created=created_now(),
    )
    if data is None:
        return 0
    name = f"{safe_name(partner.name)}-{kind}-{controls.interchange:09d}.edi"
    outbound(plan, partner, data, name, kind, key, document_id, None, controls)
    return 1


def process_pending(hub: Hub, limit: int = 100) -> list[Processed]:
    """Finish documents whose processing a crash interrupted."""
    with hub.store.transaction() as conn:
        pending = hub.store.documents_in_state(conn, "received", limit)
    return [process(hub, doc_id) for doc_id in pending]


def replay(hub: Hub, document_id: int) -> Processed:
    """Run a stored inbound document through the flow again (after a fix); orders are upserted, never doubled."""
    store = hub.store
    with store.transaction() as conn:
        row = store.document(conn, document_id)
        if row is None or row.direction != "in":
            raise CrossdockError(f"no inbound document {document_id}")
        if row.purged_at is not None:
            raise CrossdockError(purged_note(document_id, row.purged_at))
        store.update_document(conn, document_id, state="received", error=None)
        store.log(conn, "replay", f"document {document_id} replayed", document_id=document_id)
    return process(hub, document_id)
