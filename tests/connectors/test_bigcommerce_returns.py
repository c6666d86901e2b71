"""BigCommerce returns against a mocked API (respx): a refund marked as a return read with its order in the poll,
and refunds sent back by a quote then a refund, once. BigCommerce publishes no payloads under a licence: the refund
record and quote are our own, written from the field names of the Orders v3 model (refunds, refund quotes)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.bigcommerce import BigCommerceSink, BigCommerceSource
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, Refund, RefundLine
from crossdock.mappings.bigcommerce_returns import returns_from_json
from tests.connectors.channels import read
from tests.connectors.test_bigcommerce import TOKEN, config, order

__all__ = ["config"]  # the fixture, shared with test_bigcommerce

STORE = "https://api.bigcommerce.test/stores/abc123"
REFUNDS = f"{STORE}/v3/orders/100/payment_actions/refunds"
QUOTES = f"{STORE}/v3/orders/100/payment_actions/refund_quotes"
RETURNED = {
    "id": 7,
    "order_id": 100,
    "user_id": 0,
    "created": "2026-11-21T10:00:00+00:00",
    "reason": "Return: arrived damaged",
    "total_amount": 0,
    "total_tax": 0,
    "items": [{"item_type": "PRODUCT", "item_id": 55, "quantity": 2, "requested_amount": None, "reason": None}],
    "payments": [],
}
GOODWILL = {**RETURNED, "id": 6, "reason": "Sorry for the delay", "items": [{"item_type": "ORDER", "item_id": 100}]}


@pytest.fixture
def returns_on(config: BigCommerceSourceConfig) -> BigCommerceSourceConfig:
    return config.model_copy(update={"returns": ReturnsPolicy(read=True)})


def test_a_refund_marked_as_a_return_is_read_with_its_order(returns_on: BigCommerceSourceConfig) -> None:
    refunded = {**order(100, "Sat, 21 Nov 2026 10:00:00 +0000"), "refunded_amount": "5.0000"}
    refunded["default_currency_code"] = "USD"
    quiet = order(101, "Sat, 21 Nov 2026 09:00:00 +0000")
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{STORE}/v2/orders").mock(
            side_effect=[httpx.Response(200, json=[quiet, refunded]), httpx.Response(204)]
        )
        mock.get(url__regex=rf"{STORE}/v2/orders/\d+/(products|shipping_addresses)").mock(
            return_value=httpx.Response(204)
        )
        ours = {**RETURNED, "id": 8, "reason": "Return 7: Refund for return 7 (crossdock rf-1)"}
        refunds = mock.get(REFUNDS).mock(return_value=httpx.Response(200, json={"data": [GOODWILL, RETURNED, ours]}))
        items = read(BigCommerceSource("bc", returns_on))
    assert refunds.call_count == 1, "only the order that shows money refunded"
    assert [i.kind for i in items] == ["", "", "return"], "neither the goodwill refund nor crossdock's own"
    assert items[2].identity == "bigcommerce:return:100:7" and items[2].checkpoint is not None
    (found,) = returns_from_json(items[2].data, items[2].name)
    assert (found.return_id, found.po_number, found.currency, found.status) == ("7", "100", "USD", "open")
    (line,) = found.lines
    assert (line.line_number, line.quantity, line.reason) == ("55", Decimal(2), "damaged")


def refund(action: str = "refund") -> Outbound:
    made = Refund(
        channel="bc",
        refund_id="rf-1",
        return_id="7",
        po_number="100",
        external_id="100",
        action=action,  # type: ignore[arg-type]
        lines=[RefundLine(line_number="55", quantity=Decimal(2))],
    )
    return Outbound(
        name="r.json", data=json.dumps(made.model_dump(mode="json")).encode(), idempotency_key="k" * 20, purpose=REFUND
    )


def quote(*methods: list[dict[str, Any]]) -> httpx.Response:
    data = {"order_id": 100, "total_refund_amount": 40.5, "refund_methods": list(methods)}
    return httpx.Response(201, json={"data": data, "meta": {}})


CARD = {"provider_id": "braintree", "provider_description": "Card", "amount": 40.5, "offline": False}
CUSTOM = {"provider_id": "custom", "amount": 40.5, "offline": True, "offline_provider": True}


class Store:
    def __init__(self) -> None:
        self.refunds: list[dict[str, Any]] = []

    def mock(self, mock: respx.MockRouter, *methods: list[dict[str, Any]]) -> respx.Route:
        mock.get(REFUNDS).mock(side_effect=lambda _: httpx.Response(200, json={"data": self.refunds}))
        self.quoted = mock.post(QUOTES).mock(return_value=quote(*(methods or ([CUSTOM], [CARD]))))
        return mock.post(REFUNDS).mock(side_effect=self._refund)

    def _refund(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.refunds.append({"id": 8, **body})
        return httpx.Response(201, json={"data": {"id": 8, "order_id": 100}})


def test_a_refund_is_quoted_then_made_once_with_the_online_method(config: BigCommerceSourceConfig) -> None:
    store = Store()
    with respx.mock(assert_all_called=True) as mock:
        made = store.mock(mock)
        sink = BigCommerceSink("bc", config)
        said = sink.send(refund())
        again = sink.send(refund())
    assert made.call_count == 1 and "already made" in again and "refund 8 of 40.5 (braintree)" in said
    quoted = json.loads(store.quoted.calls[0].request.content)
    assert quoted == {"items": [{"item_type": "PRODUCT", "item_id": 55, "quantity": 2}]}
    body = store.refunds[0]
    assert body["payments"] == [{"provider_id": "braintree", "amount": "40.5", "offline": False}]
    assert body["items"][0]["item_id"] == 55 and "(crossdock rf-1)" in body["reason"]
    assert made.calls[0].request.headers["X-Auth-Token"] == TOKEN


def test_a_refund_only_offline_or_in_store_credit_is_refused_naming_the_methods(
    config: BigCommerceSourceConfig,
) -> None:
    credit = {"provider_id": "storecredit", "amount": 40.5, "offline": False}
    with respx.mock(assert_all_called=False) as mock:
        made = Store().mock(mock, [CUSTOM], [credit])
        with pytest.raises(PermanentError, match=r"offered: \['custom', 'storecredit'\]\): refund it in the control"):
            BigCommerceSink("bc", config).send(refund())
    assert made.call_count == 0


def test_a_refused_refund_is_permanent_with_the_store_words_and_no_token(config: BigCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(REFUNDS).mock(return_value=httpx.Response(200, json={"data": []}))
        mock.post(QUOTES).mock(
            return_value=httpx.Response(422, json={"status": 422, "title": "Refund amount exceeds refundable amount"})
        )
        with pytest.raises(PermanentError) as caught:
            BigCommerceSink("bc", config).send(refund())
    assert "Refund amount exceeds refundable amount" in str(caught.value) and TOKEN not in str(caught.value)


def test_a_throttled_refund_is_transient_with_the_quota_reset(config: BigCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(REFUNDS).mock(return_value=httpx.Response(429, headers={"X-Rate-Limit-Time-Reset-Ms": "4000"}))
        with pytest.raises(TransientError) as caught:
            BigCommerceSink("bc", config).send(refund())
    assert caught.value.retry_after == 4.0


def test_a_close_changes_nothing(config: BigCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        assert "nothing to close" in BigCommerceSink("bc", config).send(refund("close"))
    assert not mock.calls


def test_a_return_whose_own_refund_paid_money_is_not_paid_again(config: BigCommerceSourceConfig) -> None:
    store = Store()
    store.refunds.append({**RETURNED, "total_amount": 40.5})
    with respx.mock(assert_all_called=False) as mock:
        made = store.mock(mock)
        said = BigCommerceSink("bc", config).send(refund())
    assert made.call_count == 0 and "refunded already (40.5)" in said
