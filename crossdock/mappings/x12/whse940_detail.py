"""What the 850 said about an item and how to ship it, in the 940's own segments (004010 and 005010 alike).

The 940 has no PO4, PID or CSH; each has a place of its own there:

* PO4 (pack) -> W20 in the W01 loop: W2001 the pack (PO401, eaches or inner packs per outer pack), W2002/03 the
  size of one unit and its unit (PO402/03), W2004-06 the pack's weight, qualifier and unit (PO406, PO405, PO407:
  element 188 takes L for pounds and K for kilograms, so another unit leaves the weight out), W2008/09 its
  volume (PO408/09).
* PO414 (inner pack, eaches per inner container) -> an NTE*WHI line note, ``INNER PACK 6 EACHES (PO414)``.
  W20 has no inner pack element in any X12 release (its ten are pack, size and unit, weight with qualifier
  and unit, unit weight, volume and unit, colour); a second W20 would say it only by position, which no 3PL
  reads the same way, and QTY has no qualifier for it. A warehouse instruction is what a picker reads, the
  same place the CSH sales requirements go.
* PID characteristics (colour, size ...) -> G69 lines (45 characters each) after the description, at most five
  G69 in all; the description comes first, and a characteristic that does not fit goes as an NTE instead.
* CSH (ship complete, no backorder ...) -> an NTE*WHI warehouse instruction in words, header or line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from crossdock.core.models import OrderLine
from crossdock.core.order_details import Characteristic, SalesRequirement
from crossdock.mappings.x12.writer import Element

MAX_G69 = 5  # G69 in one W01 loop
G69_LENGTH = 45
# PID02 (element 750) codes crossdock names in words; another is written as its text alone
CHARACTERISTIC_NAMES = {"73": "COLOR", "75": "COLOR", "74": "SIZE", "91": "SIZE"}
# CSH01 (element 563) sales requirements crossdock names in words; another is written with its code
REQUIREMENT_WORDS = {"SC": "SHIP COMPLETE", "N": "NO BACKORDER", "P2": "SHIP PARTIAL, BALANCE CANCEL"}
WEIGHT_UNITS = {"LB": "L", "LBS": "L", "KG": "K", "KGS": "K"}  # PO407 (element 355) -> W2006 (element 188)


def characteristic_text(c: Characteristic) -> str | None:
    """One characteristic as a line of text: ``COLOR: NAVY``, or the text (or code) as the buyer gave it."""
    value = c.text or c.value_code
    if not value:
        return None
    name = CHARACTERISTIC_NAMES.get(c.code or "")
    return f"{name}: {value}" if name else value


def g69_texts(line: OrderLine) -> tuple[list[str], list[str]]:
    """The line's G69 lines (its description, then its characteristics) and what does not fit in five."""
    wanted = [t for c in line.characteristics if (t := characteristic_text(c))]
    described = textwrap.wrap(line.description or "", G69_LENGTH)
    room = MAX_G69 - min(len(described), MAX_G69)
    fitting = [t for t in wanted[:room] if len(t) <= G69_LENGTH]
    spilled = [t for t in wanted if t not in fitting]
    if len(described) > MAX_G69:
        spilled.insert(0, " ".join(described[MAX_G69:]))
    return [*described[:MAX_G69], *fitting], spilled


def requirement_notes(requirements: Sequence[SalesRequirement]) -> list[str]:
    """Each CSH as a warehouse instruction: ``SHIP COMPLETE (CSH SC)``, with its date, amount or percent."""
    out = []
    for r in requirements:
        if not r.code:
            continue
        words = REQUIREMENT_WORDS.get(r.code, "SALES REQUIREMENT")
        extra = [
            f"BY {r.date:%Y%m%d}" if r.date else None,
            f"UP TO {r.amount}" if r.amount is not None else None,
            f"{r.percent} PERCENT" if r.percent is not None else None,
        ]
        out.append(" ".join([words, *(e for e in extra if e), f"(CSH {r.code})"]))
    return out


def inner_pack_note(line: OrderLine) -> str | None:
    """The line's inner pack (PO414) as a warehouse instruction, or None when the PO gave none."""
    return f"INNER PACK {line.inner_pack} EACHES (PO414)" if line.inner_pack else None


def w20_segments(line: OrderLine) -> list[list[Element]]:
    """The line's pack (PO4) as one W20, or none when the PO gave no pack details."""
    p = line.packing
    elements: list[Element] = [line.pack, None, None, None, None, None, None, None, None]
    if p is not None:
        if p.size is not None and p.size_uom:
            elements[1], elements[2] = p.size, p.size_uom
        unit = WEIGHT_UNITS.get((p.weight_uom or "").upper())
        if p.weight is not None and unit:
            elements[3], elements[4], elements[5] = p.weight, p.weight_qualifier or "G", unit
        if p.volume is not None and p.volume_uom:
            elements[7], elements[8] = p.volume, p.volume_uom
    if all(e is None for e in elements):
        return []
    while elements[-1] is None:
        elements.pop()
    return [["W20", *elements]]
