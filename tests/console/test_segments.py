"""The Document page's pages of a large document: whole segments, numbered as in the whole file, and read one
after another they are the file, with nothing left out or shown twice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.console import segments
from crossdock.console.places import Place

ISA = "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261120*0915*U*00401*000000001*0*P*>~"
element = st.text(alphabet="ABC123 .", max_size=12)
segment = st.builds(
    lambda sid, es: "*".join([sid, *es]), st.sampled_from(["N1", "PO1", "PID", "REF"]), st.lists(element, max_size=6)
)


@settings(max_examples=60, deadline=None)
@given(body=st.lists(segment, max_size=120), page=st.integers(min_value=40, max_value=600), newline=st.booleans())
def test_pages_cover_the_file_once_in_whole_segments(body: list[str], page: int, newline: bool) -> None:
    sep = "~\n" if newline else "~"
    data = (ISA + ("\n" if newline else "") + sep.join(body) + ("~" if body else "")).encode("latin-1")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(segments, "SHOWN", page)
        at, text, numbers = 0, "", []
        while True:
            shown = segments.show(data, at=at)
            assert shown.at == at and shown.text == data[shown.at : shown.end].decode("latin-1")
            assert shown.end == len(data) or data[shown.end - 1 : shown.end] == b"~", "a page ends after a segment"
            text += shown.text
            for s in shown.segments:
                assert s.number == data[: s.offset].count(b"~") + 1
                numbers.append(s.number)
            if shown.end >= len(data):
                break
            assert shown.end > at
            at = shown.end
    assert text == data.decode("latin-1")
    assert numbers == sorted(set(numbers)) and numbers[:1] == [1]


def test_a_page_from_the_middle_of_a_segment_starts_at_that_segment() -> None:
    data = (ISA + "GS*PO*A*B~ST*850*0001~BEG*00*SA*PO-1~").encode()
    at = data.index(b"850")
    shown = segments.show(data, at=at)
    assert shown.at == data.index(b"ST*") and [s.elements[0] for s in shown.segments] == ["ST", "BEG"]
    assert shown.first == 3 and shown.previous == 0


def test_a_finding_marks_its_segment_and_element_only() -> None:
    data = (ISA + "GS*PO*A*B~ST*850*0001~BEG*00*XX*PO-1~").encode()
    place = Place("BEG02 is not valid", "error", "7", "BEG", 4, 2, None, data.index(b"BEG"))
    shown = segments.show(data, "anything", [place])
    (beg,) = [s for s in shown.segments if s.marked]
    assert beg.elements[0] == "BEG" and beg.marked_elements == {2} and beg.errors == ["BEG02 is not valid"]


def test_not_x12_is_paged_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segments, "SHOWN", 10)
    data = b'{"order": "' + b"x" * 30 + b'"}'
    first = segments.show(data)
    assert first.segments == [] and first.cut and first.text == data[:10].decode() and first.previous is None
    later = segments.show(data, at=25)
    assert later.text == data[25:35].decode() and later.previous == 15
