"""What the reader yields: segments, interchanges, functional groups and transaction sets.

The checks between headers and trailers are ``tracker.EnvelopeTracker``'s job.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Literal

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.errors import X12Error
from crossdock.mappings.x12.text import recode

SERVICE_SEGMENTS = frozenset({"TA1", "ISB", "ISE", "TA3", "ISX"})


class Segment:
    """One segment: ``elements[0]`` is its id, ``elements[i]`` its i-th element as sent."""

    __slots__ = ("delimiters", "elements", "offset", "position", "text")

    def __init__(self, elements: list[str], offset: int, position: int, delimiters: Delimiters, text: str = "") -> None:
        self.text = text or delimiters.element.join(elements)
        self.elements = elements
        self.offset = offset
        self.position = position
        self.delimiters = delimiters

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, i: int) -> str:
        """Element ``i`` (1-based), or "" when the segment stops before it."""
        return self.elements[i] if i < len(self.elements) else ""

    def components(self, i: int) -> list[str]:
        return self.get(i).split(self.delimiters.component)

    def component(self, i: int, j: int) -> str:
        parts = self.components(i)
        return parts[j - 1] if j <= len(parts) else ""

    def repeats(self, i: int) -> list[str]:
        value = self.get(i)
        rep = self.delimiters.repetition
        return value.split(rep) if rep else [value]

    def __len__(self) -> int:
        return len(self.elements) - 1

    def __repr__(self) -> str:
        return f"Segment({self.delimiters.element.join(self.elements)!r} @ {self.position})"


@dataclass(slots=True, eq=False)
class Interchange:
    isa: list[str]
    delimiters: Delimiters
    offset: int
    errors: list[X12Error] = field(default_factory=list)
    groups: list[FunctionalGroup] = field(default_factory=list)
    service_segments: list[Segment] = field(default_factory=list)
    closed: bool = False

    @property
    def sender_qualifier(self) -> str:
        return self.isa[5].strip()

    @property
    def sender_id(self) -> str:
        return _clean_id(self.isa[6])

    @property
    def receiver_qualifier(self) -> str:
        return self.isa[7].strip()

    @property
    def receiver_id(self) -> str:
        return _clean_id(self.isa[8])

    @property
    def control(self) -> str:
        return self.isa[13].strip()

    @property
    def version(self) -> str:
        return self.isa[12].strip()

    @property
    def usage(self) -> str:
        return self.isa[15].strip()

    @property
    def ack_requested(self) -> bool:
        return self.isa[14].strip() == "1"

    @property
    def ok(self) -> bool:
        return not E.has_errors(self.errors)


@dataclass(slots=True, eq=False)
class FunctionalGroup:
    gs: Segment
    interchange: Interchange
    errors: list[X12Error] = field(default_factory=list)
    transactions: list[TransactionSet] = field(default_factory=list)
    count: int = 0
    controls: set[str] = field(default_factory=set)

    @property
    def functional_id(self) -> str:
        return self.gs.get(1).strip()

    @property
    def sender(self) -> str:
        return self.gs.get(2).strip()

    @property
    def receiver(self) -> str:
        return self.gs.get(3).strip()

    @property
    def control(self) -> str:
        return self.gs.get(6).strip()

    @property
    def version(self) -> str:
        return self.gs.get(8).strip()


@dataclass(slots=True, eq=False)
class TransactionSet:
    """One set as read: each segment's text and byte offset; ``segments`` are built from them when first asked.

    Validation needs only the texts (a set that matches its pattern is never split into elements), so the
    reader does not pay for segment objects a caller may not want.

    A set the reader streams (``reader.Streaming``) holds only the segments read since it was last handed on:
    ``handed`` counts the ones before them, ``head`` keeps its ST, and it keeps no raw ``text``.
    """

    group: FunctionalGroup
    texts: list[str]
    offsets: list[int]
    delimiters: Delimiters
    codec: str
    encoding: str | None = None  # a partner encoding to decode non-ASCII values with (None: Latin-1)
    errors: list[X12Error] = field(default_factory=list)
    text: str = ""
    handed: int = 0
    head: Segment | None = None
    _segments: list[Segment] | None = None
    _tags: list[str] | None = None
    _body: str | None = None

    @property
    def offset(self) -> int:
        return self.head.offset if self.head is not None else self.offsets[0]

    def hand_on(self) -> None:
        """Forget the segments read so far (a streaming reader handed them on); keep the ST and their count."""
        if self.head is None:  # its elements as ``code`` and ``control`` read them
            self.head = Segment(self.elements(0), self.offsets[0], 1, self.delimiters, self.texts[0])
        self.handed += len(self.texts)
        self.texts, self.offsets = [], []
        self._segments = self._tags = self._body = None

    @property
    def segments(self) -> list[Segment]:
        if self._segments is None:
            d, sep, encoding = self.delimiters, self.delimiters.element, self.encoding
            built = []
            for position, (text, offset) in enumerate(zip(self.texts, self.offsets, strict=True), self.handed + 1):
                parts = text.split(sep)
                if encoding is not None and not text.isascii():
                    parts = [recode(p, encoding) for p in parts]
                built.append(Segment(parts, offset, position, d, text))
            self._segments = built
        return self._segments

    def element_lists(self) -> list[list[str]]:
        """Every segment's elements, without building the segments when nobody has yet."""
        if self._segments is not None:
            return [segment.elements for segment in self._segments]
        sep, encoding = self.delimiters.element, self.encoding
        if encoding is None:
            return [text.split(sep) for text in self.texts]
        return [
            [recode(p, encoding) for p in text.split(sep)] if not text.isascii() else text.split(sep)
            for text in self.texts
        ]

    @property
    def body(self) -> str:
        """The segments' texts, each followed by a newline: what the set pattern and the rules search."""
        if self._body is None:
            self._body = "\n".join(self.texts) + "\n"
        return self._body

    @property
    def tags(self) -> list[str]:
        """Each segment's id, in order."""
        if self._tags is None:
            sep = self.delimiters.element
            self._tags = [text.split(sep, 1)[0] for text in self.texts]
        return self._tags

    def elements(self, index: int) -> list[str]:
        """The elements of segment ``index`` (0-based), without building every segment."""
        if self._segments is not None:
            return self._segments[index].elements
        text = self.texts[index]
        parts = text.split(self.delimiters.element)
        if self.encoding is not None and not text.isascii():  # read like ``segments`` reads it
            return [recode(p, self.encoding) for p in parts]
        return parts

    @property
    def code(self) -> str:
        head = self.head.elements if self.head is not None else self.elements(0)
        return head[1].strip() if len(head) > 1 else ""

    @property
    def control(self) -> str:
        head = self.head.elements if self.head is not None else self.elements(0)
        return head[2].strip() if len(head) > 2 else ""

    @property
    def count(self) -> int:
        """How many segments the set has had so far, those handed on included."""
        return self.handed + len(self.texts)

    @property
    def raw(self) -> bytes:
        """The set's bytes exactly as received, from its ST to its SE terminator."""
        return self.text.encode(self.codec)


Event = tuple[Literal["interchange", "group", "segments", "transaction", "group_end", "interchange_end"], object]


def _clean_id(value: str) -> str:
    with contextlib.suppress(UnicodeDecodeError, UnicodeEncodeError):
        value = value.encode("latin-1").decode("utf-8")
    return value.strip()
