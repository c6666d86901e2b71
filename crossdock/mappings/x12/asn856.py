"""856 Ship Notice/Manifest: canonical ``Shipment`` to an HL tree and back, plus the HL/SSCC business check.

Profiles (the partner's required structure) and the BSN05 hierarchical structure code written for each:

    "SOI"    shipment / order / item                   BSN05 0004
    "SOPI"   shipment / order / pack / item            BSN05 0001 (VICS pick and pack)
    "SOTPI"  shipment / order / tare / pack / item     BSN05 0001 (VICS pick and pack: tare and pack are both
             "packaging"; loose cartons may hang straight under the order)

Cartons and pallets carry MAN*GM with the VICS form: application identifier "00" + SSCC-18, 20 digits, as
the valid corpus sample 856/oopfactory_jewelry-vics... does. Outbound SSCCs must have a right check digit;
inbound 18- and 20-digit values are both read (``Package.sscc`` holds the bare 18 digits).

The shipment level dates the shipment (DTM*011) and, when known, its estimated delivery (DTM*017).

Reading is ``asn856_read`` (``shipment_from_856`` is re-exported here); the registered rule warns about HL
segments without a known parent and wrong SSCC check digits.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.fulfilment.models import Package, Pallet, Shipment, ShipmentLine, ShipmentOrder
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.asn856_read import hl_nodes as hl_nodes
from crossdock.mappings.x12.asn856_read import shipment_from_856 as shipment_from_856
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.fragments import add_parties, fmt_date, pairs
from crossdock.mappings.x12.sscc import gs1_check_digit, normalize_sscc, with_ai
from crossdock.mappings.x12.validator import register_rule
from crossdock.mappings.x12.writer import X12WriteError

STRUCTURE_CODES = {"SOI": "0004", "SOPI": "0001", "SOTPI": "0001"}


class _Tree:
    """Numbers HL segments as they are added and patches HL04 (child code) once children are known."""

    def __init__(self, ts: writer.TransactionSet) -> None:
        self.ts = ts
        self.units = Decimal(0)  # CTT02 hash total: the sum of SN102
        self.hls: list[list[writer.Element]] = []  # HL n is hls[n - 1]

    def open(self, parent: int | None, level: str) -> int:
        hls = self.hls
        hl = len(hls) + 1
        segment: list[writer.Element] = ["HL", str(hl), str(parent) if parent else "", level, "0"]
        hls.append(segment)
        self.ts.segments.append(segment)
        if parent is not None:
            hls[parent - 1][4] = "1"
        return hl


def build_856(
    shipment: Shipment, control: str, profile: str = "SOPI", bill_of_lading_at: str = "shipment"
) -> writer.TransactionSet:
    """One 856 set in the partner's HL profile; refuses content the profile cannot carry.

    ``bill_of_lading_at`` is where REF*BM goes: the shipment level, or each order level (some guides want it
    there when several POs share the bill of lading)."""
    if profile not in STRUCTURE_CODES:
        raise X12WriteError(f"unknown 856 profile {profile!r}: use one of {', '.join(STRUCTURE_CODES)}")
    if shipment.ship_date is None:
        raise X12WriteError("BSN03/DTM*011: the ship notice needs the ship date")
    ts = writer.TransactionSet("856", control)
    ts.add(
        "BSN",
        shipment.purpose,
        shipment.shipment_id,
        fmt_date(shipment.ship_date),
        shipment.ship_time or "0000",
        STRUCTURE_CODES[profile],
    )
    tree = _Tree(ts)
    top = tree.open(None, "S")
    _shipment_level(ts, shipment, bill_of_lading_at == "shipment")
    order_bol = shipment.bill_of_lading if bill_of_lading_at == "order" else None
    for order in shipment.orders:
        _order(tree, top, order, profile, order_bol)
    ts.add("CTT", str(len(tree.hls)), writer.format_decimal(tree.units))
    return ts


def _add_td1(
    ts: writer.TransactionSet, code: str | None, count: int | None, weight: Decimal | None, uom: str | None
) -> None:
    """TD1 with packaging code and lading quantity and/or gross weight (TD106 G), when there is any."""
    if code is None and count is None and weight is None:
        return
    if (count is None) != (code is None):
        raise X12WriteError("TD101 packaging code and TD102 lading quantity go together")
    if weight is not None and not uom:
        raise X12WriteError("TD108: a weight needs its unit of measure")
    if weight is None:
        ts.add("TD1", code or "", "" if count is None else str(count))
    else:
        ts.add(
            "TD1", code or "", "" if count is None else str(count), "", "", "", "G", writer.format_decimal(weight), uom
        )


def _shipment_level(ts: writer.TransactionSet, s: Shipment, with_bol: bool) -> None:
    _add_td1(ts, s.packaging_code, s.lading_quantity, s.gross_weight, s.weight_uom)
    if s.carrier_scac or s.transport_mode or s.carrier_service:
        ts.add(
            "TD5",
            "",
            "2" if s.carrier_scac else "",
            s.carrier_scac or "",
            s.transport_mode or "",
            s.carrier_service or "",
        )
    if s.bill_of_lading and with_bol:
        ts.add("REF", "BM", s.bill_of_lading)
    for number in s.tracking_numbers:
        ts.add("REF", "CN", number)
    written = {("BM", s.bill_of_lading)} | {("CN", number) for number in s.tracking_numbers}
    for ref in s.references:
        if (ref.qualifier, ref.value) not in written:  # a 945's bill of lading is also one of its references
            ts.add("REF", ref.qualifier, ref.value, ref.description)
    ts.add("DTM", "011", fmt_date(s.ship_date) or "", s.ship_time or "")
    if s.delivery_date is not None:
        ts.add("DTM", "017", fmt_date(s.delivery_date))
    add_parties(ts, s.parties)


def _order(tree: _Tree, top: int, order: ShipmentOrder, profile: str, bill_of_lading: str | None) -> None:
    where = f"856 order {order.po_number}"
    if profile == "SOI" and (order.pallets or order.packages):
        raise X12WriteError(f"{where}: profile SOI has no pack or tare level; use SOPI or SOTPI")
    if profile != "SOI" and order.lines:
        raise X12WriteError(f"{where}: profile {profile} puts items inside packs, not straight under the order")
    if profile == "SOPI" and order.pallets:
        raise X12WriteError(f"{where}: profile SOPI has no tare level; use SOTPI for pallets")
    hl = tree.open(top, "O")
    tree.ts.add("PRF", order.po_number, "", "", fmt_date(order.po_date) or "")
    if bill_of_lading:
        tree.ts.add("REF", "BM", bill_of_lading)
    for ref in order.references:
        if (ref.qualifier, ref.value) != ("BM", bill_of_lading):
            tree.ts.add("REF", ref.qualifier, ref.value, ref.description)
    if order.store:
        tree.ts.add("N1", "BY", None, "92", order.store)
    for pallet in order.pallets:
        _pallet(tree, hl, pallet)
    for package in order.packages:
        _package(tree, hl, package)
    for line in order.lines:
        _item(tree, hl, line)


def _man_gm(tree: _Tree, sscc: str | None, hl: int) -> None:
    if sscc is None:
        return
    try:
        tree.ts.add("MAN", "GM", with_ai(sscc))
    except ValueError as exc:
        level = {"T": "tare", "P": "pack"}.get(str(tree.hls[hl - 1][3]), "")
        raise X12WriteError(f"856 {level} HL {hl}: {exc}") from None


def _pallet(tree: _Tree, parent: int, pallet: Pallet) -> None:
    hl = tree.open(parent, "T")
    _man_gm(tree, pallet.sscc, hl)
    for package in pallet.packages:
        _package(tree, hl, package)


def _package(tree: _Tree, parent: int, package: Package) -> None:
    hl = tree.open(parent, "P")
    _add_td1(tree.ts, None, None, package.weight, package.weight_uom)
    _man_gm(tree, package.sscc, hl)
    if package.tracking_number:
        tree.ts.add("MAN", "CP", package.tracking_number)
    for line in package.lines:
        _item(tree, hl, line)


def _item(tree: _Tree, parent: int, line: ShipmentLine) -> None:
    hl = tree.open(parent, "I")
    if not line.product_ids:
        raise X12WriteError(f"856 item HL {hl}: LIN needs at least one product ID pair")
    add = tree.ts.add
    add("LIN", line.line_number or "", *pairs(line.product_ids, f"856 item HL {hl}"))
    quantity = line.quantity
    tree.units += quantity
    if line.ordered_quantity is None:
        add("SN1", "", writer.format_decimal(quantity), line.uom)
    else:
        add(
            "SN1",
            "",
            writer.format_decimal(quantity),
            line.uom,
            "",
            writer.format_decimal(line.ordered_quantity),
            line.uom,
        )
    if line.pack is not None or line.inner_pack is not None:  # PO401 pack and PO414 inner pack as the PO had them
        inner = "" if line.inner_pack is None else str(line.inner_pack)
        add("PO4", "" if line.pack is None else str(line.pack), *[""] * 12, inner)
    if line.description:
        add("PID", "F", "", "", "", line.description)
    if line.lot:
        add("REF", "LT", line.lot)


# --- business rule ------------------------------------------------------------------------------------------


def _warning(message: str, seg: Segment) -> X12Error:
    return X12Error(
        Level.TRANSACTION,
        E.RULE_HL_PARENT,
        message,
        segment_id=seg.id,
        segment_position=seg.position,
        offset=seg.offset,
        severity=Severity.WARNING,
    )


@register_rule("856")
def check_hl_tree(ts: ReadSet) -> list[X12Error]:
    """Warn on HL segments without a known parent and on MAN*GM SSCCs whose check digit is wrong."""
    found: list[X12Error] = []
    seen: set[str] = set()
    for seg in ts.segments:
        if seg.id == "HL":
            hl_id, parent = seg.get(1).strip(), seg.get(2).strip()
            if not parent and hl_id != "1":
                found.append(_warning(f"HL {hl_id} has no parent (HL02 is empty): attached by inference", seg))
            elif parent and parent not in seen:
                found.append(_warning(f"HL {hl_id} names parent {parent!r}, which is no earlier HL", seg))
            seen.add(hl_id)
        elif seg.id == "MAN":
            for q in (1, 4):
                value = seg.get(q + 1).strip()
                if seg.get(q) != "GM" or normalize_sscc(value) is None:
                    continue
                sscc = normalize_sscc(value)
                assert sscc is not None
                if gs1_check_digit(sscc[:17]) != sscc[17]:
                    found.append(
                        _warning(
                            f"MAN*GM {value}: SSCC check digit {sscc[17]} is wrong "
                            f"(should be {gs1_check_digit(sscc[:17])})",
                            seg,
                        )
                    )
    return found
