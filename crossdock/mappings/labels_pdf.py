"""GS1-128 carton labels as PDF, one 4x6 in page a label, for printers without ZPL.

Drawn with ReportLab, whose Code 128 takes FNC1 as ``\\xf1``: the SSCC barcode is FNC1, AI 00 and the 18 digits
in subset C, the same symbol the ZPL label prints, with bars 0.5 mm wide (within GS1's logistic range) and
33 mm tall. ReportLab's invariant mode leaves out the creation time and random document id, so the same labels
give the same bytes. Texts use the standard Helvetica fonts (Latin-1): other characters print as ``?``.
"""

from __future__ import annotations

import io

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch, mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from crossdock.core.fulfilment.models import CartonLabel
from crossdock.mappings.labels import (
    barcode_data,
    carton_of,
    contents,
    human_readable,
    party_lines,
    postal_barcode_data,
    postal_readable,
    store_barcode_data,
    store_lines,
)

WIDTH, HEIGHT = 4 * inch, 6 * inch
FNC1 = "\xf1"
MARGIN = 0.12 * inch
QUIET = 0.3 * inch  # where the zone C barcode starts: its quiet zone (10 modules) clear of the edge


def barcode(label: CartonLabel) -> Code128:
    """The SSCC's GS1-128 symbol: FNC1, then AI 00 and the 18 digits."""
    return Code128(FNC1 + barcode_data(label), barWidth=0.5 * mm, barHeight=33 * mm, humanReadable=False)


def _latin1(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


def _fit(value: str, size: float, room: float) -> str:
    """The text cut until it fits ``room`` points in bold Helvetica at ``size``."""
    value = _latin1(value)
    while value and stringWidth(value, "Helvetica-Bold", size) > room:
        value = value[:-1]
    return value


def _zone(canvas: Canvas, x: float, top: float, title: str, lines: list[str], size: float) -> None:
    canvas.setFont("Helvetica", 7)
    canvas.drawString(x, top - 8, title)
    canvas.setFont("Helvetica-Bold", size)
    room = WIDTH / 2 - MARGIN - 6
    for i, line in enumerate(lines):
        canvas.drawString(x, top - 10 - (i + 1) * (size + 2), _fit(line, size, room))


def _gs1(data: str, bar: float, height: float) -> Code128:
    return Code128(FNC1 + data, barWidth=bar, barHeight=height, humanReadable=False)


def _postal_symbol(data: str) -> tuple[Code128, float] | None:
    """Zone C's barcode and where it is drawn: a ZIP code (AI 420) as it always was; a postal code abroad (AI 421)
    in bars of 0.375 mm, else 0.25 mm, each with a quiet zone of 10 modules on both sides within the zone;
    None when even the narrower is too wide (the zone has the human-readable line alone)."""
    if data.startswith("420"):
        return _gs1(data, 0.375 * mm, 0.45 * inch), QUIET
    for bar in (0.375 * mm, 0.25 * mm):
        symbol = Code128(FNC1 + data, barWidth=bar, barHeight=0.45 * inch, humanReadable=False, quiet=False)
        if 20 * bar + symbol.width <= WIDTH / 2 - 2:
            return symbol, 10 * bar + 1
    return None


def _page(canvas: Canvas, label: CartonLabel) -> None:
    middle = WIDTH / 2
    top = HEIGHT - MARGIN
    _zone(canvas, MARGIN, top, "SHIP FROM", party_lines(label.ship_from), 7.5)
    _zone(canvas, middle + 6, top, "SHIP TO", party_lines(label.ship_to), 9)
    canvas.line(middle, top, middle, top - 1.3 * inch)
    canvas.line(0, top - 1.3 * inch, WIDTH, top - 1.3 * inch)
    row = top - 1.3 * inch  # zones C (the ship-to postal code, AI 420 or 421) and D (carrier)
    _zone(canvas, MARGIN, row, "SHIP TO POSTAL CODE", [], 7)
    postal = postal_barcode_data(label)
    if postal is not None:
        if (placed := _postal_symbol(postal)) is not None:
            placed[0].drawOn(canvas, placed[1], row - 0.68 * inch)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(QUIET, row - 0.82 * inch, postal_readable(postal))
    _zone(canvas, middle + 6, row, "CARRIER", [label.carrier or ""], 12)
    canvas.line(middle, row, middle, row - 0.9 * inch)
    row -= 0.9 * inch
    canvas.line(0, row, WIDTH, row)
    _zone(canvas, MARGIN, row, "PO", [label.po_number], 12)  # zones E and F
    _zone(canvas, middle + 6, row, "CARTON", [carton_of(label)], 14)
    canvas.setFont("Helvetica", 7)
    canvas.drawString(middle + 6, row - 0.5 * inch, _fit(contents(label), 7, WIDTH / 2 - MARGIN - 6))
    canvas.line(middle, row, middle, row - 0.6 * inch)
    row -= 0.6 * inch
    canvas.line(0, row, WIDTH, row)
    store = store_barcode_data(label)  # zone G
    if store is not None:
        _zone(canvas, MARGIN, row, "FOR", store_lines(label), 11)
        _gs1(store, 0.25 * mm, 0.4 * inch).drawOn(canvas, middle + 6, row - 0.55 * inch)
        canvas.setFont("Helvetica-Bold", 8)
        canvas.drawString(middle + 6, row - 0.67 * inch, f"(91) {store[2:]}")
    canvas.line(0, 2.3 * inch, WIDTH, 2.3 * inch)
    canvas.setFont("Helvetica", 7)
    canvas.drawString(MARGIN, 2.3 * inch - 10, "SSCC")
    symbol = barcode(label)
    symbol.drawOn(canvas, (WIDTH - symbol.width) / 2, 0.55 * inch)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawCentredString(WIDTH / 2, 0.3 * inch, human_readable(label))


def write_pdf(labels: list[CartonLabel]) -> bytes:
    """One PDF, a page a label, in order; the same labels always give the same bytes."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=1, pageCompression=0)
    canvas.setTitle("GS1-128 carton labels")
    for label in labels:
        _page(canvas, label)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
