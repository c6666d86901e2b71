"""A partner's TA1 interchange acknowledgment: checked as the envelope is read, mapped to a model.

A TA1 answers one interchange as a whole. It sits in its own interchange (often with no groups) or before
the first GS, and TA104 R means the partner's translator dropped every set in that interchange without a
997: the sender learns of a rejected ship notice only from the TA1. TA102 may be a leap day (``200229``),
so the date is checked as a date, not as six digits. Elements after TA105 are only noted: a published sample
ends its TA1 with a stray component separator.
"""

from __future__ import annotations

import re

from crossdock.core.models import InterchangeAcknowledgment
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.envelope import Interchange, Segment
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.values import x12_date

# X12 data element I18, interchange note code
NOTE_CODES = {
    "000": "no error",
    "001": "the interchange control numbers in the header and trailer do not match",
    "002": "this standard as noted in the control standards identifier is not supported",
    "003": "this version of the controls is not supported",
    "004": "the segment terminator is invalid",
    "005": "invalid interchange ID qualifier for sender",
    "006": "invalid interchange sender ID",
    "007": "invalid interchange ID qualifier for receiver",
    "008": "invalid interchange receiver ID",
    "009": "unknown interchange receiver ID",
    "010": "invalid authorization information qualifier value",
    "011": "invalid authorization information value",
    "012": "invalid security information qualifier value",
    "013": "invalid security information value",
    "014": "invalid interchange date value",
    "015": "invalid interchange time value",
    "016": "invalid interchange standards identifier value",
    "017": "invalid interchange version ID value",
    "018": "invalid interchange control number value",
    "019": "invalid acknowledgment requested value",
    "020": "invalid test indicator value",
    "021": "invalid number of included groups value",
    "022": "invalid control structure",
    "023": "improper (premature) end-of-file (transmission)",
    "024": "invalid interchange content (e.g. an invalid GS segment)",
    "025": "duplicate interchange control number",
    "026": "invalid data element separator",
    "027": "invalid component element separator",
    "028": "invalid delivery date in deferred delivery request",
    "029": "invalid delivery time in deferred delivery request",
    "030": "invalid delivery time code in deferred delivery request",
    "031": "invalid grade of service code",
}
STATUSES = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}

_CONTROL = re.compile(r"\d{9}", re.ASCII)
_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d", re.ASCII)


def ta1_errors(seg: Segment) -> list[X12Error]:
    """Every element of a TA1 that is missing or not what I12, I08, I09, I17 and I18 allow."""
    found: list[X12Error] = []

    def bad(pos: int, what: str) -> None:
        value = seg.get(pos)
        found.append(
            X12Error(
                Level.INTERCHANGE,
                E.ISA_INVALID_CONTENT,
                f"TA1{pos:02d} {what} {value!r} is not valid" if value else f"TA1{pos:02d} {what} is missing",
                segment_id="TA1",
                element_position=pos,
                bad_value=value or None,
                offset=seg.offset,
            )
        )

    if len(seg) > 5:
        found.append(
            X12Error(
                Level.INTERCHANGE,
                E.ISA_INVALID_CONTENT,
                f"TA1 has {len(seg)} elements, not 5: the ones after TA105 are ignored",
                segment_id="TA1",
                element_position=6,
                offset=seg.offset,
                severity=Severity.WARNING,
            )
        )
    if not _CONTROL.fullmatch(seg.get(1)):
        bad(1, "interchange control number")
    if len(seg.get(2)) != 6 or x12_date(seg.get(2)) is None:
        bad(2, "interchange date")
    if not _TIME.fullmatch(seg.get(3)):
        bad(3, "interchange time")
    if seg.get(4) not in STATUSES:
        bad(4, "acknowledgment code")
    if seg.get(5) not in NOTE_CODES:
        bad(5, "note code")
    return found


def interchange_acknowledgments(ic: Interchange) -> list[InterchangeAcknowledgment]:
    """The TA1s an interchange carries, each as sent (a bad element stays visible in ``ta1_errors``)."""
    return [
        InterchangeAcknowledgment(
            interchange_control=seg.get(1).strip(),
            interchange_date=x12_date(seg.get(2)),
            interchange_time=seg.get(3).strip() or None,
            status=seg.get(4).strip(),
            note_code=seg.get(5).strip(),
            note=NOTE_CODES.get(seg.get(5).strip()),
        )
        for seg in ic.service_segments
        if seg.id == "TA1"
    ]
