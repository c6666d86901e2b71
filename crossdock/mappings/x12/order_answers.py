"""The canonical 855s crossdock answers a purchase order with, decided from the order and what became of it:
accepted as sent, backordered after a short shipment, or cut because lines will not ship. Apart from
``poack855`` (which only turns an acknowledgment into X12 and back) because these are the hub's decisions."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal

from crossdock.core.models import LineAcknowledgment, Order, OrderAcknowledgment, Party
from crossdock.mappings.x12.poack855 import DEFAULT_DATE_QUALIFIER as SCHEDULED_SHIP


def po_acknowledgment(
    order: Order, today: datetime, *, ship_date: date | None = None, price_basis: bool = False
) -> OrderAcknowledgment:
    """The 855 for an order accepted as sent: every line IA with its quantity, the parties echoed; each line with
    ``ship_date`` as its scheduled ship date (ACK04 068) and the PO's PO105 when ``price_basis``."""
    lines = [
        LineAcknowledgment(
            position=line.position,
            line_number=line.line_number,
            status="IA",
            quantity=line.quantity,
            uom=line.uom,
            date=ship_date,
            date_qualifier=SCHEDULED_SHIP if ship_date else None,
            ordered_quantity=line.quantity,
            unit_price=line.unit_price,
            product_ids=dict(line.product_ids),
            price_basis=line.price_basis if price_basis else None,
        )
        for line in order.lines
    ]
    parties = [Party(role=p.role, name=p.name, id_qualifier=p.id_qualifier, id=p.id) for p in order.parties]
    return OrderAcknowledgment(
        po_number=order.po_number,
        po_date=order.order_date or today.date(),
        ack_date=today.date(),
        parties=parties,
        lines=lines,
    )


def backorder_acknowledgment(
    order: Order, shipped: Mapping[int, Decimal], today: datetime, closed: Collection[int] = ()
) -> OrderAcknowledgment:
    """The 855 change (BAK01 04) after a short shipment: each line shipped in full is accepted (IA), the rest of a
    line still open is backordered (IB, ACK02 the quantity still to come); ``shipped`` counts per line position.
    A line the warehouse closed short (``closed``) is not backordered: it comes to what shipped (IQ, ACK02 that
    quantity), or, when none of it shipped, is rejected (IR, ACK02 the quantity ordered)."""
    ack = po_acknowledgment(order, today)
    ack.purpose = "04"
    for line, ordered in zip(ack.lines, order.lines, strict=True):
        done = shipped.get(ordered.position, Decimal(0))
        if done >= ordered.quantity:
            continue
        if ordered.position not in closed:
            line.status, line.quantity = "IB", ordered.quantity - done
        elif done > 0:
            line.status, line.quantity = "IQ", done
        else:
            line.status, line.quantity = "IR", ordered.quantity
    return ack


def cancellation_acknowledgment(order: Order, cut: Mapping[int, Decimal], today: datetime) -> OrderAcknowledgment:
    """The 855 change (BAK01 04) telling the buyer lines will not ship: a line cut whole is rejected (IR, ACK02 the
    quantity cut), a line cut in part has its quantity changed (IQ, ACK02 what it comes to); the rest stay IA.
    ``cut`` is the quantity that will not ship, per line position."""
    ack = po_acknowledgment(order, today)
    ack.purpose = "04"
    for line, ordered in zip(ack.lines, order.lines, strict=True):
        gone = min(cut.get(ordered.position, Decimal(0)), ordered.quantity)
        if gone <= 0:
            continue
        left = ordered.quantity - gone
        line.status, line.quantity = ("IR", gone) if left <= 0 else ("IQ", left)
    return ack
