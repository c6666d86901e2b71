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

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.connectors.base import Inbound, Sink, Source
from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.config import Config
from crossdock.core.engine import utcnow
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.models import Order
from crossdock.core.outbox import Dispatcher
from crossdock.core.partners import Controls, Directory, Partner, created_now, reserve
from crossdock.core.retry import RetryPolicy
from crossdock.core.routing import Assignment, Unroutable, route
from crossdock.core.schema import deliveries, documents
from crossdock.core.store import OrderRace, Store, sha256, to_json
from crossdock.core.workers import is_dead_local

log = logging.getLogger("crossdock.pipeline")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(value: str) -> str:
    """A value fit for a file name on any partner's server."""
    return _UNSAFE.sub("_", value).strip("._") or "x"


def delivery_key(*parts: object) -> str:
    """The idempotency key of a delivery: stable for the same thing sent to the same place."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


PROCESSABLE = ("received", "failed")


class Hub:
    """One process's view of crossdock: configuration, store, partners, and connectors built on first use."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.store = store or Store.open(config.store_url)
        self.partners = Directory(config)
        self._sinks: dict[str, Sink] = {}

    def sink(self, name: str) -> Sink:
        found = self._sinks.get(name)
        if found is None:
            cfg = self.config.sinks.get(name)
            if cfg is None:
                raise CrossdockError(f"no sink named {name!r} in the configuration")
            found = self._sinks[name] = registry.build_sink(name, cfg)
        return found

    def source(self, name: str) -> Source:
        cfg = self.config.sources.get(name)
        if cfg is None:
            raise CrossdockError(f"no source named {name!r} in the configuration")
        return registry.build_source(name, cfg)

    def dispatcher(self, owner: str | None = None) -> Dispatcher:
        """The outbox dispatcher for this configuration: its retry policy, batch, lease and alerts."""
        return Dispatcher(
            self.store,
            self.sink,
            RetryPolicy(self.config.retry),
            config=self.config,
            owner=owner,
            batch=self.config.outbox.batch,
            lease=self.config.outbox.lease,
        )

    def close(self) -> None:
        for sink in self._sinks.values():
            try:
                sink.close()
            except Exception:  # closing must not hide the real outcome
                log.warning("closing sink %s failed", sink.name, exc_info=True)
        self._sinks.clear()
        self.store.close()


@dataclass(slots=True)
class Ingested:
    document_id: int
    new: bool
    state: str


@dataclass(slots=True)
class Processed:
    document_id: int
    state: str
    error: str | None = None
    orders_new: int = 0
    orders_changed: int = 0
    orders_unchanged: int = 0
    deliveries: int = 0
    acks: int = 0


def ingest(hub: Hub, source: str, item: Inbound) -> Ingested:
    """Store the raw bytes of one inbound document, or find them already stored; commits before returning."""
    digest = sha256(item.data)
    store = hub.store
    with store.transaction() as conn:
        same_object, same_bytes = store.find_inbound(conn, source, item.identity, digest)
        if same_object is not None:
            store.log(conn, "reread", f"{item.name} from {source} was already stored", document_id=int(same_object.id))
            return Ingested(int(same_object.id), False, str(same_object.state))
        state, error = ("quarantined", item.quarantine) if item.quarantine else ("received", None)
        if same_bytes is not None:
            state = "duplicate"
            error = (
                f"the same bytes as document {same_bytes.id} ({same_bytes.remote_name}) from {source}: not processed "
                "again (crossdock replay processes it anyway)"
            )
        doc_id = store.add_document(
            conn,
            direction="in",
            data=item.data,
            digest=digest,
            state=state,
            endpoint=source,
            remote_name=item.name,
            identity=item.identity,
            sender=item.sender,
            error=error,
        )
        store.log(conn, state, f"{item.name} ({len(item.data)} bytes) from {source}", document_id=doc_id)
    return Ingested(doc_id, True, state)


def process(hub: Hub, document_id: int) -> Processed:
    """Decode a stored inbound document and record everything it causes, in one transaction."""
    store = hub.store
    with store.transaction() as conn:
        row = store.document(conn, document_id)
    if row is None:
        raise CrossdockError(f"no document {document_id}")
    if row.state not in PROCESSABLE:
        return Processed(document_id, str(row.state))
    name = f"document {document_id} ({row.remote_name or 'unnamed'})"
    source_cfg = hub.config.sources.get(row.endpoint or "")
    x12 = registry.mapping("x12")
    partner: Partner | None = None
    try:
        inbound = x12.read(bytes(row.data), encoding="latin-1", name=row.remote_name or name)
        partner = _partner_of(hub, inbound, name)
        if partner.config.encoding.lower() not in ("latin-1", "latin1", "iso-8859-1"):
            inbound = x12.read(bytes(row.data), encoding=partner.config.encoding, name=row.remote_name or name)
        if source_cfg is not None and source_cfg.partner and source_cfg.partner != partner.name:
            raise DecodeError(
                f"the file is from partner {partner.name!r} but source {row.endpoint!r} belongs to "
                f"{source_cfg.partner!r}",
                source=row.remote_name,
            )
    except CrossdockError as exc:
        return _fail(hub, document_id, str(exc), partner.name if partner else None)
    for attempt in range(3):
        try:
            with store.transaction() as conn:
                state = store.claim_document(conn, document_id)
                if state not in PROCESSABLE:  # another worker processed it while this one was decoding
                    return Processed(document_id, state)
                return _record(hub, conn, document_id, row.endpoint, inbound, partner)
        except OrderRace:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _fail(hub: Hub, document_id: int, reason: str, partner: str | None) -> Processed:
    with hub.store.transaction() as conn:
        hub.store.update_document(conn, document_id, state="failed", error=reason, partner=partner)
        hub.store.log(conn, "failed", reason, document_id=document_id)
        raise_alert(
            hub.store,
            conn,
            hub.config,
            f"document-failed:{document_id}",
            f"crossdock: document {document_id} failed",
            f"{reason}\n\nThe raw file is kept. Fix the cause, then: crossdock replay {document_id}",
        )
    log.warning("document %s failed: %s", document_id, reason)
    return Processed(document_id, "failed", reason)


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


class _Ref:
    """A row planned in this transaction whose id is known only once the plan is written."""

    __slots__ = ("index", "table")

    def __init__(self, table: str, index: int) -> None:
        self.table = table
        self.index = index


Id = int | _Ref | None


class _Plan:
    """Everything one document causes, collected first and written with one multi-row insert per table."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.deliveries: list[tuple[dict[str, Any], Id, Id]] = []
        self.events: list[tuple[str, str, Id, Id]] = []

    def order(self, row: dict[str, Any]) -> _Ref:
        self.orders.append(row)
        return _Ref("orders", len(self.orders) - 1)

    def document(self, row: dict[str, Any]) -> _Ref:
        self.documents.append(row)
        return _Ref("documents", len(self.documents) - 1)

    def delivery(self, row: dict[str, Any], document: Id, order: Id) -> None:
        self.deliveries.append((row, document, order))

    def event(self, kind: str, message: str, *, order: Id = None, document: Id = None) -> None:
        self.events.append((kind, message, order, document))

    def write(self, store: Store, conn: Connection) -> None:
        ids = {
            "orders": store.insert_orders(conn, self.orders),
            "documents": store.insert_documents(conn, self.documents),
        }

        def resolve(ref: Id) -> int | None:
            return ids[ref.table][ref.index] if isinstance(ref, _Ref) else ref

        store.enqueue_many(
            conn,
            [{**row, "document_id": resolve(doc), "order_id": resolve(order)} for row, doc, order in self.deliveries],
        )
        store.log_many(
            conn,
            [
                {"kind": kind, "message": message, "order_id": resolve(order), "document_id": resolve(document)}
                for kind, message, order, document in self.events
            ],
        )


def _record(
    hub: Hub, conn: Connection, document_id: int, source: str | None, inbound: Any, partner: Partner
) -> Processed:
    store = hub.store
    result = Processed(document_id, "processed")
    plan = _Plan()
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
    total = 0
    for ic in inbound.interchanges:
        if not ic.ok and ic.errors:
            problems.append(f"interchange {ic.control}: {'; '.join(ic.errors[:3])}")
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
                elif ts.document is None:
                    problems.append(f"{ts.code} {ts.control}: crossdock has no inbound flow for this set yet")
    if found:
        _upsert_orders(hub, conn, plan, document_id, source, found, partner, result)
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


def _acknowledge(hub: Hub, conn: Connection, plan: _Plan, document_id: int, inbound: Any, partner: Partner) -> int:
    kind = partner.config.ack
    key = delivery_key("ack", document_id)
    if kind == "none" or _queued(conn, key):
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
    _outbound(plan, partner, data, name, kind, key, document_id, None, controls)
    return 1


def _queued(conn: Connection, key: str) -> bool:
    return conn.execute(select(deliveries.c.id).where(deliveries.c.key == key)).first() is not None


def _outbound(
    plan: _Plan,
    partner: Partner,
    data: bytes,
    name: str,
    purpose: str,
    key: str,
    parent: int | None,
    order: Id,
    controls: Controls | None = None,
    sink: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Plan an outbound document and its delivery; without a sink the document is kept as unsent."""
    sink = sink or partner.config.reply_to
    doc = plan.document(
        {
            "direction": "out",
            "data": data,
            "state": "queued" if sink else "unsent",
            "endpoint": sink,
            "remote_name": name,
            "kind": purpose,
            "partner": partner.name,
            "parent_id": parent,
            "error": None if sink else f"partner {partner.name} has no reply_to sink",
            "interchange_control": str(controls.interchange) if controls else None,
            "group_control": str(controls.group) if controls else None,
            "transaction_controls": str(controls.transaction) if controls else None,
        }
    )
    if sink:
        plan.delivery({"key": key, "sink": sink, "purpose": purpose, "next_attempt_at": not_before}, doc, order)
        if purpose != "order":
            plan.event("queued", f"{purpose} {name} for {sink}", document=doc, order=order)
    else:
        plan.event("unsent", f"{purpose} {name}: no sink to send it to", document=doc, order=order)


def _upsert_orders(
    hub: Hub,
    conn: Connection,
    plan: _Plan,
    document_id: int,
    source: str | None,
    found: list[Order],
    partner: Partner,
    result: Processed,
) -> None:
    """Insert new orders, update changed ones, leave re-read ones alone; route what is new or changed."""
    store = hub.store
    latest: dict[str, Order] = {}
    for order in found:
        if order.po_number in latest:
            plan.event(
                "order",
                f"order {order.po_number} appears twice in the document; the later one is kept",
                document=document_id,
            )
        latest[order.po_number] = order
    existing = store.find_orders(conn, "x12", partner.name, list(latest))
    x12 = registry.mapping("x12")
    for po, order in latest.items():
        dumped = x12.order_dict(order)
        data = to_json(dumped)
        row = existing.get(po)
        if row is None:
            assignments, status = _assign(hub, order, source)
            ref: int | _Ref = plan.order(
                {
                    "channel": order.channel,
                    "partner": partner.name,
                    "external_id": po,
                    "po_number": po,
                    "status": "cancelled" if order.purpose == "01" else status,
                    "revision": 1,
                    "data": data,
                    "document_id": document_id,
                }
            )
            revision = 1
            result.orders_new += 1
            plan.event("order", f"order {po} from {partner.name} received", order=ref, document=document_id)
        else:
            ref = int(row.id)
            if row.data == data:
                result.orders_unchanged += 1
                plan.event("order", f"order {po} read again, unchanged", order=ref, document=document_id)
                continue
            revision = int(row.revision) + 1
            result.orders_changed += 1
            assignments, status = _assign(hub, order, source)
            what = "replaced (BEG01=05)" if order.is_replacement else "changed"
            store.update_order(
                conn,
                ref,
                data=data,
                revision=revision,
                document_id=document_id,
                status="cancelled" if order.purpose == "01" else status,
            )
            _supersede(conn, ref)
            plan.event("order", f"order {po} {what}, revision {revision}", order=ref, document=document_id)
        if order.purpose == "01":
            plan.event("order", f"order {po} cancelled by the partner", order=ref)
            continue
        if assignments is None:
            plan.event("held", f"order {po}: no routing rule or default destination takes it", order=ref)
            continue
        _plan_deliveries(hub, plan, ref, revision, document_id, order, dumped, data, assignments, partner, result)
        if revision == 1 and partner.config.send_855:
            _send_855(hub, conn, plan, ref, document_id, order, partner)


def _assign(hub: Hub, order: Order, source: str | None) -> tuple[list[Assignment] | None, str]:
    try:
        return route(order, hub.config.routing, source), "routed"
    except Unroutable:
        return None, "held"


def _supersede(conn: Connection, order_id: int) -> None:
    """Deliveries of an earlier revision that have not left yet are cancelled: the new revision replaces them."""
    pending = (deliveries.c.order_id == order_id, deliveries.c.purpose == "order", deliveries.c.state == "pending")
    doc_ids = list(conn.execute(select(deliveries.c.document_id).where(*pending)).scalars())
    reason = "superseded by a newer revision of the order"
    conn.execute(update(deliveries).where(*pending).values(state="cancelled", last_error=reason))
    if doc_ids:
        conn.execute(update(documents).where(documents.c.id.in_(doc_ids)).values(state="cancelled", error=reason))


def _plan_deliveries(
    hub: Hub,
    plan: _Plan,
    order_ref: int | _Ref,
    revision: int,
    document_id: int,
    order: Order,
    dumped: dict[str, Any],
    stored: str,
    assignments: list[Assignment],
    partner: Partner,
    result: Processed,
) -> None:
    """One delivery per destination: the stored JSON itself, or for a split, the same with only its lines."""
    x12 = registry.mapping("x12")
    hold = hub.config.routing.hold
    not_before = utcnow() + timedelta(seconds=hold) if hold else None
    whole = stored.encode("utf-8") + b"\n"
    for a in assignments:
        data = x12.order_json(dumped, a.positions) if a.split else whole
        suffix = f"-{safe_name(a.sink)}" if a.split else ""
        name = f"{safe_name(partner.name)}-{safe_name(order.po_number)}-r{revision}{suffix}.json"
        key = delivery_key("order", order.channel, partner.name, order.po_number, revision, a.sink)
        _outbound(plan, partner, data, name, "order", key, document_id, order_ref, sink=a.sink, not_before=not_before)
        plan.event(
            "routed", f"order {order.po_number} lines {list(a.positions)} to {a.sink} by {a.rule}", order=order_ref
        )
        result.deliveries += 1


def _send_855(
    hub: Hub, conn: Connection, plan: _Plan, order_ref: int | _Ref, document_id: int, order: Order, partner: Partner
) -> None:
    key = delivery_key("855", order.channel, partner.name, order.po_number)
    if _queued(conn, key):
        return
    x12 = registry.mapping("x12")
    controls = reserve(hub.store, conn, partner.name)
    out = x12.Outgoing(**partner.envelope(controls, created_now()))
    try:
        data = x12.write_855(order, out)
    except ValueError as exc:
        plan.event("855", f"no 855 for order {order.po_number}: {exc}", order=order_ref)
        return
    name = f"{safe_name(partner.name)}-855-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
    _outbound(plan, partner, data, name, "855", key, document_id, order_ref, controls)


# --- driving the flow ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class PollReport:
    source: str
    skipped: str | None = None
    error: str | None = None
    received: int = 0
    already: int = 0
    processed: list[Processed] = field(default_factory=list)


def poll(hub: Hub, source_name: str, owner: str, *, lease: float = 300.0) -> PollReport:
    """Read one source once: store each document, settle it remotely after the commit, then process it.

    A source that fails (a refused login, a connection dropped mid-transfer) ends the poll with ``error``
    set and recorded for ``crossdock status``; what was stored before the failure stays stored, and what was
    not is read again next time.
    """
    report = PollReport(source_name)
    store = hub.store
    lease_name = f"source:{source_name}"
    with store.transaction() as conn:
        if not store.acquire_lease(conn, lease_name, owner, lease):
            holder = store.lease_holder(conn, lease_name)
            stale = holder is not None and is_dead_local(holder)
            if not stale or not store.take_lease(conn, lease_name, owner, str(holder), lease):
                report.skipped = f"worker {holder} holds this source's lease"
                return report
            store.log(conn, "lease", f"took over {lease_name} from {holder}, which is no longer running")
    try:
        source = hub.source(source_name)
        with source.receive() as items:
            for item in items:
                got = ingest(hub, source_name, item)
                _settle(hub, source_name, item, got.document_id)
                if got.new:
                    report.received += 1
                else:
                    report.already += 1
                if got.state == "received":
                    report.processed.append(process(hub, got.document_id))
                with store.transaction() as conn:
                    store.acquire_lease(conn, lease_name, owner, lease)
    except CrossdockError as exc:
        report.error = str(exc)
        log.warning("source %s: %s", source_name, exc)
    finally:
        with store.transaction() as conn:
            cursor = f"poll:{source_name}"
            previous = json.loads(store.cursor(conn, cursor) or "{}")
            since = previous.get("since") if previous.get("error") else utcnow().isoformat()
            status = {"at": utcnow().isoformat(), "error": report.error, "since": since if report.error else None}
            store.set_cursor(conn, cursor, to_json(status))
            if report.error:
                store.log(conn, "source_error", f"source {source_name}: {report.error}")
                raise_alert(
                    store,
                    conn,
                    hub.config,
                    f"source:{source_name}:{since}",
                    f"crossdock: source {source_name} fails",
                    f"{report.error}\n\nFailing since {since} UTC; nothing is lost, it is read again on the next poll.",
                )
            store.release_lease(conn, lease_name, owner)
    return report


def _settle(hub: Hub, source_name: str, item: Inbound, document_id: int) -> None:
    """Archive or delete the remote object; if that fails the document is safe and the next poll tries again."""
    try:
        item.settle()
    except CrossdockError as exc:
        with hub.store.transaction() as conn:
            hub.store.log(
                conn, "settle", f"{item.name} on {source_name} not archived yet: {exc}", document_id=document_id
            )


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
        store.update_document(conn, document_id, state="received", error=None)
        store.log(conn, "replay", f"document {document_id} replayed", document_id=document_id)
    return process(hub, document_id)
