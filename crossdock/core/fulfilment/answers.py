"""What a recorded shipment sends back: the EDI buyer's 856 and 810, an 855 change when lines shipped short,
and a Fulfilment (lines and tracking) to the order's origin when its source names a ``fulfilment_sink``.

The channel connectors plug into the last one: a channel's sink takes the Fulfilment JSON and marks the
order fulfilled on the channel, the way an ERP hook takes it to sync the shipment. What a warehouse closes short
goes back as a Cancellation (``cancel_back``), planned by ``shipping``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

from sqlalchemy import Connection, bindparam, update

from crossdock.core import registry
from crossdock.core.errors import Held
from crossdock.core.fulfilment import asn_window
from crossdock.core.fulfilment.asn_plan import consolidated
from crossdock.core.fulfilment.invoicing import (
    COMPANY_SEQUENCE,
    configured_parties,
    invoice_for,
    invoice_number,
    next_invoice_numbers,
)
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage, Shipment, ShipmentLine
from crossdock.core.guides import guide_check
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.partners import Controls, Partner, created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import shipments
from crossdock.core.storage.store import to_json


@dataclass(slots=True)
class Answer:
    """One recorded shipment of one order, and what answering it needs to know."""

    order_id: int
    order: Order
    shipment: Shipment
    buyer: Partner | None  # the EDI partner the order came from; None for a channel's order
    status: str  # the order's status with this shipment counted: shipped or partially shipped
    shipped: dict[int, Decimal]  # per order line position, everything shipped so far, this shipment included
    short: bool  # the warehouse shipped some line short of what it was asked for
    fulfilment_sink: str | None
    held: str | None = None
    asn_id: str | None = None  # BSN02 when the 856 is this PO's alone (the shipment id, or it and -1, -2 ...)
    asn_key: tuple[str, str, str] | None = None  # POs with the same key share one 856 for a buyer that consolidates
    closed: frozenset[int] = frozenset()  # order line positions the warehouse closed: no more of them will ship


def answer(hub: Hub, conn: Connection, plan: Plan, document_id: int, answers: list[Answer]) -> list[str]:
    """Plan every answer; return the reasons of the shipments that had to be held instead."""
    statuses: list[tuple[str, int]] = []
    by_buyer: dict[str, list[Answer]] = {}
    for a in answers:
        if a.buyer is not None:
            by_buyer.setdefault(a.buyer.name, []).append(a)
    for group in by_buyer.values():
        _edi(hub, conn, plan, document_id, group)
    held = [a for a in answers if a.held]
    if held:
        conn.execute(
            update(shipments)
            .where(shipments.c.external_id == bindparam("b_id"), shipments.c.order_id == bindparam("b_order"))
            .values(state="held", error=bindparam("b_error")),
            [{"b_id": a.shipment.shipment_id, "b_order": a.order_id, "b_error": a.held} for a in held],
        )
    for a in answers:
        if a.held:
            plan.event("held", a.held, order=a.order_id, document=document_id)
            continue
        if a.fulfilment_sink is not None:
            _fulfil(plan, a, document_id)
        statuses.append((a.status, a.order_id))
        plan.event("order", f"order {a.order.po_number} {a.status}", order=a.order_id)
    hub.store.set_order_statuses(conn, statuses)
    return [a.held for a in held if a.held]


def match_line(order: Order, line: ShipmentLine) -> int | None:
    """The position of the order line a shipped line belongs to: by the partner's line number, else by id."""
    for ol in order.lines:
        if line.line_number and ol.line_number and ol.line_number.strip() == line.line_number.strip():
            return ol.position
    for ol in order.lines:
        if set(ol.product_ids.values()) & set(line.product_ids.values()):
            return ol.position
    return None


def fulfilment_for(a: Answer) -> Fulfilment:
    """The shipment as the order's origin reads it: the order's own line numbers and ids, and the tracking.

    Each line is fulfilled only up to what is left of it in the stored revision (ordered less what earlier
    shipments fulfilled): a line refunded, cancelled or needing no shipping (quantity 0) is left out, so the
    channel is never asked to fulfil it and the lines that did ship are not refused with it. Each tracked
    package carries its own lines; loose lines under the shipment's one tracking number make one package."""
    order, shipment = a.order, a.shipment
    this: dict[int, Decimal] = {}
    for shipped in shipment.orders:
        for line in shipped.all_lines():
            if (pos := match_line(order, line)) is not None:
                this[pos] = this.get(pos, Decimal(0)) + line.quantity
    left = {
        ol.position: max(
            ol.quantity - (a.shipped.get(ol.position, Decimal(0)) - this.get(ol.position, Decimal(0))), Decimal(0)
        )
        for ol in order.lines
    }

    def fulfilled(lines: list[ShipmentLine]) -> list[FulfilmentLine]:
        out = []
        for line in lines:
            pos = match_line(order, line)
            quantity = min(line.quantity, left.get(pos, Decimal(0))) if pos is not None else Decimal(0)
            if pos is not None and quantity > 0:
                left[pos] -= quantity
                out.append(_fulfilment_line(line, quantity))
        return out

    lines: list[FulfilmentLine] = []
    packages: list[FulfilmentPackage] = []
    tracking = list(shipment.tracking_numbers)
    for shipped in shipment.orders:
        loose = fulfilled(shipped.lines)
        lines += loose
        for p in shipped.packages + [p for pal in shipped.pallets for p in pal.packages]:
            packed = fulfilled(p.lines)
            lines += packed
            if p.tracking_number and p.tracking_number not in tracking:
                tracking.append(p.tracking_number)
            if p.tracking_number and packed:
                packages.append(FulfilmentPackage(tracking_number=p.tracking_number, lines=packed))
        if loose and not packages and len(shipment.tracking_numbers) == 1:
            packages.append(FulfilmentPackage(tracking_number=shipment.tracking_numbers[0], lines=list(loose)))
    return Fulfilment(
        channel=order.channel,
        partner=order.partner,
        po_number=order.po_number,
        external_id=order.external_id,
        shipment_id=shipment.shipment_id,
        ship_date=shipment.ship_date,
        carrier_scac=shipment.carrier_scac,
        carrier_service=shipment.carrier_service,
        tracking_numbers=tracking,
        order_status="shipped" if a.status == "shipped" else "partially shipped",
        lines=lines,
        packages=packages,
    )


def _fulfilment_line(line: ShipmentLine, quantity: Decimal) -> FulfilmentLine:
    return FulfilmentLine(
        line_number=line.line_number, product_ids=dict(line.product_ids), quantity=quantity, uom=line.uom
    )


def _fulfil(plan: Plan, a: Answer, document_id: int) -> None:
    assert a.fulfilment_sink is not None
    fulfilment = fulfilment_for(a)
    po, shipment_id = a.order.po_number, a.shipment.shipment_id
    if not fulfilment.lines:
        what = f"shipment {shipment_id} of order {po} ships nothing left to fulfil (refunded or cancelled lines)"
        plan.event("fulfilment", f"{what}: nothing sent to {a.fulfilment_sink}", order=a.order_id)
        return
    data = to_json(fulfilment.model_dump(mode="json")).encode() + b"\n"
    outbound(
        plan,
        a.order.partner or a.order.channel,
        data,
        f"fulfilment-{safe_name(po)}-{safe_name(shipment_id)}.json",
        "fulfilment",
        delivery_key("fulfilment", a.fulfilment_sink, a.order.channel, a.order.partner, po, shipment_id),
        document_id,
        a.order_id,
        sink=a.fulfilment_sink,
    )


def _edi(hub: Hub, conn: Connection, plan: Plan, document_id: int, group: list[Answer]) -> None:
    """The 856, the 810 when the buyer wants one per shipment, and the 855 change for a short shipment.

    Control numbers are reserved once per buyer for every document this file could cause and handed out in
    order; a shipment whose documents cannot be written (a value the partner's delimiters forbid, say) is
    held with the reason and takes no number, and the unused tail goes back to the sequence, which this
    transaction still holds locked: the buyer sees the numbers gap-free.
    """
    x12 = registry.mapping("x12")
    buyer = group[0].buyer
    assert buyer is not None
    invoices = buyer.config.invoice == "on_shipment"
    if buyer.config.asn_consolidate:
        _hold_refused_alone(hub, x12, buyer, group, invoices)
        group = [a for a in group if not a.held]
        if not group:
            return
    asns = _join_waiting(x12, conn, buyer, document_id, _asn_groups(buyer, group))
    kinds = [["856"] * (id(a) in asns) + ["810"] * invoices + ["855"] * _backorder(buyer, a) for a in group]
    leader_of = {id(m): a for a in group for m in asns.get(id(a), [])}
    total = sum(len(k) for k in kinds)
    # The company-wide invoice sequence is locked before the partner's, as invoice_day does: one order, no deadlock.
    first_invoice = next_invoice_numbers(hub, conn, len(group)) if invoices else 0
    first = reserve(hub.store, conn, buyer.name, interchanges=total, groups=total, sets=total)
    used = invoiced = 0
    invoiced_now: list[Answer] = []
    for a, wanted in zip(group, kinds, strict=True):
        planned: list[tuple[bytes, str, str, str, Controls]] = []
        try:
            if (leader := leader_of.get(id(a), a)) is not a and leader.held:  # none: its POs joined a waiting 856
                raise Held(f"its 856 is the one of PO {leader.order.po_number}, which could not be written")
            for i, kind in enumerate(wanted):
                controls = Controls(first.interchange + used + i, first.group + used + i, first.transaction + used + i)
                number = invoice_number(hub, first_invoice + invoiced)
                planned.append((*_write(x12, kind, buyer, a, controls, number, asns.get(id(a), [])), controls))
                guide_check(buyer, planned[-1][0])  # a refused 856 or 810 holds its shipment: a replay answers it
        except (ValueError, Held) as exc:
            a.held = f"shipment {a.shipment.shipment_id} for PO {a.order.po_number} held: {exc}"
            continue
        used += len(planned)
        if invoices:
            invoiced += 1
            invoiced_now.append(a)
            if a.status == "shipped":
                a.status = "invoiced"
        wait = asn_window.window(buyer) if asn_window.waits(a.asn_key) else None
        for data, name, purpose, key, controls in planned:
            later = utcnow() + wait if wait is not None and purpose == "856" else None  # waits for later POs
            outbound(
                plan,
                buyer,
                data,
                name,
                purpose,
                key,
                document_id,
                a.order_id,
                controls,
                not_before=later,
                guide_checked=True,
            )
    if invoiced_now:
        conn.execute(
            update(shipments)
            .where(shipments.c.external_id == bindparam("b_id"), shipments.c.order_id == bindparam("b_order"))
            .values(invoiced_at=utcnow()),
            [{"b_id": a.shipment.shipment_id, "b_order": a.order_id} for a in invoiced_now],
        )
    unused = total - used
    returned = {kind: unused for kind in ("isa", "gs", "st") if unused}
    hub.store.return_numbers(conn, buyer.name, returned)
    if invoices and len(group) - invoiced:
        hub.store.return_numbers(conn, COMPANY_SEQUENCE, {"invoice": len(group) - invoiced})


def _hold_refused_alone(hub: Hub, x12: ModuleType, buyer: Partner, group: list[Answer], invoices: bool) -> None:
    """Hold each PO whose own 810 or 855 change the buyer's guide refuses, before the 856 it would share with other
    POs (of this file, or one waiting, ``asn_window``) is written: that 856 then leaves it out. A held shipment
    sends nothing, so a consolidated 856 must not announce a PO the buyer gets no invoice for; the replay after
    the fix answers it in full, joining a still waiting 856 or with an 856 of its own, never a second time. The
    documents are written here with stand-in numbers to be checked only; the real ones follow."""
    stand_in = Controls(1, 1, 1)
    for a in group:
        try:
            for kind in ["810"] * invoices + ["855"] * _backorder(buyer, a):
                guide_check(buyer, _write(x12, kind, buyer, a, stand_in, invoice_number(hub, 1), [])[0])
        except (ValueError, Held) as exc:
            a.held = f"shipment {a.shipment.shipment_id} for PO {a.order.po_number} held: {exc}"


def _asn_groups(buyer: Partner, group: list[Answer]) -> dict[int, list[Answer]]:
    """Which answer writes an 856 and whose shipments it carries: each its own, or for a buyer that consolidates,
    the first of each bill of lading all of that bill's."""
    if not buyer.config.asn_consolidate:
        return {id(a): [a] for a in group}
    by_key: dict[object, list[Answer]] = {}
    for a in group:
        by_key.setdefault(a.asn_key or id(a), []).append(a)
    return {id(members[0]): members for members in by_key.values()}


def _join_waiting(
    x12: ModuleType, conn: Connection, buyer: Partner, document_id: int, asns: dict[int, list[Answer]]
) -> dict[int, list[Answer]]:
    """The 856s this file needs once its POs have joined the buyer's waiting 856s of the same bill of lading
    (``asn_window``): those are written again with them, and this file writes none for them."""
    if asn_window.window(buyer) is None:
        return asns
    left = dict(asns)
    for leader, members in asns.items():
        key = members[0].asn_key
        waiting = asn_window.find_waiting(conn, buyer, key, document_id) if key is not None else None
        if waiting is None:
            continue
        out = x12.Outgoing(**buyer.envelope(waiting.controls, created_now()))
        bill_of_lading_at = buyer.config.asn_references.get("BM", "shipment")
        try:
            shipment = asn_window.joined(waiting, [m.shipment for m in members])
            data = x12.write_856(shipment, out, buyer.config.asn_profile, bill_of_lading_at)
            guide_check(buyer, data)
        except (ValueError, Held):
            continue  # this file's POs get their own 856, as without a window
        if asn_window.rewrite(conn, waiting, data):
            del left[leader]
    return left


def _asn_shipment(a: Answer, members: list[Answer]) -> Shipment:
    """The shipment the 856 describes: this PO's, under its own BSN02, or every member's in one."""
    if len(members) > 1:
        return consolidated([m.shipment for m in members])
    out = a.shipment.model_copy(deep=True)
    out.shipment_id = a.asn_id or out.shipment_id
    return out


def _backorder(buyer: Partner, a: Answer) -> int:
    """An 855 change for a short shipment while lines are still to come; and when every short line is closed, for a
    buyer that hears of it no other way (with ``send_855`` the cancellation's 855 change tells it, ``cancel_back``)."""
    if not (buyer.config.backorder_855 and a.short):
        return 0
    closed_short = any(
        a.shipped.get(ol.position, Decimal(0)) < ol.quantity for ol in a.order.lines if ol.position in a.closed
    )
    return int(a.status != "shipped" or (closed_short and not buyer.config.send_855))


def _write(
    x12: ModuleType, kind: str, buyer: Partner, a: Answer, controls: Controls, number: str, members: list[Answer]
) -> tuple[bytes, str, str, str]:
    """One document for the buyer: its bytes, file name, purpose and delivery key."""
    out = x12.Outgoing(**buyer.envelope(controls, created_now()))
    po, shipment_id = a.order.po_number, a.shipment.shipment_id
    label = safe_name(po)
    if kind == "856":
        bill_of_lading_at = buyer.config.asn_references.get("BM", "shipment")
        data = x12.write_856(_asn_shipment(a, members), out, buyer.config.asn_profile, bill_of_lading_at)
        key = delivery_key("856", buyer.name, po, shipment_id)
    elif kind == "810":
        first = sum(a.shipped.values()) == sum(line.quantity for o in a.shipment.orders for line in o.all_lines())
        invoice = invoice_for(
            a.order, a.shipment, number, created_now().date(), first=first, parties=configured_parties(buyer)
        )
        data, label = x12.write_810(invoice, out), invoice.invoice_number
        key = delivery_key("810", buyer.name, po, shipment_id)
    else:
        data = x12.write_855_change(a.order, a.shipped, out, a.closed)
        key = delivery_key("855-change", buyer.name, po, shipment_id)
    return data, f"{safe_name(buyer.name)}-{kind}-{label}-{controls.interchange:09d}.edi", kind, key
