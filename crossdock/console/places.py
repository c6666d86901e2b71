"""Where a stored X12 document's validation findings are, as values: the X12 validator reads the stored bytes
again (a mapping: no I/O) and each finding keeps the segment id, the segment's position in its set, the element
and component it names and, where the reader knew it, the byte offset. The Document page places each finding
on the segment of the whole file it names, so no error text is ever parsed back for a place.

The findings are the ones the validator makes now, without the partner's guide (a held outbound document's
guide findings are in its error text). A document larger than ``LARGEST_CHECKED`` is not read again."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from crossdock.mappings.x12.errors import X12Error
from crossdock.mappings.x12.report import FileResult, finding_text, validate_file

LARGEST_CHECKED = 2 * 1024 * 1024  # validating takes about a second a MiB on a busy machine
MOST_FINDINGS = 500


@dataclass(frozen=True, slots=True)
class Place:
    """One finding: ``segment`` is the segment's number in the whole file (ISA is 1) when it could be placed,
    ``element`` and ``component`` its 1-based positions."""

    text: str
    severity: str
    code: str
    segment_id: str | None
    segment: int | None
    element: int | None
    component: int | None
    offset: int | None


def findings(data: bytes, terminator: str) -> list[Place]:
    """The findings of ``data``, each placed on the segment of the file it names (segments are numbered by the
    ``terminator``s before them, as ``segments.show`` numbers them)."""
    if not data or len(data) > LARGEST_CHECKED:
        return []
    result = validate_file(data, name="stored document")
    term = re.escape(terminator.encode("latin-1"))
    ends = [m.start() for m in re.finditer(term, data)]
    out: list[Place] = []
    for errors, in_set in _all(result):
        numbers = [None if e.offset is None else bisect_left(ends, e.offset) + 1 for e in errors]
        st = _st_number(errors, numbers) if in_set else None
        for error, number in zip(errors, numbers, strict=True):
            if number is None and st is not None and error.segment_position is not None:
                number = st + error.segment_position - 1
            out.append(_place(error, number))
    return out[:MOST_FINDINGS]


def _all(result: FileResult) -> list[tuple[list[X12Error], bool]]:
    """Every finding, by the interchange, group or set it belongs to (True for a set's)."""
    out: list[tuple[list[X12Error], bool]] = []
    for ir in result.interchanges:
        out.append((ir.interchange.errors, False))
        for gr in ir.groups:
            out.append((gr.group.errors, False))
            out.extend((s.errors, True) for s in gr.sets)
    return out


def _st_number(errors: list[X12Error], numbers: list[int | None]) -> int | None:
    """The number of the set's ST, from a finding that knows both its byte and its position in the set."""
    for error, number in zip(errors, numbers, strict=True):
        if number is not None and error.segment_position is not None:
            return number - error.segment_position + 1
    return None


def _place(error: X12Error, segment: int | None) -> Place:
    return Place(
        finding_text(error),
        error.severity.value,
        error.code,
        error.segment_id,
        segment,
        error.element_position,
        error.component_position,
        error.offset,
    )
