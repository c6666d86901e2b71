"""A stored document's bytes as the Document page shows them: X12 split into numbered segments and elements, a
page at a time, with each validation finding marked at its segment and element; anything else as text.

A page is whole segments from a byte offset (``at``), at most ``SHOWN`` bytes and ``MOST_SEGMENTS`` segments, so a
document of any size is read a page at a time. A segment's number is the count of segment terminators before it,
plus one (ISA is 1): counting bytes is cheap at any offset, so a page deep in a large file is numbered without
splitting everything before it. Findings come structured from the validator (``places.py``); an error text that
names a byte (a file the tokenizer could not read, so the validator has no findings) marks that byte's segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crossdock.console.places import Place

SHOWN = 256 * 1024
MOST_SEGMENTS = 5000
_BYTE = re.compile(r"byte (\d+)")


@dataclass(slots=True)
class Segment:
    number: int
    offset: int
    elements: list[str]
    marked: bool = False
    marked_elements: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Shown:
    text: str
    cut: bool  # the page is not the whole document
    segments: list[Segment]
    at: int = 0  # the page's first byte
    end: int = 0  # the byte after its last
    size: int = 0  # the whole document's
    previous: int | None = None  # the offset of the page before, when there is one
    places: list[Place] = field(default_factory=list)  # every finding, placed or not, on this page or another
    terminator: str = "~"

    @property
    def first(self) -> int:
        return self.segments[0].number if self.segments else 0

    @property
    def last(self) -> int:
        return self.segments[-1].number if self.segments else 0


def show(data: bytes, error: str | None = None, places: list[Place] | None = None, at: int = 0) -> Shown:
    """The page of ``data`` from byte ``at`` (moved back to the start of its segment): its text (latin-1 keeps
    every byte a character) and, for X12, its segments with ``places`` (and a byte ``error`` names) marked."""
    head = data[:1024].decode("latin-1")  # the ISA, whatever the page size
    delimiters = _delimiters(head)
    if delimiters is None:
        at = max(0, min(at, len(data)))
        end = min(len(data), at + SHOWN)
        return Shown(data[at:end].decode("latin-1"), end - at < len(data), [], at, end, len(data), _back(at, 0))
    element, terminator = delimiters
    term = terminator.encode("latin-1")
    at = _segment_start(data, max(0, min(at, len(data))), term)
    first_number = data[:at].count(term) + 1
    end = _page_end(data, at, term)
    text = data[at:end].decode("latin-1")
    segments = _split(text, at, first_number, element, terminator)
    shown = Shown(text, at > 0 or end < len(data), segments, at, end, len(data), None, list(places or []), terminator)
    shown.previous = _previous(data, at, term)
    _mark(shown, error)
    return shown


def segment_number(data: bytes, offset: int, terminator: str) -> int:
    """The number of the segment holding byte ``offset``."""
    return data[: max(0, offset)].count(terminator.encode("latin-1")) + 1


def _delimiters(head: str) -> tuple[str, str] | None:
    start = head.find("ISA")
    if start < 0 or head[:start].strip() or len(head) < start + 106:
        return None
    return head[start + 3], head[start + 105]


def _segment_start(data: bytes, at: int, term: bytes) -> int:
    return 0 if at == 0 else data.rfind(term, 0, at) + 1


def _page_end(data: bytes, at: int, term: bytes) -> int:
    """Whole segments from ``at``: up to ``SHOWN`` bytes or ``MOST_SEGMENTS`` segments (a longer segment whole)."""
    end = at
    for _ in range(MOST_SEGMENTS):
        found = data.find(term, end)
        if found < 0:
            return len(data)
        if found + 1 - at > SHOWN and end > at:
            return end
        end = found + 1
    return end


def _previous(data: bytes, at: int, term: bytes) -> int | None:
    """Where the page before this one starts: about ``SHOWN`` bytes back, at a segment's start."""
    if at == 0:
        return None
    return _segment_start(data, max(0, at - SHOWN), term)


def _back(at: int, floor: int) -> int | None:
    return None if at <= floor else max(floor, at - SHOWN)


def _split(text: str, at: int, number: int, element: str, terminator: str) -> list[Segment]:
    out: list[Segment] = []
    start = 0
    while start < len(text):
        end = text.find(terminator, start)
        end = len(text) if end < 0 else end
        body = text[start:end].strip("\r\n")
        if body:
            out.append(Segment(number, at + start, body.split(element)))
        number += 1
        start = end + 1
    return out


def _mark(shown: Shown, error: str | None) -> None:
    by_number = {s.number: s for s in shown.segments}
    for place in shown.places:
        hit = by_number.get(place.segment or 0)
        if hit is None:
            continue
        hit.marked = True
        hit.errors.append(place.text[:500])
        if place.element is not None:
            hit.marked_elements.add(place.element)
    if shown.places or not error:
        return
    for line in error.split("; "):
        found = _BYTE.search(line)
        if found is None:
            continue
        offset = int(found.group(1))
        hit = next((s for s in reversed(shown.segments) if s.offset <= offset), None)
        if hit is not None and offset < shown.end:
            hit.marked = True
            hit.errors.append(line[:500])
