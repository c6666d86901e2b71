"""Reading X12 element values into Python values, forgivingly: a bad value becomes None, never a crash.

The validator has already reported what is wrong with a value; the mappings only need the best reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from crossdock.core.models import Address, Carrier, Charge, Contact, DateRef, Party, Reference, Terms
from crossdock.core.order_details import (
    Characteristic,
    LineSchedule,
    Packing,
    SalesRequirement,
    ShippingTerms,
)
from crossdock.mappings.x12.envelope import Segment

PAD = [""] * 32  # ``seg.elements + PAD`` can be indexed up to 32 without a length check


def padded(elements: list[str], last: int) -> list[str]:
    """``elements`` indexable up to ``last`` without a length check (copied only when it is shorter)."""
    return elements if len(elements) > last else elements + PAD


def text(value: str) -> str | None:
    """An element's text with padding removed, or None when it is empty."""
    value = value.strip()
    return value or None


def decimal(value: str) -> Decimal | None:
    if not value or value.isspace():  # the common empty element, without paying for Decimal's exception
        return None
    try:
        number = Decimal(value)  # surrounding blanks are allowed
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def is_digits(value: str) -> bool:
    """0-9 and nothing else: ``str.isdigit`` also takes "²" (which ``int`` refuses) and other scripts' digits."""
    return value.isascii() and value.isdigit()


def integer(value: str) -> int | None:
    """A whole number (N0, or an R value that should be whole), truncated like ``int(Decimal)``."""
    if is_digits(value):
        return int(value)
    number = decimal(value)
    return int(number) if number is not None else None


def implied_decimal(value: str, places: int = 2) -> Decimal | None:
    """An implied-decimal (N2) element: "5635800" is 56358.00."""
    number = decimal(value)
    return None if number is None else number.scaleb(-places)


def x12_date(value: str) -> date | None:
    """CCYYMMDD, or YYMMDD read with a 50-year window (the version-3 files use it)."""
    value = value.strip()
    try:
        if len(value) == 8 and is_digits(value):
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) == 6 and is_digits(value):
            year = int(value[:2])
            return date(2000 + year if year < 50 else 1900 + year, int(value[2:4]), int(value[4:]))
    except ValueError:
        return None
    return None


def id_pairs(elements: list[str], first: int, last: int | None = None) -> dict[str, str]:
    """Qualifier/value pairs from element ``first`` on (qualifiers before ``last``), in any order, none assumed.

    The first value of a repeated qualifier wins.
    """
    stop = len(elements) - 1 if last is None else min(last, len(elements) - 1)
    pairs: dict[str, str] = {}
    for i in range(first, stop, 2):
        qualifier, value = elements[i].strip(), elements[i + 1].strip()
        if qualifier and value and qualifier not in pairs:
            pairs[qualifier] = value
    return pairs


def elem(seg: Segment, i: int) -> str | None:
    """Element ``i`` trimmed, or None when empty."""
    return text(seg.get(i))


def reference(seg: Segment) -> Reference | None:
    """REF or N9: qualifier, value (or only the free-form description, which some senders use)."""
    qualifier, value, description = elem(seg, 1), elem(seg, 2), elem(seg, 3)
    if qualifier is None or (value is None and description is None):
        return None
    return Reference(qualifier=qualifier, value=value or "", description=description)


def contact(elements: list[str]) -> Contact:
    """PER: function, name, and up to three communication number pairs."""
    e = padded(elements, 8)
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


def date_ref(elements: list[str]) -> DateRef:
    """DTM: qualifier, date, time and time zone (``DTM*003*20030910*105920*PD``)."""
    e = padded(elements, 4)
    return DateRef(qualifier=e[1].strip(), date=x12_date(e[2]), time=text(e[3]), time_zone=text(e[4]))


def charge(elements: list[str]) -> Charge:
    """SAC: SAC05 is implied-decimal, SAC07 an explicit percent; SAC03/04 carry agency codes (VICS)."""
    e = padded(elements, 15)
    return Charge(
        indicator=e[1].strip() or "N",
        code=text(e[2]),
        amount=implied_decimal(e[5]),
        percent=decimal(e[7]),
        percent_basis=text(e[6]),
        rate=decimal(e[8]),
        uom=text(e[9]),
        quantity=decimal(e[10]),
        handling=text(e[12]),
        agency=text(e[3]),
        agency_code=text(e[4]),
        reference=text(e[13]),
        description=text(e[15]),
    )


def terms(elements: list[str]) -> Terms:
    """ITD: terms type, basis, discount percent/date/days, net date/days, discount amount (N2), text."""
    e = padded(elements, 12)
    days = decimal(e[5]), decimal(e[7])
    return Terms(
        type_code=text(e[1]),
        basis_date_code=text(e[2]),
        discount_percent=decimal(e[3]),
        discount_due_date=x12_date(e[4]),
        discount_days=int(days[0]) if days[0] is not None else None,
        net_due_date=x12_date(e[6]),
        net_days=int(days[1]) if days[1] is not None else None,
        discount_amount=implied_decimal(e[8]),
        description=text(e[12]),
    )


def carrier(elements: list[str]) -> Carrier:
    """TD5: routing sequence, ID qualifier, SCAC (when TD502 is 2), mode, routing text, service level."""
    e = padded(elements, 12)
    return Carrier(
        routing_sequence=text(e[1]),
        id_qualifier=text(e[2]),
        scac=text(e[3]),
        mode=text(e[4]),
        routing=text(e[5]),
        service_level=text(e[12]),
    )


def characteristic(e: list[str]) -> Characteristic | None:
    """A PID that types what it describes (PID02 other than 08, product), or a structured one (a PID04 code);
    None for a plain description. ``e`` is padded to PID05."""
    code, value_code = text(e[2]), text(e[4])
    if (code is None or code == "08") and value_code is None:
        return None
    return Characteristic(
        kind=e[1].strip() or "F", code=code, agency=text(e[3]), value_code=value_code, text=text(e[5])
    )


def packing(e: list[str]) -> Packing | None:
    """PO402-PO413 (``e`` padded to PO414), or None when only the pack counts were sent."""
    if not any(v.strip() for v in e[2:14]):
        return None
    return Packing(
        size=decimal(e[2]),
        size_uom=text(e[3]),
        packaging_code=text(e[4]),
        weight_qualifier=text(e[5]),
        weight=decimal(e[6]),
        weight_uom=text(e[7]),
        volume=decimal(e[8]),
        volume_uom=text(e[9]),
        length=decimal(e[10]),
        width=decimal(e[11]),
        height=decimal(e[12]),
        dimension_uom=text(e[13]),
    )


def schedule(elements: list[str]) -> LineSchedule:
    """SCH: quantity and unit, the party (SCH03/04), a date or window (SCH05-10), SCH12 its id."""
    e = padded(elements, 12)
    return LineSchedule(
        quantity=decimal(e[1]) or Decimal(0),
        uom=e[2].strip(),
        party_role=text(e[3]),
        party_name=text(e[4]),
        date_qualifier=e[5].strip(),
        date=x12_date(e[6]),
        time=text(e[7]),
        end_date_qualifier=text(e[8]),
        end_date=x12_date(e[9]),
        end_time=text(e[10]),
        reference=text(e[12]),
    )


def sales_requirement(elements: list[str]) -> SalesRequirement:
    """CSH: sales requirement code, action, an amount limit (N2, implied decimal), account, date, percent."""
    e = padded(elements, 9)
    return SalesRequirement(
        code=text(e[1]),
        action=text(e[2]),
        amount=implied_decimal(e[3]),
        account=text(e[4]),
        date=x12_date(e[5]),
        percent=decimal(e[9]),
    )


def shipping_terms(elements: list[str]) -> ShippingTerms:
    """FOB: payment method, location, transportation terms and risk of loss."""
    e = padded(elements, 9)
    return ShippingTerms(
        payment_method=e[1].strip(),
        location_qualifier=text(e[2]),
        location=text(e[3]),
        terms_qualifier=text(e[4]),
        terms=text(e[5]),
        risk_qualifier=text(e[8]),
        risk_description=text(e[9]),
    )


class PartyBuilder:
    """Collects an N1 loop (N1, N2, N3, N4, PER), given each segment's element list, into a Party."""

    def __init__(self, n1: list[str]) -> None:
        e = padded(n1, 4)
        self.party = Party(role=e[1].strip(), name=text(e[2]), id_qualifier=text(e[3]), id=text(e[4]))

    def add(self, elements: list[str]) -> bool:
        """Take a segment that belongs to the loop; False when it is not one of the loop's own."""
        party = self.party
        tag = elements[0]
        if tag == "PER":
            party.contacts.append(contact(elements))
            return True
        if tag not in ("N2", "N3", "N4"):
            return False
        e = padded(elements, 4)
        if tag == "N2":
            party.extra_names.extend(v for v in (text(e[1]), text(e[2])) if v)
        elif tag == "N3":
            party.address = party.address or Address()
            party.address.lines.extend(v for v in (text(e[1]), text(e[2])) if v)
        else:
            address = party.address = party.address or Address()
            address.city, address.state, address.postal_code, address.country = (
                text(e[1]),
                text(e[2]),
                text(e[3]),
                text(e[4]),
            )
        return True


@dataclass(slots=True)
class HeaderReader:
    """Collects N1 loops (N1 with its N2/N3/N4/PER) from segments fed in order."""

    parties: list[Party] = field(default_factory=list)
    current: PartyBuilder | None = None

    def feed(self, seg: Segment) -> bool:
        """Take ``seg`` if it belongs to an N1 loop; return False (and close the loop) otherwise."""
        if seg.id == "N1":
            self.current = PartyBuilder(seg.elements)
            self.parties.append(self.current.party)
            return True
        if self.current is not None and self.current.add(seg.elements):
            return True
        self.current = None
        return False
