"""Reading a warehouse's 945 Warehouse Shipping Advice into a ``Shipment`` (what the 856 and the channel need).

Matching back to the order: the PO number is W0606 when sent, else W0602; W0602, the depositor order number
crossdock's 940 gave the order (W0502), is the order's ``reference``, which names it among orders of several
sources with the same PO number, and is also kept as reference ``DO``. Each line's raw order line number comes
from ``N9*LI`` (at LX or W12 level), as crossdock's 940 wrote it.

Other choices, because the corpus 945s are both defective and real ones vary:

- ``purpose`` holds W0601 (N normal, F full detail ...), not a BSN01 code.
- ``ship_date`` is G62*11 (shipped on), else W0603, else G62*10 (requested ship date); ``delivery_date`` is
  G62*17 (estimated delivery), for the 856's DTM*017.
- A ``MAN*GM`` (SSCC) in an LX loop makes that loop's lines one ``Package``; other MAN qualifiers, or else an
  ``N9*2I`` in that loop, are its tracking number. Lines of an LX loop without MAN go straight on the order.
- W12: W1202 ordered, W1203 shipped (when empty: ordered less W1204), W1206 UPC as ``UP``, W1216 case UPC as
  ``UA``, pairs W1207/08, W1217/18, W1221/22, lot W1209. Line-level N9s other than LI go to the shipment's
  references (``2I`` also to its tracking numbers), since ``ShipmentLine`` has no references.
- ``status`` is "partial" when any line shipped less than it ordered; a line whose W1201 says no more of it will
  ship (CP, CU, IC) is ``closed``: the hub sends the rest back to the buyer as cancelled.
- With neither W0606 nor W0602 (the OopFactory sample) the order's PO number is "".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Reference
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.values import HeaderReader, decimal, elem, id_pairs, reference, x12_date

LINE_REFERENCE = "LI"
TRACKING_REFERENCE = "2I"
BILL_OF_LADING = "BM"
# W1201 (element 368) codes that say no more of the line will ship: CP partial, considered no backorder; CU
# cancelled line item; IC item canceled. BP (balance to follow), PR (partial) and the rest leave the line open.
CLOSED_LINE = frozenset({"CP", "CU", "IC"})


def _w12_line(seg: Segment) -> ShipmentLine:
    ordered = decimal(seg.get(2))
    shipped = decimal(seg.get(3))
    if shipped is None:
        shipped = (ordered - (decimal(seg.get(4)) or Decimal(0))) if ordered is not None else Decimal(0)
    ids: dict[str, str] = {}
    if upc := elem(seg, 6):
        ids["UP"] = upc
    for first, last in ((7, 9), (17, 19), (21, 23)):
        for q, v in id_pairs(seg.elements, first, last).items():
            ids.setdefault(q, v)
    if case_upc := elem(seg, 16):
        ids.setdefault("UA", case_upc)
    return ShipmentLine(
        product_ids=ids,
        quantity=shipped,
        uom=elem(seg, 5) or "EA",
        ordered_quantity=ordered,
        lot=elem(seg, 9),
        closed=seg.get(1).strip() in CLOSED_LINE,
    )


@dataclass(slots=True)
class _Detail:
    """The LX loop being read: its package (when it has MAN) and the line its W12 loop is filling."""

    package: Package | None = None
    line_number: str | None = None
    line: ShipmentLine | None = None
    descriptions: list[str] = field(default_factory=list)


def _man(detail: _Detail, seg: Segment, order: ShipmentOrder) -> None:
    if detail.package is None:
        detail.package = Package()
        order.packages.append(detail.package)
    value = elem(seg, 2)
    if seg.get(1).strip() == "GM" and detail.package.sscc is None:
        detail.package.sscc = value
    elif detail.package.tracking_number is None:
        detail.package.tracking_number = value


def _close_line(detail: _Detail) -> None:
    if detail.line is not None and detail.descriptions:
        detail.line.description = " ".join(detail.descriptions)
    detail.descriptions = []


def shipment_from_945(ts: TransactionSet) -> Shipment:
    """Map one 945 set (see the module doc for where each value comes from)."""
    if ts.code != "945":
        raise DecodeError(f"expected a 945, got {ts.code}")
    shipment = Shipment(shipment_id="")
    order = ShipmentOrder(po_number="")
    parties = HeaderReader()
    dates: dict[str, Segment] = {}
    w0603 = None
    detail: _Detail | None = None
    for seg in ts.segments[1:]:
        sid = seg.id
        if sid == "LX":
            if detail is not None:
                _close_line(detail)
            detail = _Detail()
        elif detail is not None:
            if sid == "MAN":
                _man(detail, seg, order)
            elif sid == "W12":
                _close_line(detail)
                detail.line = _w12_line(seg)
                detail.line.line_number = detail.line_number
                (detail.package.lines if detail.package else order.lines).append(detail.line)
            elif sid == "G69" and detail.line is not None and (value := elem(seg, 1)):
                detail.descriptions.append(value)
            elif sid == "N9" and (ref := reference(seg)):
                if ref.qualifier == LINE_REFERENCE:
                    # LX-level LI applies to the W12 lines that follow; W12-level LI to its own line
                    target = detail.line if detail.line is not None else detail
                    target.line_number = seg.get(2) or None
                else:
                    _add_reference(shipment, ref)
                    if ref.qualifier == TRACKING_REFERENCE and detail.package and not detail.package.tracking_number:
                        detail.package.tracking_number = ref.value or None  # the package's own tracking number
            elif sid == "W03":
                _close_line(detail)
                _w03(shipment, seg)
        elif sid == "W06":
            shipment.purpose = seg.get(1).strip() or shipment.purpose
            shipment.shipment_id = seg.get(4).strip() or seg.get(2).strip()
            order.po_number = seg.get(6).strip() or seg.get(2).strip()
            w0603 = x12_date(seg.get(3))
            if depositor_order := elem(seg, 2):
                shipment.references.append(Reference(qualifier="DO", value=depositor_order, description="W0602"))
                order.reference = depositor_order
        elif parties.feed(seg):
            continue
        elif sid in ("N9", "REF") and (ref := reference(seg)):
            _add_reference(shipment, ref)
        elif sid == "G62":
            dates.setdefault(seg.get(1).strip(), seg)
        elif sid == "W27":
            shipment.transport_mode = elem(seg, 1)
            shipment.carrier_scac = elem(seg, 2)
            shipment.carrier_service = elem(seg, 3)
        elif sid == "W03":
            _w03(shipment, seg)
    if detail is not None:
        _close_line(detail)
    shipped_on = dates.get("11")
    requested = dates.get("10")
    shipment.ship_date = (x12_date(shipped_on.get(2)) if shipped_on else None) or w0603
    if shipment.ship_date is None and requested is not None:
        shipment.ship_date = x12_date(requested.get(2))
    if shipped_on is not None:
        shipment.ship_time = elem(shipped_on, 4)
    if (estimated := dates.get("17")) is not None:
        shipment.delivery_date = x12_date(estimated.get(2))
    shipment.parties = parties.parties
    shipment.orders = [order]
    lines = order.lines + [line for p in order.packages for line in p.lines]
    if any(line.ordered_quantity is not None and line.quantity < line.ordered_quantity for line in lines):
        shipment.status = "partial"
    return shipment


def _add_reference(shipment: Shipment, ref: Reference) -> None:
    shipment.references.append(ref)
    if ref.qualifier == TRACKING_REFERENCE and ref.value and ref.value not in shipment.tracking_numbers:
        shipment.tracking_numbers.append(ref.value)
    elif ref.qualifier == BILL_OF_LADING and shipment.bill_of_lading is None:
        shipment.bill_of_lading = ref.value or None


def _w03(shipment: Shipment, seg: Segment) -> None:
    """W03 totals: W0302/03 weight, W0306 lading quantity (W0301, the unit total, is derivable from lines)."""
    shipment.gross_weight = decimal(seg.get(2))
    shipment.weight_uom = elem(seg, 3)
    lading = decimal(seg.get(6))
    shipment.lading_quantity = int(lading) if lading is not None else None
