"""Compact transaction-set specifications, written for crossdock and parsed once.

Public X12 dictionaries are large and licensed; crossdock carries only what it validates: the segments of
the sets it reads and writes, their element rules, and the code lists it acts on. Two text forms:

Segment dictionary, one segment a line (a line starting with white space continues the one above)::

    BEG  M353 ID 2/2 {00 01 05 06}; M92 ID 2/2; M324 AN 1/22; O328 AN 1/30; M373 DT 8/8 | P0607

    element    USAGE REF TYPE MIN/MAX [*REPEAT] [{CODE CODE ...}]
    composite  USAGE Cnnn[*REPEAT](element; element; ...)
    USAGE      M mandatory, O optional, X conditional (governed by a syntax note)
    TYPE       AN ID DT TM R N0..N9 B
    notes      after "|": X12 syntax notes, two-digit positions: P0607 paired, R0203 at least one,
               E0203 at most one, C0405 if first then all, L010203 if first then at least one more

Transaction-set structure, one node a line, nesting by two-space indentation::

    ST   M 1
    BEG  M 1
    REF  O >1
    LOOP N1 O 200
      N1 M 1
      N3 O 2
    SE   M 1

A loop's first child is its trigger segment. ``>1`` means unbounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

UNBOUNDED = 1 << 30


@dataclass(frozen=True, slots=True)
class ElementSpec:
    """One simple element, or a composite when ``components`` is set."""

    ref: str
    usage: str
    type: str = "AN"
    min_len: int = 1
    max_len: int = 1
    repeat: int = 1
    codes: frozenset[str] | None = None
    components: tuple[ElementSpec, ...] | None = None


@dataclass(frozen=True, slots=True)
class SyntaxNote:
    kind: str  # P R E C L
    positions: tuple[int, ...]

    def __str__(self) -> str:
        return self.kind + "".join(f"{p:02d}" for p in self.positions)


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    id: str
    elements: tuple[ElementSpec, ...]
    notes: tuple[SyntaxNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SegmentNode:
    """A segment's place in a transaction set: its usage and maximum use there."""

    id: str
    usage: str
    max_use: int


@dataclass(slots=True, eq=False)
class LoopNode:
    """A loop (or the whole set, as the root loop ``id=""``)."""

    id: str
    usage: str
    max_repeat: int
    children: list[SegmentNode | LoopNode] = field(default_factory=list)
    index: dict[str, tuple[int, ...]] = field(default_factory=dict)  # segment id -> child positions
    mandatory: tuple[int, ...] = ()

    @property
    def trigger(self) -> str:
        first = self.children[0]
        return first.id if isinstance(first, SegmentNode) else first.trigger


@dataclass(slots=True, eq=False)
class TransactionSetSpec:
    code: str
    version: str
    functional_id: str
    root: LoopNode
    segments: dict[str, SegmentSpec]
    used: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.used = frozenset(self._collect())

    def segment_ids(self) -> frozenset[str]:
        return self.used

    def _collect(self) -> set[str]:
        found: set[str] = set()

        def walk(loop: LoopNode) -> None:
            for child in loop.children:
                if isinstance(child, SegmentNode):
                    found.add(child.id)
                else:
                    walk(child)

        walk(self.root)
        return found


class SpecSyntaxError(ValueError):
    """A mistake in a specification text: a programming error, raised at import."""


_ELEMENT = re.compile(
    r"^(?P<usage>[MOX])(?P<ref>\d+)\s+(?P<type>AN|ID|DT|TM|R|B|N\d?)\s+(?P<min>\d+)/(?P<max>\d+)"
    r"(?:\s*\*(?P<rep>\d+|>1))?(?:\s*\{(?P<codes>[^}]*)\})?$"
)
_COMPOSITE = re.compile(r"^(?P<usage>[MOX])(?P<ref>C\d+)(?:\*(?P<rep>\d+|>1))?\((?P<body>.*)\)$")
_NOTE = re.compile(r"^(?P<kind>[PRECL])(?P<pos>(?:\d\d){2,})$")


def _repeat(text: str | None) -> int:
    if not text:
        return 1
    return UNBOUNDED if text == ">1" else int(text)


def _parse_element(text: str, where: str) -> ElementSpec:
    text = text.strip()
    if text == "-":
        return ElementSpec(ref="", usage="N")
    m = _COMPOSITE.match(text)
    if m:
        parts = [p for p in m["body"].split(";") if p.strip()]
        components = tuple(_parse_element(p, where) for p in parts)
        return ElementSpec(ref=m["ref"], usage=m["usage"], repeat=_repeat(m["rep"]), components=components)
    m = _ELEMENT.match(text)
    if not m:
        raise SpecSyntaxError(f"{where}: cannot read element {text!r}")
    codes = frozenset(m["codes"].split()) if m["codes"] is not None else None
    return ElementSpec(
        ref=m["ref"],
        usage=m["usage"],
        type=m["type"],
        min_len=int(m["min"]),
        max_len=int(m["max"]),
        repeat=_repeat(m["rep"]),
        codes=codes,
    )


def _split_top(text: str) -> list[str]:
    """Split on ';' outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == ";" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if raw[:1].isspace() and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line.strip())
    return lines


def parse_segments(text: str) -> dict[str, SegmentSpec]:
    """Parse a segment dictionary text into specs keyed by segment id."""
    segments: dict[str, SegmentSpec] = {}
    for line in _logical_lines(text):
        seg_id, _, rest = line.partition(" ")
        body, _, notes_text = rest.partition("|")
        where = f"segment {seg_id}"
        elements = tuple(_parse_element(p, where) for p in _split_top(body))
        notes = []
        for token in notes_text.split():
            m = _NOTE.match(token)
            if not m:
                raise SpecSyntaxError(f"{where}: cannot read syntax note {token!r}")
            pos = m["pos"]
            positions = tuple(int(pos[i : i + 2]) for i in range(0, len(pos), 2))
            if max(positions) > len(elements):
                raise SpecSyntaxError(f"{where}: note {token} names an element past {len(elements)}")
            notes.append(SyntaxNote(m["kind"], positions))
        segments[seg_id] = SegmentSpec(seg_id, elements, tuple(notes))
    return segments


def parse_structure(text: str) -> LoopNode:
    """Parse an indented structure text into the root loop of a transaction set."""
    root = LoopNode(id="", usage="M", max_repeat=1)
    stack: list[tuple[int, LoopNode]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        words = line.split()
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if words[0] == "LOOP":
            if len(words) != 4:
                raise SpecSyntaxError(f"cannot read loop line {line.strip()!r}")
            loop = LoopNode(id=words[1], usage=words[2], max_repeat=_repeat(words[3]))
            parent.children.append(loop)
            stack.append((indent, loop))
        else:
            if len(words) != 3 or words[1] not in ("M", "O"):
                raise SpecSyntaxError(f"cannot read segment line {line.strip()!r}")
            parent.children.append(SegmentNode(words[0], words[1], _repeat(words[2])))
    _check_loops(root)
    return root


def _check_loops(loop: LoopNode) -> None:
    """Refuse malformed loops and index each loop's children by segment id for the validator's walk."""
    index: dict[str, list[int]] = {}
    for i, node in enumerate(loop.children):
        index.setdefault(node.id if isinstance(node, SegmentNode) else node.trigger, []).append(i)
    loop.index = {key: tuple(value) for key, value in index.items()}
    loop.mandatory = tuple(i for i, node in enumerate(loop.children) if node.usage == "M")
    for child in loop.children:
        if isinstance(child, LoopNode):
            if not child.children or not isinstance(child.children[0], SegmentNode):
                raise SpecSyntaxError(f"loop {child.id} must start with its trigger segment")
            if child.children[0].id != child.id:
                raise SpecSyntaxError(f"loop {child.id} starts with {child.children[0].id}")
            _check_loops(child)


def build_spec(
    code: str, version: str, functional_id: str, structure: str, segments: dict[str, SegmentSpec]
) -> TransactionSetSpec:
    """Tie a structure to a segment dictionary, refusing a structure that names an undefined segment."""
    spec = TransactionSetSpec(code, version, functional_id, parse_structure(structure), segments)
    missing = sorted(spec.segment_ids() - segments.keys())
    if missing:
        raise SpecSyntaxError(f"{code} {version}: no definition for segments {', '.join(missing)}")
    return spec
