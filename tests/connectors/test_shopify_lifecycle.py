"""The Shopify connector's part of an order's life (respx): crossdock's cancellations back to the shop, once
each, a fulfilment that ships what is still open when lines were refunded, and a throttled poll that waits and
goes on within its budget."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.shopify_client as client
from crossdock.connectors.shopify import ShopifySink, ShopifySource
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
from tests.conftest import FIXTURES
from tests.connectors.channels import read
from tests.connectors.test_shopify import GRAPHQL, SHOP, TOKEN, FakeOrder, answer, fulfilment, node, operation
from tests.test_shopify_mapping import FULFILLMENT_ORDER


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(client, "sleep", waits.append)
    monkeypatch.setattr(client, "_BUCKETS", {})
    return waits


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> ShopifySourceConfig:
    monkeypatch.setenv("SHOPIFY_TOKEN", TOKEN)
    return ShopifySourceConfig(type="shopify", url=SHOP, access_token="${SHOPIFY_TOKEN}", notify_customer=False)


def cancellation(whole: bool = False, **lines: int) -> Outbound:
    data = Cancellation(
        channel="shopify",
        po_number="#1001",
        external_id="450789469",
        cancellation_id="c-77",
        reason="out_of_stock",
        note="the warehouse has none",
        by="warehouse",
        whole_order=whole,
        lines=[CancelledLine(line_number=k.removeprefix("l"), quantity=Decimal(v)) for k, v in lines.items()],
    )
    body = json.dumps(data.model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=body, idempotency_key="k" * 20, purpose=CANCELLATION)


class FakeShop:
    """One order's cancel state, cancelled and refunded as Shopify would: ``orderCancel`` sets ``cancelledAt``,
    ``refundCreate`` adds a refund with its note; the suggested refund pays back 199.00 per unit."""

    def __init__(self) -> None:
        self.cancelled_at: str | None = None
        self.refunds: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name, variables = operation(request)
        self.calls.append((name, variables))
        if name == "OrderCancelState":
            return answer({"order": {"id": variables["id"], "cancelledAt": self.cancelled_at, "refunds": self.refunds}})
        if name == "OrderCancel":
            self.cancelled_at = "2026-12-07T16:00:00Z"
            return answer(
                {"orderCancel": {"job": {"id": "gid://shopify/Job/1", "done": False}, "orderCancelUserErrors": []}}
            )
        if name == "OrderSuggestedRefund":
            units = sum(x["quantity"] for x in variables["lines"])
            suggested = {
                "suggestedTransactions": [
                    {
                        "amountSet": {"shopMoney": {"amount": f"{199 * units}.00", "currencyCode": "USD"}},
                        "gateway": "bogus",
                        "parentTransaction": {"id": "gid://shopify/OrderTransaction/389404469"},
                    }
                ]
            }
            return answer({"order": {"suggestedRefund": suggested}})
        assert name == "RefundCreate"
        self.refunds.append({"note": variables["input"]["note"]})
        return answer({"refundCreate": {"refund": {"id": "gid://shopify/Refund/9"}, "userErrors": []}})


def test_a_whole_order_cancel_is_order_cancel_with_refund_and_restock_once(config: ShopifySourceConfig) -> None:
    shop = FakeShop()
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        first = sink.send(cancellation(whole=True))
        again = sink.send(cancellation(whole=True))
    assert [name for name, _ in shop.calls] == ["OrderCancelState", "OrderCancel", "OrderCancelState"]
    assert shop.calls[1][1] == {
        "orderId": "gid://shopify/Order/450789469",
        "reason": "INVENTORY",
        "restock": True,
        "notifyCustomer": False,
        "staffNote": "the warehouse has none [crossdock cancellation c-77]",
        "refundMethod": {"originalPaymentMethodsRefund": True},
    }
    assert "order cancelled" in first and again.endswith("already made")


def test_some_lines_are_refunded_with_restock_once_and_the_marker_only_in_the_staff_note(
    config: ShopifySourceConfig,
) -> None:
    shop = FakeShop()
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        sink.send(cancellation(l518995019=2))
        again = sink.send(cancellation(l518995019=2))
    names = [name for name, _ in shop.calls]
    assert names == ["OrderCancelState", "OrderSuggestedRefund", "RefundCreate", "OrderCancelState"]
    assert shop.calls[2][1] == {
        "input": {
            "orderId": "gid://shopify/Order/450789469",
            "note": "the warehouse has none [crossdock cancellation c-77]",
            "notify": False,
            "refundLineItems": [
                {"lineItemId": "gid://shopify/LineItem/518995019", "quantity": 2, "restockType": "CANCEL"}
            ],
            "transactions": [
                {
                    "orderId": "gid://shopify/Order/450789469",
                    "parentId": "gid://shopify/OrderTransaction/389404469",
                    "amount": "398.00",
                    "gateway": "bogus",
                    "kind": "REFUND",
                }
            ],
        }
    }
    assert again.endswith("already made")


def test_without_refund_or_restock_configured_nothing_is_paid_back_and_user_errors_are_permanent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", TOKEN)
    config = ShopifySourceConfig(
        type="shopify", url=SHOP, access_token="${SHOPIFY_TOKEN}", cancel_refund=False, cancel_restock=False
    )
    shop = FakeShop()
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        sink.send(cancellation(l703073504=1))
    assert [name for name, _ in shop.calls] == ["OrderCancelState", "RefundCreate"]
    refund = shop.calls[1][1]["input"]
    assert "transactions" not in refund and refund["refundLineItems"][0]["restockType"] == "NO_RESTOCK"
    refused = answer(
        {
            "orderCancel": {
                "job": None,
                "orderCancelUserErrors": [{"field": ["orderId"], "message": "Order has active returns", "code": "X"}],
            }
        }
    )
    state = answer({"order": {"id": "x", "cancelledAt": None, "refunds": []}})
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=[state, refused])
        with pytest.raises(PermanentError, match="orderCancel refused: orderId: Order has active returns"):
            sink.send(cancellation(whole=True))


def test_a_fulfilment_ships_what_is_still_open_and_names_the_refunded_rest(config: ShopifySourceConfig) -> None:
    fo = copy.deepcopy(FULFILLMENT_ORDER)
    fo["lineItems"]["nodes"][1]["remainingQuantity"] = 0  # 518995019 refunded after it went to the warehouse
    shop = FakeOrder([fo])
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        said = sink.send(fulfilment(l466157049=1, l518995019=2))
    (created,) = shop.created
    assert created["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000001", "quantity": 1}
    ]
    assert said.endswith("not fulfilled: line 518995019 x2")


def throttled(wait: str | None = None) -> httpx.Response:
    headers = {"Retry-After": wait} if wait else {}
    return httpx.Response(
        429, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}, headers=headers
    )


def test_a_throttled_poll_waits_and_goes_on_within_its_budget(
    monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", TOKEN)
    config = ShopifySourceConfig(type="shopify", url=SHOP, access_token="${SHOPIFY_TOKEN}", throttle_wait=5)
    page = answer({"orders": {"pageInfo": {"hasNextPage": False}, "nodes": [node(1, "2026-11-21T09:00:00Z")]}})
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=[throttled("2.0"), throttled("2"), page])
        (item,) = read(ShopifySource("shop", config))
    assert item.identity == "shopify:1:2026-11-21T09:00:00Z" and no_sleep == [2.0, 2.0]
    no_sleep.clear()
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=[throttled("3"), throttled("3")])
        with pytest.raises(TransientError, match="throttled"):
            read(ShopifySource("shop", config))
    assert no_sleep == [3.0], "the second wait is past the budget: the poll stops, to go on next time"


def test_a_refund_webhook_names_its_order() -> None:
    from crossdock.connectors.shopify import webhook_order_id

    refund = (FIXTURES / "shopify" / "rest" / "refund.json").read_text()
    body = json.dumps(json.loads(refund)["refund"]).encode()
    assert webhook_order_id(body, {"x-shopify-topic": "refunds/create"}) == "450789469"
    assert webhook_order_id(body, {"x-shopify-topic": "orders/updated"}) == "509562969"
