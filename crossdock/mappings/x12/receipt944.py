"""Reading a 3PL's 944 (warehouse stock transfer receipt advice) for returned goods into a ``ReturnReceipt``.

- The RMA is ``N9*RZ`` when sent, else W1704 (the depositor's number for what came in: the RMA crossdock's 180
  gave in BGN02, or its 943 in W0602, which a 3PL answering a 943 echoes here); ``N9*PO`` is the PO number, W1702
  the day received.
- Each W07 is a line: W0701 units received in all, W0702 the unit, the product from the W0704..W0707 and
  W0710/11 pairs (SK, VN, BP, UP, IN; W0703 as UP), ``N9*LI`` in its loop the order line number.
- Each W13 under it takes W1301 of those units out of the good ones in the condition W1303 says: 01 damaged,
  anything else ``other`` (the receiving condition code list is not checked against the published one here).
  Only the units left good are ``sellable``; W13s adding up to more than W0701 are refused.
- The warehouse is the partner the 944 came from (set by the hub, not read here).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Condition, ReceivedLine, ReturnReceipt
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.values import decimal, elem, id_pairs, x12_date

SKU_QUALIFIERS = ("SK", "VN", "BP", "UP", "IN")
CONDITIONS: dict[str, Condition] = {"01": "damaged"}


def receipt_from_944(ts: TransactionSet) -> ReturnReceipt:
    receipt = ReturnReceipt(warehouse="")
    depositor_number = None
    item: _Item | None = None
    items: list[_Item] = []
    for seg in ts.segments[1:]:
        sid = seg.id
        if sid == "W17":
            day = x12_date(seg.get(2))
            receipt.received = None if day is None else _midnight(day)
            depositor_number = elem(seg, 4)
        elif sid == "W07":
            item = _Item(seg, ts.control)
            items.append(item)
        elif sid == "W13" and item is not None:
            item.exception(seg, ts.control)
        elif sid == "N9" and item is not None and seg.get(1).strip() == "LI":
            item.line_number = elem(seg, 2)
        elif sid == "N9" and item is None:
            qualifier = seg.get(1).strip()
            if qualifier == "RZ":
                receipt.rma_number = elem(seg, 2)
            elif qualifier == "PO":
                receipt.po_number = elem(seg, 2)
        elif sid == "W14":
            item = None
    receipt.rma_number = receipt.rma_number or depositor_number
    if not receipt.rma_number and not receipt.po_number:
        raise DecodeError(f"944 {ts.control}: neither N9*RZ, W1704 nor N9*PO names what was received")
    if not items:
        raise DecodeError(f"944 {ts.control}: no W07 line")
    receipt.lines = [line for i in items for line in i.lines()]
    return receipt


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


class _Item:
    """One W07 loop: its units, and those its W13s set aside in another condition."""

    def __init__(self, seg: Segment, control: str) -> None:
        quantity = decimal(seg.get(1))
        if quantity is None or quantity <= 0:
            raise DecodeError(f"944 {control}: W07 {seg.text!r}: no quantity above 0 (W0701)")
        self.quantity = quantity
        self.uom = elem(seg, 2) or "EA"
        pairs = id_pairs(seg.elements, 4, 8)
        pairs.update({q: v for q, v in id_pairs(seg.elements, 10).items() if q not in pairs})
        if upc := elem(seg, 3):
            pairs.setdefault("UP", upc)
        self.sku = next((pairs[q] for q in SKU_QUALIFIERS if q in pairs), None)
        self.line_number: str | None = None
        self.set_aside: list[tuple[Decimal, Condition]] = []
        self.where = f"944 {control}: W07 {seg.text!r}"

    def exception(self, seg: Segment, control: str) -> None:
        quantity = decimal(seg.get(1))
        if quantity is None or quantity <= 0:
            raise DecodeError(f"944 {control}: W13 {seg.text!r}: no quantity above 0 (W1301)")
        self.set_aside.append((quantity, CONDITIONS.get(seg.get(3).strip(), "other")))

    def lines(self) -> list[ReceivedLine]:
        if self.sku is None and self.line_number is None:
            raise DecodeError(f"{self.where}: no product (SK, VN, BP, UP, IN) and no N9*LI")
        aside = sum((q for q, _ in self.set_aside), Decimal(0))
        if aside > self.quantity:
            raise DecodeError(f"{self.where}: W13s set aside {aside}, more than the {self.quantity} received")
        out = []
        if self.quantity - aside > 0:
            out.append(self._line(self.quantity - aside, "sellable"))
        out.extend(self._line(q, condition) for q, condition in self.set_aside)
        return out

    def _line(self, quantity: Decimal, condition: Condition) -> ReceivedLine:
        return ReceivedLine(
            sku=self.sku, line_number=self.line_number, quantity=quantity, uom=self.uom, condition=condition
        )
