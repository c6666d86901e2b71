"""Validation reports: read a file, validate every set, and describe the outcome per interchange and group.

The report keeps findings, never segments, so a large file is validated in constant memory. Its shape is
the ``crossdock x12 validate --json`` contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12.envelope import FunctionalGroup, Interchange, TransactionSet
from crossdock.mappings.x12.errors import Level, X12Error, has_errors
from crossdock.mappings.x12.fa997 import ELEMENT_ERRORS, GROUP_ERRORS, SEGMENT_ERRORS, SET_ERRORS
from crossdock.mappings.x12.guide_check import SetFindings
from crossdock.mappings.x12.reader import Source, iter_events
from crossdock.mappings.x12.ta1 import NOTE_CODES
from crossdock.mappings.x12.validator import status, validate

# each level's X12 code list (TA1 note, AK9, AK5, AK3, AK4), for the meaning of a finding's code
CODE_LISTS = {
    Level.INTERCHANGE: NOTE_CODES,
    Level.GROUP: GROUP_ERRORS,
    Level.TRANSACTION: SET_ERRORS,
    Level.SEGMENT: SEGMENT_ERRORS,
    Level.ELEMENT: ELEMENT_ERRORS,
}


@dataclass(slots=True)
class SetResult:
    code: str
    control: str
    status: str
    errors: list[X12Error]


@dataclass(slots=True)
class GroupResult:
    group: FunctionalGroup
    sets: list[SetResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.group.errors) and all(s.status != "rejected" for s in self.sets)


@dataclass(slots=True)
class InterchangeResult:
    interchange: Interchange
    groups: list[GroupResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.interchange.ok and all(g.ok for g in self.groups)


@dataclass(slots=True)
class FileResult:
    file: str
    error: str | None = None
    interchanges: list[InterchangeResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.interchanges) and all(i.ok for i in self.interchanges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "ok": self.ok,
            "error": self.error,
            "interchanges": [
                {
                    "control": ir.interchange.control,
                    "sender": ir.interchange.sender_id,
                    "receiver": ir.interchange.receiver_id,
                    "errors": [e.to_dict() for e in ir.interchange.errors],
                    "groups": [
                        {
                            "control": gr.group.control,
                            "version": gr.group.version,
                            "errors": [e.to_dict() for e in gr.group.errors],
                            "transactions": [
                                {
                                    "set": s.code,
                                    "control": s.control,
                                    "status": s.status,
                                    "errors": [e.to_dict() for e in s.errors],
                                }
                                for s in gr.sets
                            ],
                        }
                        for gr in ir.groups
                    ],
                }
                for ir in self.interchanges
            ],
        }


def validate_file(source: Source, *, name: str | None = None, encoding: str = "auto") -> FileResult:
    """Validate every transaction set of a file; a file that is not X12 gets ``error`` set instead."""
    result = FileResult(file=name or str(getattr(source, "name", source if isinstance(source, str) else "<bytes>")))
    current: dict[int, GroupResult] = {}
    try:
        for kind, obj in iter_events(source, encoding=encoding, name=name):
            if kind == "interchange":
                assert isinstance(obj, Interchange)
                result.interchanges.append(InterchangeResult(obj))
            elif kind == "group":
                assert isinstance(obj, FunctionalGroup)
                gr = GroupResult(obj)
                current[id(obj)] = gr
                result.interchanges[-1].groups.append(gr)
            elif kind == "transaction":
                assert isinstance(obj, TransactionSet)
                validate(obj)
                current[id(obj.group)].sets.append(SetResult(obj.code, obj.control, status(obj), obj.errors))
            elif kind == "group_end":
                current.pop(id(obj), None)
    except NotX12Error as exc:
        result.error = exc.reason
    return result


def add_guide_findings(result: FileResult, findings: list[SetFindings]) -> None:
    """Add a guide's findings (``guide_check.check_interchanges`` over the same file) to each set's own; a set
    with a guide error is rejected."""
    by_set = {(f.group_control, f.control): f.errors for f in findings}
    for ir in result.interchanges:
        for gr in ir.groups:
            for s in gr.sets:
                found = by_set.get((gr.group.control, s.control), [])
                s.errors.extend(found)
                if has_errors(found):
                    s.status = "rejected"


def finding_text(error: X12Error) -> str:
    """A finding for a person, its code named as a code with the code's meaning, so that "error segment 8 (PO1,
    segment 13)" no longer reads as if 8 were a position: "error code 8 (segment has data element errors) at
    PO1, segment 13: ...". Business rules' codes (TDS, CTT, HL) are in no X12 list and go without a meaning.
    """
    meaning = CODE_LISTS[error.level].get(error.code)
    code = f"{error.severity.value} code {error.code}" + (f" ({meaning})" if meaning else "")
    place = f" at {error.place}" if error.place else ""
    return f"{code}{place}: {error.message}"
