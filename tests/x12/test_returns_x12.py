"""The X12 of returns: a 180 written for a 3PL (golden file, valid by crossdock's own 180 spec, read back the same
by hypothesis), a buyer's 180 read into a Return, and a 3PL's 944 read into a ReturnReceipt whose W13 exceptions
leave only the good units sellable."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.receipt944 import receipt_from_944
from crossdock.mappings.x12.rma180 import build_180, return_from_180
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.writer import Envelope, write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden

GOLDEN = CASES / "x12" / "180"
DELIMITERS = Delimiters(element="*", component=">", segment="~")
CREATED = datetime(2026, 11, 25, 9, 15)
ENVELOPE = Envelope("ZZ", "CROSSDOCK", "ZZ", "WAREHOUSE", 7, 7, "AN", created=CREATED)


def a_return() -> Return:
    return Return(
        channel="shop",
        return_id="9011",
        rma_number="#901-R1",
        po_number="#901",
        external_id="901",
        lines=[
            ReturnLine(
                line_number="9010",
                sku="IPOD2008GREEN",
                quantity=Decimal(2),
                reason="defective",
                reason_text="stopped working",
            ),
            ReturnLine(line_number="9012", quantity=Decimal(1), reason="unwanted"),
        ],
    )


def the_set(data: bytes) -> ReadSet:
    (interchange,) = parse(data)
    (group,) = interchange.groups
    (ts,) = group.transactions
    return ts


def write(ret: Return, **options: str | bool) -> bytes:
    ts = build_180(ret, "0001", CREATED, rma=ret.rma_number or ret.return_id, **options)
    return write_interchange(ENVELOPE, [ts], DELIMITERS, newline=True)


def test_the_180_to_a_3pl_matches_its_golden_file_is_valid_and_reads_back() -> None:
    data = write(a_return(), order_number="#901-1A2B3C4D", depositor="ACME")
    assert_golden(GOLDEN / "3pl-notice" / "expected.edi", data)
    ts = the_set(data)
    findings = validate(ts)
    assert [str(e) for e in findings if e.is_error] == []
    assert status(ts) == "accepted"
    back = return_from_180(ts)
    assert back.return_id == "#901-R1" and back.rma_number == "#901-R1"
    assert (back.po_number, back.external_id) == ("#901", "901")
    assert [(x.sku, x.line_number, x.quantity, x.reason, x.reason_text) for x in back.lines] == [
        ("IPOD2008GREEN", "9010", Decimal(2), "defective", "stopped working"),
        (None, "9012", Decimal(1), "unwanted", None),
    ]


SAFE = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    rma=SAFE,
    po=SAFE,
    lines=st.lists(st.tuples(SAFE, SAFE, st.integers(min_value=1, max_value=9999)), min_size=1, max_size=6),
)
def test_any_return_written_as_a_180_reads_back_the_same(rma: str, po: str, lines: list[tuple[str, str, int]]) -> None:
    ret = Return(
        channel="shop",
        return_id=rma,
        rma_number=rma,
        po_number=po,
        lines=[ReturnLine(sku=s, line_number=n, quantity=Decimal(q)) for s, n, q in lines],
    )
    ts = the_set(write(ret))
    validate(ts)
    assert status(ts) == "accepted"
    back = return_from_180(ts)
    assert (back.return_id, back.po_number) == (rma, po)
    assert [(x.sku, x.line_number, x.quantity) for x in back.lines] == [(s, n, Decimal(q)) for s, n, q in lines]


BUYER_180 = (
    "ISA*00*          *00*          *ZZ*BIGBOX         *ZZ*CROSSDOCK      *261125*0915*U*00401*000000011*0*P*>~"
    "GS*AN*BIGBOX*CROSSDOCK*20261125*0915*11*X*004010~"
    "ST*180*0001~BGN*00*RA-5501*20261125~PRF*PO-77~N9*RZ*RMA-5501~"
    "BLI*VN*WIDGET-9*3*EA~N9*LI*2~NTE*GEN*damaged: crushed box~"
    "BLI*UP*012345678905*1*EA~"
    "SE*9*0001~GE*1*11~IEA*1*000000011~"
)


def test_a_buyers_180_becomes_a_return_with_its_lines_reasons_and_rma() -> None:
    ts = the_set(BUYER_180.encode())
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    ret = return_from_180(ts)
    assert (ret.return_id, ret.rma_number, ret.po_number) == ("RA-5501", "RMA-5501", "PO-77")
    assert [(x.sku, x.line_number, x.quantity, x.reason, x.reason_text) for x in ret.lines] == [
        ("WIDGET-9", "2", Decimal(3), "damaged", "crushed box"),
        ("012345678905", None, Decimal(1), "other", None),
    ]


def test_a_180_without_a_po_number_is_refused_by_name() -> None:
    ts = the_set(BUYER_180.replace("PRF*PO-77~", "").replace("SE*9*", "SE*8*").encode())
    with pytest.raises(DecodeError, match="180 0001 \\(return RA-5501\\): no PRF01"):
        return_from_180(ts)


RECEIPT_944 = (
    "ISA*00*          *00*          *ZZ*ACMEWH         *ZZ*CROSSDOCK      *261127*1400*U*00401*000000031*0*P*>~"
    "GS*RE*ACMEWH*CROSSDOCK*20261127*1400*31*X*004010~"
    "ST*944*0001~W17*F*20261127*R-100*#901-R1~N1*WH*ACME WAREHOUSE~N9*PO*#901~"
    "W07*2*EA**SK*IPOD2008GREEN~N9*LI*9010~W13*1*EA*01~"
    "W07*1*EA**SK*IPOD2008RED~"
    "W14*3~SE*10*0001~GE*1*31~IEA*1*000000031~"
)


def test_a_944_reads_into_a_receipt_whose_w13_units_are_not_sellable() -> None:
    ts = the_set(RECEIPT_944.encode())
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    receipt = receipt_from_944(ts)
    assert (receipt.rma_number, receipt.po_number) == ("#901-R1", "#901")
    assert receipt.received == datetime(2026, 11, 27)
    assert [(x.sku, x.line_number, x.quantity, x.condition) for x in receipt.lines] == [
        ("IPOD2008GREEN", "9010", Decimal(1), "sellable"),
        ("IPOD2008GREEN", "9010", Decimal(1), "damaged"),
        ("IPOD2008RED", None, Decimal(1), "sellable"),
    ]


def test_a_944_setting_aside_more_than_it_received_is_refused() -> None:
    ts = the_set(RECEIPT_944.replace("W13*1*EA*01", "W13*3*EA*01").encode())
    with pytest.raises(DecodeError, match="W13s set aside 3, more than the 2 received"):
        receipt_from_944(ts)


def test_to_json_shows_returns_and_receipts_only_in_files_that_have_them() -> None:
    import io

    from crossdock.mappings.x12.documents import decode_file
    from crossdock.tojson import write_documents

    for data, key in ((BUYER_180.encode(), "returns"), (RECEIPT_944.encode(), "return_receipts")):
        collected = decode_file(data)
        out = io.BytesIO()
        assert write_documents(data, out) == 0
        streamed = json.loads(out.getvalue())
        assert streamed == json.loads(json.dumps(collected, default=str))
        assert len(streamed[key]) == 1
        assert ("returns" in streamed) == (key == "returns"), "an empty list of returns is left out"


def test_a_cancelled_returns_180_says_so_in_bgn01_matches_its_golden_file_and_reads_back_cancelled() -> None:
    data = write(a_return(), order_number="#901-1A2B3C4D", cancel=True)
    assert_golden(GOLDEN / "3pl-cancel" / "expected.edi", data)
    ts = the_set(data)
    assert [str(e) for e in validate(ts) if e.is_error] == []
    back = return_from_180(ts)
    assert (back.return_id, back.status, len(back.lines)) == ("#901-R1", "cancelled", 2)
    assert return_from_180(the_set(write(a_return()))).status == "open"
