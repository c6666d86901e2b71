"""GS1-128 carton labels: what each zone of a label says, shared by the ZPL and the PDF writers.

A label follows the GS1 logistic label zones: ship-from (A) and ship-to (B) at the top, carrier (D) and PO (E)
in the middle with the carton's "x of y", and at the bottom (I) the SSCC-18 as a GS1-128 barcode (FNC1, AI 00,
18 digits) with its human-readable line. Every text on a label comes from partners and shoppers: it is cut to
what the zone holds and the writers escape it where it lands. ``zpl`` and ``pdf`` turn a list of labels into one
document (one label a page); neither does I/O.
"""

from __future__ import annotations

import unicodedata

from crossdock.core.models import Party
from crossdock.core.shipment_models import CartonLabel
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
