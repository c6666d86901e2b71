"""Invoices for what shipped: one 810 per shipment, or a day's shipments to one partner in one interchange."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select, update

from crossdock.core import registry
from crossdock.core.engine import utcnow
from crossdock.core.errors import Held
from crossdock.core.hub import Hub
from crossdock.core.models import Invoice, InvoiceLine, Order, Shipment
from crossdock.core.partners import created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.schema import orders, shipments


def invoice_for(order: Order, shipment: Shipment, number: str, today: dt.date) -> Invoice:
    """The invoice for what this shipment carried, at the order's prices, billed to the order's parties."""
    by_line = {ol.line_number: ol for ol in order.lines}
    lines: list[InvoiceLine] = []
    for shipped in shipment.orders:
        for line in shipped.all_lines():
            ordered = by_line.get(line.line_number)
            if ordered is None or ordered.unit_price is None:
                raise Held(f"line {line.line_number} has no price on order {order.po_number} to invoice at")
            lines.append(
                InvoiceLine(
                    position=len(lines) + 1,
                    line_number=line.line_number,
                    quantity=line.quantity,
                    uom=ordered.uom,
                    unit_price=ordered.unit_price,
                    price_basis=ordered.price_basis,
                    product_ids=dict(ordered.product_ids),
                )
            )
    return Invoice(
        invoice_number=number,
        invoice_date=today,
        po_number=order.po_number,
        po_date=order.order_date,
        currency=order.currency,
        parties=[p for p in order.parties if p.role in ("BT", "ST", "BY", "RE")],
        terms=list(order.terms),
        ship_date=shipment.ship_date,
        carrier_scac=shipment.carrier_scac,
        lines=lines,
    )


def invoice_day(hub: Hub, partner_name: str) -> int:
    """The 810s for every shipment to ``partner_name`` not yet invoiced, in one interchange; returns how many.

    For partners with ``invoice: daily``: the scheduler runs this on ``invoice_schedule``.
    """
    buyer = hub.partners[partner_name]
    store = hub.store
    x12 = registry.mapping("x12")
    with store.transaction() as conn:
        rows = conn.execute(
            select(
                shipments.c.id,
                shipments.c.data,
                shipments.c.order_id,
                orders.c.data.label("order_data"),
                orders.c.status,
                shipments.c.document_id,
            )
            .join(orders, orders.c.id == shipments.c.order_id)
            .where(orders.c.partner == buyer.name, shipments.c.state == "recorded", shipments.c.invoiced_at.is_(None))
            .order_by(shipments.c.id)
        ).all()
        if not rows:
            return 0
        today = created_now().date()
        first_number = store.next_numbers(conn, buyer.name, "invoice", len(rows))
        invoices = []
        for i, row in enumerate(rows):
            order = x12.order_from_dict(json.loads(row.order_data))
            invoices.append(
                invoice_for(order, Shipment.model_validate_json(row.data), f"{first_number + i:06d}", today)
            )
        controls = reserve(store, conn, buyer.name, sets=len(invoices))
        data = x12.write_810s(invoices, x12.Outgoing(**buyer.envelope(controls, created_now())))
        name = f"{safe_name(buyer.name)}-810-{today:%Y%m%d}-{controls.interchange:09d}.edi"
        plan = Plan()
        outbound(
            plan,
            buyer,
            data,
            name,
            "810",
            delivery_key("810-day", buyer.name, controls.interchange),
            None,
            None,
            controls,
            sets=len(invoices),
        )
        plan.write(store, conn)
        now = utcnow()
        conn.execute(update(shipments).where(shipments.c.id.in_([r.id for r in rows])).values(invoiced_at=now))
        shipped = sorted({int(r.order_id) for r in rows if r.status == "shipped"})
        store.set_order_statuses(conn, [("invoiced", order_id) for order_id in shipped])
        store.log(conn, "810", f"{len(invoices)} invoice(s) to {buyer.name} in interchange {controls.interchange}")
    return len(invoices)
