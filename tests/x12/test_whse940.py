"""Order -> 940: golden files, read-back through crossdock and pyx12, and the W01/N9*LI layout warehouses rely on."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import pyx12.rawx12file
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.models import Address, Order, OrderLine, Party
from crossdock.core.order_details import ShippingTerms
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.whse940 import build_940, w01_ids
from crossdock.mappings.x12.writer import Envelope, X12WriteError, write_interchange
from tests.conftest import CASES
from tests.golden import assert_golden

GOLDEN = CASES / "x12" / "940"
DELIMITERS = Delimiters(element="*", component=">", segment="~")
ENVELOPE = Envelope("ZZ", "CROSSDOCK", "ZZ", "WAREHOUSE", 1, 1, "OW", created=datetime(2026, 11, 22, 10, 30))


def case_input(case: Path) -> tuple[Order, str | None, Party | None, dict[int, list[str]]]:
    order = Order.model_validate_json((case / "input.json").read_text())
    options_file = case / "options.json"
    options = json.loads(options_file.read_text()) if options_file.exists() else {}
    warehouse = Party.model_validate(options["warehouse"]) if "warehouse" in options else None
    cartons = {int(position): ssccs for position, ssccs in options.get("cartons", {}).items()}
    return order, options.get("depositor"), warehouse, cartons


def write(
    order: Order,
    depositor: str | None = None,
    warehouse: Party | None = None,
    cartons: dict[int, list[str]] | None = None,
) -> bytes:
    ts = build_940(order, "0001", depositor=depositor, warehouse=warehouse, cartons=cartons)
    return write_interchange(ENVELOPE, [ts], DELIMITERS, newline=True)


def read_back(data: bytes) -> ReadSet:
    """The one set in ``data``, checked by crossdock's reader and validator and by pyx12's tokenizer."""
    (interchange,) = parse(data)
    assert interchange.errors == []
    (group,) = interchange.groups
    assert group.errors == []
    (ts,) = group.transactions
    findings = validate(ts)
    assert [str(e) for e in findings if e.is_error] == []
    assert status(ts) == "accepted", [str(e) for e in findings]
    segments = list(pyx12.rawx12file.RawX12File(io.StringIO(data.decode("latin-1"))))
    assert len(segments) == data.count(b"~")
    return ts


def seg_values(ts: ReadSet, tag: str) -> list[list[str]]:
    return [seg.elements[1:] for seg in ts.segments if seg.id == tag]


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_golden(case: str) -> None:
    order, depositor, warehouse, cartons = case_input(GOLDEN / case)
    data = write(order, depositor, warehouse, cartons)
    expected = GOLDEN / case / "expected.edi"
    if os.environ.get("CROSSDOCK_REGEN_GOLDEN") == "1":
        expected.write_bytes(data)
    assert data == expected.read_bytes()
    ts = read_back(data)
    assert seg_values(ts, "W05") == [["N", order.po_number, order.po_number]]
    assert len(seg_values(ts, "LX")) == len(order.lines)
    total = Decimal(seg_values(ts, "W76")[0][0])
    assert total == sum(line.quantity for line in order.lines)
    written_lines = [v[1] for v in seg_values(ts, "N9") if v[0] == "LI"]
    assert written_lines == [line.line_number for line in order.lines if line.line_number]
    assert [v for v in seg_values(ts, "MAN")] == [["GM", "00" + s] for p in sorted(cartons) for s in cartons[p]]


def test_full_case_layout() -> None:
    order, depositor, warehouse, _ = case_input(GOLDEN / "full")
    ts = read_back(write(order, depositor, warehouse))
    assert [v[0] for v in seg_values(ts, "N1")] == ["ST", "BT", "DE", "WH"]
    assert seg_values(ts, "N1")[2] == ["DE", "CROSSDOCK DEMO CO"]
    assert seg_values(ts, "G62") == [["10", "20261124"], ["02", "20261127"], ["01", "20261205"]]
    assert seg_values(ts, "W66") == [["PP", "U", "", "", "UPS GROUND", "", "", "", "", "UPSN"]]
    w01 = seg_values(ts, "W01")
    assert w01[0] == ["24", "EA", "012345678905", "VN", "WID-100"]  # 12-digit UPC in W0103
    assert w01[1][3:7] == ["VN", "GAD-7", "SK", "SKU-GAD-7"] and w01[1][14:16] == ["IN", "778812"]
    assert w01[2][:2] == ["2.5", "FT"]


def test_odd_line_numbers_are_echoed_raw_and_blank_ones_skipped() -> None:
    order, _, _, _ = case_input(GOLDEN / "odd-lines")
    ts = read_back(write(order))
    assert [v for v in seg_values(ts, "N9") if v[0] == "LI"] == [["LI", "0010"], ["LI", "0030"]]
    # the long description is split over G69 segments of at most 45 characters
    g69 = [v[0] for v in seg_values(ts, "G69")]
    assert len(g69) == 2 and all(len(v) <= 45 for v in g69)
    assert " ".join(g69) == order.lines[0].description


def test_w01_id_slots() -> None:
    assert w01_ids({"UP": "012345678905", "VN": "A"}) == ("012345678905", [("VN", "A")])
    # a 14-digit GTIN under UP does not fit W0103 (12/12): it becomes a pair
    assert w01_ids({"UP": "00012345678905"}) == (None, [("UP", "00012345678905")])
    upc, pairs = w01_ids({"EN": "4006381333931", "IN": "I", "BP": "B", "SK": "S", "VN": "V", "ZZ": "Z"})
    assert upc is None and pairs == [("VN", "V"), ("SK", "S"), ("BP", "B")]
    assert w01_ids({"ZZ": "Z", "XY": "Q"}) == (None, [("ZZ", "Z"), ("XY", "Q")])
    # a channel's own ids are no X12 qualifiers: a Shopify line's VARIANT never reaches the 3PL
    assert w01_ids({"VARIANT": "4455", "SK": "MUG-BLU", "PRODUCT": "12"}) == (None, [("SK", "MUG-BLU")])
    assert w01_ids({"VARIANT": "4455"}) == (None, [])


def _order(**changes: object) -> Order:
    order, _, _, _ = case_input(GOLDEN / "minimal")
    return order.model_copy(update=changes)


def test_refuses_orders_a_warehouse_cannot_ship() -> None:
    with pytest.raises(X12WriteError, match="ship-to"):
        build_940(_order(parties=[]), "0001")
    with pytest.raises(X12WriteError, match="at least one line"):
        build_940(_order(lines=[]), "0001")
    no_id = OrderLine(position=1, quantity=Decimal(1), uom="EA")
    with pytest.raises(X12WriteError, match="product id"):
        build_940(_order(lines=[no_id]), "0001")
    with pytest.raises(X12WriteError, match="delimiter"):
        write(_order(po_number="PO*1"))


_CHARS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    count = draw(st.integers(1, 5))
    lines = [
        OrderLine(
            position=i,
            line_number=draw(st.one_of(st.none(), st.from_regex(r"[0-9]{1,6}", fullmatch=True))),
            quantity=Decimal(draw(st.integers(1, 99_999))) / draw(st.sampled_from([1, 10, 100])),
            uom=draw(st.sampled_from(["EA", "CA", "FT", "LB"])),
            product_ids=draw(st.dictionaries(st.sampled_from(["UP", "VN", "SK", "BP", "IN"]), _CHARS, min_size=1)),
        )
        for i in range(1, count + 1)
    ]
    ship_to = Party(role="ST", name=draw(_CHARS), address=Address(lines=[draw(_CHARS)], city="CITY", state="OH"))
    return Order(po_number=draw(_CHARS), parties=[ship_to], lines=lines)


@settings(max_examples=60, deadline=None)
@given(orders())
def test_any_order_writes_a_valid_940(order: Order) -> None:
    ts = read_back(write(order))
    quantities = [Decimal(v[0]) for v in seg_values(ts, "W01")]
    assert quantities == [line.quantity for line in order.lines]
    assert [v[1] for v in seg_values(ts, "N9") if v[0] == "LI"] == [
        line.line_number for line in order.lines if line.line_number
    ]


CHANGES = CASES / "x12" / "940-changes"


@pytest.mark.parametrize(
    ("case", "purposes"),
    [("cancel", ["F"]), ("cancel-then-reissue", ["F", "N"]), ("change", ["R"])],
)
def test_cancel_and_change_golden(case: str, purposes: list[str]) -> None:
    """A 940 cancel (W0501 F), a cancel and the order again (F then N, one interchange), a change (R): the
    order of ``full`` each time, the reissue with its first line's quantity changed."""
    order, depositor, warehouse, _ = case_input(GOLDEN / "full")
    changed = order.model_copy(deep=True)
    changed.lines[0].quantity += 1
    built = [
        build_940(changed if p == "N" else order, f"{i + 1:04d}", depositor=depositor, warehouse=warehouse, purpose=p)
        for i, p in enumerate(purposes)
    ]
    data = write_interchange(ENVELOPE, built, DELIMITERS, newline=True)
    assert_golden(CHANGES / f"{case}.edi", data)
    (interchange,) = parse(data)
    (group,) = interchange.groups
    assert [seg_values(ts, "W05")[0][0] for ts in group.transactions] == purposes
    for ts in group.transactions:
        assert status(ts) == "accepted", [str(e) for e in validate(ts)]
    w01 = [seg_values(ts, "W01")[0][0] for ts in group.transactions]
    assert w01 == [str(changed.lines[0].quantity if p == "N" else order.lines[0].quantity) for p in purposes]


def test_a_940_purpose_crossdock_does_not_write_is_refused() -> None:
    order, _, _, _ = case_input(GOLDEN / "minimal")
    with pytest.raises(ValueError, match="W0501 'D'"):
        build_940(order, "0001", purpose="D")


def test_w0502_is_the_order_number_given_and_one_too_long_is_refused() -> None:
    ts = build_940(_order(), "0001", depositor_order="1001-9F9E5821")
    w05 = next(seg for seg in ts.segments if seg[0] == "W05")
    assert list(w05[1:4]) == ["N", "1001-9F9E5821", _order().po_number]
    with pytest.raises(X12WriteError, match="exceeds W0502's 22 characters"):
        build_940(_order(), "0001", depositor_order="X" * 23)


def test_the_orders_fob_says_who_pays_the_freight() -> None:
    order, depositor, warehouse, _ = case_input(GOLDEN / "full")
    order.shipping_terms = [ShippingTerms(payment_method="CC", location_qualifier="DE", location="DESTINATION")]
    ts = read_back(write(order, depositor, warehouse))
    assert seg_values(ts, "W66")[0][0] == "CC"
