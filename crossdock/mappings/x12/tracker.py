"""The envelope checks: ISA/GS/ST nesting, headers against trailers, and what a file leaves open.

The reader feeds envelope segments (ISA, GS, ST, SE, GE, IEA, TA1, ISB, ISE) to ``EnvelopeTracker`` and body
segments straight into the open transaction set. Counts are compared as numbers (partners zero-pad them),
control numbers as strings, with a warning when they differ only in padding.
"""

from __future__ import annotations

import re
from typing import Literal

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import IsaRead
from crossdock.mappings.x12.envelope import Event, FunctionalGroup, Interchange, Segment, TransactionSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.isa_checks import check_isa
from crossdock.mappings.x12.ta1 import ta1_errors
from crossdock.mappings.x12.values import is_digits

_DIGITS = re.compile(r"\d+", re.ASCII)
_GS_DATE = re.compile(r"(\d\d)?\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", re.ASCII)
_GS_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d(\d{2,4})?", re.ASCII)
_GS_CONTROL = re.compile(r"\d{1,9}", re.ASCII)


def _err(
    level: Level,
    code: str,
    message: str,
    seg: Segment | None = None,
    pos: int | None = None,
    severity: Severity = Severity.ERROR,
) -> X12Error:
    return X12Error(
        level,
        code,
        message,
        segment_id=seg.id if seg is not None else None,
        segment_position=seg.position if seg is not None and seg.position else None,
        element_position=pos,
        offset=seg.offset if seg is not None else None,
        severity=severity,
    )


def compare_control(header: str, trailer: str) -> Literal["same", "padding", "different"]:
    """Control numbers are strings; ones equal as numbers but padded differently are only noted."""
    h, t = header.strip(), trailer.strip()
    if h == t:
        return "same"
    if _DIGITS.fullmatch(h) and _DIGITS.fullmatch(t) and int(h) == int(t):
        return "padding"
    return "different"


def _count(value: str) -> int | None:
    value = value.strip()
    return int(value) if _DIGITS.fullmatch(value) else None


class EnvelopeTracker:
    """Follows ISA/GS/ST nesting, checks headers against trailers, and closes what a file leaves open."""

    def __init__(self, codec: str, encoding: str | None = None) -> None:
        self.codec = codec
        self.encoding = encoding
        self.seen_controls: set[tuple[str, str]] = set()
        self.interchange: Interchange | None = None
        self.group: FunctionalGroup | None = None
        self.ts: TransactionSet | None = None

    def start_interchange(self, isa: IsaRead, offset: int) -> Interchange:
        ic = Interchange(isa.elements, isa.delimiters, offset, check_isa(isa, offset))
        key = (ic.sender_id, ic.control)
        if key in self.seen_controls:
            ic.errors.append(
                X12Error(
                    Level.INTERCHANGE,
                    E.ISA_DUPLICATE_CONTROL,
                    f"ISA13 {ic.control} from {ic.sender_id} repeats an interchange in this file",
                    segment_id="ISA",
                    element_position=13,
                    offset=offset,
                )
            )
        self.seen_controls.add(key)
        self.interchange = ic
        return ic

    def _content_error(self, seg: Segment, message: str) -> None:
        assert self.interchange is not None
        self.interchange.errors.append(_err(Level.INTERCHANGE, E.ISA_INVALID_CONTENT, message, seg))

    def service(self, seg: Segment) -> None:
        assert self.interchange is not None
        if self.group is not None:
            self._content_error(seg, f"{seg.id} inside a functional group")
        if seg.id == "TA1":
            self.interchange.errors.extend(ta1_errors(seg))
        self.interchange.service_segments.append(seg)

    def start_group(self, seg: Segment) -> list[Event]:
        events = self.close_group(seg, missing=True) if self.group is not None else []
        ic = self.interchange
        assert ic is not None
        group = FunctionalGroup(seg, ic)
        ic.groups.append(group)
        self.group = group
        n = len(seg)
        if n != 8:
            self._content_error(seg, f"GS has {n} elements, not 8: GS08 may not be the version")
        date, time, control = seg.get(4), seg.get(5), seg.get(6)
        if not _GS_DATE.fullmatch(date):
            self._content_error(seg, f"GS04 date {date!r} is not CCYYMMDD")
        elif len(date) == 6:
            group.errors.append(
                _err(Level.GROUP, E.FG_NOT_SUPPORTED, f"GS04 date {date!r} has 6 digits", seg, 4, Severity.WARNING)
            )
        if not _GS_TIME.fullmatch(time):
            self._content_error(seg, f"GS05 time {time!r} is not HHMM[SS[dd]]")
        if not _GS_CONTROL.fullmatch(control.strip()):
            group.errors.append(
                _err(Level.GROUP, E.FG_CONTROL_SYNTAX, f"GS06 control number {control!r} is not 1-9 digits", seg, 6)
            )
        if any(g.control == group.control for g in ic.groups[:-1]):
            group.errors.append(
                _err(
                    Level.GROUP,
                    E.FG_CONTROL_NOT_UNIQUE,
                    f"group control number {control} repeats within the interchange",
                    seg,
                    6,
                    Severity.WARNING,
                )
            )
        if seg.get(7).strip() not in ("X", "T"):
            self._content_error(seg, f"GS07 agency {seg.get(7)!r} is not X")
        elif seg.get(7).strip() == "T":
            group.errors.append(
                _err(Level.GROUP, E.FG_NOT_SUPPORTED, "GS07 is T (TDCC), read as X", seg, 7, Severity.WARNING)
            )
        if not seg.get(8).strip():
            group.errors.append(_err(Level.GROUP, E.FG_VERSION_NOT_SUPPORTED, "GS08 version is empty", seg, 8))
        events.append(("group", group))
        return events

    def start_set(self, seg: Segment) -> list[Event]:
        events = self.close_set(seg, missing=True) if self.ts is not None else []
        if self.group is None:
            self._content_error(seg, "ST outside a functional group (no GS before it)")
            return events
        ts = TransactionSet(self.group, [seg.text], [seg.offset], seg.delimiters, self.codec, self.encoding)
        self.ts = ts
        code, control = seg.get(1), seg.get(2)
        if not (len(code) == 3 and is_digits(code)):
            ts.errors.append(
                _err(Level.TRANSACTION, E.TS_INVALID_ID, f"ST01 {code!r} is not a transaction set id", seg, 1)
            )
        if not 4 <= len(control.strip()) <= 9:
            ts.errors.append(
                _err(
                    Level.TRANSACTION,
                    E.TS_INVALID_CONTROL,
                    f"ST02 control number {control!r} is not 4-9 characters",
                    seg,
                    2,
                )
            )
        if control in self.group.controls:
            ts.errors.append(
                _err(
                    Level.TRANSACTION,
                    E.TS_CONTROL_NOT_UNIQUE,
                    f"ST02 {control} repeats within the group",
                    seg,
                    2,
                    Severity.WARNING,
                )
            )
        self.group.controls.add(control)
        return events

    def close_set(self, seg: Segment | None, missing: bool = False) -> list[Event]:
        ts = self.ts
        if ts is None:
            if seg is not None:
                self._content_error(seg, "SE without an ST")
            return []
        self.ts = None
        assert self.group is not None
        self.group.count += 1
        if missing:
            where = f"before {seg.id} at byte {seg.offset}" if seg is not None else "at the end of the file"
            ts.errors.append(
                X12Error(
                    Level.TRANSACTION,
                    E.TS_TRAILER_MISSING,
                    f"transaction set {ts.control} has no SE trailer: it ends {where}",
                    segment_id="SE",
                    offset=seg.offset if seg is not None else None,
                )
            )
            return [("transaction", ts)]
        assert seg is not None
        count = _count(seg.get(1))
        actual = ts.count
        if count != actual:
            ts.errors.append(
                _err(
                    Level.TRANSACTION,
                    E.TS_COUNT_MISMATCH,
                    f"SE01 says {seg.get(1)!r} segments, the set has {actual}",
                    seg,
                    1,
                )
            )
        match = compare_control(ts.control, seg.get(2))
        if match != "same":
            ts.errors.append(
                _err(
                    Level.TRANSACTION,
                    E.TS_CONTROL_MISMATCH,
                    f"SE02 {seg.get(2)!r} does not match ST02 {ts.control!r}",
                    seg,
                    2,
                    Severity.WARNING if match == "padding" else Severity.ERROR,
                )
            )
        return [("transaction", ts)]

    def close_group(self, seg: Segment | None, missing: bool = False) -> list[Event]:
        events = self.close_set(seg, missing=True) if self.ts is not None else []
        group = self.group
        if group is None:
            if seg is not None:
                self._content_error(seg, "GE without a GS")
            return events
        self.group = None
        if missing:
            where = f"before {seg.id} at byte {seg.offset}" if seg is not None else "at the end of the file"
            group.errors.append(
                X12Error(
                    Level.GROUP,
                    E.FG_TRAILER_MISSING,
                    f"group {group.control} has no GE trailer: it ends {where}",
                    segment_id="GE",
                    offset=seg.offset if seg is not None else None,
                )
            )
        else:
            assert seg is not None
            count = _count(seg.get(1))
            if count != group.count:
                group.errors.append(
                    _err(
                        Level.GROUP,
                        E.FG_COUNT_MISMATCH,
                        f"GE01 says {seg.get(1)!r} transaction sets, the group has {group.count}",
                        seg,
                        1,
                    )
                )
            match = compare_control(group.control, seg.get(2))
            if match != "same":
                group.errors.append(
                    _err(
                        Level.GROUP,
                        E.FG_CONTROL_MISMATCH,
                        f"GE02 {seg.get(2)!r} does not match GS06 {group.control!r}",
                        seg,
                        2,
                        Severity.WARNING if match == "padding" else Severity.ERROR,
                    )
                )
        events.append(("group_end", group))
        return events

    def close_interchange(self, seg: Segment | None) -> list[Event]:
        events = self.close_group(seg, missing=True) if self.group is not None else []
        if self.ts is not None:
            events += self.close_set(seg, missing=True)
        ic = self.interchange
        if ic is None:
            return events
        self.interchange = None
        ic.closed = True
        if seg is None or seg.id != "IEA":
            where = f"before the ISA at byte {seg.offset}" if seg is not None else "at the end of the file"
            ic.errors.append(
                X12Error(
                    Level.INTERCHANGE,
                    E.ISA_PREMATURE_END,
                    f"interchange {ic.control} has no IEA trailer: it ends {where}",
                    segment_id="IEA",
                    offset=seg.offset if seg is not None else None,
                )
            )
        else:
            count = _count(seg.get(1))
            if count != len(ic.groups):
                ic.errors.append(
                    _err(
                        Level.INTERCHANGE,
                        E.ISA_INVALID_GROUP_COUNT,
                        f"IEA01 says {seg.get(1)!r} groups, the interchange has {len(ic.groups)}",
                        seg,
                        1,
                    )
                )
            match = compare_control(ic.control, seg.get(2))
            if match != "same":
                ic.errors.append(
                    _err(
                        Level.INTERCHANGE,
                        E.ISA_CONTROL_MISMATCH,
                        f"IEA02 {seg.get(2)!r} does not match ISA13 {ic.control!r}",
                        seg,
                        2,
                        Severity.WARNING if match == "padding" else Severity.ERROR,
                    )
                )
        events.append(("interchange_end", ic))
        return events
