"""855 Purchase Order Acknowledgment: canonical ``OrderAcknowledgment`` to X12 and back.

Traps this mapping handles (see tests/data/corpus/FINDINGS.md, 855):

* PO101 echoes the partner's raw line number exactly: blank stays blank, "0001" stays "0001".
* BAK02 is derived from the line statuses when crossdock writes it (``ack_type`` None): every line IA -> AD,
  every line rejected (IR, R1-R8) -> RJ, anything else (a change, backorder, date, substitution or a mix of
  accepted and rejected lines) -> AC; no lines at all -> AT.
* ACK04/ACK05 carry a date only when the line has one: the 855 for an order sets the scheduled ship date (068)
  on each line for a partner that wants it (``scheduled_ship``), and PO105 echoes the PO's price basis for a
  partner whose guide asks for it (``price_basis``; blank otherwise, as before).
* On reading, BAK02 is not trusted: when the lines carry ACK segments, ``ack_type`` is derived from them
  (a partner's "AD" over IR lines becomes "AC"); only an 855 without line ACKs keeps the BAK02 it declares.

"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from crossdock.core.errors import DecodeError
from crossdock.core.models import LineAcknowledgment, Order, OrderAcknowledgment, Party
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.fragments import add_parties, body, fmt_date, pairs, read_party
from crossdock.mappings.x12.values import decimal as parse_decimal
from crossdock.mappings.x12.values import id_pairs
from crossdock.mappings.x12.values import x12_date as parse_date
from crossdock.mappings.x12.writer import X12WriteError

ACCEPTED = frozenset({"IA"})
REJECTED = frozenset({"IR", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"})
HEADER_REJECTIONS = frozenset({"RJ", "RD", "RF", "RN", "RO", "RV"})
DEFAULT_DATE_QUALIFIER = "068"  # current schedule ship
NEEDS_DATE = frozenset({"DR"})
REQUESTED_SHIP = ("010", "037")  # the order's dates (DTM 374) a scheduled ship date is taken from, best first


def scheduled_ship(order: Order, ack_date: date, lead_days: int | None) -> date | None:
    """ACK05 under 068 (current schedule ship): the order's requested ship date (DTM 010, else its ship-not-before
    037), else the acknowledgment's date plus the partner's lead time, else none."""
    for qualifier in REQUESTED_SHIP:
        when = next((d.date for d in order.dates if d.qualifier == qualifier and d.date is not None), None)
        if when is not None:
            return when
    return ack_date + timedelta(days=lead_days) if lead_days is not None else None


def derive_ack_type(statuses: Sequence[str]) -> str:
    """BAK02 from the line statuses (ACK01): AD, AC, RJ, or AT when there is no line detail."""
    if not statuses:
        return "AT"
    if all(s in ACCEPTED for s in statuses):
        return "AD"
    if all(s in REJECTED for s in statuses):
        return "RJ"
    return "AC"


def build_855(ack: OrderAcknowledgment, control: str) -> writer.TransactionSet:
    """One 855 set (ST ... CTT; SE is added when the interchange is written)."""
    if ack.po_date is None:
        raise X12WriteError("BAK04: the 855 needs the PO date (po_date), the key partners match it on")
    ts = writer.TransactionSet("855", control)
    bak02 = ack.ack_type or derive_ack_type([line.status for line in ack.lines])
    ts.add(
        "BAK",
        ack.purpose,
        bak02,
        ack.po_number,
        fmt_date(ack.po_date) or "",
        "",
        "",
        "",
        "",
        fmt_date(ack.ack_date) or "",
    )
    add_parties(ts, ack.parties)
    for line in ack.lines:
        _add_line(ts, line)
    ts.add("CTT", str(len(ack.lines)))
    return ts


def _add_line(ts: writer.TransactionSet, line: LineAcknowledgment) -> None:
    where = f"855 line {line.position} ({line.line_number or 'blank'})"
    echoed = line.ordered_quantity if line.ordered_quantity is not None else line.quantity
    if (echoed is not None or line.quantity is not None) and not line.uom:
        raise X12WriteError(f"{where}: a quantity needs its unit of measure (PO103/ACK03)")
    ts.add(
        "PO1",
        line.line_number or "",
        "" if echoed is None else writer.format_decimal(echoed),
        line.uom if echoed is not None else "",
        "" if line.unit_price is None else writer.format_decimal(line.unit_price),
        line.price_basis or "",
        *pairs(line.product_ids, where),
    )
    qualifier = line.date_qualifier or (DEFAULT_DATE_QUALIFIER if line.date else None)
    if line.date is None and (line.date_qualifier or line.status in NEEDS_DATE):
        raise X12WriteError(f"{where}: ACK {line.status} with a date qualifier needs the date (ACK05)")
    quantity = line.quantity
    ts.add(
        "ACK",
        line.status,
        "" if quantity is None else writer.format_decimal(quantity),
        line.uom if quantity is not None else "",
        qualifier or "",
        fmt_date(line.date) or "",
    )


def ack_from_855(ts: ReadSet) -> OrderAcknowledgment:
    """Read a received 855; line statuses come from ACK, and BAK02 only when no line has one."""
    segs = body(ts)
    bak = next((s for s in segs if s.id == "BAK"), None)
    if bak is None:
        raise DecodeError("855 without a BAK segment")
    declared = bak.get(2)
    parties: list[Party] = []
    lines: list[LineAcknowledgment] = []
    acked = False
    i = 0
    while i < len(segs):
        seg = segs[i]
        if seg.id == "N1" and not lines:
            party, i = read_party(segs, i)
            parties.append(party)
            continue
        if seg.id == "PO1":
            j = i + 1
            while j < len(segs) and segs[j].id not in ("PO1", "CTT", "SE"):
                j += 1
            line, has_ack = _read_line(seg, segs[i + 1 : j], len(lines) + 1, declared)
            acked = acked or has_ack
            lines.append(line)
            i = j
            continue
        i += 1
    ack_type = derive_ack_type([line.status for line in lines]) if acked else (declared or None)
    return OrderAcknowledgment(
        po_number=bak.get(3),
        po_date=parse_date(bak.get(4)),
        purpose=bak.get(1) or "00",
        ack_type=ack_type,
        ack_date=parse_date(bak.get(9)),
        parties=parties,
        lines=lines,
    )


def _read_line(po1: Segment, loop: list[Segment], position: int, declared: str) -> tuple[LineAcknowledgment, bool]:
    """One PO1 loop; several ACKs (IP + DR + IQ ...) give the first status, quantity and date found.

    A line without ACK (grocery AP, automotive AT) takes the header's verdict: IR under a rejection, else IA.
    """
    acks = [s for s in loop if s.id == "ACK"]
    status = acks[0].get(1) if acks else ("IR" if declared in HEADER_REJECTIONS else "IA")
    quantity = next((q for a in acks if (q := parse_decimal(a.get(2))) is not None), None)
    uom = next((a.get(3) for a in acks if a.get(3)), None) or po1.get(3) or None
    dated = next((a for a in acks if a.get(5)), None)
    return (
        LineAcknowledgment(
            position=position,
            line_number=po1.get(1) or None,
            status=status,
            quantity=quantity,
            uom=uom,
            date=parse_date(dated.get(5)) if dated else None,
            date_qualifier=(dated.get(4) or None) if dated else None,
            ordered_quantity=parse_decimal(po1.get(2)),
            unit_price=parse_decimal(po1.get(4)),
            product_ids=id_pairs(po1.elements, 6),
            price_basis=po1.get(5) or None,
        ),
        bool(acks),
    )
