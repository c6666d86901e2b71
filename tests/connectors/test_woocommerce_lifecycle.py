"""The WooCommerce connector's part of an order's life (respx): a poll completes each order with its refunds'
records and its products' virtual flag (each product once), one order whose reads fail is left for the next poll
without stopping the rest, keys in the query string for hosts that strip Authorization, the activation ping,
and crossdock's cancellations back as refunds and a cancelled status, once each."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.woocommerce as connector
from crossdock.connectors.woocommerce import WooCommerceSink, WooCommerceSource, is_ping
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
from tests.connectors.channels import read
from tests.connectors.test_woocommerce import ORDERS, SITE
from tests.test_woocommerce_lifecycle import example, refund

PRODUCTS = f"{SITE}/wp-json/wc/v3/products"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector, "_sleep", lambda seconds: None)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WooCommerceSourceConfig:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    return WooCommerceSourceConfig(
        type="woocommerce", url=SITE, consumer_key="${WOO_KEY}", consumer_secret="${WOO_SECRET}", per_page=2
    )


def listed(order_id: int, modified: str, **changes: Any) -> dict[str, Any]:
    order = example() | {"id": order_id, "number": str(order_id), "date_modified_gmt": modified, **changes}
    return json.loads(json.dumps(order, default=str))  # type: ignore[no-any-return]


def test_a_poll_merges_refunds_and_virtual_flags_and_one_failing_order_waits_for_the_next_poll(
    config: WooCommerceSourceConfig,
) -> None:
    source = WooCommerceSource("shop", config)
    source.since = "2026-11-20T10:00:00"
    orders = [
        listed(1, "2026-11-21T09:00:00", refunds=[{"id": 726, "reason": "", "total": "-3.23"}]),
        listed(2, "2026-11-21T10:00:00", refunds=[{"id": 727, "reason": "", "total": "-3.23"}]),
        listed(3, "2026-11-22T07:00:00"),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=httpx.Response(200, json=orders, headers={"X-WP-TotalPages": "1"}))
        mock.get(f"{ORDERS}/1/refunds").mock(return_value=httpx.Response(200, json=[refund((315, 93, 0, 1))]))
        mock.get(f"{ORDERS}/2/refunds").mock(return_value=httpx.Response(500, json={"message": "db gone"}))
        simple = mock.get(f"{PRODUCTS}/93").mock(return_value=httpx.Response(200, json={"id": 93, "virtual": False}))
        variation = mock.get(f"{PRODUCTS}/22/variations/23").mock(
            return_value=httpx.Response(200, json={"id": 23, "virtual": True})
        )
        items = read(source)
    assert [json.loads(i.data)["id"] for i in items] == [1, 3], "order 2 is left out, not the poll"
    first = json.loads(items[0].data)
    assert first["refunds"][0]["line_items"][0]["quantity"] == -1
    assert [line["virtual"] for line in first["line_items"]] == [False, True]
    assert (simple.call_count, variation.call_count) == (1, 1), "each product read once a poll"
    assert items[-1].checkpoint == "2026-11-21T09:59:59", "a second before the order left out: read again next time"


def test_keys_in_the_query_string_when_asked_and_only_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    keys = {"consumer_key": "${WOO_KEY}", "consumer_secret": "${WOO_SECRET}"}
    query = WooCommerceSourceConfig(type="woocommerce", url=SITE, auth="query", check_virtual=False, **keys)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(return_value=httpx.Response(200, json=[], headers={"X-WP-TotalPages": "0"}))
        read(WooCommerceSource("shop", query))
    sent = route.calls[0].request
    assert sent.url.params["consumer_key"] == "ck_live_key" and sent.url.params["consumer_secret"] == "cs_live_secret"
    assert "Authorization" not in sent.headers
    with pytest.raises(ValueError, match="auth: query puts the keys in the URL: the store must be https"):
        WooCommerceSourceConfig(type="woocommerce", url="http://shop.example.com", auth="query", **keys)


def test_check_refuses_a_plain_http_store_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.hub.test_check import found, write
    from tests.hub.test_config import MINIMAL

    monkeypatch.setenv("WOO_KEY", "ck_live_0123456789")
    monkeypatch.setenv("WOO_SECRET", "cs_live_0123456789")
    shop = (
        "sources:\n  shop:\n    type: woocommerce\n    url: http://shop.example.com\n"
        "    consumer_key: ${WOO_KEY}\n    consumer_secret: ${WOO_SECRET}\n"
    )
    ((_, key, message),) = found(write(tmp_path, MINIMAL + shop))
    assert key == "sources.shop.url" and "plain http" in message and "clear text: use https" in message


def test_the_activation_ping_is_told_from_a_webhook() -> None:
    assert is_ping(b"webhook_id=12", {})
    assert not is_ping(b"webhook_id=12", {"x-wc-webhook-signature": "AAAA"}), "signed: verified like any webhook"
    assert not is_ping(b'{"id": 12}', {}) and not is_ping(b"webhook_id=12&x=1", {})


def cancellation(whole: bool = False, **lines: int) -> Outbound:
    data = Cancellation(
        channel="woocommerce",
        po_number="727",
        external_id="727",
        cancellation_id="c-9",
        reason="buyer_request",
        whole_order=whole,
        lines=[CancelledLine(line_number=k.removeprefix("l"), quantity=Decimal(v)) for k, v in lines.items()],
    )
    body = json.dumps(data.model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=body, idempotency_key="k" * 20, purpose=CANCELLATION)


class FakeRefunds:
    """Order 727 with its refunds, refunded and cancelled as WooCommerce does."""

    def __init__(self) -> None:
        self.order = listed(727, "2026-11-21T09:00:00")
        self.refunds: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []
        self.put: list[dict[str, Any]] = []

    def mount(self, mock: respx.MockRouter) -> None:
        mock.get(f"{ORDERS}/727").mock(side_effect=lambda r: httpx.Response(200, json=self.order))
        mock.get(f"{ORDERS}/727/refunds").mock(side_effect=lambda r: httpx.Response(200, json=self.refunds))
        mock.post(f"{ORDERS}/727/refunds").mock(side_effect=self._refund)
        mock.put(f"{ORDERS}/727").mock(side_effect=self._put)

    def _refund(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.posted.append(body)
        record = {
            "id": 800 + len(self.refunds),
            "meta_data": body["meta_data"],
            "line_items": [
                {
                    "id": 1,
                    "product_id": 0,
                    "quantity": -x["quantity"],
                    "meta_data": [{"key": "_refunded_item_id", "value": str(x["id"])}],
                }
                for x in body["line_items"]
            ],
        }
        self.refunds.append(record)
        return httpx.Response(201, json=record)

    def _put(self, request: httpx.Request) -> httpx.Response:
        self.put.append(json.loads(request.content))
        self.order.update(json.loads(request.content))
        return httpx.Response(200, json=self.order)


def test_cancelled_lines_are_refunded_once(config: WooCommerceSourceConfig) -> None:
    store = FakeRefunds()
    sink = WooCommerceSink("shop", config)
    with respx.mock(assert_all_called=False) as mock:
        store.mount(mock)
        first = sink.send(cancellation(l316=1))
        again = sink.send(cancellation(l316=1))
    (posted,) = store.posted
    assert posted["line_items"] == [
        {"id": 316, "quantity": 1, "refund_total": "12.00", "refund_tax": [{"id": 75, "refund_total": "0.90"}]}
    ]
    assert (posted["api_refund"], posted["api_restock"], posted["reason"]) == (
        True,
        True,
        "Cancelled at the buyer's request",
    )
    assert "refund 800" in first and again.endswith("already made") and store.put == []


def test_a_whole_order_is_refunded_and_cancelled_once(config: WooCommerceSourceConfig) -> None:
    store = FakeRefunds()
    sink = WooCommerceSink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        store.mount(mock)
        sink.send(cancellation(whole=True))
        again = sink.send(cancellation(whole=True))
    (posted,) = store.posted
    assert [(x["id"], x["quantity"]) for x in posted["line_items"]] == [(315, 2), (316, 1)]
    assert store.put == [{"status": "cancelled"}] and again.endswith("already made")
