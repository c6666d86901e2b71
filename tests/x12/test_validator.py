"""Validation: each kind of error with its code and place, and the fast path that must never be laxer."""

from __future__ import annotations

import re

import pytest

from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet
from crossdock.mappings.x12.patterns import segment_regex, set_matcher
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.spec import ElementSpec
from crossdock.mappings.x12.specs import get_spec, segment_dictionary
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.walk import _Walker, check_segment
from tests.conftest import CORPUS, corpus_entries

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261122*1030*U*00401*000000007*0*P*>~"
HEAD = "ST*850*0001~BEG*00*SA*PO-1**20261122~"
LINE = "PO1*1*5*EA*2.5**UP*012345678905~"
TAIL = "CTT*1~"


def one_set(body: str) -> TransactionSet:
    count = body.count("~") + 1
    data = ISA + "GS*PO*SENDER*RECEIVER*20261122*1030*7*X*004010~" + body + f"SE*{count}*0001~GE*1*7~IEA*1*000000007~"
    (ts,) = list(read_transactions(data.encode()))
    validate(ts)
    return ts


def syntax(ts: TransactionSet) -> list[tuple[str, str, str | None, int | None, int | None]]:
    return [
        (e.level.value, e.code, e.segment_id, e.segment_position, e.element_position)
        for e in ts.errors
        if e.level in ("segment", "element")
    ]


def test_a_valid_order_is_accepted() -> None:
    ts = one_set(HEAD + LINE + TAIL)
    assert status(ts) == "accepted" and ts.errors == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (HEAD + "PO1*1*5*EA*2.5**UP~" + TAIL, ("element", "2", "PO1", 3, 7)),  # P0607
        (HEAD.replace("BEG*00", "BEG*99") + LINE + TAIL, ("element", "7", "BEG", 2, 1)),  # code list
        (HEAD.replace("20261122", "20260230") + LINE + TAIL, ("element", "8", "BEG", 2, 5)),  # bad date
        (HEAD.replace("PO-1", "P" * 23) + LINE + TAIL, ("element", "5", "BEG", 2, 3)),  # too long
        (HEAD + "PO1*1*5X*EA*2.5**UP*1~" + TAIL, ("element", "6", "PO1", 3, 2)),  # not a number
        (HEAD + "CUR*BY~" + LINE + TAIL, ("element", "1", "CUR", 3, 2)),  # mandatory element
        (
            HEAD + "CUR*BY*USD*1*2*3*4*5*6*7*8*9*10*11*12*13*14*15*16*17*18*19*20~" + LINE + TAIL,
            ("element", "3", "CUR", 3, 22),
        ),  # too many elements
        (HEAD + "BEG*00*SA*PO-1**20261122~" + LINE + TAIL, ("segment", "5", "BEG", 3, None)),  # max use
        (HEAD + LINE + "BEG*00*SA*PO-2**20261122~" + TAIL, ("segment", "7", "BEG", 4, None)),  # out of sequence
        (HEAD + LINE + "W05*N*1~" + TAIL, ("segment", "6", "W05", 4, None)),  # not in this set
        (HEAD + LINE + "ZZZ*1~" + TAIL, ("segment", "2", "ZZZ", 4, None)),  # unknown id
        (HEAD + LINE + "ZZZ~" + TAIL, ("segment", "2", "ZZZ", 4, None)),  # an id with no elements keeps its place
        (HEAD + LINE + "Org~" + TAIL, ("segment", "1", "Org", 4, None)),  # not an id, and no elements
        ("ST*850*0001~" + LINE + TAIL, ("segment", "3", "BEG", 2, None)),  # mandatory segment missing
    ],
)
def test_each_error_has_its_code_and_place(body: str, expected: tuple[str, str, str, int, int | None]) -> None:
    ts = one_set(body)
    assert status(ts) == "rejected"
    assert expected in syntax(ts), syntax(ts)


def test_a_segment_with_no_elements_keeps_its_byte_offset() -> None:
    ts = one_set(HEAD + LINE + "ZZZ~" + TAIL)
    (error,) = [e for e in ts.errors if e.segment_id == "ZZZ"]
    assert error.offset == ts.offsets[3] and "byte" in str(error)


def test_a_loop_over_its_maximum_is_reported() -> None:
    ts = one_set(HEAD + "N9*L1*X~" * 1001 + LINE + TAIL)
    assert ("segment", "4", "N9", 1003, None) in syntax(ts)


def test_ninth_forty_without_lines_misses_its_mandatory_loop() -> None:
    (ts,) = list(read_transactions(CORPUS / "x12/malformed/ediengine_940_missing-mandatory-loop.edi"))
    validate(ts)
    assert any(e.code == "3" and e.level == "segment" for e in ts.errors)


@pytest.mark.parametrize(
    ("type_", "lo", "hi", "good", "bad"),
    [
        ("R", 1, 5, ["1", "-1.5", ".5", "12345", "1234.5", "0.0001"], ["123456", "1.2.3", "-", ".", "1e5", "12345.6"]),
        ("N2", 1, 4, ["1", "-1234", "0"], ["1.5", "12345", "a"]),
        ("DT", 8, 8, ["20240229", "19991231"], ["20230229", "20241301", "2024011", "20240431"]),
        ("DT", 6, 6, ["240229", "991231"], ["230229", "241301"]),
        ("TM", 4, 8, ["0000", "2359", "235959", "23595999"], ["2400", "1260", "123", "12345"]),
        ("ID", 2, 2, ["AB"], ["A", "ABC"]),
    ],
)
def test_value_patterns_agree_with_the_element_check(
    type_: str, lo: int, hi: int, good: list[str], bad: list[str]
) -> None:
    from crossdock.mappings.x12.patterns import value_pattern
    from crossdock.mappings.x12.walk import _simple_error

    es = ElementSpec(ref="1", usage="M", type=type_, min_len=lo, max_len=hi)
    pattern = re.compile(value_pattern(es, Delimiters("*", ">", "~")))
    for value in good:
        assert pattern.fullmatch(value) and _simple_error(value, es) is None, value
    for value in bad:
        assert not pattern.fullmatch(value) and _simple_error(value, es) is not None, value


def _corpus_sets() -> list[tuple[str, TransactionSet]]:
    found = []
    for entry in corpus_entries("x12/"):
        try:
            sets = list(read_transactions(CORPUS / entry["file"]))
        except Exception:
            continue
        found += [(entry["file"], ts) for ts in sets if ts.segments[-1].id == "SE"]
    return found


def test_fast_path_matches_exactly_when_the_walk_finds_no_syntax_error() -> None:
    compared = 0
    for name, ts in _corpus_sets():
        spec = get_spec(ts.code, ts.group.version)
        if spec is None:
            continue
        d = ts.segments[0].delimiters
        present = frozenset(s.id for s in ts.segments)
        fast = bool(set_matcher(spec, d, present)("\n".join(s.text for s in ts.segments) + "\n"))
        walker = _Walker(spec)
        slow = []
        for seg in ts.segments:
            walker.place(seg)
            if seg.id in spec.segments:
                slow += check_segment(seg, spec.segments[seg.id])
        walker.finish(ts.segments[-1])
        slow += walker.errors
        assert fast == (not slow), (name, ts.control, [str(e) for e in slow][:3])
        compared += 1
    assert compared > 140


def test_segment_patterns_enforce_syntax_notes() -> None:
    po1 = segment_dictionary("004010")["PO1"]
    rx = segment_regex(po1, Delimiters("*", ">", "~"))
    assert rx.fullmatch("PO1*1*5*EA*2.5**UP*1*VN*X")
    assert not rx.fullmatch("PO1*1*5*EA*2.5**UP")
    assert not rx.fullmatch("PO1*1*5*EA*2.5**UP**VN*X")
    assert not rx.fullmatch("PO1*1*5*EA*2.5***1")
    assert rx.fullmatch("PO1*1*5*EA*2.5****VN*X")
    assert rx.fullmatch("PO1*1*5*EA*2.5**UP*1**")
    assert not rx.fullmatch("PO1*1*5*EA*2.5**UP*1**VN")
    assert not rx.fullmatch("PO1*1*5*EA*2.5**UP*1***X")


def test_a_line_count_that_disagrees_is_a_warning_at_ctt() -> None:
    ts = one_set(HEAD + LINE + "CTT*3~")
    assert status(ts) == "accepted_with_errors"
    (finding,) = ts.errors
    assert (finding.code, finding.segment_id, finding.segment_position, finding.element_position) == (
        "CTT",
        "CTT",
        4,
        1,
    )
    ts = one_set(HEAD + TAIL)
    assert [e.message for e in ts.errors] == ["the purchase order has no PO1 lines"]
