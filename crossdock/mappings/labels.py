"""GS1-128 carton labels: what each zone of a label says, shared by the ZPL and the PDF writers.

A label follows the GS1 logistic label zones: ship-from (A) and ship-to (B) at the top; the ship-to postal code as a
GS1-128 barcode (C: AI 420 for a US ZIP code of 5 or 9 digits; AI 421 for another country's code, after the
country's ISO 3166-1 numeric code; a code neither can carry is printed as text only) beside the carrier (D); the PO
(E) beside the carton's "x of y" and its contents (F); the store the carton is for (G: the order's mark-for party,
Z7, else its buying party, BY, with its number as a GS1-128 barcode, AI 91, a company's internal code, as retailers'
label guides use it); and at the bottom (I) the SSCC-18 as a GS1-128 barcode (FNC1, AI 00, 18 digits) with its
human-readable line. Every text on a label comes from partners and shoppers: it is cut to what the zone holds and
the writers escape it where it lands. ``zpl`` and ``pdf`` turn a list of labels into one document (one label a
page); neither does I/O.
"""

from __future__ import annotations

import unicodedata

from crossdock.core.fulfilment.models import CartonLabel
from crossdock.core.models import Party
from crossdock.mappings.countries import numeric_code
from crossdock.mappings.x12.sscc import is_valid_sscc

ZONE_WIDTH = 30  # characters a text line of a half-width zone holds at the label's type size
ADDRESS_LINES = 5  # name, two street lines, city line and country at most


def text(value: str | None, width: int = ZONE_WIDTH) -> str:
    """One line of a zone: control characters out, blanks folded, cut to ``width``."""
    if not value:
        return ""
    kept = "".join(" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in value)
    return " ".join(kept.split())[:width]


def party_lines(party: Party | None) -> list[str]:
    """A party as the lines of its zone: name, street, city/state/postal code, country (empty ones left out)."""
    if party is None:
        return []
    lines = [party.name or (f"{party.id_qualifier or ''} {party.id}" if party.id else None)]
    address = party.address
    if address is not None:
        lines += address.lines[:2]
        city = ", ".join(v for v in (address.city, " ".join(filter(None, (address.state, address.postal_code)))) if v)
        lines += [city, address.country if address.country not in (None, "US", "USA") else None]
    return [t for t in (text(line) for line in lines) if t][:ADDRESS_LINES]


def barcode_data(label: CartonLabel) -> str:
    """The GS1 element string the barcode carries: AI 00 and the 18 digits (refused if not a valid SSCC)."""
    if not is_valid_sscc(label.sscc) or len(label.sscc) != 18:
        raise ValueError(f"label {label.carton} of PO {label.po_number}: {label.sscc!r} is not an 18-digit SSCC")
    return "00" + label.sscc


def human_readable(label: CartonLabel) -> str:
    """The line under the barcode: ``(00)``, the extension digit, the prefix and serial, the check digit."""
    sscc = label.sscc
    return f"(00) {sscc[0]} {sscc[1:17]} {sscc[17]}"


US_COUNTRIES = ("US", "USA", "840")
POSTAL_LENGTH = 9  # AI 421's postal code: up to 9 characters after the 3-digit country code
POSTAL_INPUT = 20  # characters of a postal code looked at at all (spaces included): longer is no postal code
POSTAL_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")  # GS1 AI characters a postal code uses


def postal_barcode_data(label: CartonLabel) -> str | None:
    """Zone C's element string, or None when there is none: AI 420 and a US ZIP code (5 or 9 digits), else AI 421,
    the ship-to country's ISO 3166-1 numeric code and its postal code (spaces dropped, letters upper case, at most
    9 of A-Z, 0-9 and ``-``: GS1's AI 420 and 421 must not both be on one unit, so a US address never gets 421)."""
    address = label.ship_to.address if label.ship_to is not None else None
    if address is None or not address.postal_code or len(address.postal_code) > POSTAL_INPUT:
        return None
    country = (address.country or "US").strip().upper()
    if country in US_COUNTRIES:
        digits = address.postal_code.replace("-", "").replace(" ", "")
        if not digits.isascii() or not digits.isdigit() or len(digits) not in (5, 9):
            return None
        return "420" + digits
    numeric = numeric_code(country)
    postal = "".join(address.postal_code.split()).upper()
    if numeric is None or not 0 < len(postal) <= POSTAL_LENGTH or not set(postal) <= POSTAL_CHARACTERS:
        return None
    return "421" + numeric + postal


def postal_readable(data: str) -> str:
    """The line under zone C's barcode: ``(420) 90210`` or ``(421) 124 K1A0B1``."""
    if data.startswith("421"):
        return f"(421) {data[3:6]} {data[6:]}"
    return f"(420) {data[3:]}"


G_WIDTH = 18  # characters a line of zone G holds beside its barcode
STORE_LENGTH = 10  # characters of a store number the zone G barcode carries (its width on a 4 in label)


def store_of(label: CartonLabel) -> str | None:
    """Zone G's store number: the mark-for party's id, printable ASCII letters and digits only."""
    party = label.mark_for
    if party is None or not party.id:
        return None
    store = "".join(c for c in party.id if c.isascii() and c.isalnum())[:STORE_LENGTH]
    return store or None


def store_barcode_data(label: CartonLabel) -> str | None:
    store = store_of(label)
    return f"91{store}" if store else None


def store_lines(label: CartonLabel) -> list[str]:
    """Zone G's text: the store's number and name."""
    store = store_of(label)
    if store is None:
        return []
    party = label.mark_for
    return [t for t in (text(f"STORE {store}", G_WIDTH), text(party.name if party else None, G_WIDTH)) if t]


def carton_of(label: CartonLabel) -> str:
    return f"{label.carton} OF {label.cartons}"


def contents(label: CartonLabel) -> str:
    """What the carton holds, when crossdock planned it: the first item id and the quantity."""
    if not label.product_ids:
        return ""
    qualifier, value = next(iter(label.product_ids.items()))
    quantity = f" QTY {label.quantity.normalize():f}" if label.quantity is not None else ""
    return text(f"{qualifier} {value}{quantity}")


def zpl(labels: list[CartonLabel]) -> bytes:
    """The labels as one ZPL II document for a 4x6 in thermal printer at 203 dpi."""
    from crossdock.mappings.labels_zpl import write_zpl

    return write_zpl(labels)


def pdf(labels: list[CartonLabel]) -> bytes:
    """The labels as one PDF, a 4x6 in page each, for desk printers."""
    from crossdock.mappings.labels_pdf import write_pdf

    return write_pdf(labels)
