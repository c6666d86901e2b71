"""Checking X12 against a partner's guide: a pure function over text, run on every outbound document.

Each segment is placed in the base spec's loop tree (a light walk: crossdock's own documents already pass
the base spec, so placing is all it needs), then every rule of the guide for that set is tried on it, and
what a rule requires is counted per loop instance. A finding is an ``X12Error`` with the rule, its source
and its place (segment id and position, element), code ``GUIDE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.guide import QUALIFIER_ELEMENT, Guide, SegmentRule, Step
from crossdock.mappings.x12.spec import LoopNode, TransactionSetSpec
from crossdock.mappings.x12.specs import base_version, get_spec

GUIDE_RULE = "GUIDE"  # the code of a guide finding: no X12 code list has one
MEMO_PATHS = 10_000  # loop paths a guide remembers the rules of (qualifiers a partner sends are not bounded)


@dataclass(slots=True)
class SetFindings:
    """One transaction set's findings, with what names it: its code, ST02 and GS06."""

    code: str
    control: str
    group_control: str
    errors: list[X12Error] = field(default_factory=list)


def _qualifier(elements: list[str]) -> str:
    i = QUALIFIER_ELEMENT.get(elements[0], 1)
    return elements[i] if i < len(elements) else ""


Frames = tuple[tuple[LoopNode, int], ...]  # the loops open, outermost first, each with the child last matched
Move = tuple[int, int, str | None]  # the state next, how many open loops stay, the loop a segment opens


class _Machine:
    """The spec's loop tree as a state machine built as it is used: a state is the loops open with their
    positions, and a move (state, segment id) is worked out once, so placing a segment is a dict lookup."""

    def __init__(self, spec: TransactionSetSpec) -> None:
        self.states: list[Frames] = [((spec.root, 0),)]
        self.ids: dict[Frames, int] = {self.states[0]: 0}
        self.moves: dict[tuple[int, str], Move] = {}

    def move(self, state: int, sid: str) -> Move:
        found = self.moves.get((state, sid))
        if found is None:
            found = self.moves[state, sid] = self._work_out(self.states[state], sid)
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


@cache
def _machine(spec: TransactionSetSpec) -> _Machine:
    return _Machine(spec)


def _holds(path: tuple[Step, ...], wanted: tuple[Step, ...]) -> bool:
    if len(path) != len(wanted):
        return False
    return all(a[0] == b[0] and (b[1] is None or a[1] == b[1]) for a, b in zip(path, wanted, strict=True))


def _held(guide: Guide, code: str, path: tuple[Step, ...]) -> frozenset[int]:
    """The rules of the set that hold in a loop path, worked out once per guide, set and path."""
    found = guide.holding.get((code, path))
    if found is None:
        rules = guide.rules(code)
        found = frozenset(i for i, r in enumerate(rules) if _holds(path, r.path))
        if len(guide.holding) < MEMO_PATHS:
            guide.holding[code, path] = found
    return found


def _finding(guide: Guide, rule: SegmentRule, what: str, level: Level, **place: object) -> X12Error:
    message = f"guide {guide.name}: {what} ({rule.source})"
    return X12Error(level, GUIDE_RULE, message, loop_id=rule.where.removeprefix("in "), **place)  # type: ignore[arg-type]


def _elements(guide: Guide, rule: SegmentRule, elements: list[str], position: int) -> Iterator[X12Error]:
    for e in rule.elements:
        value = elements[e.position] if e.position < len(elements) else ""
        name = f"{rule.name}{e.position:02d}"
        why = ""
        if e.use == "required" and not value:
            why = f"{name} is required {rule.where}" + (f": it comes from {e.comes_from}" if e.comes_from else "")
        elif e.use == "forbidden" and value:
            why = f"{name} must not be sent {rule.where}"
        elif value and e.value is not None and value != e.value:
            why = f"{name} must be {e.value!r}, not {value!r}"
        elif value and e.codes is not None and value not in e.codes:
            why = f"{name} {value!r} is not one of {', '.join(sorted(e.codes))}"
        elif e.max_length is not None and len(value) > e.max_length:
            why = f"{name} is {len(value)} characters, more than {e.max_length}"
        if why:
            yield _finding(
                guide,
                rule,
                why,
                Level.ELEMENT,
                segment_id=elements[0],
                segment_position=position,
                element_position=e.position,
                bad_value=value[:40] or None,
            )


def check_set(guide: Guide, code: str, version: str, segments: list[str], element: str = "*") -> list[X12Error]:
    """The findings of one set (its segments' texts, ST to SE, without terminators) against the guide; empty
    when it passes.

    One pass: each segment is placed (a move of the spec's state machine, when a rule names a loop) and the
    rules on its segment id tried; then what is required is looked for in each loop instance. Only a segment
    a rule is about, or that opens a loop, is split into its elements."""
    rules = guide.rules(code)
    if not rules:
        return []
    if guide.versions and base_version(version) not in guide.versions:
        why = f"guide {guide.name} is written for {', '.join(sorted(guide.versions))}, this {code} is {version}"
        return [X12Error(Level.TRANSACTION, GUIDE_RULE, why, segment_id="ST", segment_position=1)]
    spec = get_spec(code, version) if any(rule.path for rule in rules) else None
    machine = _machine(spec) if spec is not None else None
    moves = machine.moves if machine is not None else {}
    by_segment, memo, qualified = guide.by_segment[code], guide.holding, guide.qualified[code]
    paths: list[tuple[Step, ...]] = [()]  # each loop instance's path; instance 0 is the whole set
    starts = [0]  # the segment each instance starts at
    holding = [_held(guide, code, ())]  # the rules that hold in each instance
    counts: dict[tuple[int, int], int] = {}
    found: list[X12Error] = []
    state, open_ = 0, [0]  # the machine's state, and the instances of the loops open
    scope = 0
    for index, text in enumerate(segments):
        sid = text.partition(element)[0]
        elements: list[str] | None = None
        if machine is not None:
            move = moves.get((state, sid)) or machine.move(state, sid)
            state = move[0]
            del open_[move[1] :]
            scope = open_[-1]
            if move[2] is not None:
                qualifier = None
                if move[2] in qualified:
                    elements = text.split(element)
                    q = QUALIFIER_ELEMENT.get(sid, 1)
                    qualifier = elements[q] if q < len(elements) else ""
                path = (*paths[scope], (move[2], qualifier))
                paths.append(path)
                starts.append(index)
                held = memo.get((code, path))
                holding.append(held if held is not None else _held(guide, code, path))
                open_.append(len(paths) - 1)
        here = by_segment.get(sid)
        if here is None:
            continue
        if elements is None:
            elements = text.split(element)
        for i, rule in here:
            if i not in holding[scope] or (rule.qualifier is not None and _qualifier(elements) != rule.qualifier):
                continue
            n = counts[i, scope] = counts.get((i, scope), 0) + 1
            if rule.use == "forbidden" or (rule.max is not None and n > rule.max):
                found.append(_overused(guide, rule, n, sid, index + 1))
            if rule.elements:
                found.extend(_elements(guide, rule, elements, index + 1))
    missing = [
        (i, instance)
        for instance, held in enumerate(holding)
        for i in held
        if rules[i].use == "required" and not counts.get((i, instance))
    ]
    for i, instance in sorted(missing):  # rule by rule, in the order of the guide
        rule, at = rules[i], starts[instance]
        why = f"{rule.name} is required {rule.where} and missing"
        where = {"segment_id": segments[at].partition(element)[0], "segment_position": at + 1}
        found.append(_finding(guide, rule, why, Level.SEGMENT, **where))
    return found


def _overused(guide: Guide, rule: SegmentRule, n: int, sid: str, position: int) -> X12Error:
    if rule.use == "forbidden":
        why = f"{rule.name} must not be sent {rule.where}"
    else:
        why = f"{rule.name} is sent {n} times {rule.where}, at most {rule.max}"
    return _finding(guide, rule, why, Level.SEGMENT, segment_id=sid, segment_position=position)


def _segments(text: str, terminator: str) -> list[str]:
    parts = text.split(terminator)
    if "\n" in text[:120]:
        parts = [part.strip("\r\n") for part in parts]
    return [part for part in parts if part]


def check_interchanges(guide: Guide, data: bytes) -> list[SetFindings]:
    """Every set of the interchanges in ``data`` (as crossdock writes them: a fixed 106-byte ISA) against the
    guide; one entry per set, its findings possibly empty."""
    text = data.decode("latin-1")
    out: list[SetFindings] = []
    start = text.find("ISA")
    while start != -1 and len(text) >= start + 106:
        element, terminator = text[start + 3], text[start + 105]
        if not any(f"ST{element}{code}{element}" in text for code in guide.sets):
            break  # no set the guide has rules for: nothing to split
        end = text.find("IEA" + element, start)
        end = len(text) if end == -1 else end
        version, group, current, body = "", "", None, []
        for seg in _segments(text[start:end], terminator):
            sid = seg.partition(element)[0]
            if sid == "GS":
                gs = seg.split(element)
                version, group = (gs[8] if len(gs) > 8 else ""), (gs[6] if len(gs) > 6 else "")
            elif sid == "ST":
                st = seg.split(element)
                current = SetFindings(st[1] if len(st) > 1 else "", st[2] if len(st) > 2 else "", group)
                body = [seg]
            elif current is not None:
                body.append(seg)
                if sid == "SE":
                    current.errors = check_set(guide, current.code, version, body, element)
                    out.append(current)
                    current = None
        start = text.find("ISA", end)
    return out
