"""The ship flow: a warehouse's ship confirmation becomes a recorded shipment, an 856 and an 810 to the buyer.

A shipment is recorded once per (shipper, shipment id, PO): a 945 read twice changes nothing. Before anything
is written for the buyer it is checked: the PO must be one crossdock holds, and no line may ship more than
was ordered (counting earlier shipments) unless the partner allows overshipment. A shipment that fails is
kept as ``held`` with the reason, and nothing leaves for it. Packages without an SSCC get one from the
partner's GS1 prefix and a serial sequence allocated like control numbers: in the recording transaction,
never reused.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from crossdock.core import registry
from crossdock.core.engine import utcnow
from crossdock.core.hub import Hub
from crossdock.core.models import Invoice, InvoiceLine, Order, Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, Processed, delivery_key, outbound, safe_name
from crossdock.core.schema import orders, shipments
from crossdock.core.store import to_json


class Held(Exception):
    """A shipment that must not produce documents yet; the message says why, for a person to act on."""


def record_shipment(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, shipment: Shipment, shipper: Partner, result: Processed
) -> list[str]:
    """Record each order of ``shipment`` and plan the buyer's 856 (and 810); returns the problems found."""
    problems: list[str] = []
    for shipped in shipment.orders:
        one = Shipment(**{**_fields(shipment), "orders": [shipped], "purpose": "00"})  # BSN01: an original
        key = (shipper.name, shipment.shipment_id, shipped.po_number)
        existing = conn.execute(
            select(shipments.c.id, shipments.c.state).where(
                shipments.c.partner == key[0], shipments.c.external_id == key[1], shipments.c.po_number == key[2]
            )
        ).first()
        if existing is not None and existing.state == "recorded":
            plan.event("shipment", f"shipment {key[1]} for PO {key[2]} read again, unchanged", document=document_id)
            continue
        try:
            order_id, order = _order_for(conn, shipped.po_number, hub)
            buyer = hub.partners.get(order.partner)
            if buyer is None:
                raise Held(f"order {order.po_number} is from {order.partner!r}, which is not a configured partner")
            status = _check(conn, order_id, order, shipped, buyer)
            if buyer.config.invoice == "on_shipment":
                invoice_for(order, one, "check", created_now().date())  # every shipped line priced, before labels
            _label(hub, conn, one, buyer)
        except Held as exc:
            reason = f"shipment {shipment.shipment_id} for PO {shipped.po_number} held: {exc}"
            _save(conn, existing, key, None, "held", reason, one, document_id)
            plan.event("held", reason, document=document_id)
            problems.append(reason)
            continue
        _save(conn, existing, key, order_id, "recorded", None, one, document_id)
        plan.event(
            "shipment", f"shipment {key[1]} recorded for order {order.po_number}", order=order_id, document=document_id
        )
        _answer(hub, conn, plan, document_id, order_id, order, one, buyer, status)
        result.shipments += 1
    return problems


def _fields(shipment: Shipment) -> dict[str, Any]:
    return {f: getattr(shipment, f) for f in shipment.__dataclass_fields__ if f != "orders"}


def _order_for(conn: Connection, po_number: str, hub: Hub) -> tuple[int, Order]:
    rows = conn.execute(select(orders.c.id, orders.c.data).where(orders.c.po_number == po_number)).all()
    if not rows:
        raise Held(f"no order with PO number {po_number!r}")
    if len(rows) > 1:
        raise Held(f"{len(rows)} orders carry PO number {po_number!r}; the shipment cannot tell which")
    x12 = registry.mapping("x12")
    return int(rows[0].id), x12.order_from_dict(json.loads(rows[0].data))


def _lines(shipped: ShipmentOrder) -> list[ShipmentLine]:
    return (
        shipped.lines
        + [line for p in shipped.packages for line in p.lines]
        + [line for pallet in shipped.pallets for p in pallet.packages for line in p.lines]
    )


def _match(order: Order, line: ShipmentLine) -> int | None:
    """The position of the order line a shipped line belongs to: by the partner's line number, else by id."""
    for ol in order.lines:
        if line.line_number and ol.line_number and ol.line_number.strip() == line.line_number.strip():
            return ol.position
    for ol in order.lines:
        if set(ol.product_ids.values()) & set(line.product_ids.values()):
            return ol.position
    return None


def _shipped_before(conn: Connection, order_id: int, order: Order) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for (data,) in conn.execute(
        select(shipments.c.data).where(shipments.c.order_id == order_id, shipments.c.state == "recorded")
    ):
        earlier = Shipment.model_validate_json(data)
        for shipped in earlier.orders:
            for line in _lines(shipped):
                pos = _match(order, line)
                if pos is not None:
                    totals[pos] = totals.get(pos, Decimal(0)) + line.quantity
    return totals


def _check(conn: Connection, order_id: int, order: Order, shipped: ShipmentOrder, buyer: Partner) -> str:
    """Refuse what the buyer would charge back for; return the order's status once this shipment is in."""
    totals = _shipped_before(conn, order_id, order)
    by_position = {ol.position: ol for ol in order.lines}
    for line in _lines(shipped):
        pos = _match(order, line)
        if pos is None:
            raise Held(f"shipped item {line.line_number or dict(line.product_ids)} is not on order {order.po_number}")
        line.line_number = by_position[pos].line_number  # the 856 echoes the buyer's own PO101
        line.ordered_quantity = by_position[pos].quantity
        line.uom = by_position[pos].uom or line.uom
        totals[pos] = totals.get(pos, Decimal(0)) + line.quantity
        if totals[pos] > by_position[pos].quantity and not buyer.config.allow_overship:
            raise Held(
                f"line {by_position[pos].line_number or pos} ships {totals[pos]} of {by_position[pos].quantity} "
                f"ordered, and {buyer.name} does not allow overshipment"
            )
    done = all(totals.get(ol.position, Decimal(0)) >= ol.quantity for ol in order.lines)
    shipped.po_date = shipped.po_date or order.order_date
    return "shipped" if done else "partially shipped"


def _label(hub: Hub, conn: Connection, shipment: Shipment, buyer: Partner) -> None:
    """Give every package (and pallet) an SSCC-18 the profile needs; loose lines go into one package."""
    profile = buyer.config.asn_profile
    if profile == "SOI":
        return
    for shipped in shipment.orders:
        if shipped.lines and not shipped.packages and not shipped.pallets:
            shipped.packages.append(Package(lines=shipped.lines))
            shipped.lines = []
        needing: list[Any] = [p for p in shipped.packages if not p.sscc]
        needing += [pal for pal in shipped.pallets if not pal.sscc]
        needing += [p for pal in shipped.pallets for p in pal.packages if not p.sscc]
        if not needing:
            continue
        prefix = buyer.config.gs1_prefix
        if prefix is None:
            raise Held(f"packages need SSCC labels and partner {buyer.name} has no gs1_prefix")
        first = hub.store.next_numbers(conn, buyer.name, "sscc", len(needing))
        x12 = registry.mapping("x12")
        for i, unit in enumerate(needing):
            unit.sscc = x12.package_label(prefix, first + i)


def _save(
    conn: Connection,
    existing: Any,
    key: tuple[str, str, str],
    order_id: int | None,
    state: str,
    error: str | None,
    shipment: Shipment,
    document_id: int,
) -> None:
    now = utcnow()
    values = {
        "order_id": order_id,
        "state": state,
        "error": error,
        "data": to_json(shipment.model_dump(mode="json")),
        "document_id": document_id,
        "updated_at": now,
    }
    if existing is None:
        conn.execute(
            insert(shipments).values(partner=key[0], external_id=key[1], po_number=key[2], created_at=now, **values)
        )
    else:
        conn.execute(shipments.update().where(shipments.c.id == existing.id).values(**values))


def _answer(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    order_id: int,
    order: Order,
    shipment: Shipment,
    buyer: Partner,
    status: str,
) -> None:
    """The 856 (and the 810 when the buyer wants one per shipment) to the buyer; the order's status follows."""
    x12 = registry.mapping("x12")
    controls = reserve(hub.store, conn, buyer.name)
    data = x12.write_856(shipment, x12.Outgoing(**buyer.envelope(controls, created_now())), buyer.config.asn_profile)
    name = f"{safe_name(buyer.name)}-856-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
    key = delivery_key("856", buyer.name, order.po_number, shipment.shipment_id)
    outbound(plan, buyer, data, name, "856", key, document_id, order_id, controls)
    if buyer.config.invoice == "on_shipment":
        number = hub.store.next_numbers(conn, buyer.name, "invoice")
        invoice = invoice_for(order, shipment, f"{number:06d}", created_now().date())
        controls = reserve(hub.store, conn, buyer.name)
        data = x12.write_810(invoice, x12.Outgoing(**buyer.envelope(controls, created_now())))
        name = f"{safe_name(buyer.name)}-810-{invoice.invoice_number}-{controls.interchange:09d}.edi"
        key = delivery_key("810", buyer.name, order.po_number, shipment.shipment_id)
        outbound(plan, buyer, data, name, "810", key, document_id, order_id, controls)
        if status == "shipped":
            status = "invoiced"
    hub.store.update_order(conn, order_id, status=status)
    plan.event("order", f"order {order.po_number} {status}", order=order_id)


def invoice_for(order: Order, shipment: Shipment, number: str, today: dt.date) -> Invoice:
    """The invoice for what this shipment carried, at the order's prices, billed to the order's parties."""
    by_line = {ol.line_number: ol for ol in order.lines}
    lines: list[InvoiceLine] = []
    for shipped in shipment.orders:
        for line in _lines(shipped):
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
