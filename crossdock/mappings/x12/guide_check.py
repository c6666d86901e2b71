"""Checking X12 against a partner's guide: a pure function over text, run on every outbound document.

Each segment is placed in the base spec's loop tree (a light walk: crossdock's own documents already pass
the base spec, so placing is all it needs), the guide's rules that hold there are tried on it, and what a rule
requires is counted per loop instance. A finding is an ``X12Error`` with the rule, its source and its place
(segment id and position, element), code ``GUIDE``. The guide is compiled for the set first (``guide_table``):
a segment that neither opens a loop nor has a rule costs one dict lookup, and a set of a shape placed before
costs none (``guide_place``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from crossdock.mappings.x12.errors import Level, X12Error
from crossdock.mappings.x12.guide import Guide, SegmentRule
from crossdock.mappings.x12.guide_place import place
from crossdock.mappings.x12.guide_table import GUIDE_RULE, Table, table_for
from crossdock.mappings.x12.spec import UNBOUNDED


@dataclass(slots=True)
class SetFindings:
    """One transaction set's findings, with what names it: its code, ST02 and GS06."""

    code: str
    control: str
    group_control: str
    errors: list[X12Error] = field(default_factory=list)


def _elements(table: Table, i: int, rule: SegmentRule, elements: list[str], position: int) -> list[X12Error]:
    """The findings of a segment that fails its rule's element conditions, each named with its element."""
    found = []
    for e in rule.elements:
        value = elements[e.position] if e.position < len(elements) else ""
        if e.use == "required" and not value:
            kind = "required"
        elif e.use == "forbidden" and value:
            kind = "forbidden"
        elif value and e.value is not None and value != e.value:
            kind = "value"
        elif value and e.codes is not None and value not in e.codes:
            kind = "codes"
        elif e.max_length is not None and len(value) > e.max_length:
            kind = "length"
        else:
            continue
        found.append(table.finding(i, kind, elements[0], position, e.position, value))
    return found


def check_set(guide: Guide, code: str, version: str, segments: list[str], element: str = "*") -> list[X12Error]:
    """The findings of one set (its segments' texts, ST to SE, without terminators) against the guide; empty
    when it passes."""
    if not guide.rules(code):
        return []
    return _check(guide, code, version, segments, [s.partition(element)[0] for s in segments], element)


def _check(guide: Guide, code: str, version: str, segments: list[str], sids: list[str], element: str) -> list[X12Error]:
    """The set placed (``guide_place``: once per shape of set), then the rules tried on the segments they are
    about and counted per loop instance. Only a segment whose rule asks about its elements, or names a
    qualifier that does not stand first, is split into its elements."""
    table = table_for(guide, code, version, element)
    if table.refused:
        why = f"guide {guide.name} is written for {', '.join(sorted(guide.versions))}, this {code} is {version}"
        return [X12Error(Level.TRANSACTION, GUIDE_RULE, why, segment_id="ST", segment_position=1)]
    placed = place(table, segments, sids, element)
    counts = dict.fromkeys(placed.marked, 1)
    found: list[X12Error] = []
    for index, scope, tries in placed.tried:
        text = segments[index]
        elements: list[str] | None = None
        for i, rule, prefix, exact, at, limit, passes in tries:
            if prefix is not None:
                if not (text == exact or text.startswith(prefix)):
                    continue
            elif at:
                if elements is None:
                    elements = text.split(element)
                if (elements[at] if at < len(elements) else "") != rule.qualifier:
                    continue
            if limit == UNBOUNDED:  # required only: being there is what counts
                counts[i, scope] = 1
            elif limit >= 0:
                key = (i, scope)
                n = counts[key] = counts.get(key, 0) + 1
                if n > limit:
                    over = ("over", str(n)) if limit else ("forbidden", "")
                    found.append(table.finding(i, over[0], sids[index], index + 1, 0, over[1]))
            if passes is not None and passes(text) is None:
                found.extend(_elements(table, i, rule, elements or text.split(element), index + 1))
    for need in placed.needs:  # rule by rule, in the order of the guide
        if need not in counts:
            i, start = need
            found.append(table.finding(i, "missing", sids[start], start + 1))
    return found


def _segments(text: str, terminator: str) -> list[str]:
    """The segments' texts; a line break after a terminator is not part of a segment. When every terminator
    has exactly one newline after it and there are no other line breaks (as crossdock writes), one split does
    it all; two counts tell."""
    if "\n" not in text[:120]:
        parts = text.split(terminator)
    else:
        parts = text.split(terminator + "\n")
        ends = len(parts) - 1
        if "\r" in text or text.count("\n") != ends or text.count(terminator) != ends:
            parts = [part.strip("\r\n") for part in text.split(terminator)]
    if parts and not parts[-1]:
        parts.pop()
    return parts if all(parts) else [part for part in parts if part]


def _any_set(guide: Guide, element: str) -> Callable[[str], object]:
    """``search`` for the ST of a set the guide has rules for: one scan that stops at the first. Kept with the
    guide's tables (under an empty set code and version)."""
    key = ("", "", element)
    found = guide.compiled.get(key)
    if found is None:
        sep = re.escape(element)
        found = guide.compiled[key] = re.compile(f"ST{sep}(?:{'|'.join(map(re.escape, sorted(guide.sets)))}){sep}")
    return found.search  # type: ignore[attr-defined, no-any-return]


def check_interchanges(guide: Guide, data: bytes) -> list[SetFindings]:
    """Every set of the interchanges in ``data`` (as crossdock writes them: a fixed 106-byte ISA) against the
    guide; one entry per set, its findings possibly empty.

    An interchange is split into segments and their ids once; its groups and sets are found by searching the
    ids (``list.index``), not by a look at every segment."""
    text = data.decode("latin-1")
    out: list[SetFindings] = []
    start = text.find("ISA")
    while start != -1 and len(text) >= start + 106:
        element, terminator = text[start + 3], text[start + 105]
        if not guide.sets or _any_set(guide, element)(text) is None:
            break  # no set the guide has rules for: nothing to split
        end = text.find("IEA" + element, start)
        end = len(text) if end == -1 else end
        segments = _segments(text[start:end], terminator)
        sids = [s.partition(element)[0] for s in segments]
        out.extend(_sets(guide, segments, sids, element))
        start = text.find("ISA", end)
    return out


def _sets(guide: Guide, segments: list[str], sids: list[str], element: str) -> list[SetFindings]:
    """The sets of one interchange's segments, each checked; a set without its SE is left out. The ids are
    searched with one of each id looked for after the last (``list.index`` never fails: past the end is none)."""
    out: list[SetFindings] = []
    version = group = ""
    n = len(sids)
    sids = [*sids, "GS", "ST", "SE"]
    gs = sids.index("GS")
    at = sids.index("ST")
    while at < n:
        while gs < at:  # the last GS before this set is its group's
            fields = segments[gs].split(element)
            version, group = (fields[8] if len(fields) > 8 else ""), (fields[6] if len(fields) > 6 else "")
            gs = sids.index("GS", gs + 1)
        end = sids.index("SE", at + 1)
        following = sids.index("ST", at + 1)  # the next set's ST; before that SE, this set has none
        if end < following and end < n:
            st = segments[at].split(element)
            current = SetFindings(st[1] if len(st) > 1 else "", st[2] if len(st) > 2 else "", group)
            if guide.rules(current.code):
                current.errors = _check(
                    guide, current.code, version, segments[at : end + 1], sids[at : end + 1], element
                )
            out.append(current)
        at = following
    return out
