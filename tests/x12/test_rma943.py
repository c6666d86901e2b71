"""The 943 a 3PL that takes one gets instead of a 180: golden files (004010, 005010, a cancel, a split order's two
parts), each valid by crossdock's own 943 spec; any SKU or RMA text either writes a valid interchange or is refused
by name (hypothesis); and the 944 that answers it, echoing the 943's W0602 in W1704, finds the return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import Address, Carrier, Order, OrderLine, Party
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.guide import guide_from_dict
from crossdock.mappings.x12.guide_check import check_interchanges
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.receipt944 import receipt_from_944
from crossdock.mappings.x12.rma943 import build_943
from crossdock.mappings.x12.text import limited
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.writer import Envelope, X12WriteError, write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden

GOLDEN = CASES / "x12" / "943"
CREATED = datetime(2026, 11, 25, 9, 15)
WAREHOUSE = Party(role="ST", name="ACME WAREHOUSE", id_qualifier="ZZ", id="ACME3PL")
SKUS = ("IPOD2008GREEN", "IPOD2008RED", "CASE-1")


def an_order(carrier: Carrier | None = None) -> Order:
    buyer = Party(
        role="ST",
        name="Jane Buyer",
        address=Address(lines=["1 Main St"], city="Springfield", state="IL", postal_code="62701", country="US"),
    )
    lines = [
        OrderLine(position=k, line_number=f"90{k}0", quantity=Decimal(3), uom="EA", product_ids={"SK": sku})
        for k, sku in enumerate(SKUS, 1)
    ]
    lines[1].product_ids["UP"] = "012345678905"
    return Order(po_number="#901", parties=[buyer], lines=lines, carriers=[carrier] if carrier else [])


def a_return(lines: list[ReturnLine] | None = None) -> Return:
    return Return(
        channel="shop",
        return_id="9011",
        rma_number="#901-R1",
        po_number="#901",
        external_id="901",
        lines=lines
        or [
            ReturnLine(line_number="9010", sku="IPOD2008GREEN", quantity=Decimal(2), reason="defective"),
            ReturnLine(line_number="9030", quantity=Decimal(1), reason="unwanted"),
        ],
    )


def write(ret: Return, order: Order, version: str = "004010", **options: str | bool) -> bytes:
    rma = ret.rma_number or ret.return_id
    ts = build_943(ret, order, "0001", CREATED, rma=rma, warehouse=WAREHOUSE, version=version, **options)
    five = version.startswith("005")
    delimiters = Delimiters(element="*", component=">", segment="~", repetition="^" if five else None)
    envelope = Envelope("ZZ", "CROSSDOCK", "ZZ", "ACME3PL", 7, 7, "AR", version=version, created=CREATED)
    return write_interchange(envelope, [ts], delimiters, newline=True)


def the_set(data: bytes) -> ReadSet:
    (interchange,) = parse(data)
    (group,) = interchange.groups
    (ts,) = group.transactions
    return ts


def valid(data: bytes) -> ReadSet:
    ts = the_set(data)
    assert [str(e) for e in validate(ts) if e.is_error] == []
    assert status(ts) == "accepted"
    return ts


def segments(ts: ReadSet, sid: str) -> list[list[str]]:
    return [list(s.elements[1:]) for s in ts.segments if s.id == sid]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_943_matches_its_golden_file_and_is_valid_by_the_943_spec(version: str) -> None:
    order = an_order(Carrier(mode="M", scac="UPSN"))
    data = write(a_return(), order, version, order_number="#901-1A2B", depositor="ACME")
    assert_golden(GOLDEN / f"notice-{version}" / "expected.edi", data)
    ts = valid(data)
    assert ts.group.version == version
    (w06,) = segments(ts, "W06")
    assert w06[:6] == ["C", "#901-R1", "20261125", "9011", "", "#901"]
    assert [s[:2] for s in segments(ts, "N1")] == [["SF", "Jane Buyer"], ["ST", "ACME WAREHOUSE"], ["DE", "ACME"]]
    assert segments(ts, "W27") == [["M", "UPSN"]]
    assert [s[:5] for s in segments(ts, "W04")] == [
        ["2", "EA", "", "SK", "IPOD2008GREEN"],
        ["1", "EA", "", "SK", "CASE-1"],  # known by its line number alone: the order line's product ids
    ]
    assert segments(ts, "W03") == [["3"]]


def test_a_cancel_repeats_the_943_with_w0612_cancel_entire_order_and_is_valid() -> None:
    data = write(a_return(), an_order(), cancel=True)
    assert_golden(GOLDEN / "cancel" / "expected.edi", data)
    ts = valid(data)
    (w06,) = segments(ts, "W06")
    assert (w06[1], w06[11]) == ("#901-R1", "G")
    assert segments(ts, "W27") == [["ZZ"]], "no carrier on the order: W27 is mandatory, ZZ says mutually defined"
    assert len(segments(ts, "W04")) == 2
    (original,) = segments(the_set(write(a_return(), an_order())), "W06")
    assert len(original) == 6, "an announcement has no action code"


def test_each_part_of_a_split_orders_return_is_its_own_943_with_its_own_lines() -> None:
    whole = a_return(
        [
            ReturnLine(line_number="9010", sku="IPOD2008GREEN", quantity=Decimal(1)),
            ReturnLine(line_number="9020", sku="IPOD2008RED", quantity=Decimal(2)),
        ]
    )
    for k, line in enumerate(whole.lines, 1):
        part = whole.model_copy(update={"lines": [line]})
        data = write(part, an_order(), depositor="ACME")
        assert_golden(GOLDEN / f"split-part-{k}" / "expected.edi", data)
        ts = valid(data)
        assert [s[:5] for s in segments(ts, "W04")] == [[str(line.quantity), "EA", *(
            ["012345678905", "SK", "IPOD2008RED"] if line.sku == "IPOD2008RED" else ["", "SK", "IPOD2008GREEN"]
        )]]  # fmt: skip
        assert segments(ts, "W03") == [[str(line.quantity)]]


def test_what_the_943_cannot_hold_is_refused_by_name() -> None:
    too_long = "W0602 \\(segment 2\\) '#901-R1-THAT-IS-FAR-TOO-LONG' is longer than the 22 characters"
    with pytest.raises(X12WriteError, match=too_long):
        write(a_return().model_copy(update={"rma_number": "#901-R1-THAT-IS-FAR-TOO-LONG"}), an_order())
    nameless = a_return([ReturnLine(line_number="77", quantity=Decimal(1))])
    with pytest.raises(X12WriteError, match="return 9011: line 77 has no product id for W04"):
        write(nameless, an_order())
    channel_ids_only = a_return([ReturnLine(product_ids={"VARIANT": "39072856"}, quantity=Decimal(1))])
    with pytest.raises(X12WriteError, match="no product id for W04"):
        write(channel_ids_only, an_order())
    cut = a_return([ReturnLine(sku="MUG\x1eBLUE", quantity=Decimal(1))])
    with pytest.raises(X12WriteError, match="return 9011: W0405 \\(segment 11\\) 'MUG\\\\x1eBLUE' holds a control"):
        write(cut, an_order())
    with pytest.raises(X12WriteError, match="no ship-to to name as the customer"):
        write(a_return(), an_order().model_copy(update={"parties": []}))


ANY_TEXT = st.text(min_size=1, max_size=22)


@settings(max_examples=80, deadline=None)
@given(
    rma=ANY_TEXT,
    skus=st.lists(st.text(min_size=1, max_size=48), min_size=1, max_size=5),
    quantity=st.integers(min_value=1, max_value=99999),
)
def test_any_sku_or_rma_text_writes_a_valid_943_or_is_refused_by_name(rma: str, skus: list[str], quantity: int) -> None:
    ret = a_return([ReturnLine(sku=s, line_number=str(k), quantity=Decimal(quantity)) for k, s in enumerate(skus, 1)])
    ret.rma_number = rma
    try:
        data = write(ret, an_order())
    except X12WriteError as exc:
        said = str(exc)
        assert "delimiter" in said or "control character" in said or "is longer than" in said, said
        return
    assert max(data) < 0x80, "nothing above 0x7F is written"
    ts = valid(data)
    assert segments(ts, "W06")[0][1] == limited(rma, "extended"), "the RMA as written: transliterated, not cut"
    assert [s[4] for s in segments(ts, "W04")] == [limited(s, "extended") for s in skus]
    assert segments(ts, "W03") == [[str(quantity * len(skus))]]


def test_the_944_that_answers_a_943_finds_the_return_by_the_echoed_depositor_order_number() -> None:
    ts = the_set(write(a_return(), an_order()))
    (w06,) = segments(ts, "W06")
    answer = (
        "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*CROSSDOCK      *261127*1400*U*00401*000000031*0*P*>~"
        "GS*RE*ACME3PL*CROSSDOCK*20261127*1400*31*X*004010~"
        f"ST*944*0001~W17*C*20261127*R-100*{w06[1]}~N1*WH*ACME WAREHOUSE~"
        "W07*2*EA**SK*IPOD2008GREEN~N9*LI*9010~W13*1*EA*01~W14*2~SE*8*0001~GE*1*31~IEA*1*000000031~"
    )
    receipt = receipt_from_944(valid(answer.encode()))
    assert (receipt.rma_number, receipt.po_number) == ("#901-R1", None)
    assert [(x.sku, x.line_number, x.quantity, x.condition) for x in receipt.lines] == [
        ("IPOD2008GREEN", "9010", Decimal(1), "sellable"),
        ("IPOD2008GREEN", "9010", Decimal(1), "damaged"),
    ]


def test_a_3pls_guide_checks_the_943_naming_what_it_misses() -> None:
    guide = guide_from_dict(
        {
            "name": "acme-3pl-943",
            "versions": ["004010"],
            "sets": {
                "943": [
                    {"segment": "N9*RZ", "use": "required", "max": 1, "source": "acme guide: the RMA"},
                    {"segment": "G62", "use": "required", "source": "acme guide: an expected date"},
                    {"segment": "W04", "elements": {"5": {"max_length": 10}}, "source": "acme: SKU"},
                ]
            },
        },
        "test",
    )
    (found,) = check_interchanges(guide, write(a_return(), an_order()))
    assert found.code == "943"
    assert sorted(e.message.removeprefix("guide acme-3pl-943: ") for e in found.errors if e.is_error) == [
        "G62 is required in the set and missing (acme guide: an expected date)",
        "W0405 is 13 characters, more than 10 (acme: SKU)",
    ], "N9*RZ is there once, as the guide demands"
