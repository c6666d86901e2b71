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
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.connectors.base import Inbound, Sink, Source
from crossdock.core import registry
from crossdock.core.config import Config
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.models import Order
from crossdock.core.partners import Directory, Partner, created_now, reserve
from crossdock.core.routing import Unroutable, route
from crossdock.core.store import OrderRace, Store, deliveries, documents, sha256, to_json, utcnow
from crossdock.core.workers import is_dead_local

log = logging.getLogger("crossdock.pipeline")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(value: str) -> str:
    """A value fit for a file name on any partner's server."""
    return _UNSAFE.sub("_", value).strip("._") or "x"


def delivery_key(*parts: object) -> str:
    """The idempotency key of a delivery: stable for the same thing sent to the same place."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


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
        earlier = store.find_inbound(conn, source, item.identity, digest)
        if earlier is not None:
            store.log(conn, "reread", f"{item.name} from {source} was already stored", document_id=int(earlier.id))
            return Ingested(int(earlier.id), False, str(earlier.state))
        state = "quarantined" if item.quarantine else "received"
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
            error=item.quarantine,
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
    if row.state not in ("received", "failed"):
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
                return _record(hub, conn, document_id, row.endpoint, inbound, partner)
        except OrderRace:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _fail(hub: Hub, document_id: int, reason: str, partner: str | None) -> Processed:
    with hub.store.transaction() as conn:
        hub.store.update_document(conn, document_id, state="failed", error=reason, partner=partner)
        hub.store.log(conn, "failed", reason, document_id=document_id)
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


def _record(
    hub: Hub, conn: Connection, document_id: int, source: str | None, inbound: Any, partner: Partner
) -> Processed:
    store = hub.store
    result = Processed(document_id, "processed")
    first = inbound.interchanges[0]
    store.update_document(
        conn,
        document_id,
        partner=partner.name,
        kind="x12",
        interchange_control=first.control,
        group_control=",".join(g.control for g in first.groups)[:16] or None,
    )
    dup = store.find_interchange(conn, partner.name, first.control, document_id)
    if dup is not None:
        store.update_document(conn, document_id, flags="duplicate-interchange")
        store.log(
            conn,
            "duplicate",
            f"interchange {first.control} from {partner.name} was already received in document {dup}",
            document_id=document_id,
        )
    result.acks = _acknowledge(hub, conn, document_id, inbound, partner)
    problems: list[str] = []
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
                    _upsert_order(hub, conn, document_id, source, ts.document, partner, result)
                elif ts.document is None:
                    problems.append(f"{ts.code} {ts.control}: crossdock has no inbound flow for this set yet")
    if problems:
        rejected = sum(1 for p in problems if " rejected" in p)
        result.state = "rejected" if total and rejected == total else "processed"
        result.error = "; ".join(problems)[:4000]
    store.update_document(conn, document_id, state=result.state, error=result.error)
    return result


def _acknowledge(hub: Hub, conn: Connection, document_id: int, inbound: Any, partner: Partner) -> int:
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
    _outbound(hub, conn, partner, data, name, kind, key, document_id, None, str(controls.interchange), controls)
    return 1


def _queued(conn: Connection, key: str) -> bool:
    return conn.execute(select(deliveries.c.id).where(deliveries.c.key == key)).first() is not None


def _outbound(
    hub: Hub,
    conn: Connection,
    partner: Partner | None,
    data: bytes,
    name: str,
    purpose: str,
    key: str,
    parent: int | None,
    order_id: int | None,
    interchange: str | None,
    controls: Any = None,
    sink: str | None = None,
    not_before: datetime | None = None,
) -> int:
    """Record an outbound document and queue its delivery; without a sink the document is kept as unsent."""
    store = hub.store
    sink = sink or (partner.config.reply_to if partner else None)
    doc_id = store.add_document(
        conn,
        direction="out",
        data=data,
        state="queued" if sink else "unsent",
        endpoint=sink,
        remote_name=name,
        kind=purpose,
        partner=partner.name if partner else None,
        parent_id=parent,
        error=None if sink else f"partner {partner.name if partner else '?'} has no reply_to sink",
        interchange_control=interchange,
        group_control=str(controls.group) if controls is not None else None,
        transaction_controls=str(controls.transaction) if controls is not None else None,
    )
    if sink:
        delivery = store.enqueue(
            conn, key=key, sink=sink, purpose=purpose, document_id=doc_id, order_id=order_id, not_before=not_before
        )
        store.log(
            conn, "queued", f"{purpose} {name} for {sink}", document_id=doc_id, order_id=order_id, delivery_id=delivery
        )
    else:
        store.log(conn, "unsent", f"{purpose} {name}: no sink to send it to", document_id=doc_id, order_id=order_id)
    return doc_id


def _upsert_order(
    hub: Hub, conn: Connection, document_id: int, source: str | None, order: Order, partner: Partner, result: Processed
) -> None:
    store = hub.store
    data = to_json(order.model_dump(mode="json"))
    existing = store.find_order(conn, order.channel, partner.name, order.po_number)
    if existing is None:
        order_id = store.insert_order(
            conn,
            channel=order.channel,
            partner=partner.name,
            external_id=order.po_number,
            po_number=order.po_number,
            status="received",
            data=data,
            document_id=document_id,
        )
        revision = 1
        result.orders_new += 1
        store.log(
            conn,
            "order",
            f"order {order.po_number} from {partner.name} received",
            order_id=order_id,
            document_id=document_id,
        )
    else:
        order_id = int(existing.id)
        if existing.data == data:
            result.orders_unchanged += 1
            store.log(
                conn,
                "order",
                f"order {order.po_number} read again, unchanged",
                order_id=order_id,
                document_id=document_id,
            )
            return
        revision = int(existing.revision) + 1
        result.orders_changed += 1
        what = "replaced (BEG01=05)" if order.is_replacement else "changed"
        store.update_order(conn, order_id, data=data, revision=revision, document_id=document_id)
        _supersede(hub, conn, order_id)
        store.log(
            conn,
            "order",
            f"order {order.po_number} {what}, revision {revision}",
            order_id=order_id,
            document_id=document_id,
        )
    if order.purpose == "01":
        store.update_order(conn, order_id, status="cancelled")
        store.log(conn, "order", f"order {order.po_number} cancelled by the partner", order_id=order_id)
        return
    _route(hub, conn, order_id, revision, document_id, source, order, partner, result)
    if revision == 1 and partner.config.send_855:
        _send_855(hub, conn, order_id, document_id, order, partner)


def _supersede(hub: Hub, conn: Connection, order_id: int) -> None:
    """Deliveries of an earlier revision that have not left yet are cancelled: the new revision replaces them."""
    pending = (deliveries.c.order_id == order_id, deliveries.c.purpose == "order", deliveries.c.state == "pending")
    doc_ids = list(conn.execute(select(deliveries.c.document_id).where(*pending)).scalars())
    reason = "superseded by a newer revision of the order"
    conn.execute(update(deliveries).where(*pending).values(state="cancelled", last_error=reason))
    if doc_ids:
        conn.execute(update(documents).where(documents.c.id.in_(doc_ids)).values(state="cancelled", error=reason))


def _route(
    hub: Hub,
    conn: Connection,
    order_id: int,
    revision: int,
    document_id: int,
    source: str | None,
    order: Order,
    partner: Partner,
    result: Processed,
) -> None:
    store = hub.store
    x12 = registry.mapping("x12")
    try:
        assignments = route(order, hub.config.routing, source)
    except Unroutable as exc:
        store.update_order(conn, order_id, status="held")
        store.log(conn, "held", f"order {order.po_number}: {exc}", order_id=order_id)
        return
    hold = hub.config.routing.hold
    not_before = utcnow() + timedelta(seconds=hold) if hold else None
    for a in assignments:
        positions = a.positions if a.split else None
        data = x12.order_json(order, positions)
        suffix = f"-{safe_name(a.sink)}" if a.split else ""
        name = f"{safe_name(partner.name)}-{safe_name(order.po_number)}-r{revision}{suffix}.json"
        key = delivery_key("order", order_id, revision, a.sink)
        _outbound(
            hub,
            conn,
            partner,
            data,
            name,
            "order",
            key,
            document_id,
            order_id,
            None,
            sink=a.sink,
            not_before=not_before,
        )
        store.log(
            conn,
            "routed",
            f"order {order.po_number} lines {list(a.positions)} to {a.sink} by {a.rule}",
            order_id=order_id,
        )
        result.deliveries += 1
    store.update_order(conn, order_id, status="routed")


def _send_855(hub: Hub, conn: Connection, order_id: int, document_id: int, order: Order, partner: Partner) -> None:
    key = delivery_key("855", order_id)
    if _queued(conn, key):
        return
    x12 = registry.mapping("x12")
    controls = reserve(hub.store, conn, partner.name)
    pc = partner.config
    out = x12.Outgoing(
        sender_qualifier=partner.us.isa_qualifier,
        sender_id=partner.us.isa_id,
        receiver_qualifier=pc.isa_qualifier,
        receiver_id=pc.isa_id,
        application_sender=partner.our_gs_id,
        application_receiver=partner.their_gs_id,
        version=pc.version,
        usage=partner.usage,
        interchange=controls.interchange,
        group=controls.group,
        transaction=controls.transaction,
        created=created_now(),
        element=pc.delimiters.element,
        segment=pc.delimiters.segment,
        component=pc.delimiters.component,
        repetition=pc.delimiters.repetition,
        newline=pc.delimiters.newline,
        encoding=pc.encoding,
    )
    try:
        data = x12.write_855(order, out)
    except ValueError as exc:
        hub.store.log(conn, "855", f"no 855 for order {order.po_number}: {exc}", order_id=order_id)
        return
    name = f"{safe_name(partner.name)}-855-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
    _outbound(hub, conn, partner, data, name, "855", key, document_id, order_id, str(controls.interchange), controls)


# --- driving the flow ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class PollReport:
    source: str
    skipped: str | None = None
    received: int = 0
    already: int = 0
    processed: list[Processed] = field(default_factory=list)


def poll(
    hub: Hub, source_name: str, owner: str, *, lease: float = 300.0, on_item: Callable[[], None] | None = None
) -> PollReport:
    """Read one source once: store each document, settle it remotely after the commit, then process it."""
    report = PollReport(source_name)
    store = hub.store
    lease_name = f"source:{source_name}"
    with store.transaction() as conn:
        if not store.acquire_lease(conn, lease_name, owner, lease):
            holder = store.lease_holder(conn, lease_name)
            if (
                holder is None
                or not is_dead_local(holder)
                or not store.take_lease(conn, lease_name, owner, holder, lease)
            ):
                report.skipped = f"worker {holder} holds this source's lease"
                return report
            store.log(conn, "lease", f"took over {lease_name} from {holder}, which is no longer running")
    try:
        source = hub.source(source_name)
        with source.receive() as items:
            for item in items:
                got = ingest(hub, source_name, item)
                item.settle()
                if on_item is not None:
                    on_item()
                if got.new:
                    report.received += 1
                else:
                    report.already += 1
                if got.state == "received":
                    report.processed.append(process(hub, got.document_id))
                with store.transaction() as conn:
                    store.acquire_lease(conn, lease_name, owner, lease)
    finally:
        with store.transaction() as conn:
            store.release_lease(conn, lease_name, owner)
    return report


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
