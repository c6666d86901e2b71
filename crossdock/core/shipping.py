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

from sqlalchemy import Connection, insert, select, update

from crossdock.core import registry
from crossdock.core.engine import utcnow
from crossdock.core.hub import Hub
from crossdock.core.models import (
    Invoice,
    InvoiceLine,
    Order,
    Package,
    Pallet,
    Shipment,
    ShipmentLine,
    ShipmentOrder,
)
from crossdock.core.partners import Controls, Partner, created_now, reserve
from crossdock.core.plan import Plan, Processed, delivery_key, outbound, safe_name
from crossdock.core.schema import orders, shipments
from crossdock.core.store import to_json


class Held(Exception):
    """A shipment that must not produce documents yet; the message says why, for a person to act on."""


def record_shipments(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    found: list[Shipment],
    shipper: Partner,
    result: Processed,
) -> list[str]:
    """Record every order of every shipment in a document and plan the buyers' 856s (and 810s).

    What the checks need is read in three queries for the whole document, and what is written goes in one
    multi-row statement per table, so a file of a hundred 945s costs about what one does.
    """
    problems: list[str] = []
    pieces = [
        (s, Shipment(**{**_fields(s), "orders": [shipped], "purpose": "00", "references": _for_buyer(s)}))
        for s in found
        for shipped in s.orders
    ]
    if not pieces:
        return problems
    ctx = _Context(hub, conn, shipper, [one for _, one in pieces])
    answers: list[tuple[int, Order, Shipment, Partner, str]] = []
    for shipment, one in pieces:
        shipped = one.orders[0]
        key = (shipper.name, shipment.shipment_id, shipped.po_number)
        existing = ctx.existing.get(key)
        if existing is not None and existing.state == "recorded":
            plan.event("shipment", f"shipment {key[1]} for PO {key[2]} read again, unchanged", document=document_id)
            continue
        try:
            order_id, order = ctx.order(shipped.po_number)
            buyer = hub.partners.get(order.partner)
            if buyer is None:
                raise Held(f"order {order.po_number} is from {order.partner!r}, which is not a configured partner")
            status = _check(ctx.shipped_before(order_id, order), order, shipped, buyer)
            if buyer.config.invoice == "on_shipment":
                invoice_for(order, one, "check", created_now().date())  # every shipped line priced, before labels
            _label(hub, conn, one, buyer)
        except Held as exc:
            reason = f"shipment {shipment.shipment_id} for PO {shipped.po_number} held: {exc}"
            ctx.save(existing, key, None, "held", reason, one, document_id)
            plan.event("held", reason, document=document_id)
            problems.append(reason)
            continue
        ctx.save(existing, key, order_id, "recorded", None, one, document_id)
        ctx.recorded(order_id, one)
        plan.event(
            "shipment", f"shipment {key[1]} recorded for order {order.po_number}", order=order_id, document=document_id
        )
        answers.append((order_id, order, one, buyer, status))
        result.shipments += 1
    ctx.flush()
    problems.extend(_answer(hub, conn, plan, document_id, answers))
    return problems


class _Context:
    """What recording a document's shipments reads, fetched once, and what it writes, written once."""

    def __init__(self, hub: Hub, conn: Connection, shipper: Partner, pieces: list[Shipment]) -> None:
        self.conn = conn
        pos = sorted({one.orders[0].po_number for one in pieces})
        ids = sorted({one.shipment_id for one in pieces})
        self.existing = {
            (r.partner, r.external_id, r.po_number): r
            for r in conn.execute(
                select(
                    shipments.c.id,
                    shipments.c.state,
                    shipments.c.partner,
                    shipments.c.external_id,
                    shipments.c.po_number,
                ).where(shipments.c.partner == shipper.name, shipments.c.external_id.in_(ids))
            )
        }
        self.orders: dict[str, list[Any]] = {}
        for row in conn.execute(
            select(orders.c.id, orders.c.po_number, orders.c.data).where(orders.c.po_number.in_(pos))
        ):
            self.orders.setdefault(row.po_number, []).append(row)
        order_ids = [row.id for rows in self.orders.values() for row in rows]
        self.earlier: dict[int, list[Shipment]] = {}
        recorded = select(shipments.c.order_id, shipments.c.data).where(
            shipments.c.order_id.in_(order_ids), shipments.c.state == "recorded"
        )
        for order_id, data in conn.execute(recorded):
            self.earlier.setdefault(int(order_id), []).append(Shipment.model_validate_json(data))
        self.inserts: list[dict[str, Any]] = []
        self.x12 = registry.mapping("x12")

    def order(self, po_number: str) -> tuple[int, Order]:
        rows = self.orders.get(po_number, [])
        if not rows:
            raise Held(f"no order with PO number {po_number!r}")
        if len(rows) > 1:
            raise Held(f"{len(rows)} orders carry PO number {po_number!r}; the shipment cannot tell which")
        return int(rows[0].id), self.x12.order_from_dict(json.loads(rows[0].data))

    def shipped_before(self, order_id: int, order: Order) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for earlier in self.earlier.get(order_id, []):
            for shipped in earlier.orders:
                for line in _lines(shipped):
                    pos = _match(order, line)
                    if pos is not None:
                        totals[pos] = totals.get(pos, Decimal(0)) + line.quantity
        return totals

    def recorded(self, order_id: int, shipment: Shipment) -> None:
        self.earlier.setdefault(order_id, []).append(shipment)  # a second 945 in the same file sees the first

    def save(
        self,
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
            self.inserts.append(
                {"partner": key[0], "external_id": key[1], "po_number": key[2], "created_at": now, **values}
            )
        else:
            self.conn.execute(shipments.update().where(shipments.c.id == existing.id).values(**values))

    def flush(self) -> None:
        if self.inserts:
            self.conn.execute(insert(shipments), self.inserts)


# References a warehouse's confirmation carries that mean something to the buyer: bill of lading, carrier
# PRO number, tracking. Its own (the depositor order it was given, its internal ids) stay out of the 856.
BUYER_REFERENCES = frozenset({"BM", "CN", "2I"})


def _for_buyer(shipment: Shipment) -> list[Any]:
    return [ref for ref in shipment.references if ref.qualifier in BUYER_REFERENCES]


def _fields(shipment: Shipment) -> dict[str, Any]:
    return {f: getattr(shipment, f) for f in shipment.__dataclass_fields__ if f != "orders"}


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


def _check(totals: dict[int, Decimal], order: Order, shipped: ShipmentOrder, buyer: Partner) -> str:
    """Refuse what the buyer would charge back for; return the order's status once this shipment is in."""
    by_position = {ol.position: ol for ol in order.lines}
    for line in _lines(shipped):
        pos = _match(order, line)
        if pos is None:
            raise Held(f"shipped item {line.line_number or dict(line.product_ids)} is not on order {order.po_number}")
        line.line_number = by_position[pos].line_number  # the 856 echoes the buyer's own PO101
        if not line.product_ids:
            line.product_ids = dict(by_position[pos].product_ids)
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
    """Give every package (and pallet) the SSCC-18 the profile needs: loose lines go into one package, and for
    SOTPI the packages of an order the warehouse did not palletise go onto one pallet."""
    profile = buyer.config.asn_profile
    if profile == "SOI":
        return
    for shipped in shipment.orders:
        if shipped.lines and not shipped.packages and not shipped.pallets:
            shipped.packages.append(Package(lines=shipped.lines))
            shipped.lines = []
        if profile == "SOTPI" and shipped.packages and not shipped.pallets:
            shipped.pallets.append(Pallet(packages=shipped.packages))
            shipped.packages = []
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


def _answer(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, answers: list[tuple[int, Order, Shipment, Partner, str]]
) -> list[str]:
    """The 856 (and the 810 when the buyer wants one per shipment) for each recorded shipment.

    Control numbers are reserved once per buyer for every document this file could cause and handed out in
    order; a shipment whose documents cannot be written (a value the partner's delimiters forbid, say) is
    held with the reason and takes no number, and the unused tail goes back to the sequence, which this
    transaction still holds locked: the buyer sees the numbers gap-free.
    """
    x12 = registry.mapping("x12")
    statuses: list[tuple[str, int]] = []
    problems: list[str] = []
    by_buyer: dict[str, list[tuple[int, Order, Shipment, Partner, str]]] = {}
    for answer in answers:
        by_buyer.setdefault(answer[3].name, []).append(answer)
    for group in by_buyer.values():
        buyer = group[0][3]
        invoices = buyer.config.invoice == "on_shipment"
        per = 2 if invoices else 1
        first = reserve(
            hub.store, conn, buyer.name, interchanges=per * len(group), groups=per * len(group), sets=per * len(group)
        )
        first_invoice = hub.store.next_numbers(conn, buyer.name, "invoice", len(group)) if invoices else 0
        used = invoiced = 0
        for order_id, order, shipment, _, status in group:
            planned: list[tuple[bytes, str, str, str, Controls]] = []
            try:
                controls = Controls(first.interchange + used, first.group + used, first.transaction + used)
                out = x12.Outgoing(**buyer.envelope(controls, created_now()))
                name = f"{safe_name(buyer.name)}-856-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
                key = delivery_key("856", buyer.name, order.po_number, shipment.shipment_id)
                planned.append((x12.write_856(shipment, out, buyer.config.asn_profile), name, "856", key, controls))
                if invoices:
                    controls = Controls(
                        first.interchange + used + 1, first.group + used + 1, first.transaction + used + 1
                    )
                    invoice = invoice_for(order, shipment, f"{first_invoice + invoiced:06d}", created_now().date())
                    out = x12.Outgoing(**buyer.envelope(controls, created_now()))
                    name = f"{safe_name(buyer.name)}-810-{invoice.invoice_number}-{controls.interchange:09d}.edi"
                    key = delivery_key("810", buyer.name, order.po_number, shipment.shipment_id)
                    planned.append((x12.write_810(invoice, out), name, "810", key, controls))
                    if status == "shipped":
                        status = "invoiced"
            except (ValueError, Held) as exc:
                reason = f"shipment {shipment.shipment_id} for PO {order.po_number} held: {exc}"
                conn.execute(
                    update(shipments)
                    .where(shipments.c.external_id == shipment.shipment_id, shipments.c.order_id == order_id)
                    .values(state="held", error=reason)
                )
                plan.event("held", reason, order=order_id, document=document_id)
                problems.append(reason)
                continue
            used += len(planned)
            if invoices:
                invoiced += 1
                conn.execute(
                    update(shipments)
                    .where(shipments.c.external_id == shipment.shipment_id, shipments.c.order_id == order_id)
                    .values(invoiced_at=utcnow())
                )
            for data, name, purpose, key, controls in planned:
                outbound(plan, buyer, data, name, purpose, key, document_id, order_id, controls)
            statuses.append((status, order_id))
            plan.event("order", f"order {order.po_number} {status}", order=order_id)
        unused = per * len(group) - used
        returned = {kind: unused for kind in ("isa", "gs", "st") if unused}
        if invoices and len(group) - invoiced:
            returned["invoice"] = len(group) - invoiced
        hub.store.return_numbers(conn, buyer.name, returned)
    hub.store.set_order_statuses(conn, statuses)
    return problems


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
