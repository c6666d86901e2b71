"""Functional acknowledgments out: a 997 or 999 for any inbound file, rejected sets and unknown senders included.

Each inbound interchange is answered by one interchange with sender and receiver swapped, in the partner's
own delimiters; each inbound group by one FA group whose GS08 follows the inbound GS08 for a 997. A 999's GS08
and ST03 name its implementation guide, ``005010X231A1``, whatever the inbound version: a translator picks its
map by it. An interchange with envelope errors also gets a TA1. Only syntax findings enter AK3/AK4
(IK3/IK4): business-rule warnings have no X12 code and stay in crossdock. A 999 writes CTX (segment context,
``SITUATIONAL TRIGGER``) only for an error that is one, an implementation-dependent segment missing or present
(IK304 I6 or I9), as the guide says; crossdock's own findings are X12 syntax errors, which carry none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import Interchange
from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.reader import Source
from crossdock.mappings.x12.report import FileResult, GroupResult, InterchangeResult, SetResult, validate_file
from crossdock.mappings.x12.writer import Element, Envelope, TransactionSet, isa_segment, render_segment

AckKind = Literal["997", "999"]
IMPLEMENTATION_999 = "005010X231A1"  # GS08 and ST03 of every 999
SITUATIONAL_TRIGGERS = frozenset({"I6", "I9"})  # IK304 codes of a segment required or not used because of another
_STATUS = {"accepted": "A", "accepted_with_errors": "E", "rejected": "R"}
_SYNTAX_LEVELS = (Level.SEGMENT, Level.ELEMENT)


@dataclass(slots=True)
class AckControls:
    """The next control numbers to use; the store allocates them, the CLI starts at 1."""

    interchange: int = 1
    group: int = 1
    transaction: int = 1


def _is_syntax(err: X12Error) -> bool:
    return err.level in _SYNTAX_LEVELS and err.code.isdigit()


def _position(err: X12Error) -> list[str]:
    """C030: element position, then component and repetition positions when there are any."""
    pos = [str(err.element_position or "")]
    if err.component_position is not None or err.repetition_position is not None:
        pos.append(str(err.component_position or ""))
    if err.repetition_position is not None:
        pos.append(str(err.repetition_position))
    return pos


DEFAULT_DELIMITERS = Delimiters("*", ">", "~", "^")


def ack_delimiters(d: Delimiters) -> Delimiters:
    """The partner's own delimiters, unless the inbound ISA made them letters, digits or blanks.

    A terminator of blanks alone (a bare space) is refused too: the 999's CTX01 is ``SITUATIONAL TRIGGER``.
    A space followed by a line break stays, as the writer then looks for the whole terminator.
    """
    singles = [d.element, d.component] + ([d.repetition] if d.repetition else [])
    blank_end = not d.segment.strip(" \t")
    if any(ch.isalnum() or ch.isspace() for ch in singles) or d.segment.strip(" \r\n").isalnum() or blank_end:
        return DEFAULT_DELIMITERS
    return d


def _clean(segment: Sequence[Element], d: Delimiters) -> list[Element]:
    """Values echoed from a broken inbound file may hold our delimiters, or characters beyond Latin-1 (a UTF-8
    ISA is read as UTF-8): they become spaces, not a crash. The usual segment holds none, which one look at its
    text joined finds."""
    text = "".join([value for value in segment if isinstance(value, str)])
    if text.isascii():
        for ch in _unsafe(d):
            if ch in text:
                break
        else:
            return list(segment)
    return [_scrub(value, d) if isinstance(value, str) else value for value in segment]


def _unsafe(d: Delimiters) -> tuple[str, ...]:
    return (d.element, d.component, d.segment, d.repetition or d.element, "\r", "\n")


def _scrub(value: str, d: Delimiters) -> str:
    for ch in _unsafe(d):
        if ch in value:
            value = value.replace(ch, " ")
    if not value.isascii():
        value = "".join(ch if ord(ch) < 256 else " " for ch in value)
    return value


def _bad_value(err: X12Error, d: Delimiters) -> str | None:
    if not err.bad_value:
        return None
    return _scrub(err.bad_value, d)[:99].rstrip() or None


def _set_body(ts: TransactionSet, s: SetResult, kind: AckKind, d: Delimiters, five: bool) -> None:
    ts.add("AK2", s.code, s.control)
    by_segment: dict[tuple[str, int | None], list[X12Error]] = {}
    for err in s.errors:
        if _is_syntax(err):
            by_segment.setdefault((err.segment_id or "", err.segment_position), []).append(err)
    seg_tag, elem_tag = ("IK3", "IK4") if kind == "999" else ("AK3", "AK4")
    for (seg_id, pos), errs in by_segment.items():
        segment_errs = [e for e in errs if e.level is Level.SEGMENT]
        element_errs = [e for e in errs if e.level is Level.ELEMENT]
        code = segment_errs[0].code if segment_errs else E.SEG_HAS_ELEMENT_ERRORS
        loop = next((e.loop_id for e in segment_errs if e.loop_id), None)
        ts.add(seg_tag, seg_id[:3], pos, loop, code)
        if kind == "999" and code in SITUATIONAL_TRIGGERS:
            ts.add("CTX", "SITUATIONAL TRIGGER", seg_id[:3], pos, loop)
        written: set[tuple[tuple[str, ...], str]] = set()
        for err in element_errs[:99]:
            position = _position(err) if (five or kind == "999") else [str(err.element_position or "")]
            if (tuple(position), err.code) not in written:
                written.add((tuple(position), err.code))
                ts.add(elem_tag, position, err.element_ref, err.code, _bad_value(err, d))
    codes = []
    for err in s.errors:
        if err.level is Level.TRANSACTION and err.code.isdigit() and err.is_error:
            codes.append(err.code)
    if by_segment and s.status != "accepted":
        codes.append(E.TS_SEGMENTS_IN_ERROR)
    status = _STATUS[s.status]
    if status == "A":
        codes = []
    ts.add("IK5" if kind == "999" else "AK5", status, *list(dict.fromkeys(codes))[:5])


def _group_ack(gr: GroupResult, kind: AckKind, control: str, d: Delimiters, version: str) -> TransactionSet:
    five = version.startswith("005")
    ts = TransactionSet(kind, control, version if kind == "999" else None)
    group = gr.group
    ts.add("AK1", group.functional_id, group.control, *([group.version] if five else []))
    for s in gr.sets:
        _set_body(ts, s, kind, d, five)
    accepted = sum(1 for s in gr.sets if s.status != "rejected")
    group_codes = [e.code for e in group.errors if e.is_error and e.code.isdigit()]
    if group_codes:
        status = "R"
    elif accepted == len(gr.sets):
        status = "E" if any(s.status == "accepted_with_errors" for s in gr.sets) else "A"
    else:
        status = "P" if accepted else "R"
    ts.add("AK9", status, len(gr.sets), len(gr.sets), accepted, *group_codes[:5])
    return ts


def _accepted_997(gr: GroupResult, control: str, d: Delimiters, version: str, end: str) -> str | None:
    """The 997 set of a group accepted whole (no group error, every set accepted without a finding to echo), as
    ``_group_ack`` renders it, joined at once: the answer to nearly every file. None for any other group, and
    when an echoed value is empty, not ASCII or holds a delimiter (the general path's cleaning decides those)."""
    group = gr.group
    if any(e.is_error and e.code.isdigit() for e in group.errors):
        return None
    echoed = [group.functional_id, group.control]
    if version.startswith("005"):
        echoed.append(group.version)
    for s in gr.sets:
        if s.status != "accepted" or any(_is_syntax(err) for err in s.errors):
            return None
        echoed += (s.code, s.control)
    if not all(echoed):
        return None
    text = "".join(echoed)
    if not text.isascii() or any(ch in text for ch in _unsafe(d)):
        return None
    e = d.element
    n = str(len(gr.sets))
    out = [f"ST{e}997{e}{control}{end}AK1{e}{e.join(echoed[: 3 if version.startswith('005') else 2])}{end}"]
    for s in gr.sets:
        out.append(f"AK2{e}{s.code}{e}{s.control}{end}AK5{e}A{end}")
    out.append(f"AK9{e}A{e}{n}{e}{n}{e}{n}{end}SE{e}{4 + 2 * len(gr.sets)}{e}{control}{end}")
    return "".join(out)


def _ack_version(inbound: str, kind: AckKind) -> str:
    if kind == "999":
        return IMPLEMENTATION_999
    version = inbound.strip()
    if not re.fullmatch(r"\d{6}[A-Z0-9]{0,6}", version, re.ASCII):
        version = "004010"
    return version


def _ta1(ic: Interchange) -> list[Element] | None:
    errors = [e for e in ic.errors if e.is_error]
    if not errors and not ic.ack_requested:
        return None
    isa = ic.isa
    note = errors[0].code if errors else "000"
    return ["TA1", ic.control, isa[9], isa[10], "R" if errors else "A", note]


def acknowledge(
    result: FileResult,
    kind: AckKind = "997",
    *,
    controls: AckControls | None = None,
    created: datetime | None = None,
    newline: bool = True,
    usage: str | None = None,
) -> str:
    """The acknowledgment interchanges for a validated file, as text in the partner's delimiters.

    ``usage`` forces ISA15 (a test partner gets T whatever it sent); by default the inbound ISA15 is echoed.
    """
    controls = controls or AckControls()
    created = created or datetime.now()
    out: list[str] = []
    for ir in result.interchanges:
        out.append(_interchange(ir, kind, controls, created, newline, usage))
    return "".join(out)


def _interchange(
    ir: InterchangeResult, kind: AckKind, controls: AckControls, created: datetime, nl: bool, usage: str | None
) -> str:
    ic = ir.interchange
    d = ack_delimiters(ic.delimiters)
    end = d.segment + ("\n" if nl and d.segment not in ("\n", " \n", " \r\n") else "")
    versions = [_ack_version(gr.group.version, kind) for gr in ir.groups] or ["004010"]
    ids = [str(v)[:15] for v in _clean([ic.receiver_qualifier, ic.receiver_id, ic.sender_qualifier, ic.sender_id], d)]
    env = Envelope(
        sender_qualifier=ids[0][:2],
        sender_id=ids[1],
        receiver_qualifier=ids[2][:2],
        receiver_id=ids[3],
        interchange_control=controls.interchange,
        group_control=controls.group,
        functional_id="FA",
        version=versions[0],
        usage=usage or (ic.usage if ic.usage in ("P", "T") else "P"),
        created=created,
    )
    controls.interchange += 1
    lines = [d.element.join(isa_segment(env, d)) + end]
    ta1 = _ta1(ic)
    if ta1:
        lines.append(render_segment(_clean(ta1, d), d) + end)
    for gr, version in zip(ir.groups, versions, strict=False):
        group_control = controls.group
        controls.group += 1
        gs = [
            "GS",
            "FA",
            gr.group.receiver or ic.receiver_id,
            gr.group.sender or ic.sender_id,
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            str(group_control),
            "X",
            version,
        ]
        lines.append(render_segment(_clean(gs, d), d) + end)
        control = f"{controls.transaction:04d}"
        controls.transaction += 1
        body = _accepted_997(gr, control, d, version, end) if kind == "997" else None
        if body is None:
            ts = _group_ack(gr, kind, control, d, version)
            body = "".join([render_segment(_clean(seg, d), d) + end for seg in ts.finish()])
        lines.append(body)
        lines.append(render_segment(["GE", "1", str(group_control)], d) + end)
    lines.append(render_segment(["IEA", str(len(ir.groups)), f"{env.interchange_control:09d}"], d) + end)
    return "".join(lines)


def acknowledge_file(source: Source, *, kind: AckKind = "997", encoding: str = "latin-1") -> str:
    """Validate a file and return its acknowledgment; raises NotX12Error when it is not X12 at all."""
    from crossdock.core.errors import NotX12Error

    result = validate_file(source, encoding=encoding)
    if result.error is not None:
        raise NotX12Error(result.error, source=result.file)
    return acknowledge(result, kind)
