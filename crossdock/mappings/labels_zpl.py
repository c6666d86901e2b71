"""GS1-128 carton labels in ZPL II, for 4x6 in thermal printers at 203 dpi (812 x 1218 dots).

The SSCC barcode is Code 128 in subset C started with FNC1 (``>;>8`` in ``^BC`` field data, mode N), so the
printer needs no UCC/EAN mode (``D``, newer firmware only) and the data is exactly AI 00 and 18 digits. The bars
are 4 dots (0.5 mm, within GS1's logistic range) and 264 dots (33 mm) tall; the human-readable line is printed
by us, in the GS1 form ``(00) 0 0614141000000001 2``. The ship-to postal code (zone C: AI 420, or 421 with the
country) is subset C too, letters in subset B, 3 dots a module (2 when a long code would not fit the zone); the
store number (AI 91, zone G) is subset B (``>:>8``), 2 dots a module.

Every text field is written with ``^FH`` and hex escapes for ``^``, ``~``, ``_``, ``\\`` and anything beyond
printable ASCII (as UTF-8 bytes, the printer decoding UTF-8 under ``^CI28``): a name a partner sent cannot end
the field or start a ZPL command.
"""

from __future__ import annotations

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

_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - set("^~_\\")


def _field(value: str) -> str:
    """A text as ``^FH`` field data: plain printable ASCII kept, every other byte written ``_XX``."""
    return "".join(c if c in _PLAIN else "".join(f"_{b:02X}" for b in c.encode("utf-8")) for c in value)


def _text(x: int, y: int, size: int, value: str) -> str:
    return f"^FO{x},{y}^A0N,{size},{size}^FH_^FD{_field(value)}^FS"


def _zone(x: int, y: int, title: str, lines: list[str], size: int = 28) -> list[str]:
    out = [_text(x, y, 22, title)]
    out += [_text(x, y + 30 + i * (size + 6), size, line) for i, line in enumerate(lines)]
    return out


ZONE_C_END = 395  # the dot where zone C ends (its divider at 400): the postal barcode stays left of it
BARCODE_X = 40  # where it starts: past its quiet zone (10 modules)


def postal_field(data: str) -> tuple[str, int]:
    """Zone C's ``^BC`` field data and its width in modules: subset C from FNC1 on (AI 420 or 421 and the
    country are digits, and so are a postal code's leading digit pairs), then subset B (``>6``) for the rest."""
    head, rest = (data[:6], data[6:]) if data.startswith("421") else (data, "")
    digits = len(rest) - len(rest.lstrip("0123456789"))
    pairs = digits - digits % 2
    head, rest = head + rest[:pairs], rest[pairs:]
    modules = 11 * (2 + len(head) // 2) + 11 + 13  # start, FNC1, digit pairs, check character, stop
    if rest:
        return f">;>8{head}>6{rest}", modules + 11 * (1 + len(rest))
    return f">;>8{head}", modules


def _postal(label: CartonLabel) -> list[str]:
    """Zone C: the ship-to postal code as GS1-128 (FNC1, AI 420 or 421), with its human-readable line; 3-dot
    modules, or 2 when a long AI 421 code would cross into zone D (one longer still is its line alone)."""
    data = postal_barcode_data(label)
    if data is None:
        return []
    field, modules = postal_field(data)
    readable = _text(40, 448, 24, postal_readable(data))
    dots = next((d for d in (3, 2) if BARCODE_X + d * modules <= ZONE_C_END), None)
    if dots is None:
        return [readable]
    return [f"^FO{BARCODE_X},330^BY{dots}^BCN,110,N,N,N^FD{field}^FS", readable]


def _store(label: CartonLabel) -> list[str]:
    """Zone G: the store's number and name, and its number as GS1-128 (subset B, FNC1, AI 91)."""
    data = store_barcode_data(label)
    if data is None:
        return []
    return [
        *_zone(30, 680, "FOR", store_lines(label), 30),
        f"^FO420,690^BY2^BCN,120,N,N,N^FD>:>8{_field(data)}^FS",
        _text(420, 820, 24, f"(91) {data[2:]}"),
    ]


def _label(label: CartonLabel) -> str:
    data = barcode_data(label)
    commands = [
        "^XA",
        "^CI28",
        "^PW812",
        "^LL1218",
        "^LH0,0",
        *_zone(30, 30, "SHIP FROM", party_lines(label.ship_from), 22),
        "^FO400,20^GB3,260,3^FS",
        *_zone(420, 30, "SHIP TO", party_lines(label.ship_to), 24),
        "^FO0,280^GB812,3,3^FS",
        _text(30, 300, 22, "SHIP TO POSTAL CODE"),
        *_postal(label),
        "^FO400,283^GB3,197,3^FS",
        *_zone(420, 300, "CARRIER", [label.carrier or ""], 36),
        "^FO0,480^GB812,3,3^FS",
        *_zone(30, 500, "PO", [label.po_number], 36),
        "^FO400,483^GB3,177,3^FS",
        *_zone(420, 500, "CARTON", [carton_of(label)], 40),
        _text(420, 610, 22, contents(label)),
        "^FO0,660^GB812,3,3^FS",
        *_store(label),
        "^FO0,860^GB812,3,3^FS",
        _text(30, 880, 22, "SSCC"),
        f"^FO94,910^BY4^BCN,264,N,N,N^FD>;>8{data}^FS",
        _text(150, 1180, 30, human_readable(label)),
        "^XZ",
    ]
    return "\n".join(commands) + "\n"


def write_zpl(labels: list[CartonLabel]) -> bytes:
    """One ZPL document holding every label, in order (``^XA`` ... ``^XZ`` each)."""
    return "".join(_label(label) for label in labels).encode("ascii")
