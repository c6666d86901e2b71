"""Reading X12 element values into Python values, forgivingly: a bad value becomes None, never a crash.

The validator has already reported what is wrong with a value; the mappings only need the best reading.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from crossdock.core.models import Address, Contact, Party
from crossdock.mappings.x12.envelope import Segment

PAD = [""] * 32  # ``seg.elements + PAD`` can be indexed up to 32 without a length check


def text(value: str) -> str | None:
    """An element's text with padding removed, or None when it is empty."""
    value = value.strip()
    return value or None


def decimal(value: str) -> Decimal | None:
    value = value.strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def implied_decimal(value: str, places: int = 2) -> Decimal | None:
    """An implied-decimal (N2) element: "5635800" is 56358.00."""
    number = decimal(value)
    return None if number is None else number.scaleb(-places)


def x12_date(value: str) -> date | None:
    """CCYYMMDD, or YYMMDD read with a 50-year window (the version-3 files use it)."""
    value = value.strip()
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) == 6 and value.isdigit():
            year = int(value[:2])
            return date(2000 + year if year < 50 else 1900 + year, int(value[2:4]), int(value[4:]))
    except ValueError:
        return None
    return None


def id_pairs(seg: Segment, first: int, last: int) -> dict[str, str]:
    """Qualifier/value pairs from element ``first`` to ``last`` (inclusive), in any order, none assumed."""
    pairs: dict[str, str] = {}
    els = seg.elements
    for i in range(first, min(last, len(els) - 1), 2):
        qualifier, value = els[i].strip(), els[i + 1].strip()
        if qualifier and value and qualifier not in pairs:
            pairs[qualifier] = value
    return pairs


def contact(seg: Segment) -> Contact:
    """PER: function, name, and up to three communication number pairs."""
    e = seg.elements + PAD
    found = Contact(function=text(e[1]), name=text(e[2]))
    for i in (3, 5, 7):
        qualifier, number = e[i].strip(), text(e[i + 1])
        if qualifier == "TE":
            found.phone = number
        elif qualifier == "FX":
            found.fax = number
        elif qualifier == "EM":
            found.email = number
    return found


class PartyBuilder:
    """Collects an N1 loop (N1, N2, N3, N4, PER) into a Party."""

    def __init__(self, n1: Segment) -> None:
        e = n1.elements + PAD
        self.party = Party(role=e[1].strip(), name=text(e[2]), id_qualifier=text(e[3]), id=text(e[4]))

    def add(self, seg: Segment) -> bool:
        """Take a segment that belongs to the loop; False when it is not one of the loop's own."""
        party = self.party
        tag = seg.elements[0]
        if tag == "N2":
            e = seg.elements + PAD
            party.extra_names.extend(v for v in (text(e[1]), text(e[2])) if v)
        elif tag == "N3":
            e = seg.elements + PAD
            party.address = party.address or Address()
            party.address.lines.extend(v for v in (text(e[1]), text(e[2])) if v)
        elif tag == "N4":
            e = seg.elements + PAD
            address = party.address = party.address or Address()
            address.city, address.state, address.postal_code, address.country = (
                text(e[1]),
                text(e[2]),
                text(e[3]),
                text(e[4]),
            )
        elif tag == "PER":
            party.contacts.append(contact(seg))
        else:
            return False
        return True
