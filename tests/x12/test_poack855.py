"""855: golden files, the crossdock and pyx12 readers on what we write, the round trip, and the traps.

Regenerate the golden files with ``CROSSDOCK_REGEN_GOLDEN=1 .venv/bin/pytest tests/x12/test_poack855.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import LineAcknowledgment, OrderAcknowledgment
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.poack855 import ack_from_855, build_855, derive_ack_type
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.writer import Envelope, TransactionSet, X12WriteError, write_interchange
from tests.conftest import CASES, CORPUS
from tests.golden import assert_golden
from tests.x12.strategies import DATES, LINE_NUMBERS, PRODUCT_IDS, TEXT, decimals, parties
from tests.x12.written import read_back

ENV = Envelope("ZZ", "CROSSDOCK", "ZZ", "PARTNER", 1, 1, "PR", created=datetime(2026, 11, 22, 10, 30))
DELIMS = Delimiters("*", ">", "~")
CASE_DIR = CASES / "x12" / "855"


def write(ts: TransactionSet) -> bytes:
    return write_interchange(replace(ENV, functional_id="PR"), [ts], DELIMS, newline=True)


@pytest.mark.parametrize("case", sorted(p.name for p in CASE_DIR.iterdir()) if CASE_DIR.exists() else [])
def test_golden(case: str) -> None:
    ack = OrderAcknowledgment.model_validate_json((CASE_DIR / case / "input.json").read_text())
    data = write(build_855(ack, "0001"))
    assert_golden(CASE_DIR / case / "expected.edi", data)
    back = ack_from_855(read_back(data))
    assert back == normalised(ack)


def test_golden_content_echoes_line_numbers_and_derives_bak02() -> None:
    text = (CASE_DIR / "changes_backorder" / "expected.edi").read_text()
    assert "BAK*00*AC*PO-778812*20261118*****20261122~" in text
    assert "PO1**10*EA*3.1275**VN*NW-200~" in text  # blank line number stays blank
    assert "PO1*0007*8*CA*40**BP*B-77*UP*012345678912~" in text  # zero-padded kept, ordered qty echoed
    assert "ACK*IB*10*EA*068*20261215~" in text  # backorder with the default date qualifier
    assert "ACK*DR*2.5*LB*106*20270104~" in text
    assert "ACK*IR*0*EA~" in text
    assert "CTT*5~" in text
    assert "BAK*00*AD*4500012345" in (CASE_DIR / "all_accepted" / "expected.edi").read_text()


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "AT"),
        (["IA", "IA"], "AD"),
        (["IR"], "RJ"),
        (["IR", "R2"], "RJ"),
        (["IA", "IR"], "AC"),
        (["IA", "IB"], "AC"),
        (["IQ"], "AC"),
        (["IP", "DR", "IS"], "AC"),
    ],
)
def test_derive_ack_type(statuses: list[str], expected: str) -> None:
    assert derive_ack_type(statuses) == expected


def _ack(**line: object) -> OrderAcknowledgment:
    base: dict[str, object] = {"position": 1, "status": "IA", "quantity": Decimal(1), "uom": "EA"}
    return OrderAcknowledgment(
        po_number="PO1", po_date=date(2026, 1, 2), lines=[LineAcknowledgment.model_validate({**base, **line})]
    )


def test_explicit_ack_type_is_written_as_given() -> None:
    ack = _ack()
    ack.ack_type = "AK"
    assert write(build_855(ack, "0001")).count(b"BAK*00*AK*PO1*20260102~") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"line_number": "1*2"}, "delimiter"),
        ({"line_number": "1~"}, "delimiter"),
        ({"product_ids": {"VN": "A>B"}}, "delimiter"),
        ({"product_ids": {"VN": ""}}, "both halves"),
        ({"uom": None}, "unit of measure"),
        ({"status": "DR"}, "date"),
        ({"date_qualifier": "068"}, "date"),
    ],
)
def test_bad_inputs_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(X12WriteError, match=message):
        write(build_855(_ack(**change), "0001"))


def test_missing_po_date_is_refused() -> None:
    ack = _ack()
    ack.po_date = None
    with pytest.raises(X12WriteError, match="PO date"):
        build_855(ack, "0001")


# --- the corpus: BAK02 is not trusted ---------------------------------------------------------------------------


def _corpus_acks(name: str) -> list[OrderAcknowledgment]:
    path = CORPUS / "x12" / "855" / name
    return [ack_from_855(ts) for ts in read_transactions(path)]


def test_header_ad_over_rejected_lines_reads_as_ac() -> None:
    (ack,) = _corpus_acks("nodex12_book-distributor_ack-ia-ir.edi")
    assert ack.ack_type == "AC"
    assert [(line.status, line.quantity) for line in ack.lines] == [
        ("IA", Decimal(3)),
        ("IR", Decimal(0)),
        ("IR", Decimal(0)),
        ("IA", Decimal(2)),
    ]
    assert ack.po_number == "POTEST1112" and ack.po_date == date(2020, 10, 15)
    assert ack.parties[0].role == "ST" and ack.parties[0].address is not None


def test_several_acks_on_one_line_and_headers_without_detail() -> None:
    (ack,) = _corpus_acks("stupidedi_aerospace-x358_ack-ip-dr-iq-is-ia-ir.edi")
    first = ack.lines[0]
    assert (first.status, first.quantity, first.date, first.date_qualifier) == (
        "IP",
        Decimal(20),
        date(2017, 5, 20),
        "106",
    )
    assert first.ordered_quantity == 25 and first.unit_price == Decimal("9.5")
    assert [line.status for line in ack.lines] == ["IP", "IA", "IR"]
    (rejected,) = _corpus_acks("stupidedi_aerospace-x358_bak-rj.edi")
    assert rejected.ack_type == "RJ" and rejected.lines == []
    grocery = _corpus_acks("bots_grocery-safeway-vons_6x855_ucs.edi")
    assert len(grocery) == 6 and all(a.ack_type == "AP" for a in grocery)
    assert all(line.line_number is None for a in grocery for line in a.lines)


# --- hypothesis round trip ------------------------------------------------------------------------------------------


@st.composite
def ack_lines(draw: st.DrawFn, position: int) -> LineAcknowledgment:
    state = draw(st.sampled_from(["IA", "IB", "IR", "IQ", "IP", "DR", "IS", "R2"]))
    quantity = Decimal(0) if state == "IR" else draw(st.none() | decimals(99999, 4))
    ordered = draw(st.none() | decimals(99999, 4))
    dated = state == "DR" or draw(st.booleans())
    return LineAcknowledgment(
        position=position,
        line_number=draw(LINE_NUMBERS),
        status=state,
        quantity=quantity,
        uom=draw(st.sampled_from(["EA", "CA", "LB"])) if quantity is not None or ordered is not None else None,
        date=draw(DATES) if dated else None,
        date_qualifier=draw(st.none() | st.sampled_from(["068", "106", "002"])) if dated else None,
        ordered_quantity=ordered,
        unit_price=draw(st.none() | decimals(99999, 4)),
        product_ids=draw(PRODUCT_IDS),
    )


@st.composite
def acknowledgments(draw: st.DrawFn) -> OrderAcknowledgment:
    count = draw(st.integers(0, 6))
    return OrderAcknowledgment(
        po_number=draw(TEXT),
        po_date=draw(DATES),
        purpose=draw(st.sampled_from(["00", "06"])),
        ack_date=draw(st.none() | DATES),
        parties=draw(st.lists(parties(), max_size=3)),
        lines=[draw(ack_lines(i)) for i in range(1, count + 1)],
    )


def normalised(ack: OrderAcknowledgment) -> OrderAcknowledgment:
    """What X12 keeps: BAK02 derived from the lines, PO102 = ordered quantity (or the acked one when unknown),
    a date qualifier 068 where only a date was given."""
    out = ack.model_copy(deep=True)
    out.ack_type = ack.ack_type or derive_ack_type([line.status for line in ack.lines])
    for line in out.lines:
        if line.ordered_quantity is None:
            line.ordered_quantity = line.quantity
        if line.date is not None and line.date_qualifier is None:
            line.date_qualifier = "068"
    return out


@settings(max_examples=50, deadline=None)
@given(acknowledgments())
def test_round_trip(ack: OrderAcknowledgment) -> None:
    data = write(build_855(ack, "0001"))
    assert ack_from_855(read_back(data)) == normalised(ack)
