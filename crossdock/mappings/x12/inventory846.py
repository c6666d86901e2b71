"""The 846 Inventory Inquiry/Advice both ways: crossdock sends stock levels to partners and reads a warehouse's.

Written: ``BIA*<purpose>*<type>*<report id>*<date>``, one N1 loop per party, one LIN loop per item (LIN01
the item's own line number when it has one, then every product id pair), PID*F for the description, one
QTY per quantity qualifier (33 available, 17 on hand, 02 cumulative ...) with the item's unit in QTY03, and
CTT with the item count. An item without quantities carries its unit in a LIN-level UIT so it survives.

Read: the same, tolerating what the corpus shows: LIN without LIN01, units sent in UIT after the QTY
instead of QTY03, decimal quantities in feet. ``InventoryItem`` has one unit, so the first one seen wins.
"""

from __future__ import annotations

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventoryItem, InventorySnapshot
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.values import HeaderReader, decimal, elem, id_pairs, x12_date
from crossdock.mappings.x12.whse940 import add_segments, party_segments
from crossdock.mappings.x12.writer import Element, TransactionSet, X12WriteError

MAX_LIN_PAIRS = 15


def _lin(item: InventoryItem, position: int) -> list[Element]:
    if not item.product_ids:
        raise X12WriteError(f"846 item {position}: LIN needs at least one product id")
    if len(item.product_ids) > MAX_LIN_PAIRS:
        raise X12WriteError(f"846 item {position}: LIN holds at most {MAX_LIN_PAIRS} product id pairs")
    pairs: list[Element] = [v for pair in item.product_ids.items() for v in pair]
    return ["LIN", item.line_number, *pairs]


def build_846(snapshot: InventorySnapshot, control: str) -> TransactionSet:
    """The 846 for ``snapshot`` (layout in the module doc); quantities are written as explicit decimals."""
    if not snapshot.items:
        raise X12WriteError(f"846 {snapshot.report_id}: an inventory advice needs at least one item")
    ts = TransactionSet("846", control)
    ts.add("BIA", snapshot.purpose, snapshot.report_type, snapshot.report_id, snapshot.report_date.strftime("%Y%m%d"))
    add_segments(ts, [seg for party in snapshot.parties for seg in party_segments(party)])
    for position, item in enumerate(snapshot.items, 1):
        add_segments(ts, [_lin(item, position)])
        if item.description:
            ts.add("PID", "F", None, None, None, item.description)
        if not item.quantities:
            ts.add("UIT", item.uom)
        for qualifier, quantity in item.quantities.items():
            ts.add("QTY", qualifier, quantity, item.uom)
    ts.add("CTT", len(snapshot.items))
    return ts


def inventory_from_846(ts: ReadSet) -> InventorySnapshot:
    """Map one 846 set; a BIA without a readable report date is refused (the snapshot needs its date)."""
    if ts.code != "846":
        raise DecodeError(f"expected an 846, got {ts.code}")
    header: dict[str, str] = {}
    parties = HeaderReader()
    items: list[InventoryItem] = []
    units: dict[int, str] = {}
    for seg in ts.segments[1:]:
        sid = seg.id
        if sid == "BIA":
            header = {"purpose": seg.get(1).strip(), "type": seg.get(2).strip(), "id": seg.get(3).strip()}
            header["date"] = seg.get(4)
        elif sid == "LIN":
            items.append(InventoryItem(line_number=seg.get(1) or None, product_ids=id_pairs(seg.elements, 2)))
        elif not items:
            parties.feed(seg)
        elif sid == "PID" and (description := elem(seg, 5)):
            item = items[-1]
            item.description = f"{item.description} {description}" if item.description else description
        elif sid == "QTY":
            quantity = decimal(seg.get(2))
            if quantity is not None and (qualifier := seg.get(1).strip()):
                items[-1].quantities[qualifier] = quantity
            if unit := seg.component(3, 1).strip():
                units.setdefault(len(items) - 1, unit)
        elif sid == "UIT" and (unit := seg.component(1, 1).strip()):
            units.setdefault(len(items) - 1, unit)
    report_date = x12_date(header.get("date", ""))
    if report_date is None:
        raise DecodeError(f"846 {ts.control}: BIA04 {header.get('date')!r} is not a report date")
    for index, unit in units.items():
        items[index].uom = unit
    return InventorySnapshot(
        report_id=header["id"],
        report_date=report_date,
        purpose=header["purpose"] or "00",
        report_type=header["type"] or "SI",
        parties=parties.parties,
        items=items,
    )
