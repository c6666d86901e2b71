"""The writer: fixed-width ISA, trailing empties dropped, numbers formatted, delimiters refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.writer import (
    Envelope,
    TransactionSet,
    X12WriteError,
    _render_each,
    format_decimal,
    implied,
    render_segment,
    render_set,
    write_interchange,
)

D = Delimiters("*", ">", "~", "^")


def test_values_render_as_x12_text() -> None:
    assert render_segment(["PO1", "1", 5, "EA", Decimal("12.500"), None, "UP", "0123", None, None], D) == (
        "PO1*1*5*EA*12.5**UP*0123"
    )
    assert render_segment(["SLN", "1", None, "I", 4, ["EA", "13.3"]], D) == "SLN*1**I*4*EA>13.3"
    assert format_decimal(Decimal("3.00")) == "3" and format_decimal(Decimal("-0.0")) == "0"
    assert format_decimal(Decimal("1E+2")) == "100"
    assert implied(Decimal("56358.00")) == "5635800" and implied(Decimal("-1.255")) == "-126"


@pytest.mark.parametrize("value", ["A*B", "A~B", "A>B", "A^B"])
def test_a_value_holding_a_delimiter_is_refused_with_its_place(value: str) -> None:
    with pytest.raises(X12WriteError, match="N102"):
        render_segment(["N1", "ST", value], D)


def envelope(**changes: object) -> Envelope:
    base: dict[str, object] = dict(
        sender_qualifier="ZZ",
        sender_id="ME",
        receiver_qualifier="01",
        receiver_id="123456789",
        interchange_control=42,
        group_control=7,
        functional_id="PO",
        created=datetime(2026, 11, 22, 10, 30),
    )
    base.update(changes)
    return Envelope(**base)  # type: ignore[arg-type]


def test_isa_is_fixed_width_and_the_envelope_reads_back() -> None:
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", None, "20261122")
    ts.add("PO1", "1", 1, "EA", None, None, "UP", "1")
    ts.add("CTT", 1)
    data = write_interchange(envelope(), [ts], D, newline=True)
    assert data.index(b"~") == 105
    (ic,) = parse(data)
    assert ic.ok and ic.control == "000000042" and ic.groups[0].control == "7"
    assert ic.groups[0].transactions[0].segments[-1].elements == ["SE", "5", "0001"]
    five = write_interchange(envelope(version="005010"), [TransactionSet("850", "0002")], D)
    assert five[82:83] == b"^" and b"*00501*" in five


def test_impossible_envelopes_are_refused() -> None:
    with pytest.raises(X12WriteError):
        write_interchange(envelope(sender_id="X" * 16), [], D)
    with pytest.raises(X12WriteError):
        write_interchange(envelope(interchange_control=1_000_000_000), [], D)
    with pytest.raises(ValueError):
        Delimiters("*", "*", "~")


@pytest.mark.parametrize("value", ["A*B", "A~B", "A>B", "A^B"])
def test_a_set_holding_a_delimiter_is_refused_with_its_place(value: str) -> None:
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", None, "20261122")
    ts.add("N1", "ST", value)
    with pytest.raises(X12WriteError, match="N102"):
        write_interchange(envelope(), [ts], D)


def test_newline_terminators_and_composites_are_written() -> None:
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", None, "20261122")
    ts.add("SLN", "1", None, "I", 4, ["EA", "13.3"])
    data = write_interchange(envelope(), [ts], Delimiters("*", ">", "\n"), newline=True)
    (ic,) = parse(data)
    assert ic.ok
    assert ic.groups[0].transactions[0].segments[2].elements == ["SLN", "1", "", "I", "4", "EA>13.3"]


@pytest.mark.parametrize("value", ["A*", "*", "**"])
def test_a_last_value_ending_in_the_separator_is_refused_not_stripped(value: str) -> None:
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", None, "20261122")
    ts.add("N1", "ST", "NAME", "92", value)
    with pytest.raises(X12WriteError, match="N104"):
        write_interchange(envelope(), [ts], D)


def test_text_only_and_mixed_segments_drop_the_same_trailing_empties() -> None:
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", "", "20261122", "", "")
    ts.add("PO1", "1", Decimal("2.50"), "EA", None, None, "UP", "1", None, "")
    ts.add("SLN", "1", "", "I", 4, ["EA", "13.3"], None)
    data = write_interchange(envelope(), [ts], D).decode()
    assert "~BEG*00*SA*PO-1**20261122~PO1*1*2.5*EA***UP*1~SLN*1**I*4*EA>13.3~SE*5*0001~" in data


def test_a_partner_whose_delimiters_are_control_characters_gets_them() -> None:
    """GS as the element separator and US as the component separator are real partner choices."""
    d = Delimiters("\x1d", "\x1f", "\x1c")
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", None, "20261122")
    ts.add("SLN", "1", None, "I", 4, ["EA", "13.3"])
    data = write_interchange(envelope(), [ts], d)
    (ic,) = parse(data)
    assert ic.ok
    segments = ic.groups[0].transactions[0].segments
    assert segments[2].elements == ["SLN", "1", "", "I", "4", "EA\x1f13.3"]
    assert segments[2].component(5, 2) == "13.3"


def test_text_values_of_a_str_subclass_are_written_as_text() -> None:
    from enum import StrEnum

    class Purpose(StrEnum):
        ORIGINAL = "00"

    ts = TransactionSet("850", "0001")
    ts.add("BEG", Purpose.ORIGINAL, "SA", "PO-1", None, "20261122", Decimal("1.50"))
    assert "~BEG*00*SA*PO-1**20261122*1.5~" in write_interchange(envelope(), [ts], D).decode()


@pytest.mark.parametrize("newline", [False, True])
@pytest.mark.parametrize("value", ["A*B", "A~B", "A>B", "A^B", "A*", "*"])
def test_a_text_only_set_holding_a_delimiter_is_refused_with_its_place(value: str, newline: bool) -> None:
    """A set of text values is joined whole; the delimiter counts must still find the value and name it."""
    ts = TransactionSet("850", "0001")
    ts.add("BEG", "00", "SA", "PO-1", "", "20261122")
    ts.add("N1", "ST", value, "92", "0001")
    with pytest.raises(X12WriteError, match="N102"):
        write_interchange(envelope(), [ts], D, newline=newline)


@pytest.mark.parametrize("newline", [False, True])
def test_a_text_only_set_drops_the_trailing_empties_a_mixed_set_drops(newline: bool) -> None:
    def written(empty: str | None) -> str:
        ts = TransactionSet("850", "0001")
        ts.add("BEG", "00", "SA", "PO-1", "", "20261122", "", "")
        ts.add("PO4", "6", "", "", empty, "", "")
        ts.add("N1", "ST", "", "", "")
        return write_interchange(envelope(), [ts], D, newline=newline).decode()

    end = "~\n" if newline else "~"
    assert written("") == written(None)
    assert f"{end}BEG*00*SA*PO-1**20261122{end}PO4*6{end}N1*ST{end}SE*5*0001{end}" in written("")


_VALUES = st.text(alphabet="AB1 *~>^\n", max_size=4)
_SEGMENTS = st.lists(st.lists(_VALUES, min_size=0, max_size=5).map(lambda vs: ["N1", *vs]), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(segments=_SEGMENTS, newline=st.booleans())
def test_joining_a_text_set_whole_writes_what_the_segment_path_writes(segments: list[list[str]], newline: bool) -> None:
    """The whole-set join and the segment-by-segment path agree on every text set: same text, or both refuse
    (the join writes a line break inside a value as a space)."""
    end = "~\n" if newline else "~"

    def outcome(render: Callable[..., str]) -> str:
        try:
            return render(segments, D, end)
        except X12WriteError:
            return "refused"

    def spaced(segments: list[list[str]], d: Delimiters, end: str) -> str:  # a line break in a value is a space
        return _render_each([[v.replace("\n", " ") for v in segment] for segment in segments], d, end)

    assert outcome(render_set) == outcome(spaced)


@settings(max_examples=200, deadline=None)
@given(
    value=st.text(st.characters(codec="ascii", exclude_characters="*~>^"), max_size=20),
    newline=st.booleans(),
)
def test_no_control_character_of_a_value_is_written(value: str, newline: bool) -> None:
    """A line break in a shopper's address or a bell in a name never reaches the partner: in the extended set too,
    a control character is not X12 text (a line break becomes a space, anything else ``?``)."""
    d = Delimiters("*", ">", "~")
    end = "~\n" if newline else "~"
    body = render_set([["N1", "ST", value], ["N3", "1 MAIN ST"]], d, end)
    assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in body.replace(end, "")), body
    assert body.count(end) == 2
    expected = "".join(" " if ch in "\t\r\n" else "?" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in value)
    assert body.split(end)[0] == f"N1*ST*{expected}".rstrip("*")
