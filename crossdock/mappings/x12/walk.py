"""The slow path of validation, and its authority: a set walked segment by segment, every error named.

Each segment is placed in the spec's loop tree (per-loop indexes from segment id to child position) and,
where its own pattern fails, checked element by element, so that every error is named with its code and
place. ``validator`` runs it on a set its compiled pattern refuses, and on a set read in batches.

A partner may be lenient about common slips (``SLIPS``): a misplaced segment that is one of them is then a
warning, so the set is accepted with errors (AK5/IK5 E) instead of rejected, and the mapping reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.patterns import segment_regex
from crossdock.mappings.x12.spec import ElementSpec, LoopNode, SegmentNode, SegmentSpec, TransactionSetSpec
from crossdock.mappings.x12.values import is_digits, x12_date

_NUMERIC = re.compile(r"-?\d+", re.ASCII)
_REAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)", re.ASCII)
_TIME = re.compile(r"([01]\d|2[0-3])[0-5]\d(?:[0-5]\d(?:\d{1,2})?)?", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# The slips a partner may be lenient about (``lenient`` in its configuration), what each one is
SLIPS = {
    "msg_in_n9": "MSG inside a 5010 N9 loop, where 5010 has MTX",
    "po4_before_pid": "PO4 before the line's PID",
    "out_of_order": "a segment out of order within a loop that is open",
}


def _simple_error(value: str, es: ElementSpec) -> tuple[str, str] | None:
    t = es.type
    if t.startswith("N") and t != "N":
        if not _NUMERIC.fullmatch(value):
            return E.ELEM_INVALID_CHARACTER, f"{value!r} is not a number of type {t}"
        size = len(value.lstrip("-"))
    elif t == "R":
        if not _REAL.fullmatch(value):
            return E.ELEM_INVALID_CHARACTER, f"{value!r} is not a decimal number"
        size = sum(ch in "0123456789" for ch in value)
    elif t == "DT":
        if not is_digits(value) or len(value) not in (6, 8) or x12_date(value) is None:
            return E.ELEM_INVALID_DATE, f"{value!r} is not a valid date"
        size = len(value)
    elif t == "TM":
        if not is_digits(value) or not _TIME.fullmatch(value):
            return E.ELEM_INVALID_TIME, f"{value!r} is not a valid time"
        size = len(value)
    else:
        if _CONTROL.search(value):
            return E.ELEM_INVALID_CHARACTER, f"{value!r} holds a control character"
        size = len(value)
    if size < es.min_len:
        return E.ELEM_TOO_SHORT, f"{value!r} is shorter than {es.min_len}"
    if size > es.max_len:
        return E.ELEM_TOO_LONG, f"{value!r} is longer than {es.max_len}"
    if es.codes is not None and value not in es.codes:
        return E.ELEM_INVALID_CODE, f"{value!r} is not a valid code for element {es.ref}"
    return None


def check_segment(seg: Segment, spec: SegmentSpec) -> list[X12Error]:
    """Name every element error of one segment (the slow path)."""
    d = seg.delimiters
    found: list[X12Error] = []

    def add(
        code: str,
        msg: str,
        pos: int,
        comp: int | None = None,
        ref: str | None = None,
        value: str = "",
        rep: int | None = None,
    ) -> None:
        found.append(
            X12Error(
                Level.ELEMENT,
                code,
                f"{seg.id}{pos:02d}: {msg}",
                segment_id=seg.id,
                segment_position=seg.position,
                element_position=pos,
                component_position=comp,
                repetition_position=rep,
                element_ref=ref,
                bad_value=value[:99] or None,
                offset=seg.offset,
            )
        )

    extra = [i for i in range(len(spec.elements) + 1, len(seg.elements)) if seg.elements[i]]
    if extra:
        add(
            E.ELEM_TOO_MANY,
            f"{seg.id} has {len(seg.elements) - 1} elements, at most {len(spec.elements)}",
            extra[0],
            value=seg.elements[extra[0]],
        )
    for i, es in enumerate(spec.elements, 1):
        value = seg.get(i)
        if es.usage == "N" or not value:
            if es.usage == "M" and not value:
                add(E.ELEM_MANDATORY_MISSING, "mandatory element is missing", i, ref=es.ref)
            continue
        reps = value.split(d.repetition) if d.repetition and es.repeat > 1 else [value]
        if len(reps) > es.repeat:
            add(
                E.ELEM_TOO_MANY_REPETITIONS, f"{len(reps)} repetitions, at most {es.repeat}", i, ref=es.ref, value=value
            )
        for r, rv in enumerate(reps, 1):
            rep = r if len(reps) > 1 else None
            if es.components is None:
                problem = _simple_error(rv, es)
                if d.component in rv:
                    problem = (E.ELEM_INVALID_CHARACTER, f"{rv!r} holds the component separator {d.component!r}")
                if problem:
                    add(problem[0], problem[1], i, ref=es.ref, value=rv, rep=rep)
                continue
            comps = rv.split(d.component)
            if len(comps) > len(es.components):
                add(
                    E.ELEM_TOO_MANY_COMPONENTS,
                    f"{len(comps)} components, at most {len(es.components)}",
                    i,
                    ref=es.ref,
                    value=rv,
                    rep=rep,
                )
            for j, cs in enumerate(es.components, 1):
                cv = comps[j - 1] if j <= len(comps) else ""
                if not cv:
                    if cs.usage == "M":
                        add(E.ELEM_MANDATORY_MISSING, f"mandatory component {j} is missing", i, j, cs.ref, rep=rep)
                    continue
                problem = _simple_error(cv, cs)
                if problem:
                    add(problem[0], problem[1], i, j, cs.ref, cv, rep)
    found.extend(_note_errors(seg, spec))
    return found


def _note_errors(seg: Segment, spec: SegmentSpec) -> list[X12Error]:
    found = []
    for note in spec.notes:
        present = [bool(seg.get(p)) for p in note.positions]
        bad: tuple[str, int] | None = None
        if note.kind == "P" and any(present) and not all(present):
            bad = E.ELEM_CONDITIONAL_MISSING, note.positions[present.index(False)]
        elif note.kind == "R" and not any(present):
            bad = E.ELEM_CONDITIONAL_MISSING, note.positions[0]
        elif note.kind == "E" and sum(present) > 1:
            bad = E.ELEM_EXCLUSION_VIOLATED, note.positions[[i for i, p in enumerate(present) if p][1]]
        elif note.kind == "C" and present[0] and not all(present[1:]):
            bad = E.ELEM_CONDITIONAL_MISSING, note.positions[1 + present[1:].index(False)]
        elif note.kind == "L" and present[0] and not any(present[1:]):
            bad = E.ELEM_CONDITIONAL_MISSING, note.positions[1]
        if bad:
            code, pos = bad
            ref = spec.elements[pos - 1].ref if pos <= len(spec.elements) else None
            found.append(
                X12Error(
                    Level.ELEMENT,
                    code,
                    f"{seg.id}{pos:02d}: syntax note {note} is not met",
                    segment_id=seg.id,
                    segment_position=seg.position,
                    element_position=pos,
                    element_ref=ref,
                    offset=seg.offset,
                )
            )
    return found


class _Frame:
    __slots__ = ("counts", "idx", "loop")

    def __init__(self, loop: LoopNode, idx: int) -> None:
        self.loop = loop
        self.idx = idx
        self.counts: dict[int, int] = {}


def _seg_error(code: str, msg: str, seg: Segment | None, seg_id: str, loop: str | None = None) -> X12Error:
    return X12Error(
        Level.SEGMENT,
        code,
        msg,
        segment_id=seg_id,
        segment_position=seg.position if seg is not None else None,
        loop_id=loop or None,
        offset=seg.offset if seg is not None else None,
    )


class _Walker:
    """Places each segment in the spec's loop tree and reports what is missing, repeated or misplaced."""

    def __init__(self, spec: TransactionSetSpec, lenient: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        self.stack = [_Frame(spec.root, -1)]
        self.errors: list[X12Error] = []
        self.lenient = lenient

    def _skipped(self, frame: _Frame, stop: int, seg: Segment | None) -> None:
        counts = frame.counts
        for i in frame.loop.mandatory:
            if frame.idx < i < stop and not counts.get(i):
                child = frame.loop.children[i]
                cid = child.id if isinstance(child, SegmentNode) else child.trigger
                self.errors.append(
                    _seg_error(E.SEG_MANDATORY_MISSING, f"mandatory segment {cid} is missing", seg, cid, frame.loop.id)
                )

    def place(self, seg: Segment) -> bool:
        sid = seg.elements[0]
        stack = self.stack
        for depth in range(len(stack) - 1, -1, -1):
            frame = stack[depth]
            candidates = frame.loop.index.get(sid)
            if not candidates:
                continue
            start = frame.idx if frame.idx > 0 else 0
            at = -1
            for i in candidates:
                if i >= start and (i or not depth):
                    at = i
                    break
            if at < 0:
                continue
            if depth + 1 < len(stack):
                for closed in stack[depth + 1 :]:
                    self._skipped(closed, len(closed.loop.children), seg)
                del stack[depth + 1 :]
            child = frame.loop.children[at]
            if frame.idx + 1 < at:
                self._skipped(frame, at, seg)
            frame.idx = at
            used = frame.counts[at] = frame.counts.get(at, 0) + 1
            if isinstance(child, SegmentNode):
                if used > child.max_use:
                    self.errors.append(
                        _seg_error(
                            E.SEG_OVER_MAX_USE, f"{sid} occurs more than {child.max_use} times", seg, sid, frame.loop.id
                        )
                    )
            else:
                if used > child.max_repeat:
                    self.errors.append(
                        _seg_error(
                            E.SEG_LOOP_OVER_MAX,
                            f"loop {child.id} occurs more than {child.max_repeat} times",
                            seg,
                            sid,
                            child.id,
                        )
                    )
                inner = _Frame(child, 0)
                inner.counts[0] = 1
                stack.append(inner)
            return True
        known_here = sid in self.spec.segment_ids()
        if known_here:
            code, msg = E.SEG_OUT_OF_SEQUENCE, f"{sid} is not in its proper place"
        elif sid in self.spec.segments:
            code, msg = E.SEG_NOT_IN_SET, f"{sid} is not a segment of the {self.spec.code} transaction set"
        elif re.fullmatch(r"[A-Z][A-Z0-9]{1,2}", sid):
            code, msg = E.SEG_UNEXPECTED, f"{sid} is not expected in the {self.spec.code} transaction set"
        else:
            code, msg = E.SEG_UNRECOGNIZED, f"{sid[:20]!r} is not a segment id"
        found = _seg_error(code, msg, seg, sid[:3], self.stack[-1].loop.id)
        slip = self._slip(sid, code) if self.lenient else None
        if slip is not None:
            found = replace(found, message=f"{msg} (accepted: {SLIPS[slip]})", severity=Severity.WARNING)
        self.errors.append(found)
        return False

    def _slip(self, sid: str, code: str) -> str | None:
        """The slip a misplaced segment is, when the partner is lenient about it."""
        frame = self.stack[-1]
        loop = frame.loop
        if sid == "MSG" and loop.id == "N9" and self.spec.version.startswith("005") and "MTX" in loop.index:
            slip = "msg_in_n9"
        elif code != E.SEG_OUT_OF_SEQUENCE:
            return None
        elif sid == "PID" and any(
            loop.children[i].id == "PO4" and frame.counts.get(i) for i in loop.index.get("PO4", ())
        ):
            slip = "po4_before_pid"
        elif any(self._room_for(f, sid) for f in self.stack):
            slip = "out_of_order"
        else:
            return None
        return slip if slip in self.lenient else None

    @staticmethod
    def _room_for(frame: _Frame, sid: str) -> bool:
        """Whether ``sid`` has a place earlier in an open loop that it has not used up (a second BEG has none)."""
        for i in frame.loop.index.get(sid, ()):
            child = frame.loop.children[i]
            limit = child.max_use if isinstance(child, SegmentNode) else child.max_repeat
            if frame.counts.get(i, 0) < limit:
                return True
        return False

    def finish(self, last: Segment | None) -> None:
        for frame in reversed(self.stack):
            self._skipped(frame, len(frame.loop.children), last)


class SetWalk:
    """The authority on a set's syntax: each segment placed in the spec's loop tree and, where its own pattern
    refuses it, checked element by element. Fed the whole set (``feed``), or a segment at a time (``step``)."""

    def __init__(self, spec: TransactionSetSpec, delimiters: Delimiters, lenient: frozenset[str] = frozenset()) -> None:
        self.spec = spec
        self.delimiters = delimiters
        self.walker = _Walker(spec, lenient)
        self.last: Segment | None = None
        self.matchers: dict[str, Callable[[str], object] | None] = {}  # segment id -> its pattern's fullmatch

    def matcher(self, sid: str) -> Callable[[str], object] | None:
        """The ``fullmatch`` of the pattern of segment ``sid`` (None: not a segment of the spec), looked up once."""
        found = self.matchers.get(sid, self)
        if found is self:
            sspec = self.spec.segments.get(sid)
            found = self.matchers[sid] = segment_regex(sspec, self.delimiters).fullmatch if sspec else None
        return found  # type: ignore[return-value]

    def feed(self, segments: list[Segment]) -> None:
        matchers = self.matchers
        for seg in segments:
            sid = seg.elements[0]
            matches = matchers[sid] if sid in matchers else self.matcher(sid)
            self.step(seg, matches is not None and not matches(seg.text))

    def step(self, seg: Segment, refused: bool) -> None:
        """Place one segment; with ``refused`` (its own pattern refused it), name its element errors."""
        self.walker.place(seg)
        self.last = seg
        if refused:
            element_errors = check_segment(seg, self.spec.segments[seg.elements[0]])
            if element_errors:
                errors = self.walker.errors
                errors.append(_seg_error(E.SEG_HAS_ELEMENT_ERRORS, f"{seg.id} has data element errors", seg, seg.id))
                errors.extend(element_errors)

    def finish(self) -> list[X12Error]:
        if self.last is not None and self.last.elements[0] == "SE":
            self.walker.finish(self.last)
        return self.walker.errors
