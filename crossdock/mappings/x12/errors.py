"""Errors as values: every finding carries its level, its X12 code and its place.

The codes are the ones that go into acknowledgments, so a 997/999 is written straight from these values:

    level          code list                      goes into
    interchange    TA1 note codes (001-031)       TA1
    group          AK9 codes (1-6, 10-26)         AK9 (999: AK9)
    transaction    AK5 codes (1-7, 23-27)         AK5 (999: IK5)
    segment        AK3 codes (1-8)                AK3 (999: IK3)
    element        AK4 codes (1-13)               AK4 (999: IK4)

A ``warning`` is noted and does not reject (AK5/AK9 "E"); an ``error`` rejects its transaction set, group or
interchange. Business findings that have no X12 syntax code (a TDS that does not add up, an HL with no
parent) are warnings at transaction level with a code naming the rule, so they never reach an AK3/AK4.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION = "transaction"
    SEGMENT = "segment"
    ELEMENT = "element"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# AK3 / IK3 segment syntax error codes
SEG_UNRECOGNIZED = "1"
SEG_UNEXPECTED = "2"
SEG_MANDATORY_MISSING = "3"
SEG_LOOP_OVER_MAX = "4"
SEG_OVER_MAX_USE = "5"
SEG_NOT_IN_SET = "6"
SEG_OUT_OF_SEQUENCE = "7"
SEG_HAS_ELEMENT_ERRORS = "8"

# AK4 / IK4 element syntax error codes
ELEM_MANDATORY_MISSING = "1"
ELEM_CONDITIONAL_MISSING = "2"
ELEM_TOO_MANY = "3"
ELEM_TOO_SHORT = "4"
ELEM_TOO_LONG = "5"
ELEM_INVALID_CHARACTER = "6"
ELEM_INVALID_CODE = "7"
ELEM_INVALID_DATE = "8"
ELEM_INVALID_TIME = "9"
ELEM_EXCLUSION_VIOLATED = "10"
ELEM_TOO_MANY_REPETITIONS = "12"
ELEM_TOO_MANY_COMPONENTS = "13"

# AK5 / IK5 transaction set codes
TS_NOT_SUPPORTED = "1"
TS_TRAILER_MISSING = "2"
TS_CONTROL_MISMATCH = "3"
TS_COUNT_MISMATCH = "4"
TS_SEGMENTS_IN_ERROR = "5"
TS_INVALID_ID = "6"
TS_INVALID_CONTROL = "7"
TS_CONTROL_NOT_UNIQUE = "23"

# AK9 functional group codes
FG_NOT_SUPPORTED = "1"
FG_VERSION_NOT_SUPPORTED = "2"
FG_TRAILER_MISSING = "3"
FG_CONTROL_MISMATCH = "4"
FG_COUNT_MISMATCH = "5"
FG_CONTROL_SYNTAX = "6"
FG_CONTROL_NOT_UNIQUE = "19"

# TA1 interchange note codes
ISA_CONTROL_MISMATCH = "001"
ISA_VERSION_NOT_SUPPORTED = "003"
ISA_INVALID_TERMINATOR = "004"
ISA_INVALID_SENDER_QUALIFIER = "005"
ISA_INVALID_SENDER_ID = "006"
ISA_INVALID_RECEIVER_QUALIFIER = "007"
ISA_INVALID_RECEIVER_ID = "008"
ISA_INVALID_AUTH_QUALIFIER = "010"
ISA_INVALID_SECURITY_QUALIFIER = "012"
ISA_INVALID_DATE = "014"
ISA_INVALID_TIME = "015"
ISA_INVALID_STANDARDS_ID = "016"
ISA_INVALID_VERSION = "017"
ISA_INVALID_CONTROL = "018"
ISA_INVALID_ACK_REQUESTED = "019"
ISA_INVALID_TEST_INDICATOR = "020"
ISA_INVALID_GROUP_COUNT = "021"
ISA_INVALID_CONTROL_STRUCTURE = "022"
ISA_PREMATURE_END = "023"
ISA_INVALID_CONTENT = "024"
ISA_DUPLICATE_CONTROL = "025"
ISA_INVALID_ELEMENT_SEPARATOR = "026"
ISA_INVALID_COMPONENT_SEPARATOR = "027"

# Business rules: transaction-level warnings with no X12 code of their own
RULE_TOTAL_MISMATCH = "TDS"
RULE_HL_PARENT = "HL"
RULE_LINE_COUNT = "CTT"
RULE_HASH_TOTAL = "CTT02"


@dataclass(frozen=True, slots=True)
class X12Error:
    """One finding, placed as precisely as the input allows (positions are 1-based; ST is segment 1)."""

    level: Level
    code: str
    message: str
    segment_id: str | None = None
    segment_position: int | None = None
    element_position: int | None = None
    component_position: int | None = None
    repetition_position: int | None = None
    element_ref: str | None = None
    loop_id: str | None = None
    bad_value: str | None = None
    offset: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        data["severity"] = self.severity.value
        return data

    @property
    def place(self) -> str:
        """Where the finding is, in words ("PO1, segment 13, element 02, byte 436"); empty when nowhere."""
        where = []
        if self.segment_id:
            where.append(self.segment_id)
        if self.segment_position is not None:
            where.append(f"segment {self.segment_position}")
        if self.element_position is not None:
            pos = f"element {self.element_position:02d}"
            if self.component_position is not None:
                pos += f"-{self.component_position}"
            where.append(pos)
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return ", ".join(where)

    def __str__(self) -> str:
        place = f" ({self.place})" if self.place else ""
        return f"{self.severity.value} {self.level.value} {self.code}{place}: {self.message}"


def has_errors(errors: list[X12Error]) -> bool:
    return any(e.severity is Severity.ERROR for e in errors)
