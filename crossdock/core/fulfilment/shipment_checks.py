"""A shipment checked against the order it ships, before anything is written for the buyer: which line each
shipped line is, in the order's unit, how much has shipped so far, what the buyer would charge back for, what
lines the warehouse closed short, and which cartons still need an SSCC. Apart from ``shipping`` (which records
the shipment and what it causes) so the rules read on their own; nothing here writes to the store."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.errors import Held
from crossdock.core.fulfilment.answers import match_line
from crossdock.core.fulfilment.models import Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.fulfilment.sscc_serials import Gs1Block
from crossdock.core.models import Order, OrderLine
from crossdock.core.partners import Partner
from crossdock.core.storage.schema import shipments
from crossdock.core.units import Packing, UnitError, convert, line_packing


def shipped_totals(order: Order, recorded: list[Shipment]) -> dict[int, Decimal]:
    """Per order line position, how much ``recorded`` shipments of the order shipped."""
    totals: dict[int, Decimal] = {}
    for earlier in recorded:
        for shipped in earlier.orders:
            for line in shipped.all_lines():
                pos = match_line(order, line)
                if pos is not None:
                    totals[pos] = totals.get(pos, Decimal(0)) + line.quantity
    return totals


def shipped_so_far(conn: Connection, order_id: int, order: Order) -> dict[int, Decimal]:
    """Per order line position, how much the order's recorded shipments shipped."""
    recorded = select(shipments.c.data).where(shipments.c.order_id == order_id, shipments.c.state == "recorded")
    return shipped_totals(order, [Shipment.model_validate_json(data) for data in conn.execute(recorded).scalars()])


def closed_short(order: Order, shipped: ShipmentOrder, totals: dict[int, Decimal]) -> dict[int, Decimal]:
    """What the lines this shipment closes leave unshipped: the warehouse says it will not ship it."""
    cut: dict[int, Decimal] = {}
    for line in shipped.all_lines():
        pos = match_line(order, line) if line.closed else None
        ordered = next((ol.quantity for ol in order.lines if ol.position == pos), Decimal(0))
        if pos is not None and ordered > totals.get(pos, Decimal(0)):
            cut[pos] = ordered - totals.get(pos, Decimal(0))
    return cut


def _in_order_unit(line: ShipmentLine, ordered: OrderLine, catalogue: Mapping[str, Packing]) -> Decimal:
    """The shipped quantity in the order line's unit (12 EA of a line ordered in cases of 12 is 1 CA)."""
    if not ordered.uom:
        return line.quantity
    try:
        return convert(line.quantity, line.uom or ordered.uom, ordered.uom, line_packing(ordered, catalogue))
    except UnitError as exc:
        raise Held(
            f"line {ordered.line_number or ordered.position}: {exc} (PO4 pack, or products in the config)"
        ) from None


def check_shipped(
    totals: dict[int, Decimal],
    order: Order,
    shipped: ShipmentOrder,
    buyer: Partner | None,
    closed: set[int],
    catalogue: Mapping[str, Packing] | None = None,
) -> str:
    """Refuse what the buyer would charge back for; return the order's status once this shipment is in.

    ``totals`` (shipped so far per order line) comes out with this shipment counted. A channel's order is not
    held for a line shipped beyond what is left of it (refunded or cancelled since it reached the warehouse):
    the shipment is recorded, and the fulfilment back leaves that quantity out. ``closed``: lines an earlier
    shipment closed, done whatever they shipped; so is a line this one closes. Each shipped quantity is put in its
    order line's unit first (``units``: PO4 pack and inner pack, else the ``catalogue``), so recorded shipments
    hold the order's units and ``shipped_totals`` adds like with like."""
    catalogue = catalogue or {}
    by_position = {ol.position: ol for ol in order.lines}
    for line in shipped.all_lines():
        pos = match_line(order, line)
        if pos is None:
            raise Held(f"shipped item {line.line_number or dict(line.product_ids)} is not on order {order.po_number}")
        line.line_number = by_position[pos].line_number  # the 856 echoes the buyer's own PO101
        line.product_ids = {**by_position[pos].product_ids, **line.product_ids}  # and the buyer's own item ids
        line.ordered_quantity = by_position[pos].quantity
        line.quantity = _in_order_unit(line, by_position[pos], catalogue)  # what the 856 and 810 say, too
        line.uom = by_position[pos].uom or line.uom
        line.pack, line.inner_pack = by_position[pos].pack, by_position[pos].inner_pack  # PO4 as the PO had it
        totals[pos] = totals.get(pos, Decimal(0)) + line.quantity
        if line.closed:
            closed.add(pos)
        if buyer is not None and totals[pos] > by_position[pos].quantity and not buyer.config.allow_overship:
            raise Held(
                f"line {by_position[pos].line_number or pos} ships {totals[pos]} of {by_position[pos].quantity} "
                f"ordered, and {buyer.name} does not allow overshipment"
            )
    done = all(totals.get(ol.position, Decimal(0)) >= ol.quantity or ol.position in closed for ol in order.lines)
    shipped.po_date = shipped.po_date or order.order_date
    return "shipped" if done else "partially shipped"


def check_labels(shipment: Shipment, given: set[str], po_number: str, ours: Gs1Block | None) -> None:
    """A warehouse that got SSCC labels with the order must name each carton's label (MAN*GM), so the 856 says
    what is printed on the freight; an SSCC under our prefix that was not given for this order is refused, as
    it would repeat another carton's."""
    if not given:
        return
    for shipped in shipment.orders:
        cartons = [*shipped.packages, *(p for pallet in shipped.pallets for p in pallet.packages)]
        if shipped.lines or any(not p.sscc for p in cartons):
            raise Held(
                f"the warehouse was given SSCC labels for order {po_number}, and its confirmation names no SSCC "
                "(MAN*GM) for a carton: the 856 must carry the SSCCs on the labels"
            )
        for package in cartons:
            sscc = _bare(package.sscc or "")
            if ours is not None and sscc[1 : 1 + len(ours.prefix)] == ours.prefix and sscc not in given:
                raise Held(f"SSCC {package.sscc} is under our GS1 prefix but was not given for order {po_number}")


def _bare(sscc: str) -> str:
    """The 18 digits of an SSCC written with its application identifier (00) or without."""
    return sscc[2:] if len(sscc) == 20 and sscc.startswith("00") else sscc


def unlabelled(shipment: Shipment, buyer: Partner) -> list[Any]:
    """The packages (and pallets) that still need the SSCC-18 the profile wants: loose lines go into one package.

    Cartons the warehouse did not palletise stay cartons, even for SOTPI: a tare level (and its SSCC) stands for
    a pallet that was built, and a label nobody printed could never match the freight."""
    if buyer.config.asn_profile == "SOI":
        return []
    needing: list[Any] = []
    for shipped in shipment.orders:
        if shipped.lines and not shipped.packages and not shipped.pallets:
            shipped.packages.append(Package(lines=shipped.lines))
            shipped.lines = []
        needing += [p for p in shipped.packages if not p.sscc]
        needing += [pal for pal in shipped.pallets if not pal.sscc]
        needing += [p for pal in shipped.pallets for p in pal.packages if not p.sscc]
    return needing
