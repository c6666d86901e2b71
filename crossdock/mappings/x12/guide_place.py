"""Placing a set's segments in a guide's table: the loop instance each is in and the rules that hold there.

Where a segment goes depends only on the segment ids before it and on the texts of the segments that open a
loop whose qualifier a rule asks about (an HL's), never on the other segments' values. So a set is placed once
per shape (its ids, and those texts) and the placing is remembered on the table: a writer's sets come in few
shapes (an 856 of so many cartons of one item each), and for each set only the rules' tries on the segments
they are about are left to do (``guide_check``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from crossdock.mappings.x12.guide_table import Table, _Try

MEMO_SHAPES = 100_000  # segment ids a table remembers the shapes of sets by, all shapes together


class Placed(NamedTuple):
    """A set placed: the rules met by a segment being there, the segments with rules to try, and the rules
    required in a loop instance that no such segment met (in the order findings are reported)."""

    marked: tuple[tuple[int, int], ...]  # (rule, start of the loop instance counted in)
    tried: tuple[tuple[int, int, tuple[_Try, ...]], ...]  # (segment index, loop instance start, the tries)
    needs: tuple[tuple[int, int], ...]  # (rule, loop instance start): missing unless a try counts it


def place(table: Table, segments: list[str], sids: list[str], element: str) -> Placed:
    """A set's placing, remembered by its shape while the table has room."""
    key = element.join(sids)  # no id holds the separator: one string, hashed once
    shape = table.shapes.get(key)
    if shape is not None:
        openers, by_texts = shape
        texts = tuple(map(segments.__getitem__, openers))
        found = by_texts.get(texts)
        if found is None:
            found = _place(table, segments, sids, element)[1]
            if table.shaped + len(sids) <= MEMO_SHAPES:
                table.shaped += len(sids)
                by_texts[texts] = found
        return found
    openers, found = _place(table, segments, sids, element)
    if table.shaped + len(sids) <= MEMO_SHAPES:
        table.shaped += len(sids)
        table.shapes[key] = (openers, {tuple(segments[i] for i in openers): found})
    return found


def _place(table: Table, segments: list[str], sids: list[str], element: str) -> tuple[tuple[int, ...], Placed]:
    """One walk through the table: each segment id looked up in its state's row; only an event (a loop opens,
    rules hold) does more, and only a segment that opens a loop a rule asks the qualifier of is split. Also the
    indexes of those segments, whose texts are part of the shape."""
    rows, required = table.rows, table.required
    marked: list[tuple[int, int]] = []
    tried: list[tuple[int, int, tuple[_Try, ...]]] = []
    openers: list[int] = []
    instances = [(0, 0)] if required[0] else []  # (start, state) of each loop instance a required rule holds in
    state, open_ = 0, [0]  # the table's state; the start of each loop open (the set's: 0), outermost first
    for index, sid in enumerate(sids):
        event = rows[state].get(sid)
        if event is None:
            event = table.event(state, sid)
        if event.__class__ is int:
            state = event
            continue
        keep, nxt, opens, marks, tries, by_qualifier, by_text = event  # type: ignore[misc]
        scope = open_[keep - 1]
        if opens:
            if nxt < 0:
                openers.append(index)
                text = segments[index]
                known = by_text.get(text)
                if known is None:
                    elements = text.split(element)
                    q = elements[-nxt] if -nxt < len(elements) else ""
                    known = by_qualifier.get(q)
                    if known is None:
                        known = table.opened(state, sid, q, by_qualifier)
                    table.remember_text(by_text, text, known)
                nxt = known
            open_[keep:] = (index,)
            if required[nxt]:
                instances.append((index, nxt))
        state = nxt
        marked.extend((i, scope) for i in marks)
        if tries:
            tried.append((index, scope, tries))
    met = set(marked)
    needs = sorted((i, start) for start, at in instances for i in required[at] if (i, start) not in met)
    return tuple(openers), Placed(tuple(marked), tuple(tried), tuple(needs))
