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
    group: FunctionalGroup
    segments: list[Segment]
    offset: int
    codec: str
    errors: list[X12Error] = field(default_factory=list)
    text: str = ""

    @property
    def code(self) -> str:
        return self.segments[0].get(1).strip()

    @property
    def control(self) -> str:
        return self.segments[0].get(2).strip()

    @property
    def raw(self) -> bytes:
        """The set's bytes exactly as received, from its ST to its SE terminator."""
        return self.text.encode(self.codec)


Event = tuple[Literal["interchange", "group", "transaction", "group_end", "interchange_end"], object]


def _clean_id(value: str) -> str:
    with contextlib.suppress(UnicodeDecodeError, UnicodeEncodeError):
        value = value.encode("latin-1").decode("utf-8")
    return value.strip()
