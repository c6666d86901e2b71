"""Reading a partner's 997 or 999 into an ``Acknowledgment``: which of our groups and sets they accepted.

Everything is reported as sent, because the acknowledgment is evidence, not a document to repair: AK9 is not
reconciled with the AK2 loops (``AK9*R*2*2*1`` is a real sample), and set control numbers stay strings so
they match our ST02 with its leading zeros. Errors become readable strings, one per AK3/AK4 (IK3/IK4) and
per AK5/IK5 or AK9 code, with the code's standard meaning. Values are shown in standard notation whatever
the partner's delimiters: components joined with ``:``, repetitions with ``^`` (5010 allows repetitions
inside AK3/AK4); an element position is ``element[:component]`` plus ``repetition n`` when given. A 999's
CTX context is appended to the error it follows.
"""

from __future__ import annotations

from typing import Literal

from crossdock.core.errors import DecodeError
from crossdock.core.models import Acknowledgment, SetAcknowledgment
from crossdock.mappings.x12.envelope import Segment, TransactionSet
from crossdock.mappings.x12.values import elem, is_digits

SEGMENT_ERRORS = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": "implementation 'not used' segment present",
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": "implementation dependent 'not used' segment present",
}
ELEMENT_ERRORS = {
    "1": "required data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": "implementation 'not used' data element present",
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": "implementation dependent 'not used' data element present",
}
SET_ERRORS = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "transaction set control number in header and trailer do not match",
    "4": "number of included segments does not match actual count",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "8": "authentication key name unknown",
    "9": "encryption key name unknown",
    "10": "requested service not available",
    "11": "unknown security recipient",
    "12": "incorrect message length",
    "13": "message authentication code failed",
    "15": "unknown security originator",
    "16": "syntax error in decrypted text",
    "17": "security not supported",
    "18": "transaction set not in functional group",
    "19": "invalid transaction set implementation convention reference",
    "23": "transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "implementation one or more segments in error",
    "I6": "implementation convention not supported",
}
GROUP_ERRORS = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control number in the functional group header and trailer do not agree",
    "5": "number of included transaction sets does not match actual count",
    "6": "group control number violates syntax",
    "10": "authentication key name unknown",
    "11": "encryption key name unknown",
    "12": "requested service not available",
    "13": "unknown security recipient",
    "14": "unknown security originator",
    "15": "syntax error in decrypted text",
    "16": "security not supported",
    "17": "incorrect message length",
    "18": "message authentication code failed",
    "19": "functional group control number not unique within interchange",
    "23": "S3E security end segment missing for S3S security start segment",
    "24": "S3S security start segment missing for S3E security end segment",
    "25": "S4E security end segment missing for S4S security start segment",
    "26": "S4S security start segment missing for S4E security end segment",
}


def value(seg: Segment, i: int) -> str:
    """Element ``i`` in standard notation (``:`` between components, ``^`` between repetitions), untrimmed."""
    return "^".join(r.replace(seg.delimiters.component, ":") for r in seg.repeats(i))


def describe(code: str, table: dict[str, str]) -> str:
    meaning = table.get(code)
    return f"error {code} ({meaning})" if meaning else f"error {code}"


def _count(text: str) -> int | None:
    text = text.strip()
    return int(text) if is_digits(text) else None


def segment_error(seg: Segment) -> str:
    """AK3/IK3: segment id, position in the set, loop id and syntax error code."""
    out = f"{seg.id} segment {value(seg, 1)} at position {value(seg, 2)}"
    if loop := value(seg, 3).strip():
        out += f" in loop {loop}"
    if code := value(seg, 4).strip():
        out += f": {describe(code, SEGMENT_ERRORS)}"
    return out


def element_error(seg: Segment, segment: Segment | None) -> str:
    """AK4/IK4: element position (composite ``2:1``, repetition), reference number, code and the bad value."""
    position = seg.component(1, 1).strip()
    if component := seg.component(1, 2).strip():
        position += f":{component}"
    if repetition := seg.component(1, 3).strip():
        position += f" repetition {repetition}"
    out = f"{seg.id} element {position}"
    if ref := value(seg, 2).strip():
        out += f" (ref {ref})"
    if segment is not None:
        out += f" of {value(segment, 1)} at position {value(segment, 2)}"
    if code := value(seg, 3).strip():
        out += f": {describe(code, ELEMENT_ERRORS)}"
    if len(seg) >= 4:
        out += f", bad value {value(seg, 4)!r}"
    return out


def _codes(seg: Segment, first: int, last: int, table: dict[str, str]) -> list[str]:
    return [f"{seg.id} {describe(code, table)}" for i in range(first, last + 1) if (code := seg.get(i).strip())]


def acknowledgment_from_997(ts: TransactionSet) -> Acknowledgment:
    """Map a 997 or a 999 (same loop: AK1, AK2 per set with AK3/AK4 or IK3/IK4/CTX, AK5 or IK5, AK9)."""
    if ts.code not in ("997", "999"):
        raise DecodeError(f"expected a 997 or 999, got {ts.code}")
    ack: Acknowledgment | None = None
    current: SetAcknowledgment | None = None
    segment: Segment | None = None
    for seg in ts.segments[1:]:
        sid = seg.id
        if sid == "AK1":
            kind: Literal["997", "999"] = "999" if ts.code == "999" else "997"
            ack = Acknowledgment(
                kind=kind,
                functional_id=seg.get(1).strip(),
                group_control=seg.get(2).strip(),
                version=elem(seg, 3),
                status="",
            )
        elif ack is None:
            continue
        elif sid == "AK2":
            current = SetAcknowledgment(code=seg.get(1).strip(), control=seg.get(2).strip(), status="")
            ack.sets.append(current)
            segment = None
        elif sid in ("AK3", "IK3") and current is not None:
            segment = seg
            current.errors.append(segment_error(seg))
        elif sid in ("AK4", "IK4") and current is not None:
            current.errors.append(element_error(seg, segment))
        elif sid == "CTX" and current is not None and current.errors:
            context = ", ".join(v for i in range(1, len(seg) + 1) if (v := value(seg, i).strip()))
            current.errors[-1] += f" [context: {context}]"
        elif sid in ("AK5", "IK5") and current is not None:
            current.status = seg.get(1).strip()
            current.errors.extend(_codes(seg, 2, 6, SET_ERRORS))
            current, segment = None, None
        elif sid == "AK9":
            ack.status = seg.get(1).strip()
            ack.sets_included, ack.sets_received, ack.sets_accepted = (_count(seg.get(i)) for i in (2, 3, 4))
            ack.errors.extend(_codes(seg, 5, 9, GROUP_ERRORS))
    if ack is None:
        raise DecodeError(f"{ts.code} {ts.control} has no AK1 segment")
    if not any(seg.id == "AK9" for seg in ts.segments):
        ack.errors.append("AK9 missing: the partner sent no group response")
    return ack


acknowledgment_from_999 = acknowledgment_from_997
