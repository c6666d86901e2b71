"""A partner guide compiled for checking one transaction set: a table built as it is used.

A state of the table is the base spec's loops open (a state of ``_Machine``) with the qualifiers the guide's
rules ask about; its row maps a segment id to the state next or, when something happens there, to an
``_Event``: a loop instance opens, or rules are tried. A rule with element conditions carries a regular
expression that only a segment meeting all of them matches, so a passing segment is not split to be checked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.guide import QUALIFIER_ELEMENT, ElementRule, Guide, SegmentRule, Step
from crossdock.mappings.x12.guide_place import Placed
from crossdock.mappings.x12.spec import UNBOUNDED, LoopNode, TransactionSetSpec
from crossdock.mappings.x12.specs import base_version, get_spec

GUIDE_RULE = "GUIDE"  # the code of a guide finding: no X12 code list has one
MEMO_FINDINGS = 4_096  # findings a table remembers (a bad value is part of some: not bounded)
MEMO_TABLES = 64  # tables a guide keeps (one per set code, GS08 version and separator met)
MEMO_MOVES = 100_000  # what a table or machine remembers of segment ids and qualifiers met (input: not bounded)
MEMO_TEXTS = 1_024  # texts of loop-opening segments an event remembers the state next of (HL*3*2*P*1 ...)

_BUILDING = threading.Lock()  # tables and machines grow under it (the hub checks on more than one thread)
_NONE: dict[str, int] = {}  # by_qualifier and by_text of an event that opens no loop a rule asks the qualifier of
Frames = tuple[tuple[LoopNode, int], ...]  # the loops open, outermost first, each with the child last matched
Move = tuple[int, int, str | None]  # the state next, how many open loops stay, the loop a segment opens


class _Machine:
    """The spec's loop tree as a state machine built as it is used: a state is the loops open with their
    positions, and a move (state, segment id) is worked out once, so placing a segment is a dict lookup."""

    def __init__(self, spec: TransactionSetSpec | None) -> None:
        self.states: list[Frames] = [((spec.root, 0),)] if spec is not None else []
        self.ids: dict[Frames, int] = {self.states[0]: 0} if self.states else {}
        self.moves: dict[tuple[int, str], Move] = {}

    def move(self, state: int, sid: str) -> Move:
        found = self.moves.get((state, sid))
        if found is None:
            found = self._work_out(self.states[state], sid)
            if len(self.moves) < MEMO_MOVES:
                self.moves[state, sid] = found
        return found

    def _state(self, frames: Frames) -> int:
        if frames not in self.ids:
            self.ids[frames] = len(self.states)
            self.states.append(frames)
        return self.ids[frames]

    def _work_out(self, frames: Frames, sid: str) -> Move:
        for k in range(len(frames) - 1, -1, -1):
            loop, pos = frames[k]
            p = next((p for p in loop.index.get(sid, ()) if p >= pos), None)
            if p is None:
                continue
            if k and p == 0:  # the loop's trigger again: its next instance
                return self._state((*frames[:k], (loop, 0))), k, loop.id
            node = loop.children[p]
            kept = (*frames[:k], (loop, p))
            if isinstance(node, LoopNode):
                return self._state((*kept, (node, 0))), k + 1, node.id
            return self._state(kept), k + 1, None
        return self._state(frames), len(frames), None  # not in the spec: left where it is


class _Flat(_Machine):
    """No rule names a loop: every segment is in the set, and nothing is placed."""

    def move(self, state: int, sid: str) -> Move:
        return 0, 1, None


@cache
def _machine(spec: TransactionSetSpec) -> _Machine:
    return _Machine(spec)


class _Try(NamedTuple):
    """A rule tried on a segment: the rule, its index, and how its qualifier is told without a split."""

    i: int
    rule: SegmentRule
    prefix: str | None  # the segment starts with it when its qualifier (element 01) is the rule's
    exact: str | None  # or is exactly this
    qualifier_at: int  # otherwise the element that must be the rule's qualifier (0: the rule has none)
    limit: int  # the uses allowed per loop instance (forbidden: 0); -1: its uses are not counted
    passes: Callable[[str], object] | None  # matches a segment that meets the rule's element conditions


class _Event(NamedTuple):
    """What happens at a segment id in a state: ``keep`` loops stay open, the state next (negative: it depends
    on the qualifier of the loop the segment opens, the element at minus that, and ``by_qualifier`` keeps the
    states next found so far, ``by_text`` the same by the segment's whole text, which spares splitting it: an
    HL's text repeats from set to set), whether it opens one, the rules it only needs to be there for (``marks``:
    counted, nothing tried) and the rules to try."""

    keep: int
    next: int
    opens: bool
    marks: tuple[int, ...]
    tries: tuple[_Try, ...]
    by_qualifier: dict[str, int]
    by_text: dict[str, int]


def _holds(path: tuple[Step, ...], wanted: tuple[Step, ...], anywhere: bool) -> bool:
    if len(path) != len(wanted) and not (anywhere and len(path) > len(wanted)):
        return False
    tail = path[len(path) - len(wanted) :]
    return all(a[0] == b[0] and (b[1] is None or a[1] == b[1]) for a, b in zip(tail, wanted, strict=True))


class Table:
    """A guide's rules for one set, compiled over the spec's machine for one element separator."""

    def __init__(
        self, guide: Guide, code: str, spec: TransactionSetSpec | None, element: str, refused: bool = False
    ) -> None:
        self.guide, self.element = guide, element
        self.refused = refused  # the guide is written for other versions: a set of this one is refused whole
        self.rules = guide.rules(code)
        self.machine = _machine(spec) if spec is not None else _Flat(None)
        # the qualifiers each loop's rules ask about: any other is kept as "", which no rule names
        self.asked: dict[str, frozenset[str]] = {}
        for rule in self.rules:
            for loop, q in rule.path:
                if q is not None:
                    self.asked[loop] = self.asked.get(loop, frozenset()) | {q}
        self.by_segment: dict[str, list[tuple[int, SegmentRule]]] = {}
        for i, rule in enumerate(self.rules):
            self.by_segment.setdefault(rule.segment, []).append((i, rule))
        self.states: list[tuple[int, tuple[Step, ...]]] = [(0, ())]  # (machine state, loop path)
        self.ids: dict[tuple[int, tuple[Step, ...]], int] = {self.states[0]: 0}
        self.rows: list[dict[str, int | _Event]] = [{}]
        self.required: list[tuple[int, ...]] = [self._required(())]
        self.findings: dict[tuple[int, str, str, int, int, str], X12Error] = {}
        self.remembered = 0  # entries in the rows and in the events' by_qualifier
        self.loops = [rule.where.removeprefix("in ") for rule in self.rules]  # how a finding names the loop
        # sets placed (``guide_place``), by their segment ids joined by the separator: the indexes of the texts
        # that are part of the shape, and the placing by those texts; ``shaped`` counts the segment ids remembered
        self.shapes: dict[str, tuple[tuple[int, ...], dict[tuple[str, ...], Placed]]] = {}
        self.shaped = 0

    def _held(self, path: tuple[Step, ...]) -> tuple[int, ...]:
        return tuple(i for i, r in enumerate(self.rules) if _holds(path, r.path, r.anywhere))

    def _required(self, path: tuple[Step, ...]) -> tuple[int, ...]:
        return tuple(i for i in self._held(path) if self.rules[i].use == "required")

    def _state(self, machine_state: int, path: tuple[Step, ...]) -> int:
        key = (machine_state, path)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.states)
            self.states.append(key)
            self.rows.append({})
            self.required.append(self._required(path))
        return found

    def event(self, state: int, sid: str) -> int | _Event:
        """What a segment id does in a state, worked out once."""
        with _BUILDING:
            return self._event(state, sid)

    def _event(self, state: int, sid: str) -> int | _Event:
        machine_state, path = self.states[state]
        nxt, keep, opened = self.machine.move(machine_state, sid)
        scope = path[: keep - 1]
        held = set(self._held(scope))
        every = [self._try(i, rule, sid) for i, rule in self.by_segment.get(sid, ()) if i in held]
        marks = tuple(t.i for t in every if _marks(t))
        tries = tuple(t for t in every if not _marks(t))
        found: int | _Event
        if opened is None:
            after = self._state(nxt, scope)
            found = _Event(keep, after, False, marks, tries, _NONE, _NONE) if every else after
        elif opened in self.asked:
            found = _Event(keep, -QUALIFIER_ELEMENT.get(sid, 1), True, marks, tries, {}, {})
        else:
            found = _Event(keep, self._state(nxt, (*scope, (opened, None))), True, marks, tries, _NONE, _NONE)
        if self.remembered < MEMO_MOVES:
            self.remembered += 1
            self.rows[state][sid] = found
        return found

    def opened(self, state: int, sid: str, qualifier: str, by_qualifier: dict[str, int]) -> int:
        """The state a segment that opens a loop whose qualifier a rule asks about leads to (remembered in its
        event's ``by_qualifier``)."""
        with _BUILDING:
            return self._opened(state, sid, qualifier, by_qualifier)

    def _opened(self, state: int, sid: str, qualifier: str, by_qualifier: dict[str, int]) -> int:
        machine_state, path = self.states[state]
        nxt, keep, opened = self.machine.move(machine_state, sid)
        assert opened is not None
        q = qualifier if qualifier in self.asked[opened] else ""
        found = self._state(nxt, (*path[: keep - 1], (opened, q)))
        if self.remembered < MEMO_MOVES:
            self.remembered += 1
            by_qualifier[qualifier] = found
        return found

    def remember_text(self, by_text: dict[str, int], text: str, state: int) -> None:
        """Remember the state a loop-opening segment's text leads to, in its event, while there is room."""
        if len(by_text) < MEMO_TEXTS and self.remembered < MEMO_MOVES:
            by_text[text] = state

    def _try(self, i: int, rule: SegmentRule, sid: str) -> _Try:
        limit = -1 if rule.use is None and rule.max is None else UNBOUNDED
        limit = 0 if rule.use == "forbidden" else rule.max if rule.max is not None else limit
        at = QUALIFIER_ELEMENT.get(sid, 1) if rule.qualifier is not None else 0
        passes = _passing(sid, rule.elements, self.element) if rule.elements else None
        if at != 1:
            return _Try(i, rule, None, None, at, limit, passes)
        exact = f"{sid}{self.element}{rule.qualifier}"
        return _Try(i, rule, exact + self.element, exact, 0, limit, passes)

    def finding(self, i: int, kind: str, sid: str, segment: int, element: int = 0, value: str = "") -> X12Error:
        """Rule ``i``'s finding of ``kind`` at a place; a finding is a frozen value, so one made before for the
        same place and value is given again (a guide's findings repeat from set to set)."""
        key = (i, kind, sid, segment, element, value)
        found = self.findings.get(key)
        if found is None:
            message = _why(self.guide, self.rules[i], element, kind, value)
            level, loop = Level.ELEMENT if element else Level.SEGMENT, self.loops[i]
            bad = (value[:40] or None) if element else None  # a count is no value the segment carries
            found = X12Error(level, GUIDE_RULE, message, sid, segment, element or None, loop_id=loop, bad_value=bad)
            if len(self.findings) < MEMO_FINDINGS:
                self.findings[key] = found
        return found


def _marks(t: _Try) -> bool:
    """Whether a rule is met by the segment being there: required, with no qualifier, no maximum, no element
    conditions (its count is all the check keeps)."""
    return t.prefix is None and not t.qualifier_at and t.limit == UNBOUNDED and t.passes is None


def _why(guide: Guide, rule: SegmentRule, position: int, kind: str, value: str) -> str:
    """A finding's message: what is wrong, then the rule's source."""
    name = f"{rule.name}{position:02d}" if position else rule.name
    e = next((e for e in rule.elements if e.position == position), None)
    if kind == "required" and e is not None:
        what = f"{name} is required {rule.where}" + (f": it comes from {e.comes_from}" if e.comes_from else "")
    elif kind == "forbidden":
        what = f"{name} must not be sent {rule.where}"
    elif kind == "value" and e is not None:
        what = f"{name} must be {e.value!r}, not {value!r}"
    elif kind == "codes" and e is not None and e.codes is not None:
        what = f"{name} {value!r} is not one of {', '.join(sorted(e.codes))}"
    elif kind == "length" and e is not None:
        what = f"{name} is {len(value)} characters, more than {e.max_length}"
    elif kind == "missing":  # where its values come from says what makes the segment
        told = next((x.comes_from for x in rule.elements if x.comes_from), None)
        what = f"{name} is required {rule.where} and missing" + (f": it comes from {told}" if told else "")
    else:  # "over": value is the count
        what = f"{name} is sent {value} times {rule.where}, at most {rule.max}"
    return f"guide {guide.name}: {what} ({rule.source})"


def table_for(guide: Guide, code: str, version: str, element: str) -> Table:
    """The guide's table for a set code, GS08 version and element separator, built once (a few per guide)."""
    key = (code, version, element)
    found = guide.compiled.get(key)
    if not isinstance(found, Table):
        rules = guide.rules(code)
        refused = bool(guide.versions) and base_version(version) not in guide.versions
        paths = any(rule.path or rule.anywhere for rule in rules) and not refused
        found = Table(guide, code, get_spec(code, version) if paths else None, element, refused)
        if len(guide.compiled) < MEMO_TABLES:
            guide.compiled[key] = found
    return found


def _value(e: ElementRule, sep: str) -> str:
    """The values an element meeting its conditions may have, the empty value included when it may be empty."""
    anything = f"[^{sep}]"
    if e.use == "forbidden":
        return ""
    allowed = [e.value] if e.value is not None else None
    if e.codes is not None:
        allowed = [v for v in (allowed if allowed is not None else sorted(e.codes)) if v in e.codes]
    if allowed is not None:
        most = e.max_length if e.max_length is not None else UNBOUNDED
        choices = [re.escape(v) for v in sorted(allowed, key=len, reverse=True) if v and len(v) <= most]
        body = "|".join(choices) if choices else "(?!)"
    else:
        body = f"{anything}{{1,{e.max_length}}}" if e.max_length is not None else f"{anything}+"
    return f"(?:{body})" if e.use == "required" else f"(?:{body}|)"


def _passing(sid: str, rules: tuple[ElementRule, ...], element: str) -> Callable[[str], object]:
    """``fullmatch`` of a segment meeting every element condition: an element the segment does not reach is
    empty, and the elements after the last with a condition may be anything."""
    sep = re.escape(element)
    by_position = {e.position: e for e in rules}
    last = max(by_position)
    rest = f"(?:{sep}.*|)"  # after the last element with a condition
    may_end = True  # the segment may end before the element (every one from there on may be empty)
    for position in range(last, 0, -1):
        e = by_position.get(position)
        value = _value(e, sep) if e is not None else f"[^{sep}]*"
        may_end = may_end and (e is None or e.use != "required")
        rest = f"(?:{sep}{value}{rest}{'|' if may_end else ''})"
    return re.compile(re.escape(sid) + rest, re.DOTALL).fullmatch
