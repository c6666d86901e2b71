"""865 Purchase Order Change Acknowledgment: canonical ``ChangeAcknowledgment`` to X12 and back.

The seller's answer to an 860, change by change. BCA01 is the 865's own purpose (00), BCA02 the verdict derived
from the line answers like an 855's BAK02 (every change accepted AD, every one rejected RJ, a mix AC, no line
detail AT), BCA03 the PO number, BCA05 the 860's change sequence echoed, BCA06 the PO date, BCA10 the date of
this answer and BCA11 the date of the change it answers. Each change is echoed as its POC (the buyer's line
number exactly as sent, its change code, quantity, unit and price, its item ids) followed by one ACK: IA
accepted, IQ accepted with the quantity in ACK02, IR rejected.
"""

from __future__ import annotations

from crossdock.core.errors import DecodeError
from crossdock.core.models import ChangeAcknowledgment, LineChange, LineChangeAnswer
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.fragments import body, fmt_date, pairs
from crossdock.mappings.x12.poack855 import derive_ack_type
from crossdock.mappings.x12.values import decimal as parse_decimal
from crossdock.mappings.x12.values import elem, id_pairs
from crossdock.mappings.x12.values import x12_date as parse_date
from crossdock.mappings.x12.writer import X12WriteError


def build_865(ack: ChangeAcknowledgment, control: str) -> writer.TransactionSet:
    """One 865 set (ST ... CTT; SE is added when the interchange is written)."""
    if ack.po_date is None:
        raise X12WriteError("BCA06: the 865 needs the PO date (po_date)")
    ts = writer.TransactionSet("865", control)
    ts.add(
        "BCA",
        ack.purpose,
        ack.ack_type or derive_ack_type([line.status for line in ack.lines]),
        ack.po_number,
        "",
        ack.change_sequence or "",
        fmt_date(ack.po_date) or "",
        "",
        "",
        "",
        fmt_date(ack.ack_date) or "",
        fmt_date(ack.change_date) or "",
    )
    for answer in ack.lines:
        _add_line(ts, answer)
    ts.add("CTT", str(len(ack.lines)))
    return ts


def _add_line(ts: writer.TransactionSet, answer: LineChangeAnswer) -> None:
    change = answer.change
    where = f"865 change {change.position} ({change.line_number or 'blank'})"
    if (change.quantity is not None or answer.quantity is not None) and not change.uom:
        raise X12WriteError(f"{where}: a quantity needs its unit of measure (POC05)")
    ts.add(
        "POC",
        change.line_number or "",
        change.change_code,
        "" if change.quantity is None else writer.format_decimal(change.quantity),
        "" if change.quantity_left is None else writer.format_decimal(change.quantity_left),
        change.uom or "" if change.quantity is not None else "",
        "" if change.unit_price is None else writer.format_decimal(change.unit_price),
        "",
        *pairs(change.product_ids, where),
    )
    ts.add(
        "ACK",
        answer.status,
        "" if answer.quantity is None else writer.format_decimal(answer.quantity),
        change.uom or "" if answer.quantity is not None else "",
    )


def change_ack_from_865(ts: ReadSet) -> ChangeAcknowledgment:
    """Read an 865 back (crossdock's own, in the tests; a seller's, should one ever be received)."""
    segs = body(ts)
    bca = next((s for s in segs if s.id == "BCA"), None)
    if bca is None:
        raise DecodeError("865 without a BCA segment")
    lines: list[LineChangeAnswer] = []
    for i, seg in enumerate(segs):
        if seg.id != "POC":
            continue
        ack = next((s for s in segs[i + 1 :] if s.id in ("ACK", "POC")), None)
        lines.append(_read_line(seg, ack if ack is not None and ack.id == "ACK" else None, len(lines) + 1))
    return ChangeAcknowledgment(
        po_number=bca.get(3),
        po_date=parse_date(bca.get(6)),
        purpose=bca.get(1) or "00",
        ack_type=elem(bca, 2),
        change_sequence=elem(bca, 5),
        ack_date=parse_date(bca.get(10)),
        change_date=parse_date(bca.get(11)),
        lines=lines,
    )


def _read_line(poc: Segment, ack: Segment | None, position: int) -> LineChangeAnswer:
    change = LineChange(
        position=position,
        line_number=poc.get(1) or None,
        change_code=poc.get(2),
        quantity=parse_decimal(poc.get(3)),
        quantity_left=parse_decimal(poc.get(4)),
        uom=poc.get(5) or (ack.get(3) if ack is not None else "") or None,
        unit_price=parse_decimal(poc.get(6)),
        product_ids=id_pairs(poc.elements, 8),
    )
    return LineChangeAnswer(
        change=change,
        status=ack.get(1) if ack is not None else "IA",
        quantity=parse_decimal(ack.get(2)) if ack is not None else None,
    )
