"""Bad input never crashes the engine: mutated partner files end in findings or NotX12Error, nothing else."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12.ack import acknowledge
from crossdock.mappings.x12.documents import decode_file
from crossdock.mappings.x12.hub import read
from crossdock.mappings.x12.report import validate_file
from tests.conftest import CORPUS

SAMPLES = [
    (CORPUS / "x12" / name).read_bytes()
    for name in (
        "850/bots_mervyns_3po_crlf.edi",
        "856/oopfactory_jewelry-vics_s-o-p-i_man-gm-sscc.edi",
        "810/oopfactory_walmart-sample_sac-allowance.edi",
        "997/staedi_5010_repetition-in-ak3-ak4.edi",
        "860/hellooops_two-860_blank-lines.edi",
    )
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=20))]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_are_reported_not_crashed_on(data: bytes) -> None:
    result = validate_file(data, name="mutated.edi")
    if result.error is not None:
        assert result.interchanges == []
        return
    acknowledge(result, "997")
    acknowledge(result, "999")
    try:
        decode_file(data)
    except NotX12Error:
        raise AssertionError("validate read it, so decode must too") from None


SUPERSCRIPT_TWO = "\u00b2"  # a digit to str.isdigit, not to int(): Latin-1 byte 0xB2


def test_a_superscript_digit_is_an_invalid_character_not_a_crash() -> None:
    data = (CORPUS / "x12/856/ediengine_crossdock_s-o-p-i_multi-store.edi").read_bytes()
    bad = data.replace(b"TD1*CTN*5*", b"TD1*CTN*\xb2*", 1)
    (ts,) = [s for ic in validate_file(bad).interchanges for g in ic.groups for s in g.sets]
    assert any(e.segment_id == "TD1" and e.element_position == 2 and e.code == "6" for e in ts.errors), ts.errors
    (shipment,) = decode_file(bad)["shipments"]
    assert shipment["lading_quantity"] is None


def test_digits_of_other_scripts_are_not_x12_numbers() -> None:
    """X12 numbers are 0-9; a UTF-8 partner's Arabic-Indic digits are named, not read as a quantity."""
    isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261122*1030*U*00401*000000007*0*P*>~"
    body = "ST*850*0001~BEG*00*SA*PO-1**20261122~PO1*1*\u0665*EA*2.5**UP*012345678905~CTT*1~SE*5*0001~"
    data = (isa + "GS*PO*SENDER*RECEIVER*20261122*1030*7*X*004010~" + body + "GE*1*7~IEA*1*000000007~").encode()
    result = validate_file(data, encoding="utf-8")
    (ts,) = result.interchanges[0].groups[0].sets
    assert ts.status == "rejected"
    assert any(e.segment_id == "PO1" and e.element_position == 2 and e.code == "6" for e in ts.errors), ts.errors


def test_counts_and_control_numbers_in_superscript_are_not_numbers() -> None:
    from crossdock.core.acknowledgments.reconcile import _number
    from crossdock.mappings.x12.fa997 import _count
    from crossdock.mappings.x12.values import integer, x12_date

    assert _number(SUPERSCRIPT_TWO) is None and _count(SUPERSCRIPT_TWO) is None
    assert integer(SUPERSCRIPT_TWO) is None and x12_date("2026112" + SUPERSCRIPT_TWO) is None


ODD_VALUES = ["", "0", "-1", "ABC", "9" * 20, "20260230", ".", SUPERSCRIPT_TWO, "1.2.3", "X" * 90, "0001"]


@st.composite
def restructured(draw: st.DrawFn) -> bytes:
    """Segments dropped, repeated or given odd element values, and sometimes a version with no spec, so that
    the mappings see values no validation has looked at."""
    text = draw(st.sampled_from(SAMPLES)).decode("latin-1")
    isa = text.index("ISA")
    sep, term = text[isa + 3], text[isa + 105]
    segments = text.split(term)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=1, max_value=len(segments) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "value"]))
        if kind == "drop":
            del segments[at]
        elif kind == "repeat":
            segments.insert(at, segments[draw(st.integers(min_value=1, max_value=len(segments) - 1))])
        else:
            elements = segments[at].split(sep)
            if len(elements) > 1:
                which = draw(st.integers(min_value=1, max_value=len(elements) - 1))
                elements[which] = draw(st.sampled_from(ODD_VALUES))
                segments[at] = sep.join(elements)
    if draw(st.booleans()):
        e = re.escape(sep)
        gs = re.compile(rf"^(\s*GS(?:{e}[^{e}]*){{7}}{e})[0-9A-Z]+")
        segments = [gs.sub(r"\g<1>003099", s) for s in segments]
    return term.join(segments).encode("latin-1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(restructured())
def test_restructured_files_are_read_acknowledged_and_mapped_without_a_crash(data: bytes) -> None:
    try:
        inbound = read(data, name="restructured.edi")
    except NotX12Error as exc:  # the ISA itself was dropped or repeated into nonsense
        assert "restructured.edi" in str(exc)
        return
    for kind in ("997", "999"):
        inbound.ack(kind, interchange=1, group=1, transaction=1, usage="P", created=dt.datetime(2026, 12, 3))
    decode_file(data)
