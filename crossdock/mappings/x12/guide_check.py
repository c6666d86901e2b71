"""Checking X12 against a partner's guide: a pure function over text, run on every outbound document.

Each segment is placed in the base spec's loop tree (a light walk: crossdock's own documents already pass
the base spec, so placing is all it needs), then every rule of the guide for that set is tried on it, and
what a rule requires is counted per loop instance. A finding is an ``X12Error`` with the rule, its source
and its place (segment id and position, element), code ``GUIDE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.guide import QUALIFIER_ELEMENT, Guide, SegmentRule, Step
from crossdock.mappings.x12.spec import LoopNode, SegmentNode, TransactionSetSpec
from crossdock.mappings.x12.specs import base_version, get_spec

GUIDE_RULE = "GUIDE"  # the code of a guide finding: no X12 code list has one


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


@dataclass(slots=True)
class _Frame:
    loop: LoopNode
    pos: int
    instance: int


@dataclass(slots=True)
class Placed:
    """Where each segment is: ``scopes[i]`` is the innermost loop instance holding segment i; instance n has the
    loop path ``paths[n]`` and starts at segment ``starts[n]`` (its trigger; instance 0 is the whole set)."""

    scopes: list[int]
    paths: list[tuple[Step, ...]]
    starts: list[int]


def place(spec: TransactionSetSpec | None, segments: list[list[str]]) -> Placed:
    """Place each segment in the spec's loop tree (without a spec, or a rule needing none, all in the set)."""
    paths: list[tuple[Step, ...]] = [()]
    starts = [0]
    if spec is None:
        return Placed([0] * len(segments), paths, starts)
    stack = [_Frame(spec.root, 0, 0)]
    scopes: list[int] = []
    for index, elements in enumerate(segments):
        sid = elements[0]
        scope = stack[-1].instance
        for k in range(len(stack) - 1, -1, -1):
            frame = stack[k]
            positions = frame.loop.index.get(sid)
            p = next((p for p in positions if p >= frame.pos), None) if positions else None
            if p is None:
                continue
            if k and p == 0:  # the loop's trigger again: its next instance
                del stack[k:]
                parent = stack[-1]
                paths.append(paths[parent.instance] + ((frame.loop.id, _qualifier(elements)),))
                starts.append(index)
                stack.append(_Frame(frame.loop, 0, len(paths) - 1))
                scope = parent.instance
                break
            del stack[k + 1 :]
            frame.pos = p
            node = frame.loop.children[p]
            if isinstance(node, LoopNode):
                paths.append(paths[frame.instance] + ((node.id, _qualifier(elements)),))
                starts.append(index)
                stack.append(_Frame(node, 0, len(paths) - 1))
            else:
                assert isinstance(node, SegmentNode)
            scope = frame.instance
            break
        scopes.append(scope)
    return Placed(scopes, paths, starts)


def _holds(path: tuple[Step, ...], wanted: tuple[Step, ...]) -> bool:
    if len(path) != len(wanted):
        return False
    return all(a[0] == b[0] and (b[1] is None or a[1] == b[1]) for a, b in zip(path, wanted, strict=True))


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


def check_set(guide: Guide, code: str, version: str, segments: list[list[str]]) -> list[X12Error]:
    """The findings of one set (its segments' elements, ST to SE) against the guide; empty when it passes."""
    rules = guide.rules(code)
    if not rules:
        return []
    if guide.versions and base_version(version) not in guide.versions:
        why = f"guide {guide.name} is written for {', '.join(sorted(guide.versions))}, this {code} is {version}"
        return [X12Error(Level.TRANSACTION, GUIDE_RULE, why, segment_id="ST", segment_position=1)]
    nested = any(rule.path for rule in rules)
    placed = place(get_spec(code, version) if nested else None, segments)
    by_segment: dict[str, list[tuple[int, SegmentRule]]] = {}
    for i, rule in enumerate(rules):
        by_segment.setdefault(rule.segment, []).append((i, rule))
    counts: dict[tuple[int, int], int] = {}
    found: list[X12Error] = []
    paths = placed.paths
    for position, (elements, scope) in enumerate(zip(segments, placed.scopes, strict=True), start=1):
        for i, rule in by_segment.get(elements[0], ()):
            if rule.qualifier is not None and _qualifier(elements) != rule.qualifier:
                continue
            if not _holds(paths[scope], rule.path):
                continue
            n = counts[i, scope] = counts.get((i, scope), 0) + 1
            at = {"segment_id": elements[0], "segment_position": position}
            if rule.use == "forbidden":
                found.append(_finding(guide, rule, f"{rule.name} must not be sent {rule.where}", Level.SEGMENT, **at))
            elif rule.max is not None and n > rule.max:
                why = f"{rule.name} is sent {n} times {rule.where}, at most {rule.max}"
                found.append(_finding(guide, rule, why, Level.SEGMENT, **at))
            found.extend(_elements(guide, rule, elements, position))
    found.extend(_missing(guide, rules, segments, placed, counts))
    return found


def _missing(
    guide: Guide,
    rules: tuple[SegmentRule, ...],
    segments: list[list[str]],
    placed: Placed,
    counts: dict[tuple[int, int], int],
) -> Iterator[X12Error]:
    """A required segment absent from an instance of its loop, placed at the segment that starts the instance."""
    for i, rule in enumerate(rules):
        if rule.use != "required":
            continue
        for instance, path in enumerate(placed.paths):
            if not _holds(path, rule.path) or counts.get((i, instance)):
                continue
            at = placed.starts[instance]
            why = f"{rule.name} is required {rule.where} and missing"
            yield _finding(guide, rule, why, Level.SEGMENT, segment_id=segments[at][0], segment_position=at + 1)


def _segments(text: str, element: str, terminator: str) -> Iterator[list[str]]:
    for raw in text.split(terminator):
        seg = raw.strip("\r\n")
        if seg:
            yield seg.split(element)


def check_interchanges(guide: Guide, data: bytes) -> list[SetFindings]:
    """Every set of the interchanges in ``data`` (as crossdock writes them: a fixed 106-byte ISA) against the
    guide; one entry per set, its findings possibly empty."""
    text = data.decode("latin-1")
    out: list[SetFindings] = []
    start = text.find("ISA")
    while start != -1 and len(text) >= start + 106:
        element, terminator = text[start + 3], text[start + 105]
        end = text.find("IEA" + element, start)
        end = len(text) if end == -1 else end
        version, group, current, body = "", "", None, []
        for elements in _segments(text[start:end], element, terminator):
            sid = elements[0]
            if sid == "GS":
                version, group = (elements[8] if len(elements) > 8 else ""), (elements[6] if len(elements) > 6 else "")
            elif sid == "ST":
                current = SetFindings(
                    elements[1] if len(elements) > 1 else "", elements[2] if len(elements) > 2 else "", group
                )
                body = [elements]
            elif current is not None:
                body.append(elements)
                if sid == "SE":
                    current.errors = check_set(guide, current.code, version, body)
                    out.append(current)
                    current = None
        start = text.find("ISA", end)
    return out
