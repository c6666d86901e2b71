"""865: golden files, crossdock's reader and validator and pyx12's tokenizer on what we write, and the round trip.

Regenerate the golden files with ``CROSSDOCK_REGEN_GOLDEN=1 .venv/bin/pytest tests/x12/test_poca865.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import ChangeAcknowledgment, LineChange, LineChangeAnswer
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.poack855 import derive_ack_type
from crossdock.mappings.x12.poca865 import build_865, change_ack_from_865
from crossdock.mappings.x12.writer import Envelope, TransactionSet, X12WriteError, write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.x12.strategies import DATES, LINE_NUMBERS, PRODUCT_IDS, TEXT, decimals
from tests.x12.written import read_back

ENV = Envelope("ZZ", "CROSSDOCK", "ZZ", "PARTNER", 1, 1, "CA", created=datetime(2026, 11, 22, 10, 30))
CASE_DIR = CASES / "x12" / "865"


def write(ts: TransactionSet, version: str = "004010") -> bytes:
    return write_interchange(replace(ENV, version=version), [ts], Delimiters("*", ">", "~"), newline=True)


@pytest.mark.parametrize("case", sorted(p.name for p in CASE_DIR.iterdir()))
def test_golden(case: str) -> None:
    ack = ChangeAcknowledgment.model_validate_json((CASE_DIR / case / "input.json").read_text())
    data = write(build_865(ack, "0001"))
    assert_golden(CASE_DIR / case / "expected.edi", data)
    assert change_ack_from_865(read_back(data)) == normalised(ack)


def test_golden_content() -> None:
    text = (CASE_DIR / "changes_accepted_and_refused" / "expected.edi").read_text()
    assert "GS*CA*" in text and "ST*865*0001~" in text
    assert "BCA*00*AC*PO-778812**2*20261118****20261122*20261121~" in text  # a mix of IA and IR: AC
    assert "POC*0001*QD*3*3*EA*12.5**VN*MUG-BLU~\nACK*IA~" in text
    assert "POC*0002*PC****11**VN*KTL-STL~\nACK*IR~" in text
    assert "POC**DI******VN*SPN-01~" in text  # a blank line number stays blank
    assert "CTT*4~" in text
    cancel = (CASE_DIR / "cancel_accepted" / "expected.edi").read_text()
    assert "BCA*00*AC*4500012345***20261120****20261122~" in cancel and "ACK*IQ*2*EA~" in cancel


def test_validates_in_005010_too() -> None:
    ack = ChangeAcknowledgment.model_validate_json((CASE_DIR / "cancel_accepted" / "input.json").read_text())
    assert change_ack_from_865(read_back(write(build_865(ack, "0001"), "005010"))) == normalised(ack)


def test_refused_inputs() -> None:
    ack = ChangeAcknowledgment(po_number="PO1", lines=[])
    with pytest.raises(X12WriteError, match="PO date"):
        build_865(ack, "0001")
    no_unit = LineChange(position=1, change_code="QD", quantity=1)  # type: ignore[call-arg]
    ack = ChangeAcknowledgment(
        po_number="PO1", po_date=date(2026, 1, 2), lines=[LineChangeAnswer(change=no_unit, status="IA")]
    )
    with pytest.raises(X12WriteError, match="unit of measure"):
        build_865(ack, "0001")


def normalised(ack: ChangeAcknowledgment) -> ChangeAcknowledgment:
    """What X12 keeps: BCA02 derived from the answers, no reasons (an ACK has no place for them), a unit only
    with a quantity."""
    out = ack.model_copy(deep=True)
    out.ack_type = ack.ack_type or derive_ack_type([a.status for a in ack.lines])
    for answer in out.lines:
        answer.reason = None
        answer.change.line_number = answer.change.line_number or None
        if answer.change.quantity is None and answer.quantity is None:
            answer.change.uom = None  # POC05 goes with a quantity
    return out


@st.composite
def answers(draw: st.DrawFn, position: int) -> LineChangeAnswer:
    quantity = draw(st.none() | decimals(99999, 3))
    status = draw(st.sampled_from(["IA", "IR", "IQ"]))
    kept = draw(decimals(9999, 2)) if status == "IQ" else None
    return LineChangeAnswer(
        change=LineChange(
            position=position,
            line_number=draw(LINE_NUMBERS),
            change_code=draw(st.sampled_from(["AI", "DI", "QI", "QD", "PC", "PQ", "CT", "CA", "RZ"])),
            quantity=quantity,
            quantity_left=draw(st.none() | decimals(999, 0)),
            uom="EA" if quantity is not None or kept is not None else draw(st.none() | st.just("CA")),
            unit_price=draw(st.none() | decimals(99999, 4)),
            product_ids=draw(PRODUCT_IDS),
        ),
        status=status,
        quantity=kept,
    )


@st.composite
def acknowledgments(draw: st.DrawFn) -> ChangeAcknowledgment:
    return ChangeAcknowledgment(
        po_number=draw(TEXT),
        po_date=draw(DATES),
        change_sequence=draw(st.none() | st.from_regex(r"[0-9]{1,8}", fullmatch=True)),
        change_date=draw(st.none() | DATES),
        ack_date=draw(st.none() | DATES),
        lines=[draw(answers(i)) for i in range(1, draw(st.integers(0, 5)) + 1)],
    )


@settings(max_examples=50, deadline=None)
@given(acknowledgments())
def test_round_trip(ack: ChangeAcknowledgment) -> None:
    assert change_ack_from_865(read_back(write(build_865(ack, "0001")))) == normalised(ack)


def test_an_865_received_is_decoded_beside_the_other_documents() -> None:
    from crossdock.mappings.x12.documents import OUTPUT_KEYS, decode_file

    case = sorted(p for p in CASE_DIR.iterdir())[0]
    data = (case / "expected.edi").read_bytes()
    decoded = decode_file(data)
    assert list(decoded)[: len(OUTPUT_KEYS)] == list(OUTPUT_KEYS), "the other keys stay, in their order"
    (answer,) = decoded["change_acknowledgments"]
    expected = ChangeAcknowledgment.model_validate_json((case / "input.json").read_text())
    assert answer["po_number"] == expected.po_number and len(answer["lines"]) == len(expected.lines)
    assert "skipped" not in decoded, "an 865 has its mapping now"
