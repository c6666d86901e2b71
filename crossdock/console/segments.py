"""A stored document's bytes as the Document page shows them: X12 split into numbered segments and elements,
with the places its error names (``byte N``, ``element NN``) marked; anything else as text. Bounded: a page
shows at most ``SHOWN`` bytes of a document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SHOWN = 256 * 1024
MOST_SEGMENTS = 5000
_BYTE = re.compile(r"byte (\d+)")
_ELEMENT = re.compile(r"element (\d+)")


@dataclass(slots=True)
class Segment:
    number: int
    offset: int
    elements: list[str]
    marked: bool = False
    marked_element: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Shown:
    text: str
    cut: bool
    segments: list[Segment]


def show(data: bytes, error: str | None) -> Shown:
    """The page's view of ``data``: its text (latin-1 keeps every byte a character) and, for X12, its segments."""
    cut = len(data) > SHOWN
    text = data[:SHOWN].decode("latin-1")
    segments = _x12(text) if text.lstrip()[:3] == "ISA" else []
    if segments and error:
        _mark(segments, error)
    return Shown(text, cut, segments)


def _x12(text: str) -> list[Segment]:
    start = text.index("ISA")
    if len(text) < start + 106:
        return []
    element, terminator = text[start + 3], text[start + 105]
    out: list[Segment] = []
    at = start
    while at < len(text) and len(out) < MOST_SEGMENTS:
        end = text.find(terminator, at)
        end = len(text) if end < 0 else end
        body = text[at:end].strip("\r\n")
        if body:
            out.append(Segment(len(out) + 1, at, body.split(element)))
        at = end + 1
    return out


def _mark(segments: list[Segment], error: str) -> None:
    """Mark the segment holding each ``byte N`` the error names, at the element named beside it."""
    for line in error.splitlines() or [error]:
        place = _BYTE.search(line)
        if place is None:
            continue
        offset = int(place.group(1))
        hit = next((s for s in reversed(segments) if s.offset <= offset), None)
        if hit is None:
            continue
        hit.marked = True
        hit.errors.append(line[:500])
        element = _ELEMENT.search(line)
        if element is not None:
            hit.marked_element = int(element.group(1))
