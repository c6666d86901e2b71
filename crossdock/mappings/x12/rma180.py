"""The X12 180 (return merchandise authorization): read from an EDI buyer into a ``Return``, written to a 3PL.

What crossdock writes (and reads back the same way):

- ``BGN*00*<RMA>*<date>``: BGN02 is the RMA number the parcel is matched by; it is also the return's id. A return
  cancelled after the 3PL was told goes again with BGN01 ``01`` (cancellation), the same RMA and lines.
- ``PRF*<PO>``: the order's PO number; ``N9*RZ`` the RMA again (returned goods authorization), ``N9*DO`` the
  warehouse order number the 940 gave the order (W0502), ``N9*CO`` the channel's order id.
- ``N1*DE``: the depositor (our code at the 3PL), when configured.
- One ``BLI`` loop per returned line: ``BLI*SK*<sku>*<quantity>*<unit>`` (``BLI*LI*<line>`` when the line has
  no SKU), ``N9*LI`` its order line number, ``NTE*GEN*<reason>: <the buyer's words>``.

From a buyer, BGN02 is the return's id (BGN01 ``01`` cancels it), ``N9*RZ`` its RMA number when sent; the PO
number is PRF01 of the header, else of the first BLI loop; a line's product is the first of its BLI qualifier/id
pairs with SK, VN, BP, UP or IN; the reason is the part of a line NTE before ``:`` when it is one crossdock knows,
else ``other``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import get_args

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Reason, Return, ReturnLine
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.values import decimal, elem, id_pairs

REASONS = get_args(Reason)
SKU_QUALIFIERS = ("SK", "VN", "BP", "UP", "IN")
REASON_TEXT = 80  # one NTE02


def return_from_180(ts: TransactionSet) -> Return:
    ret = Return(channel="", return_id="", po_number="")
    line: ReturnLine | None = None
    for seg in ts.segments[1:]:
        sid = seg.id
        if sid == "BGN":
            ret.return_id = seg.get(2).strip()
            if seg.get(1).strip() == "01":  # cancellation: the buyer withdraws the return it sent
                ret.status = "cancelled"
        elif sid == "PRF" and not ret.po_number:
            ret.po_number = seg.get(1).strip()
        elif sid == "BLI":
            line = _line(seg)
            ret.lines.append(line)
        elif sid == "N9" and line is not None and seg.get(1).strip() == "LI":
            line.line_number = elem(seg, 2)
        elif sid == "N9" and line is None:
            qualifier, value = seg.get(1).strip(), elem(seg, 2)
            if qualifier == "RZ":
                ret.rma_number = value
            elif qualifier == "CO":
                ret.external_id = value
        elif sid == "NTE" and line is not None and (said := elem(seg, 2)):
            reason, _, words = said.partition(":")
            if reason.strip() in REASONS:
                line.reason = reason.strip()  # type: ignore[assignment]
                line.reason_text = words.strip() or None
            else:
                line.reason_text = said[:REASON_TEXT]
    if not ret.return_id:
        raise DecodeError(f"180 {ts.control}: no BGN02 (the return authorization number)")
    if not ret.po_number:
        raise DecodeError(f"180 {ts.control} (return {ret.return_id}): no PRF01 (the PO number)")
    if not ret.lines:
        raise DecodeError(f"180 {ts.control} (return {ret.return_id}): no BLI line")
    return ret


def _line(seg: Segment) -> ReturnLine:
    pairs = id_pairs(seg.elements, 1, 3)
    pairs.update({q: v for q, v in id_pairs(seg.elements, 7).items() if q not in pairs})
    sku = next((pairs[q] for q in SKU_QUALIFIERS if q in pairs), None)
    quantity = decimal(seg.get(3))
    if quantity is None or quantity <= 0:
        raise DecodeError(f"180 BLI {seg.get(2)}: no quantity above 0 (BLI03)")
    return ReturnLine(
        sku=sku, line_number=pairs.get("LI"), product_ids=pairs, quantity=quantity, uom=elem(seg, 4) or "EA"
    )


def build_180(
    ret: Return,
    control: str,
    created: datetime,
    *,
    rma: str,
    order_number: str | None = None,
    depositor: str | None = None,
    cancel: bool = False,
) -> writer.TransactionSet:
    """The 180 telling a 3PL to expect ``ret`` (``cancel``: the same 180 with BGN01 ``01``, cancellation, for a
    return the buyer or channel cancelled after the 3PL was told): see the module doc."""
    if not ret.lines:
        raise writer.X12WriteError(f"return {ret.return_id}: a 180 needs at least one line")
    ts = writer.TransactionSet("180", control)
    ts.add("BGN", "01" if cancel else "00", rma, created.strftime("%Y%m%d"))
    ts.add("PRF", ret.po_number)
    ts.add("N9", "RZ", rma)
    if order_number:
        ts.add("N9", "DO", order_number)
    if ret.external_id:
        ts.add("N9", "CO", ret.external_id)
    if depositor:
        ts.add("N1", "DE", depositor)
    for line in ret.lines:
        quantity = writer.format_decimal(Decimal(line.quantity))
        if line.sku:
            ts.add("BLI", "SK", line.sku, quantity, line.uom)
        elif line.line_number:
            ts.add("BLI", "LI", line.line_number, quantity, line.uom)
        else:
            raise writer.X12WriteError(f"return {ret.return_id}: a line with neither SKU nor line number")
        if line.line_number:
            ts.add("N9", "LI", line.line_number)
        said = f"{line.reason}: {line.reason_text}" if line.reason_text else line.reason
        ts.add("NTE", "GEN", said[:REASON_TEXT])
    return ts
