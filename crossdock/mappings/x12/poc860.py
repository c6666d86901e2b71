"""Reading an inbound 860 (buyer's PO change) into an ``OrderChange``, plus the small readers other maps share.

The change is applied later to the stored 850 by PO number and the partner's raw line number (POC01), so the
line number is kept exactly as sent and the PO number is only trimmed of the padding some senders add
(``SP7301 `` in the Nissan sample). Values that are not what the standard says (BCH06 = ``PO DATE``) become
None instead of failing the whole document: the validator reports them, the mapping carries on.
"""

from __future__ import annotations

from crossdock.core.errors import DecodeError
from crossdock.core.models import DateRef, LineChange, OrderChange, Reference
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.values import HeaderReader, date_ref, decimal, elem, id_pairs, reference, x12_date


def _line_change(seg: Segment, position: int) -> LineChange:
    return LineChange(
        position=position,
        line_number=seg.get(1) or None,
        change_code=seg.get(2).strip(),
        quantity=decimal(seg.get(3)),
        quantity_left=decimal(seg.get(4)),
        uom=seg.component(5, 1).strip() or None,
        unit_price=decimal(seg.get(6)),
        product_ids=id_pairs(seg.elements, 8),
    )


def change_from_860(ts: TransactionSet) -> OrderChange:
    """Map one 860 set: BCH header, REF/N9 references, DTM dates, header N1 loops and POC lines.

    BCH04 (release) and BCH08 (contract) are kept as references RE and CT; N1 loops inside the POC detail
    belong to a line, which ``LineChange`` has no place for, so they are skipped.
    """
    if ts.code != "860":
        raise DecodeError(f"expected an 860, got {ts.code}")
    change: OrderChange | None = None
    references: list[Reference] = []
    dates: list[DateRef] = []
    lines: list[LineChange] = []
    parties = HeaderReader()
    for seg in ts.segments[1:]:
        if seg.id == "BCH":
            change = OrderChange(
                po_number=seg.get(3).strip(),
                purpose=seg.get(1).strip(),
                order_type=elem(seg, 2),
                order_date=x12_date(seg.get(6)),
                change_date=x12_date(seg.get(11)),
                change_sequence=elem(seg, 5),
            )
            for k, qualifier in ((4, "RE"), (8, "CT")):
                if value := elem(seg, k):
                    references.append(Reference(qualifier=qualifier, value=value, description=f"BCH{k:02d}"))
        elif seg.id == "POC":
            lines.append(_line_change(seg, len(lines) + 1))
        elif lines:
            continue  # detail level: PID, SCH, line N1 loops ...
        elif parties.feed(seg):
            continue
        elif seg.id in ("REF", "N9"):
            if ref := reference(seg):
                references.append(ref)
        elif seg.id == "DTM":
            dates.append(date_ref(seg.elements))
    if change is None:
        raise DecodeError(f"860 {ts.control} has no BCH segment")
    change.references, change.dates, change.parties, change.lines = references, dates, parties.parties, lines
    return change
