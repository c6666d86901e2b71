"""856 reading: a received ship notice's HL tree into a canonical ``Shipment``.

The tree is built from HL01/HL02 links, never from level order. An HL02 that is empty (when HL01 is not the
first) or names no earlier HL is attached to the most recent HL of a higher level, as the partner in
856/oopfactory_retailer_hl-parent-missing.edi needs (``asn856.check_hl_tree`` warns about it). MAN*GM SSCCs
are read in their 18- and 20-digit forms (``Package.sscc`` holds the bare 18 digits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Package, Pallet, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Reference
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.fragments import body, read_party
from crossdock.mappings.x12.sscc import normalize_sscc
from crossdock.mappings.x12.values import decimal as parse_decimal
from crossdock.mappings.x12.values import id_pairs, is_digits
from crossdock.mappings.x12.values import x12_date as parse_date

LEVEL_RANK = {"S": 0, "O": 1, "T": 2, "P": 3, "I": 4}


@dataclass(eq=False)
class _Node:
    hl_id: str
    level: str
    segments: list[Segment] = field(default_factory=list)
    parent: _Node | None = None


def hl_nodes(segs: list[Segment]) -> tuple[list[Segment], list[_Node]]:
    """Split a set into its header segments and HL nodes linked by HL02 (or by inference when HL02 fails)."""
    header: list[Segment] = []
    nodes: list[_Node] = []
    by_id: dict[str, _Node] = {}
    for seg in segs:
        if seg.id == "HL":
            node = _Node(seg.get(1).strip(), seg.get(3).strip())
            parent_id = seg.get(2).strip()
            node.parent = by_id.get(parent_id) if parent_id else None
            if node.parent is None and nodes:
                node.parent = _probable_parent(nodes, node.level)
            by_id.setdefault(node.hl_id, node)
            nodes.append(node)
        elif seg.id == "CTT":
            continue
        elif nodes:
            nodes[-1].segments.append(seg)
        else:
            header.append(seg)
    return header, nodes


def _probable_parent(nodes: list[_Node], level: str) -> _Node | None:
    """The most recent HL of a higher level (for unknown levels: the most recent HL at all)."""
    rank = LEVEL_RANK.get(level)
    for node in reversed(nodes):
        other = LEVEL_RANK.get(node.level)
        if rank is None or (other is not None and other < rank):
            return node
    return None


def _ancestor(node: _Node, levels: str) -> _Node | None:
    up = node.parent
    while up is not None and up.level not in levels:
        up = up.parent
    return up


def shipment_from_856(ts: ReadSet) -> Shipment:
    """Read a received 856 into a Shipment; items with no order above them go to an order with no PO."""
    segs = body(ts)
    bsn = next((s for s in segs if s.id == "BSN"), None)
    if bsn is None:
        raise DecodeError("856 without a BSN segment")
    header, nodes = hl_nodes(segs)
    shipment = Shipment(shipment_id=bsn.get(2), purpose=bsn.get(1) or "00", ship_date=parse_date(bsn.get(3)))
    for seg in header:
        _shipment_segment(shipment, seg)
    orders: dict[int, ShipmentOrder] = {}
    pallets: dict[int, Pallet] = {}
    packages: dict[int, Package] = {}
    loose: dict[str, ShipmentOrder] = {}

    def order_for(node: _Node) -> ShipmentOrder:
        found = _ancestor(node, "O")
        if found is not None and id(found) in orders:
            return orders[id(found)]
        prf = next((s for s in node.segments if s.id == "PRF"), None)
        po = prf.get(1) if prf else ""
        if po not in loose:
            loose[po] = ShipmentOrder(po_number=po, po_date=parse_date(prf.get(4)) if prf else None)
            shipment.orders.append(loose[po])
        return loose[po]

    for node in nodes:
        if node.level == "S":
            i = 0
            while i < len(node.segments):
                if node.segments[i].id == "N1":
                    party, i = read_party(node.segments, i)
                    shipment.parties.append(party)
                else:
                    _shipment_segment(shipment, node.segments[i])
                    i += 1
        elif node.level == "O":
            orders[id(node)] = _read_order(node)
            shipment.orders.append(orders[id(node)])
        elif node.level == "T":
            pallets[id(node)] = Pallet(sscc=_sscc(node.segments))
            order_for(node).pallets.append(pallets[id(node)])
        elif node.level == "P":
            packages[id(node)] = _read_package(node.segments)
            holder = _ancestor(node, "TO")
            if holder is not None and id(holder) in pallets:
                pallets[id(holder)].packages.append(packages[id(node)])
            else:
                order_for(node).packages.append(packages[id(node)])
        elif node.level == "I":
            line = _read_item(node.segments)
            holder = _ancestor(node, "PTO")
            if holder is not None and id(holder) in packages:
                packages[id(holder)].lines.append(line)
            else:
                order_for(node).lines.append(line)
    return shipment


def _shipment_segment(s: Shipment, seg: Segment) -> None:
    if seg.id == "TD1" and s.packaging_code is None and s.gross_weight is None:
        s.packaging_code = seg.get(1) or None
        s.lading_quantity = int(seg.get(2)) if is_digits(seg.get(2)) else None
        s.gross_weight = parse_decimal(seg.get(7))
        s.weight_uom = seg.get(8) or None
    elif seg.id == "TD5" and not (s.carrier_scac or s.transport_mode or s.carrier_service):
        s.carrier_scac = (seg.get(3) or None) if seg.get(2) == "2" else None
        s.transport_mode = seg.get(4) or None
        s.carrier_service = seg.get(5) or None
    elif seg.id == "REF":
        if seg.get(1) == "BM" and s.bill_of_lading is None:
            s.bill_of_lading = seg.get(2)
        elif seg.get(1) == "CN":
            s.tracking_numbers.append(seg.get(2))
        else:
            s.references.append(Reference(qualifier=seg.get(1), value=seg.get(2), description=seg.get(3) or None))
    elif seg.id == "DTM" and seg.get(1) == "011":
        s.ship_date = parse_date(seg.get(2)) or s.ship_date
        s.ship_time = seg.get(3) or None
    elif seg.id == "DTM" and seg.get(1) == "017":
        s.delivery_date = parse_date(seg.get(2))


def _read_order(node: _Node) -> ShipmentOrder:
    prf = next((s for s in node.segments if s.id == "PRF"), None)
    store = next((s.get(4) for s in node.segments if s.id == "N1" and s.get(1) == "BY" and s.get(4)), None)
    return ShipmentOrder(
        po_number=prf.get(1) if prf else "",
        po_date=parse_date(prf.get(4)) if prf else None,
        store=store,
        references=[
            Reference(qualifier=s.get(1), value=s.get(2), description=s.get(3) or None)
            for s in node.segments
            if s.id == "REF" and s.get(2)
        ],
    )


def _sscc(segs: list[Segment]) -> str | None:
    for seg in segs:
        if seg.id == "MAN":
            for q in (1, 4):
                if seg.get(q) == "GM" and seg.get(q + 1):
                    return normalize_sscc(seg.get(q + 1)) or seg.get(q + 1)
    return None


def _read_package(segs: list[Segment]) -> Package:
    package = Package(sscc=_sscc(segs))
    for seg in segs:
        if seg.id == "MAN":
            for q in (1, 4):
                if seg.get(q) == "CP" and seg.get(q + 1) and package.tracking_number is None:
                    package.tracking_number = seg.get(q + 1)
        elif seg.id == "TD1" and package.weight is None and seg.get(7):
            package.weight, package.weight_uom = parse_decimal(seg.get(7)), seg.get(8) or None
        elif seg.id == "PO4" and package.weight is None and seg.get(6):
            package.weight, package.weight_uom = parse_decimal(seg.get(6)), seg.get(7) or None
    return package


def _read_item(segs: list[Segment]) -> ShipmentLine:
    lin = next((s for s in segs if s.id == "LIN"), None)
    sn1 = next((s for s in segs if s.id == "SN1"), None)
    pid = next((s for s in segs if s.id == "PID" and s.get(5)), None)
    lot = next((s.get(2) for s in segs if s.id == "REF" and s.get(1) == "LT" and s.get(2)), None)
    po4 = next((s for s in segs if s.id == "PO4"), None)
    product_ids = id_pairs(lin.elements, 2) if lin else {}
    return ShipmentLine(
        line_number=(lin.get(1) or None) if lin else None,
        product_ids=product_ids,
        quantity=(parse_decimal(sn1.get(2)) if sn1 else None) or Decimal(0),
        uom=(sn1.get(3) if sn1 else "") or "EA",
        ordered_quantity=parse_decimal(sn1.get(5)) if sn1 else None,
        lot=lot or product_ids.get("LT"),
        description=pid.get(5) if pid else None,
        pack=int(po4.get(1)) if po4 and is_digits(po4.get(1)) else None,
        inner_pack=int(po4.get(14)) if po4 and is_digits(po4.get(14)) else None,
    )


__all__ = ["hl_nodes", "shipment_from_856"]
