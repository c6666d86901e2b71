"""Orders from a document: upserted by natural key, routed, and answered with deliveries and an 855."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import registry
from crossdock.core.connector_config import OrderFormat
from crossdock.core.engine import utcnow
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, Processed, Ref, delivery_key, outbound, queued, safe_name
from crossdock.core.routing import Assignment, Unroutable, route
from crossdock.core.schema import deliveries, documents
from crossdock.core.store import to_json


def upsert_orders(
    hub: Hub,
    conn: Connection,
    plan: Plan,
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
            ref: int | Ref = plan.order(
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
        _plan_deliveries(hub, conn, plan, ref, revision, document_id, order, dumped, data, assignments, partner, result)
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
    conn: Connection,
    plan: Plan,
    order_ref: int | Ref,
    revision: int,
    document_id: int,
    order: Order,
    dumped: dict[str, Any],
    stored: str,
    assignments: list[Assignment],
    partner: Partner,
    result: Processed,
) -> None:
    """One delivery per destination, written in the destination's format (JSON, CSV or an X12 940)."""
    hold = hub.config.routing.hold
    not_before = utcnow() + timedelta(seconds=hold) if hold else None
    for a in assignments:
        positions = a.positions if a.split else None
        suffix = f"-{safe_name(a.sink)}" if a.split else ""
        base = f"{safe_name(partner.name)}-{safe_name(order.po_number)}-r{revision}{suffix}"
        key = delivery_key("order", order.channel, partner.name, order.po_number, revision, a.sink)
        sink = hub.config.sinks[a.sink]
        fmt = sink.format if isinstance(sink, OrderFormat) else "json"
        lines = _only(dumped, positions)
        recipient, controls = partner, None
        if fmt == "mapped":
            assert isinstance(sink, OrderFormat)
            data = registry.mapping("json").mapped_order(lines, sink.fields, sink.line_fields, sink.lines_key)
            name = f"{base}.json"
        elif fmt == "csv":
            assert isinstance(sink, OrderFormat)
            columns = [(c.header, c.field) for c in sink.columns]
            data, name = registry.mapping("csv").order_rows(lines, columns), f"{base}.csv"
        elif fmt == "x12-940":
            assert isinstance(sink, OrderFormat) and sink.partner is not None
            recipient = hub.partners[sink.partner]
            controls = reserve(hub.store, conn, recipient.name)
            x12 = registry.mapping("x12")
            out = x12.Outgoing(**recipient.envelope(controls, created_now()))
            picked = (
                order
                if positions is None
                else order.model_copy(update={"lines": [line for line in order.lines if line.position in positions]})
            )
            data = x12.write_940(picked, out, sink.depositor)
            name = f"{safe_name(recipient.name)}-940-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
        else:
            data = (stored if positions is None else to_json(lines)).encode("utf-8") + b"\n"
            name = f"{base}.json"
        outbound(
            plan,
            recipient,
            data,
            name,
            "order",
            key,
            document_id,
            order_ref,
            controls,
            sink=a.sink,
            not_before=not_before,
        )
        plan.event(
            "routed", f"order {order.po_number} lines {list(a.positions)} to {a.sink} by {a.rule}", order=order_ref
        )
        result.deliveries += 1


def _only(dumped: dict[str, Any], positions: tuple[int, ...] | None) -> dict[str, Any]:
    if positions is None:
        return dumped
    return {**dumped, "lines": [line for line in dumped["lines"] if line["position"] in positions]}


def _send_855(
    hub: Hub, conn: Connection, plan: Plan, order_ref: int | Ref, document_id: int, order: Order, partner: Partner
) -> None:
    key = delivery_key("855", order.channel, partner.name, order.po_number)
    if queued(conn, key):
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
    outbound(plan, partner, data, name, "855", key, document_id, order_ref, controls)
