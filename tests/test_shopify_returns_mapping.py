"""Shopify's returns document into Returns, the refund mutation's bounds, and a warehouse's receipt files."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Refund, RefundLine
from crossdock.mappings.returnfiles import receipts_from_csv, receipts_from_json
from crossdock.mappings.shopify_returns import bounded, refund_create, refund_lines, returns_from_json
from tests.hub.test_e2e_returns import shopify_return


def document(*returns: dict[str, Any]) -> bytes:
    order = {"id": "gid://shopify/Order/901", "name": "#901", "currencyCode": "USD"}
    return json.dumps({"order": order, "returns": {"nodes": list(returns)}}).encode()


def test_a_shopify_return_becomes_a_return_with_its_lines_prices_and_reasons() -> None:
    (ret,) = returns_from_json(document(shopify_return(901, 9010, 2)), "doc")
    assert (ret.return_id, ret.rma_number, ret.po_number, ret.external_id) == ("9011", "#901-R1", "#901", "901")
    assert (ret.status, ret.currency) == ("open", "USD")
    (line,) = ret.lines
    assert (line.line_number, line.sku, line.quantity, line.reason) == (
        "9010",
        "IPOD2008GREEN",
        Decimal(2),
        "defective",
    )
    assert (line.reason_text, line.unit_price) == ("stopped working", Decimal("199.00"))
    assert line.channel_line_id == "gid://shopify/ReturnLineItem/90111"


@pytest.mark.parametrize(
    ("status", "ours"), [("REQUESTED", "requested"), ("DECLINED", "cancelled"), ("CLOSED", "closed")]
)
def test_return_statuses(status: str, ours: str) -> None:
    (ret,) = returns_from_json(document(shopify_return(901, 9010, 1, status)), "doc")
    assert ret.status == ours


def test_a_return_in_another_currency_or_without_lines_is_refused_by_place() -> None:
    other = shopify_return(901, 9010, 1)
    node = other["returnLineItems"]["nodes"][0]["fulfillmentLineItem"]["lineItem"]
    node["originalUnitPriceSet"]["shopMoney"]["currencyCode"] = "EUR"
    with pytest.raises(DecodeError, match=r"doc: .*currencyCode.*not the order's currency"):
        returns_from_json(document(other), "doc")
    empty = shopify_return(901, 9010, 1)
    empty["returnLineItems"]["nodes"] = []
    with pytest.raises(DecodeError, match=r"returnLineItems.*no lines"):
        returns_from_json(document(empty), "doc")


def refund(*amounts: str | None) -> Refund:
    lines = [
        RefundLine(line_number=str(9010 + i), quantity=Decimal(1), amount=None if a is None else Decimal(a))
        for i, a in enumerate(amounts)
    ]
    return Refund(
        channel="shop", refund_id="9011-abc", return_id="9011", po_number="#901", external_id="901", lines=lines
    )


def test_the_refund_is_refused_when_shopify_suggests_more_than_was_paid() -> None:
    suggested = [{"amount": "199.00"}, {"amount": "10.00"}]
    with pytest.raises(ValueError, match=re.escape("suggests 209.00, more than the 199.00 paid")):
        bounded(refund("199.00"), suggested)
    assert bounded(refund("150.00", "59.00"), suggested) == suggested


def test_the_refund_mutation_names_each_line_and_carries_the_marker() -> None:
    made = refund_create(refund("199.00"), refund_lines(refund("199.00")), [], notify=False)["input"]
    assert made["orderId"] == "gid://shopify/Order/901"
    assert made["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/9010", "quantity": 1, "restockType": "NO_RESTOCK"}
    ]
    assert made["note"].endswith("[crossdock refund 9011-abc]")
    half = refund("1")
    half.lines[0].quantity = Decimal("0.5")
    with pytest.raises(ValueError, match=re.escape("0.5 is not a whole quantity")):
        refund_lines(half)


def test_receipt_files_in_json_and_csv_read_the_same_receipt_for_the_sources_warehouse() -> None:
    lines = [{"sku": "A", "quantity": 2}, {"sku": "A", "quantity": 1, "condition": "damaged"}]
    from_json = receipts_from_json(
        json.dumps({"rma_number": "R1", "warehouse": "someone else", "lines": lines}).encode(),
        name="r.json",
        warehouse="wh",
    )
    from_csv = receipts_from_csv(
        b"sku,quantity,rma_number,condition\r\nA,2,R1,\r\nA,1,R1,damaged\r\n", name="r.csv", warehouse="wh"
    )
    assert from_json == from_csv
    assert from_json[0].warehouse == "wh"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"sku,quantity\r\nA,1\r\n", "needs quantity, one of rma_number/return_id/po_number"),
        (b"rma_number,sku,quantity,colour\r\nR,A,1,red\r\n", "header"),
        (b"rma_number,sku,quantity\r\nR,A,lots\r\n", "row 2: quantity 'lots' is not a number"),
        (b"rma_number,sku,quantity\r\nR,A,1.5\r\n", "1.5 is not a whole number of units"),
        (b"rma_number,sku,quantity\r\nR,,1\r\n", "row 2: no sku or line_number"),
        (b"rma_number,sku,quantity\r\n", "no rows"),
    ],
)
def test_a_bad_receipt_csv_is_refused_by_name_and_row(data: bytes, said: str) -> None:
    with pytest.raises(DecodeError, match=said):
        receipts_from_csv(data, name="r.csv", warehouse="wh")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B-1", "C 2"]), st.integers(1, 500), st.sampled_from(["sellable", "damaged"])),
        min_size=1,
        max_size=20,
    )
)
def test_any_receipt_written_as_json_reads_back(rows: list[tuple[str, int, str]]) -> None:
    lines = [{"sku": s, "quantity": q, "condition": c} for s, q, c in rows]
    (got,) = receipts_from_json(json.dumps({"po_number": "P", "lines": lines}).encode(), name="r", warehouse="wh")
    assert [(x.sku, x.quantity, x.condition) for x in got.lines] == [(s, Decimal(q), c) for s, q, c in rows]
