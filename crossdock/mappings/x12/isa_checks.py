"""An ISA header checked element by element before anything else in the interchange is read: the fixed-width
fields' patterns (each failure with the TA1 note code it answers to) and the interchange version against the
published ones. Apart from ``tracker`` (the nesting of envelopes) because these checks need nothing but the
ISA itself."""

from __future__ import annotations

import re

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import IsaRead
from crossdock.mappings.x12.errors import Level, Severity, X12Error

_ISA_RULES: tuple[tuple[int, str, str, str], ...] = (
    # (element, pattern, TA1 code, what it is)
    (1, r"\d\d", E.ISA_INVALID_AUTH_QUALIFIER, "authorization information qualifier"),
    (2, r".+", "011", "authorization information"),
    (3, r"\d\d", E.ISA_INVALID_SECURITY_QUALIFIER, "security information qualifier"),
    (4, r".+", "013", "security information"),
    (5, r"[A-Za-z0-9]{1,2} ?", E.ISA_INVALID_SENDER_QUALIFIER, "sender ID qualifier"),
    (6, r".*\S.*", E.ISA_INVALID_SENDER_ID, "sender ID"),
    (7, r"[A-Za-z0-9]{1,2} ?", E.ISA_INVALID_RECEIVER_QUALIFIER, "receiver ID qualifier"),
    (8, r".*\S.*", E.ISA_INVALID_RECEIVER_ID, "receiver ID"),
    (9, r"\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", E.ISA_INVALID_DATE, "interchange date (YYMMDD)"),
    (10, r"([01]\d|2[0-3])[0-5]\d", E.ISA_INVALID_TIME, "interchange time (HHMM)"),
    (12, r"\d{5}", E.ISA_INVALID_VERSION, "interchange control version number"),
    (13, r"\d{1,9}", E.ISA_INVALID_CONTROL, "interchange control number"),
    (14, r"[01]", E.ISA_INVALID_ACK_REQUESTED, "acknowledgment requested"),
    (15, r"[PTI]", E.ISA_INVALID_TEST_INDICATOR, "usage indicator"),
)


_ISA_COMPILED = tuple((i, re.compile(p, re.ASCII), c, what) for i, p, c, what in _ISA_RULES)


KNOWN_ISA_VERSIONS = frozenset(
    {
        "00200",
        "00300",
        "00302",
        "00303",
        "00304",
        "00305",
        "00306",
        "00307",
        "00400",
        "00401",
        "00402",
        "00403",
        "00404",
        "00405",
        "00406",
        "00500",
        "00501",
        "00502",
        "00503",
        "00504",
        "00505",
        "00600",
        "00601",
        "00602",
        "00603",
        "00604",
        "00700",
        "00701",
        "00702",
        "00800",
        "00801",
    }
)


def check_isa(isa: IsaRead, offset: int) -> list[X12Error]:
    found = list(isa.findings)
    for i, pattern, code, what in _ISA_COMPILED:
        value = isa.elements[i]
        if not pattern.fullmatch(value.strip() if i in (6, 8, 13) else value):
            found.append(
                X12Error(
                    Level.INTERCHANGE,
                    code,
                    f"ISA{i:02d} {what} {value!r} is not valid",
                    segment_id="ISA",
                    element_position=i,
                    bad_value=value,
                    offset=offset,
                )
            )
    version = isa.elements[12]
    if re.fullmatch(r"\d{5}", version, re.ASCII) and version not in KNOWN_ISA_VERSIONS:
        found.append(
            X12Error(
                Level.INTERCHANGE,
                E.ISA_VERSION_NOT_SUPPORTED,
                f"ISA12 {version!r} is not a published interchange version; GS08 governs the groups",
                segment_id="ISA",
                element_position=12,
                offset=offset,
                severity=Severity.WARNING,
            )
        )
    return found
