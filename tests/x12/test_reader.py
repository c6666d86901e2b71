"""The streaming reader: delimiters per interchange, offsets and positions, raw bytes, and bad input."""

from __future__ import annotations

import io

import pytest

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12.reader import iter_events, parse, read_transactions
from crossdock.mappings.x12.report import validate_file
from tests.conftest import CORPUS, corpus_entries

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261122*1030*U*00401*000000007*0*P*>~"


def interchange(body: str, isa: str = ISA, control: str = "000000007") -> bytes:
    return (isa + "GS*PO*SENDER*RECEIVER*20261122*1030*7*X*004010~" + body + f"GE*1*7~IEA*1*{control}~").encode()


PO = "ST*850*0001~BEG*00*SA*PO-1**20261122~PO1*1*5*EA*2.5**UP*012345678905~CTT*1~SE*5*0001~"


def test_segments_keep_their_offset_position_and_raw_bytes() -> None:
    data = interchange(PO)
    (ts,) = list(read_transactions(data))
    assert [s.position for s in ts.segments] == [1, 2, 3, 4, 5]
    beg = ts.segments[1]
    assert data[beg.offset : beg.offset + 3] == b"BEG"
    assert ts.raw == PO.encode()
    assert ts.segments[2].get(7) == "012345678905"
    assert ts.segments[2].get(40) == ""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \r\n", "empty file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 obj", "a PDF document"),
        (b"UNA:+.? 'UNB+UNOA:2+SENDER+RECEIVER+261122:1030+1'", "EDIFACT"),
        (b"\x00\x01\x02garbage\xff\xfe", "no ISA interchange header"),
        (b"GS*PO*A*B*20261122*1030*1*X*004010~", "no ISA interchange header"),
        (b"ISA*00*   *00", "ISA is cut short"),
        (b"ISA 00 00 ZZ", "not a usable delimiter"),
    ],
)
def test_what_is_not_x12_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotX12Error) as info:
        list(iter_events(data, name="in.edi"))
    assert reason in str(info.value)
    assert "in.edi" in str(info.value)
    assert info.value.offset is not None


def test_a_truncated_file_keeps_what_it_read_and_says_where_it_ends() -> None:
    data = interchange(PO)[:-40]
    (ic,) = parse(data)
    assert [e.code for e in ic.errors] == ["023"]
    ts = ic.groups[0].transactions[0]
    assert ts.code == "850"
    assert ts.raw
    assert any(e.code == "3" and e.level == "group" for e in ic.groups[0].errors)


def test_a_segment_cut_mid_element_is_reported_with_its_place() -> None:
    data = interchange("ST*850*0001~BEG*00*SA*PO-1**2026~SE*3*0001~")
    result = validate_file(data)
    (s,) = result.interchanges[0].groups[0].sets
    assert s.status == "rejected"
    bad = [e for e in s.errors if e.level == "element"]
    assert bad and bad[0].segment_id == "BEG" and bad[0].element_position == 5 and bad[0].segment_position == 2
    assert bad[0].code == "8"


def test_each_interchange_brings_its_own_delimiters() -> None:
    second = ISA.replace("*", "|").replace("|>~", "|:!")
    data = (
        interchange(PO)
        + b"\n"
        + (
            second
            + "GS|PO|SENDER|RECEIVER|20261122|1030|8|X|004010!ST|850|0002!BEG|00|SA|PO-2||20261122!"
            + "PO1|1|1|EA|1||UP|1!CTT|1!SE|5|0002!GE|1|8!IEA|1|000000008!"
        ).encode()
    )
    sets = list(read_transactions(data))
    assert [ts.segments[1].get(3) for ts in sets] == ["PO-1", "PO-2"]
    assert sets[1].segments[0].delimiters.segment == "!"


def test_small_chunks_read_the_same_as_one_chunk() -> None:
    path = CORPUS / "x12/850/bots_vics_binary-delims-0x7f-0x15_42kb.edi"
    whole = [(ts.code, ts.control, [s.elements for s in ts.segments], ts.raw) for ts in read_transactions(path)]
    stream = io.BytesIO(path.read_bytes())
    pieces = [
        (ts.code, ts.control, [s.elements for s in ts.segments], ts.raw)
        for _, ts in ((k, o) for k, o in iter_events(stream, chunk_size=997) if k == "transaction")
    ]
    assert pieces == whole
    assert len(whole) == 4


def test_partner_encoding_decodes_values_and_latin1_never_fails() -> None:
    data = interchange("ST*850*0001~BEG*00*SA*PO-1**20261122~N1*ST*Caf\u00e9 M\u00fcller~SE*4*0001~")
    (ts,) = list(read_transactions(data, encoding="utf-8"))
    assert ts.segments[2].get(2) == "Caf\u00e9 M\u00fcller"
    (ts,) = list(read_transactions(data, encoding="latin-1"))
    assert ts.segments[2].get(2) == "Caf\u00e9 M\u00fcller".encode().decode("latin-1")


def test_by_default_utf8_is_recognised_and_the_rest_is_windows_1252() -> None:
    utf8 = "N1*ST*Caf\u00e9 M\u00fcller".encode()
    cp1252 = "N1*ST*Joe\u2019s \u201cBest\u201d \u2013 50\u20ac".encode("cp1252")
    undefined = b"N1*ST*A\x81B\xe9"  # 0x81 has no Windows-1252 character: kept as Latin-1 reads it
    for raw, expected in (
        (utf8, "Caf\u00e9 M\u00fcller"),
        (cp1252, "Joe\u2019s \u201cBest\u201d \u2013 50\u20ac"),
        (undefined, "A\x81B\u00e9"),
    ):
        head, tail = interchange("@").split(b"@")
        data = head + b"~".join([b"ST*850*0001", b"BEG*00*SA*PO-1**20261122", raw, b"SE*4*0001~"]) + tail
        (ts,) = list(read_transactions(data))
        assert ts.segments[2].get(2) == expected
        (elements,) = [e for e in ts.element_lists() if e[0] == "N1"]
        assert elements[2] == expected


def test_ebcdic_is_read_after_transcoding() -> None:
    (ts,) = list(read_transactions(CORPUS / "x12/850/bots_ebcdic_encoded.edi"))
    assert ts.code == "850"
    assert ts.segments[1].get(3) == "12345678"


def test_space_terminator_followed_by_newline_keeps_spaces_inside_values() -> None:
    (ts,) = list(read_transactions(CORPUS / "x12/850/oopfactory_adobe-shrinkwrap_space-terminator.edi"))
    names = [s.get(2) for s in ts.segments if s.id == "N1"]
    assert "SOLD TO Org Name" in names


@pytest.mark.parametrize(
    "entry", [e for e in corpus_entries("x12/") if e["expect"] != "invalid"], ids=lambda e: e["file"]
)
def test_every_readable_corpus_file_keeps_raw_bytes_that_are_in_the_file(entry: dict[str, object]) -> None:
    path = CORPUS / str(entry["file"])
    data = path.read_bytes()
    for ts in read_transactions(path):
        if ts.codec == "latin-1":
            assert ts.raw in data
        assert ts.segments[0].id == "ST"
