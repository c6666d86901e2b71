"""The 997 set of a group accepted whole is joined at once (``_accepted_997``): it must be, byte for byte, what the
general path (``_group_ack``, cleaned and rendered segment by segment) writes for the same group."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.mappings.x12.ack import _accepted_997, _clean, _group_ack
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.report import GroupResult, SetResult
from crossdock.mappings.x12.writer import render_segment

DELIMITERS = [Delimiters("*", ">", "~", "^"), Delimiters("|", ":", "\n", None), Delimiters("+", ":", "'", "*")]
VALUES = st.sampled_from(["850", "0001", "PO", "12", "", " ", "A*B", "X~", "C>D", "é", "P|Q", "R'S", "004010"])
ERRORS = st.sampled_from(
    [
        X12Error(Level.SEGMENT, "8", "segment has errors", segment_id="PO1", segment_position=5),
        X12Error(Level.ELEMENT, "1", "mandatory element missing", segment_id="BEG", segment_position=2),
        X12Error(Level.TRANSACTION, "5", "set control mismatch"),
        X12Error(Level.TRANSACTION, "W1", "a business-rule warning", severity=Severity.WARNING),
        X12Error(Level.GROUP, "4", "group count", severity=Severity.WARNING),
    ]
)


@st.composite
def groups(draw: st.DrawFn) -> tuple[GroupResult, bool]:
    plain = draw(st.booleans())  # half the groups are the ordinary, clean kind
    value = st.sampled_from(["850", "0001", "PO", "12", "004010", "005010"]) if plain else VALUES
    sets = [
        SetResult(
            draw(value),
            draw(value),
            "accepted" if plain else draw(st.sampled_from(["accepted", "accepted_with_errors", "rejected"])),
            draw(st.lists(ERRORS, max_size=2)) if not plain else [],
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    group: Any = SimpleNamespace(
        functional_id=draw(value),
        control=draw(value),
        version=draw(st.sampled_from(["004010", "005010", "005010X220A1"]) if plain else VALUES),
        errors=[] if plain else draw(st.lists(ERRORS, max_size=1)),
    )
    return GroupResult(group, sets), plain


@settings(max_examples=300, deadline=None)
@given(groups(), st.sampled_from(DELIMITERS), st.sampled_from(["004010", "005010", "003040"]), st.booleans())
def test_joined_at_once_it_is_what_the_general_path_writes(
    drawn: tuple[GroupResult, bool], d: Delimiters, version: str, nl: bool
) -> None:
    gr, plain = drawn
    end = d.segment + ("\n" if nl and d.segment != "\n" else "")
    fast = _accepted_997(gr, "0042", d, version, end)
    general = "".join(
        render_segment(_clean(seg, d), d) + end for seg in _group_ack(gr, "997", "0042", d, version).finish()
    )
    if plain:
        assert fast is not None  # an ordinary clean group takes the joined path
    if fast is not None:
        assert fast == general


def test_a_clean_group_takes_the_joined_path() -> None:
    group: Any = SimpleNamespace(functional_id="PO", control="7", version="004010", errors=[])
    gr = GroupResult(group, [SetResult("850", "0001", "accepted", []), SetResult("850", "0002", "accepted", [])])
    d = Delimiters("*", ">", "~", "^")
    assert _accepted_997(gr, "0003", d, "004010", "~\n") == (
        "ST*997*0003~\nAK1*PO*7~\nAK2*850*0001~\nAK5*A~\nAK2*850*0002~\nAK5*A~\nAK9*A*2*2*2~\nSE*8*0003~\n"
    )
