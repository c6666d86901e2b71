"""The five channels' return mappings (``<channel>_returns.py``): each example return against its golden, the
refund bodies crossdock writes against theirs, refusals that name the document and the field, and any JSON at all
gives Returns or a DecodeError, never another exception (hypothesis).

The examples: WooCommerce's own refund record (tests/data/fixtures/woocommerce/order-refunds.list.response.json)
with a return's reason written in; the others are ours, written from each channel's documented fields
(tests/cases/channels/<channel>/return.json, Amazon's report returns-report.tsv), as no owner publishes one."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.errors import DecodeError
from crossdock.core.registry import mapping
from crossdock.core.returns.models import Refund, RefundLine, Return
from crossdock.mappings import (
    amazon_returns,
    bigcommerce_returns,
    ebay_returns,
    walmart_returns,
    woocommerce_returns,
)
from tests.conftest import CASES, FIXTURES
from tests.golden import assert_golden

HERE = CASES / "channels"


def woocommerce_example() -> dict[str, Any]:
    refund = copy.deepcopy(json.loads((FIXTURES / "woocommerce" / "order-refunds.list.response.json").read_text())[1])
    refund["reason"] = "Return: wrong size"
    line = {"id": 311, "sku": "ALB2", "product_id": 87, "variation_id": 0, "quantity": 2}
    return {"order": {"id": 723, "number": "723", "currency": "USD", "line_items": [line]}, "refund": refund}


def bigcommerce_example() -> dict[str, Any]:
    refund = {
        "id": 7,
        "order_id": 100,
        "created": "2026-11-21T10:00:00+00:00",
        "reason": "Return: arrived damaged",
        "total_amount": "0.00",
        "items": [{"item_type": "PRODUCT", "item_id": 55, "quantity": 2, "requested_amount": "40.50"}],
    }
    return {"order": {"id": 100, "currency": "USD"}, "refund": refund}


def amazon_example() -> dict[str, Any]:
    rows = amazon_returns.report_rows((HERE / "amazon" / "returns-report.tsv").read_text(), "report")
    return {"rows": amazon_returns.by_return(rows)[("113-0000001-0000001", "DqNcXwPkRRMA")]}


EXAMPLES: dict[str, Callable[[], Any]] = {
    "woocommerce": woocommerce_example,
    "bigcommerce": bigcommerce_example,
    "amazon": amazon_example,
    "ebay": lambda: json.loads((HERE / "ebay" / "return.json").read_text()),
    "walmart": lambda: json.loads((HERE / "walmart" / "return.json").read_text()),
}
MODULES: dict[str, ModuleType] = {
    "woocommerce": woocommerce_returns,
    "bigcommerce": bigcommerce_returns,
    "amazon": amazon_returns,
    "ebay": ebay_returns,
    "walmart": walmart_returns,
}


def as_json(returns: list[Return]) -> bytes:
    return (json.dumps([r.model_dump(mode="json") for r in returns], indent=2) + "\n").encode()


@pytest.mark.parametrize("channel", sorted(EXAMPLES))
def test_each_example_against_its_golden_and_the_registry_names_the_module(channel: str) -> None:
    module = MODULES[channel]
    assert mapping(f"{channel}_returns") is module
    returns = module.returns_from_json(json.dumps(EXAMPLES[channel]()).encode(), f"{channel}-return.json")
    assert returns and all(r.lines for r in returns)
    assert_golden(HERE / channel / "return.expected.json", as_json(returns))


def refund(**changes: Any) -> Refund:
    fields: dict[str, Any] = {
        "channel": "shop",
        "refund_id": "rf-1",
        "return_id": "8219100040001",
        "po_number": "727",
        "external_id": "727",
        "currency": "USD",
        "lines": [RefundLine(line_number="315", channel_line_id="1", quantity=Decimal(1), restock=True)],
        **changes,
    }
    return Refund(**fields)


def golden_body(path: Path, body: Any) -> None:
    assert_golden(path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())


def test_the_refund_bodies_against_their_goldens() -> None:
    order = json.loads((FIXTURES / "woocommerce" / "orders.retrieve.response.json").read_text())
    golden_body(
        HERE / "woocommerce" / "refund.request.json",
        woocommerce_returns.refund_bodies(refund(note="Received in good order"), order, api_refund=True),
    )
    golden_body(
        HERE / "walmart" / "refund.request.json",
        walmart_returns.refund_request(
            refund(lines=[RefundLine(channel_line_id="1", quantity=Decimal(2))]),
            json.loads((HERE / "walmart" / "return.json").read_text()),
        ),
    )
    golden_body(
        HERE / "ebay" / "refund.request.json",
        ebay_returns.refund_request(refund(lines=[RefundLine(quantity=Decimal(1), amount=Decimal("24.99"))]), None),
    )
    quote = {"data": {"refund_methods": [[{"provider_id": "braintree", "amount": "40.50", "offline": False}]]}}
    bc = refund(lines=[RefundLine(line_number="55", quantity=Decimal(2))])
    golden_body(
        HERE / "bigcommerce" / "refund.request.json",
        {"quote": bigcommerce_returns.quote_request(bc), "refund": bigcommerce_returns.refund_request(bc, quote)},
    )


@pytest.mark.parametrize(
    ("channel", "change", "said"),
    [
        ("woocommerce", lambda d: d["refund"].pop("id"), "woocommerce-return.json: refund.id: missing"),
        ("woocommerce", lambda d: d["refund"]["line_items"][0].update(quantity="x"), "line_items[0].quantity"),
        ("bigcommerce", lambda d: d["refund"]["items"][0].update(quantity=-1), "refund.items[0].quantity"),
        ("walmart", lambda d: d.pop("returnOrderLines"), "walmart-return.json: returnOrderLines: missing"),
        ("walmart", lambda d: d["returnOrderLines"][0]["quantity"].update(measurementValue=0), "measurementValue"),
        ("ebay", lambda d: d["creationInfo"]["item"].update(returnQuantity="two"), "creationInfo.item.returnQuantity"),
        ("ebay", lambda d: d.pop("orderId"), "ebay-return.json: orderId: missing"),
        ("amazon", lambda d: d["rows"][0].update({"Return quantity": "1.5"}), "rows[0].Return quantity"),
        ("amazon", lambda d: d["rows"][1].update({"Amazon RMA ID": "OTHER"}), "another return than"),
    ],
)
def test_a_bad_return_is_refused_naming_the_document_and_field(
    channel: str, change: Callable[[Any], Any], said: str
) -> None:
    data = EXAMPLES[channel]()
    change(data)
    with pytest.raises(DecodeError) as caught:
        MODULES[channel].returns_from_json(json.dumps(data).encode(), f"{channel}-return.json")
    assert said in str(caught.value) and f"{channel}-return.json" in str(caught.value)


def test_a_document_too_large_or_not_json_is_refused_before_it_is_read() -> None:
    with pytest.raises(DecodeError, match="more than the 2000000 one return may be"):
        walmart_returns.returns_from_json(b" " * 2_000_001, "big.json")
    with pytest.raises(DecodeError, match=r"bad\.json: not JSON"):
        ebay_returns.returns_from_json(b"{not json", "bad.json")
    with pytest.raises(DecodeError, match="not JSON"):
        ebay_returns.returns_from_json(b'{"returnId": NaN}', "nan.json")


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.decimals(allow_nan=False, places=2),
    _nested,
    max_leaves=20,
)


def _holds(channel: str, data: bytes) -> None:
    try:
        found = MODULES[channel].returns_from_json(data, "fuzz.json")
    except DecodeError:
        return
    assert all(isinstance(r, Return) for r in found)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=str).encode()


@pytest.mark.parametrize("channel", sorted(EXAMPLES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON)
def test_any_json_gives_returns_or_a_decode_error(channel: str, value: Any) -> None:
    _holds(channel, _dumps(value))


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, to put something else there."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*path, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*path, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(value)
    here = copied
    for key in path[:-1]:
        here = here[key]
    here[path[-1]] = new
    return copied


@pytest.mark.parametrize("channel", sorted(EXAMPLES))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_an_example_with_anything_anywhere_gives_returns_or_a_decode_error(channel: str, data: st.DataObject) -> None:
    example = EXAMPLES[channel]()
    path = data.draw(st.sampled_from(_paths(example)))
    _holds(channel, _dumps(_replace(example, path, data.draw(JSON))))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab1.\t\n\r\"' "), max_size=200))
def test_any_text_is_report_rows_or_a_decode_error(text: str) -> None:
    try:
        rows = amazon_returns.report_rows(text, "report")
    except DecodeError:
        return
    assert all(isinstance(row, dict) for row in rows)
    for group in amazon_returns.by_return(rows).values():
        _holds("amazon", _dumps({"rows": group}))
