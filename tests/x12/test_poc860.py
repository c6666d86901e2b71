"""860 -> OrderChange: every corpus 860, with the values a change must be applied by (PO number, raw line number)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.models import OrderChange
from crossdock.mappings.x12.poc860 import change_from_860
from crossdock.mappings.x12.reader import read_transactions
from tests.conftest import CORPUS

X12 = CORPUS / "x12"


def changes(path: str) -> list[OrderChange]:
    return [change_from_860(ts) for ts in read_transactions(X12 / path) if ts.code == "860"]


def test_two_860s_with_blank_lines() -> None:
    first, second = changes("860/hellooops_two-860_blank-lines.edi")
    assert (first.po_number, second.po_number) == ("PO001", "PO002")
    for change in (first, second):
        assert (change.purpose, change.order_type) == ("04", "CP")
        assert change.order_date == date(2023, 10, 25)
        assert change.change_date == date(2023, 11, 14)  # BCH11
        assert change.lines == [] and change.parties == []


def test_retailer_delete_items_with_po_date_text_and_lost_terminator() -> None:
    (change,) = changes("860/oopfactory_retailer_poc-di_missing-term.edi")
    assert change.po_number == "PO NUMBER"
    assert (change.purpose, change.order_type) == ("04", "SA")
    assert change.order_date is None  # BCH06 is the literal text "PO DATE"
    assert change.change_date == date(2008, 3, 10)
    assert [(r.qualifier, r.value) for r in change.references] == [("IA", "TEMPR")]
    (buyer,) = change.parties
    assert (buyer.role, buyer.name, buyer.id_qualifier) == ("BY", "RETAILER", "92")
    # N1 lost its terminator, so the reader joins it with the N3: the id holds "1129" plus the N3 tag
    assert buyer.id is not None and buyer.id.startswith("1129")
    assert buyer.address is not None and (buyer.address.city, buyer.address.postal_code) == ("LEXINGTON", "40511")
    assert [(line.line_number, line.change_code) for line in change.lines] == [("1", "DI"), ("2", "DI")]
    assert [line.position for line in change.lines] == [1, 2]
    assert change.lines[0].product_ids == {"IN": "59123", "VN": "018100775285"}
    assert change.lines[1].product_ids == {"IN": "86111", "VN": "039307384346"}
    assert change.lines[0].quantity is None and change.lines[0].unit_price is None


def test_nissan_003010_reissue_with_fractional_quantity() -> None:
    (change,) = changes("860/stupidedi_nissan_003010_bch18.edi")
    assert change.po_number == "SP7301"  # sent as "SP7301 " (padded)
    assert (change.purpose, change.order_type) == ("18", "BE")
    assert change.order_date == date(2007, 6, 29)  # YYMMDD in 003010
    assert [(d.qualifier, d.date) for d in change.dates] == [("007", date(2007, 6, 28)), ("036", date(2007, 12, 31))]
    assert [(r.qualifier, r.value) for r in change.references] == [("VR", "3008450"), ("PG", "SP")]
    (bill_to,) = change.parties
    assert bill_to.role == "BT" and bill_to.name == "NISSAN NORTH AMERICA"
    assert bill_to.address is not None and bill_to.address.lines == ["ACCOUNT PAYABLE,BIN 8U"]
    assert (bill_to.address.city, bill_to.address.state, bill_to.address.postal_code) == ("SMYRNA", "TN", "37167")
    (line,) = change.lines
    assert line.line_number == "001"  # raw, zero-padded
    assert line.change_code == "CA"
    assert line.quantity == Decimal("0.5") and line.quantity_left == Decimal("0")
    assert line.uom == "EA" and line.unit_price == Decimal("61.59")
    assert line.product_ids == {"BP": "23710 JA81A", "C4": "N/A"}


def test_x12types_5010_cancel_with_change_line() -> None:
    (change,) = changes("860/x12types_5010_bch01-poc-ca.edi")
    assert (change.po_number, change.purpose, change.order_type) == ("PO123", "01", "NE")
    assert change.order_date == date(2020, 1, 1)
    assert [(r.qualifier, r.value) for r in change.references] == [("RE", "0")]  # BCH04 release
    assert [(p.role, p.name, p.id_qualifier, p.id) for p in change.parties] == [("BY", "BUYER", "92", "B1")]
    (line,) = change.lines
    assert (line.line_number, line.change_code) == ("1", "CA")
    assert (line.quantity, line.quantity_left, line.uom) == (Decimal(5), Decimal(10), "EA")
    assert line.unit_price == Decimal("2.50")
    assert line.product_ids == {"VN": "ABC"}


def test_line_level_segments_do_not_leak_into_the_header() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*>~"
        b"GS*PC*SENDER*RECEIVER*20200101*1200*1*X*004010~ST*860*0001~BCH*04*SA*PO9**1*20200101~"
        b"DTM*002*20200115*0800*ET~POC*0001*QD*3*7*CA*1.5**UP*012345678905~DTM*002*20200120~"
        b"N1*ST*LINE SHIP TO~REF*ZZ*LINE~CTT*1~SE*9*0001~GE*1*1~IEA*1*000000001~"
    )
    (ts,) = read_transactions(data)
    change = change_from_860(ts)
    assert [(d.qualifier, d.date, d.time, d.time_zone) for d in change.dates] == [
        ("002", date(2020, 1, 15), "0800", "ET")
    ]
    assert change.parties == [] and change.references == []
    (line,) = change.lines
    assert (line.line_number, line.change_code, line.uom) == ("0001", "QD", "CA")
    assert line.product_ids == {"UP": "012345678905"}


def test_wrong_set_or_missing_header() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*>~"
        b"GS*PC*SENDER*RECEIVER*20200101*1200*1*X*004010~ST*860*0001~CTT*0~SE*3*0001~GE*1*1~IEA*1*000000001~"
    )
    (ts,) = read_transactions(data)
    with pytest.raises(DecodeError, match="BCH"):
        change_from_860(ts)
    (ack,) = read_transactions(X12 / "997/x12types_5010_accept.edi")
    with pytest.raises(DecodeError, match="860"):
        change_from_860(ack)
