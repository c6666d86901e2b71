"""Reading an inbound 860 (buyer's PO change) into an ``OrderChange``, plus the small readers other maps share.

The change is applied later to the stored 850 by PO number and the partner's raw line number (POC01), so the
line number is kept exactly as sent and the PO number is only trimmed of the padding some senders add
(``SP7301 `` in the Nissan sample). Values that are not what the standard says (BCH06 = ``PO DATE``) become
None instead of failing the whole document: the validator reports them, the mapping carries on.

``parse_date``, ``parse_decimal``, ``product_ids``, ``HeaderReader`` are shared with the 945 and 846 readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from crossdock.core.errors import PermanentError
from crossdock.core.models import Address, Contact, DateRef, LineChange, OrderChange, Party, Reference
from crossdock.mappings.x12.envelope import Segment, TransactionSet

PARTY_DETAIL = frozenset({"N2", "N3", "N4", "PER"})


def parse_date(value: str) -> date | None:
    """CCYYMMDD, or YYMMDD as 003010 and older send it (pivot 50); anything else is None."""
    v = value.strip()
    if not v.isdigit():
        return None
    try:
        if len(v) == 8:
            return date(int(v[:4]), int(v[4:6]), int(v[6:]))
        if len(v) == 6:
            yy = int(v[:2])
            return date((2000 if yy < 50 else 1900) + yy, int(v[2:4]), int(v[4:]))
    except ValueError:
        return None
    return None


def parse_decimal(value: str) -> Decimal | None:
    """An R/N0 value as Decimal; empty or non-numeric is None (the validator reports the latter)."""
    v = value.strip()
    if not v:
        return None
    try:
        d = Decimal(v)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def text(seg: Segment, i: int) -> str | None:
    """Element ``i`` trimmed, or None when empty."""
    v = seg.get(i).strip()
    return v or None


def product_ids(seg: Segment, first: int, last: int | None = None) -> dict[str, str]:
    """Every qualifier/value pair from element ``first`` on (in any order; the first use of a qualifier wins)."""
    ids: dict[str, str] = {}
    stop = len(seg) if last is None else min(last, len(seg))
    for k in range(first, stop, 2):
        qualifier, value = seg.get(k).strip(), seg.get(k + 1).strip()
        if qualifier and value:
            ids.setdefault(qualifier, value)
    return ids


def reference(seg: Segment) -> Reference | None:
    """REF or N9: qualifier, value (or the free-form description when only that is sent)."""
    qualifier, value, description = text(seg, 1), text(seg, 2), text(seg, 3)
    if qualifier is None or (value is None and description is None):
        return None
    return Reference(qualifier=qualifier, value=value or "", description=description)


def date_ref(seg: Segment) -> DateRef:
    """DTM: qualifier, date, time and time zone (``DTM*003*20030910*105920*PD``)."""
    return DateRef(qualifier=seg.get(1).strip(), date=parse_date(seg.get(2)), time=text(seg, 3), time_zone=text(seg, 4))


def contact(seg: Segment) -> Contact:
    """PER: function, name and up to three communication numbers."""
    c = Contact(function=text(seg, 1), name=text(seg, 2))
    for k in (3, 5, 7):
        kind, number = seg.get(k).strip(), text(seg, k + 1)
        if kind == "TE" and c.phone is None:
            c.phone = number
        elif kind == "FX" and c.fax is None:
            c.fax = number
        elif kind == "EM" and c.email is None:
            c.email = number
    return c


@dataclass(slots=True)
class HeaderReader:
    """Collects N1 loops (N1 with its N2/N3/N4/PER) from segments fed in order."""

    parties: list[Party] = field(default_factory=list)
    current: Party | None = None

    def feed(self, seg: Segment) -> bool:
        """Take ``seg`` if it belongs to an N1 loop; return False (and close the loop) otherwise."""
        if seg.id == "N1":
            self.current = Party(role=seg.get(1).strip(), name=text(seg, 2), id_qualifier=text(seg, 3), id=text(seg, 4))
            self.parties.append(self.current)
            return True
        party = self.current
        if party is None or seg.id not in PARTY_DETAIL:
            self.current = None
            return False
        if seg.id == "N2":
            party.extra_names.extend(v for v in (text(seg, 1), text(seg, 2)) if v)
        elif seg.id == "PER":
            party.contacts.append(contact(seg))
        else:
            address = party.address or Address()
            party.address = address
            if seg.id == "N3":
                address.lines.extend(v for v in (text(seg, 1), text(seg, 2)) if v)
            else:
                address.city, address.state = text(seg, 1), text(seg, 2)
                address.postal_code, address.country = text(seg, 3), text(seg, 4)
        return True


def _line_change(seg: Segment, position: int) -> LineChange:
    return LineChange(
        position=position,
        line_number=seg.get(1) or None,
        change_code=seg.get(2).strip(),
        quantity=parse_decimal(seg.get(3)),
        quantity_left=parse_decimal(seg.get(4)),
        uom=seg.component(5, 1).strip() or None,
        unit_price=parse_decimal(seg.get(6)),
        product_ids=product_ids(seg, 8),
    )


def change_from_860(ts: TransactionSet) -> OrderChange:
    """Map one 860 set: BCH header, REF/N9 references, DTM dates, header N1 loops and POC lines.

    BCH04 (release) and BCH08 (contract) are kept as references RE and CT; N1 loops inside the POC detail
    belong to a line, which ``LineChange`` has no place for, so they are skipped.
    """
    if ts.code != "860":
        raise ValueError(f"expected an 860, got {ts.code}")
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
                order_type=text(seg, 2),
                order_date=parse_date(seg.get(6)),
                change_date=parse_date(seg.get(11)),
            )
            for k, qualifier in ((4, "RE"), (8, "CT")):
                if value := text(seg, k):
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
            dates.append(date_ref(seg))
    if change is None:
        raise PermanentError(f"860 {ts.control} has no BCH segment")
    change.references, change.dates, change.parties, change.lines = references, dates, parties.parties, lines
    return change
