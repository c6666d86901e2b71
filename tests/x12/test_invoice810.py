"""810: golden files, both readers on what we write, the round trip, TDS arithmetic and the TDS check on the corpus.

Regenerate the golden files with ``CROSSDOCK_REGEN_GOLDEN=1 .venv/bin/pytest tests/x12/test_invoice810.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.fulfilment.models import Invoice, InvoiceLine
from crossdock.core.models import Charge, Reference, Terms
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.invoice810 import build_810, invoice_from_810, invoice_total
from crossdock.mappings.x12.reader import parse, read_transactions
from crossdock.mappings.x12.validator import validate
from crossdock.mappings.x12.writer import Envelope, TransactionSet, X12WriteError, write_interchange
from tests.conftest import CASES, CORPUS, corpus_entries
from tests.golden import assert_golden
from tests.x12.strategies import DATES, LINE_NUMBERS, PRODUCT_IDS, TEXT, decimals, parties
from tests.x12.written import read_back

ENV = Envelope("ZZ", "CROSSDOCK", "ZZ", "PARTNER", 1, 1, "IN", created=datetime(2026, 11, 22, 10, 30))
DELIMS = Delimiters("*", ">", "~")
CASE_DIR = CASES / "x12" / "810"
TDS_DEFECTS = {
    "810/bots_retailer-demo_dummy-tds.edi": [0],
    "810/staedi_buysnacks_2inv.edi": [1],
    "810/x12types_5010_tds-inconsistent.edi": [0],
}


def write(ts: TransactionSet) -> bytes:
    return write_interchange(replace(ENV, functional_id="IN"), [ts], DELIMS, newline=True)


def normalised(invoice: Invoice) -> Invoice:
    """TDS01 carries the computed total in cents, whatever ``total_amount`` held (within half a cent); a percent
    SAC names its base (SAC06)."""
    out = invoice.model_copy(deep=True)
    out.total_amount = invoice_total(invoice).quantize(Decimal("0.01"), ROUND_HALF_UP)
    for c in [*out.charges, *(c for line in out.lines for c in line.charges)]:
        if c.percent is not None and c.percent_basis is None:
            c.percent_basis = "3"  # SAC06 written as discount/gross when the charge names no base
    return out


@pytest.mark.parametrize("case", sorted(p.name for p in CASE_DIR.iterdir()) if CASE_DIR.exists() else [])
def test_golden(case: str) -> None:
    invoice = Invoice.model_validate_json((CASE_DIR / case / "input.json").read_text())
    data = write(build_810(invoice, "0001"))
    assert_golden(CASE_DIR / case / "expected.edi", data)
    assert invoice_from_810(read_back(data)) == normalised(invoice)


def test_golden_money_formats() -> None:
    text = (CASE_DIR / "allowance_and_charges" / "expected.edi").read_text()
    assert "BIG*20261122*INV-2026-0001*20261118*PO-778812~" in text
    assert "IT1*0001*24*EA*12.5*PE*UP*012345678905*VN*NW-100~" in text  # explicit decimal price
    assert "IT1**6*CA*3.1275**VN*NW-200~" in text  # blank line number stays blank, 4-place price kept
    assert "IT1*0013*2.5*LB*-4.2**VN*NW-RETURN~" in text
    assert "SAC*A*I410***750*******02~" in text  # SAC05 implied cents
    assert "TDS*33978~" in text  # 339.775 rounded half-up once
    assert "SAC*A*C310***599*3*1.5~" in text and "CAD****ODFL~" in text and "CTT*3~" in text
    assert text.index("TDS*") < text.index("SAC*C*D240") < text.index("CTT*")
    assert "ITD*08*3*2**10**30*****2/10 NET 30~" in text
    assert "DTM*011*20261122~\nFOB*PP*OR*OAKLAND CA*01*FOB~\nIT1*" in text  # the PO's FOB, after ITD and DTM
    foreign = (CASE_DIR / "foreign_currency" / "expected.edi").read_text()
    assert "CUR*SE*CAD~" in foreign and "TDS*289603530~" in foreign


def _invoice(**change: object) -> Invoice:
    line = InvoiceLine(position=1, quantity=Decimal(10), uom="EA", unit_price=Decimal(5))
    base: dict[str, object] = {"invoice_number": "I1", "invoice_date": date(2026, 1, 2), "lines": [line]}
    return Invoice.model_validate({**base, **change})


def test_total_amount_that_disagrees_is_refused() -> None:
    with pytest.raises(X12WriteError, match=r"total_amount 1\.30 .* come to 50"):
        build_810(_invoice(total_amount=Decimal("1.30")), "0001")
    with pytest.raises(X12WriteError, match=r"total_amount 50\.01"):
        build_810(_invoice(total_amount=Decimal("50.01")), "0001")
    build_810(_invoice(total_amount=Decimal("50.005")), "0001")
    allowance = Charge(indicator="A", code="I410", amount=Decimal("2.50"))
    with pytest.raises(X12WriteError, match="total_amount 50"):
        build_810(_invoice(total_amount=Decimal(50), charges=[allowance]), "0001")
    assert b"TDS*4750~" in write(build_810(_invoice(total_amount=Decimal("47.50"), charges=[allowance]), "0001"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"invoice_number": "I*1"}, "delimiter"),
        ({"po_number": "P~1"}, "delimiter"),
        ({"references": [Reference(qualifier="IA", value="A>B")]}, "delimiter"),
        ({"charges": [Charge(indicator="C", code="D240", amount=Decimal("1.005"))]}, "whole number of cents"),
        ({"charges": [Charge(indicator="C", amount=Decimal(1))]}, "SAC02"),
        ({"charges": [Charge(indicator="C", code="D240", quantity=Decimal(1))]}, "go together"),
        ({"terms": [Terms(type_code="01", discount_amount=Decimal("0.001"))]}, "ITD08"),
        ({"lines": [InvoiceLine(position=1, quantity=Decimal(1), uom="", unit_price=Decimal(1))]}, "IT103"),
    ],
)
def test_bad_inputs_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(X12WriteError, match=message):
        write(build_810(_invoice(**change), "0001"))


def test_cad_per_version() -> None:
    """4010 writes CAD with the SCAC alone when no transport method is known; 5010 needs CAD01, so it writes
    CAD only with one, and its spec refuses the 4010 form (the Bots 5010 grammar does too)."""
    five = replace(ENV, version="005010")
    plain = _invoice(carrier_scac="UPSN")
    assert b"CAD****UPSN~" in write(build_810(plain, "0001"))
    assert b"CAD" not in write_interchange(five, [build_810(plain, "0001", "005010")], DELIMS, newline=True)
    moded = write_interchange(five, [build_810(replace(plain, transport_mode="M"), "0001", "005010")], DELIMS)
    assert b"CAD*M***UPSN~" in moded
    read_back(moded)
    (bad,) = parse(moded.replace(b"CAD*M***", b"CAD****"))
    (ts,) = bad.groups[0].transactions
    assert any(e.segment_id == "CAD" and e.is_error for e in validate(ts)), "CAD01 is mandatory in 005010"
    (ok,) = parse(write(build_810(plain, "0001")))
    assert not [e for e in validate(ok.groups[0].transactions[0]) if e.is_error], "and optional in 004010"


# --- the TDS check on the corpus: every 810, three must warn ---------------------------------------------------------


@pytest.mark.parametrize("entry", corpus_entries("x12/810/"), ids=lambda e: str(e["file"]))
def test_tds_check_on_corpus(entry: dict[str, object]) -> None:
    name = str(entry["file"]).removeprefix("x12/")
    sets = list(read_transactions(CORPUS / "x12" / name))
    flagged = [i for i, ts in enumerate(sets) if any(e.code == E.RULE_TOTAL_MISMATCH for e in validate(ts))]
    if entry["expect"] in ("valid", "lenient"):
        assert flagged == []
    assert flagged == TDS_DEFECTS.get(name, [])
    for ts in sets:
        invoice = invoice_from_810(ts)
        assert invoice.lines and invoice.total_amount is not None


def test_corpus_money_reads() -> None:
    path = CORPUS / "x12" / "810" / "oopfactory_walmart-sample_sac-allowance.edi"
    (invoice,) = [invoice_from_810(ts) for ts in read_transactions(path)]
    assert invoice.total_amount == Decimal("3875.30") and invoice_total(invoice) == Decimal("3875.30")
    assert invoice.lines[0].line_number is None and invoice.lines[0].charges[0].amount == Decimal("23.50")
    assert invoice.carrier_scac == "RDWT"
    (mattress,) = [
        invoice_from_810(ts) for ts in read_transactions(path.with_name("oopfactory_mattress-retail_tds-implied.edi"))
    ]
    assert mattress.total_amount == Decimal("56358.00")


# --- hypothesis round trip ------------------------------------------------------------------------------------------

CHARGE_CODES = st.sampled_from(["I410", "D240", "G830", "H850", "C310", "B840"])


@st.composite
def charges(draw: st.DrawFn) -> Charge:
    quantity = draw(st.none() | decimals(999, 2))
    agency = draw(st.none() | st.just("VI"))
    indicator, percent = draw(st.sampled_from(["A", "C", "N"])), draw(st.none() | decimals(99, 2))
    money = percent is not None and indicator != "N"  # an 810's percent SAC states its amount too
    return Charge(
        indicator=indicator,
        code=draw(CHARGE_CODES) if agency is None else draw(st.none() | CHARGE_CODES),
        amount=draw(decimals(99999, 2) if money else st.none() | decimals(99999, 2)),
        percent=percent,
        percent_basis=draw(st.none() | st.sampled_from(["1", "3", "6"])) if percent is not None else None,
        rate=draw(st.none() | decimals(999, 4)),
        quantity=quantity,
        uom=draw(st.sampled_from(["EA", "CA"])) if quantity is not None else None,
        handling=draw(st.none() | st.sampled_from(["02", "06"])),
        agency=agency,
        agency_code=draw(st.from_regex(r"[A-Z0-9]{1,10}", fullmatch=True)) if agency else None,
        reference=draw(st.none() | TEXT) if agency else None,
        description=draw(st.none() | TEXT),
    )


@st.composite
def terms(draw: st.DrawFn) -> Terms:
    percent = draw(st.none() | decimals(99, 2))
    amount = draw(st.none() | decimals(9999, 2))
    return Terms(
        type_code=draw(st.sampled_from(["01", "05", "08", "14"])),
        basis_date_code=draw(st.none() | st.sampled_from(["3", "15"])),
        discount_percent=percent,
        discount_days=draw(st.integers(1, 99)) if percent is not None or amount is not None else None,
        discount_due_date=draw(st.none() | DATES),
        net_due_date=draw(st.none() | DATES),
        net_days=draw(st.none() | st.integers(1, 999)),
        discount_amount=amount,
        description=draw(st.none() | TEXT),
    )


@st.composite
def invoice_lines(draw: st.DrawFn, position: int) -> InvoiceLine:
    return InvoiceLine(
        position=position,
        line_number=draw(LINE_NUMBERS),
        quantity=draw(decimals(99999, 4)),
        uom=draw(st.sampled_from(["EA", "CA", "LB"])),
        unit_price=draw(decimals(99999, 4, signed=True)),
        price_basis=draw(st.none() | st.sampled_from(["PE", "CP", "UM"])),
        product_ids=draw(PRODUCT_IDS),
        description=draw(st.none() | TEXT),
        charges=draw(st.lists(charges(), max_size=2)),
    )


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    count = draw(st.integers(1, 5))
    invoice = Invoice(
        invoice_number=draw(TEXT),
        invoice_date=draw(DATES),
        po_number=draw(st.none() | TEXT),
        po_date=draw(st.none() | DATES),
        currency=draw(st.sampled_from(["USD", "CAD", "EUR"])),
        parties=draw(st.lists(parties(), max_size=3)),
        references=draw(
            st.lists(
                st.builds(
                    Reference,
                    qualifier=st.sampled_from(["IA", "DP", "MR", "VN"]),
                    value=TEXT,
                    description=st.none() | TEXT,
                ),
                max_size=2,
            )
        ),
        terms=draw(st.lists(terms(), max_size=2)),
        ship_date=draw(st.none() | DATES),
        carrier_scac=draw(st.none() | st.from_regex(r"[A-Z]{2,4}", fullmatch=True)),
        lines=[draw(invoice_lines(i)) for i in range(1, count + 1)],
        charges=draw(st.lists(charges(), max_size=3)),
    )
    if draw(st.booleans()):
        invoice.total_amount = invoice_total(invoice)
    return invoice


@settings(max_examples=50, deadline=None)
@given(invoices())
def test_round_trip(invoice: Invoice) -> None:
    data = write(build_810(invoice, "0001"))
    assert invoice_from_810(read_back(data)) == normalised(invoice)
