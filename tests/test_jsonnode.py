"""The shared JSON walker of the sales-channel mappings: what it reads, and each kind of bad input it refuses with
the document and the JSON path in the message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from crossdock.core.errors import DecodeError
from crossdock.mappings.jsonnode import JsonNode, LooseJsonNode, MoneyNode, OrderCurrency


def nested(value: Any, cls: type[JsonNode] = JsonNode) -> JsonNode:
    """The node of ``{"order": {"lines": [{}, {"v": value}]}}`` that holds ``v``, at ``order.lines[1]``."""
    root = cls({"order": {"lines": [{}, {"v": value}]}}, "", "doc.json")
    order = root.child("order")
    assert order is not None
    return order.children("lines")[1]


def refused(read: Any, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        read()
    assert str(caught.value) == f"doc.json: {message}"
    assert caught.value.source == "doc.json"


def test_reads_values_with_their_path() -> None:
    node = nested("  x  ")
    assert node.path == "order.lines[1]"
    assert node.text("v") == "x"
    assert node.raw("v") == "  x  "
    assert node.text("absent") is None and node.child("absent") is None and node.children("absent") == []
    assert nested("   ").text("v") is None, "blank text is no value"
    assert nested(Decimal("1.50")).decimal("v") == Decimal("1.50")
    assert nested("-2.5").decimal("v") == Decimal("-2.5")
    assert nested(3).quantity("v") == 3
    assert nested(0).quantity("v") == 0
    assert nested("0042").need_id("v") == "0042"
    assert nested(42).need_id("v") == "42"
    assert nested("").optional_id("v") is None
    assert nested("2026-11-20T09:15:02+02:00").timestamp("v") == dt.datetime(2026, 11, 20, 7, 15, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda: JsonNode([], "", "doc.json"), "an object was expected, not list"),
        (lambda: nested("x").child("v"), "order.lines[1].v: an object was expected, not str"),
        (lambda: nested({"a": 1}).children("v"), "order.lines[1].v: a list was expected, not dict"),
        (lambda: nested(["x"]).children("v"), "order.lines[1].v[0]: an object was expected, not str"),
        (lambda: nested(None).children("v", required=True), "order.lines[1].v: missing"),
        (lambda: nested(12345).text("v"), "order.lines[1].v: 12345 is not text"),
        (lambda: nested(" ").need_text("v"), "order.lines[1].v: missing"),
        (lambda: nested("seven").need_id("v"), "order.lines[1].v: 'seven' is not an id"),
        (lambda: nested(True).need_id("v"), "order.lines[1].v: True is not an id"),
        (lambda: nested(-5).need_id("v"), "order.lines[1].v: -5 is not an id"),
        (lambda: nested(None).need_id("v"), "order.lines[1].v: missing"),
        (
            lambda: nested(1.5).decimal("v"),
            "order.lines[1].v: 1.5 is a float: parse the JSON with parse_float=Decimal",
        ),
        (lambda: nested("4,99").decimal("v"), "order.lines[1].v: '4,99' is not a number"),
        (lambda: nested("").decimal("v"), "order.lines[1].v: '' is not a number"),
        (lambda: nested(True).decimal("v"), "order.lines[1].v: True is not a number"),
        (lambda: nested([1]).decimal("v"), "order.lines[1].v: [1] is not a number"),
        (lambda: nested("NaN").decimal("v"), "order.lines[1].v: 'NaN' is not a number"),
        (lambda: nested(Decimal("Infinity")).decimal("v"), "order.lines[1].v: Decimal('Infinity') is not a number"),
        (
            lambda: nested(Decimal("1E+400")).decimal("v"),
            "order.lines[1].v: Decimal('1E+400') is too large for an amount or a quantity",
        ),
        (
            lambda: nested("1000000000000000").decimal("v"),
            "order.lines[1].v: '1000000000000000' is too large for an amount or a quantity",
        ),
        (lambda: nested(None).need_decimal("v"), "order.lines[1].v: missing"),
        (lambda: nested("1.5").quantity("v"), "order.lines[1].v: '1.5' is not a quantity"),
        (lambda: nested(-1).quantity("v"), "order.lines[1].v: -1 is not a quantity"),
        (lambda: nested(None).quantity("v"), "order.lines[1].v: missing"),
        (lambda: nested("yesterday").timestamp("v"), "order.lines[1].v: 'yesterday' is not a date and time"),
        (
            lambda: nested("2026-11-20T09:15:02").timestamp("v"),
            "order.lines[1].v: '2026-11-20T09:15:02' has no UTC offset",
        ),
        (lambda: nested(20261120).timestamp("v"), "order.lines[1].v: 20261120 is not text"),
        (lambda: nested(None).need_timestamp("v"), "order.lines[1].v: missing"),
    ],
)
def test_bad_input_is_refused_with_the_document_and_path(read: Any, message: str) -> None:
    refused(read, message)


def test_loose_node_reads_numbers_as_text_and_empty_as_no_number() -> None:
    assert nested(94105, LooseJsonNode).text("v") == "94105"
    assert nested(Decimal("1.5"), LooseJsonNode).text("v") == "1.5"
    assert nested("", LooseJsonNode).decimal("v") is None
    naive = nested("2026-11-20T09:15:02", LooseJsonNode).utc_time("v", dt.datetime.fromisoformat, "ISO")
    assert naive == dt.datetime(2026, 11, 20, 9, 15, 2, tzinfo=dt.UTC), "no offset is UTC"
    assert nested("", LooseJsonNode).utc_time("v", dt.datetime.fromisoformat, "ISO") is None
    child = nested({}, LooseJsonNode).child("v")
    assert isinstance(child, LooseJsonNode), "a node's children are of its class"


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda: LooseJsonNode([], "", "doc.json"), "an object was expected, not list"),
        (lambda: nested("John", LooseJsonNode).child("v"), "order.lines[1].v: an object was expected, not str"),
        (lambda: nested({"a": 1}, LooseJsonNode).children("v"), "order.lines[1].v: a list was expected, not dict"),
        (lambda: nested(True, LooseJsonNode).text("v"), "order.lines[1].v: True is not text"),
        (
            lambda: nested(0.9, LooseJsonNode).decimal("v"),
            "order.lines[1].v: 0.9 is a float: parse the JSON with parse_float=Decimal",
        ),
        (lambda: nested("", LooseJsonNode).need_decimal("v"), "order.lines[1].v: missing"),
        (
            lambda: nested("soon", LooseJsonNode).utc_time("v", dt.datetime.fromisoformat, "a date and time"),
            "order.lines[1].v: 'soon' is not a date and time",
        ),
        (
            lambda: nested(1795075200, LooseJsonNode).utc_time("v", dt.datetime.fromisoformat, "a date and time"),
            "order.lines[1].v: 1795075200 is not a date and time",
        ),
    ],
)
def test_loose_node_refusals_keep_their_wording(read: Any, message: str) -> None:
    refused(read, message)


class Priced(MoneyNode):
    AMOUNT: ClassVar[str] = "value"
    CURRENCY: ClassVar[str] = "currency"


def test_money_objects_share_the_order_currency() -> None:
    data = {"total": {"value": "10.00", "currency": "usd"}, "lines": [{"cost": {"value": 4, "currency": "USD"}}]}
    node = Priced(data, "", "doc.json", OrderCurrency())
    assert node.need_money("total") == Decimal("10.00")
    assert node.currency.code == "USD", "the first amount read sets the order's currency"
    assert node.children("lines")[0].need_money("cost") == 4
    assert node.money("absent") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"m": {"value": "1", "currency": "EUR"}}, "lines[0].m.currency: 'EUR' is not the order's currency 'USD'"),
        ({"m": {"currency": "USD"}}, "lines[0].m.value: missing"),
        ({"m": {"value": "1"}}, "lines[0].m.currency: missing"),
        ({"m": {"value": 1.5, "currency": "USD"}}, "lines[0].m.value: 1.5 is a float: parse the JSON with"),
        ({}, "lines[0].m: missing"),
    ],
)
def test_bad_money_is_refused_with_the_path(data: dict[str, Any], message: str) -> None:
    node = Priced({"lines": [data]}, "", "doc.json", OrderCurrency("USD"))
    with pytest.raises(DecodeError) as caught:
        node.children("lines")[0].need_money("m")
    assert str(caught.value).startswith(f"doc.json: {message}")
