"""Stock to WooCommerce (respx): ``stock_quantity`` with ``manage_stock`` through the products' batch and each
parent's variations batch, at most ``stock_batch_size`` a call; a 429 mid-push waited out within the budget, then
the push raises; an item refused inside a 200 batch answer named, never passed for success. The batch answers
have the shape of WooCommerce's documented batch answers (``tests/data/fixtures/woocommerce/orders.batch.
response.json``: the items updated under ``update``); an item's ``error`` is WooCommerce's REST error object."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.woocommerce import WooCommerceSink
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.errors import TransientError
from crossdock.core.stock.models import StockLevel, StockSent
from tests.connectors.stock import Clock, as_push, levels

SITE = "https://shop.example.test"
PRODUCTS = f"{SITE}/wp-json/wc/v3/products/batch"


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WooCommerceSourceConfig:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    return WooCommerceSourceConfig(
        type="woocommerce", url=SITE, consumer_key="${WOO_KEY}", consumer_secret="${WOO_SECRET}", stock_batch_size=3
    )


def updated(request: httpx.Request, refuse: frozenset[int] = frozenset()) -> httpx.Response:
    """The batch answer: each item back as the product it now is, or an error for an id in ``refuse``."""
    items = json.loads(request.content)["update"]
    out: list[dict[str, Any]] = []
    for item in items:
        if item["id"] in refuse:
            error = {"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}
            out.append({"id": item["id"], "error": error})
        else:
            out.append({"id": item["id"], "manage_stock": True, "stock_quantity": item["stock_quantity"]})
    return httpx.Response(200, json={"update": out})


def test_products_and_variations_go_in_batches_of_the_configured_size(config: WooCommerceSourceConfig) -> None:
    found = [
        *levels(7, product_id="{n}00"),
        StockLevel(sku="TEE-S", available=4, ids={"product_id": "50", "variation_id": "51"}),
        StockLevel(sku="TEE-M", available=0, ids={"product_id": "50", "variation_id": "52"}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        products = mock.post(PRODUCTS).mock(side_effect=updated)
        variations = mock.post(f"{SITE}/wp-json/wc/v3/products/50/variations/batch").mock(side_effect=updated)
        said = WooCommerceSink("shop", config).send(as_push("shop", found))
    sent = [json.loads(call.request.content)["update"] for call in products.calls]
    assert [len(batch) for batch in sent] == [3, 3, 1]
    assert sent[0][0] == {"id": 100, "manage_stock": True, "stock_quantity": 1}
    assert json.loads(variations.calls[0].request.content)["update"] == [
        {"id": 51, "manage_stock": True, "stock_quantity": 4},
        {"id": 52, "manage_stock": True, "stock_quantity": 0},
    ]
    assert "9 of 9 levels set" in said and "4 calls" in said


def test_a_429_mid_push_is_waited_out_and_the_push_goes_on(
    config: WooCommerceSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    throttled = httpx.Response(429, json={"code": "too_many", "message": "slow down"}, headers={"Retry-After": "7"})
    with respx.mock() as mock:
        route = mock.post(PRODUCTS)
        route.side_effect = [updated, throttled, updated, updated]
        said = WooCommerceSink("shop", config).send(as_push("shop", levels(7, product_id="{n}")))
    assert route.call_count == 4  # the second batch again after its wait
    assert clock.slept == [7.0]
    assert "7 of 7 levels set" in said


def test_a_throttle_past_the_budget_raises_transient_naming_how_far_it_got(
    config: WooCommerceSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    config = config.model_copy(update={"stock_throttle_wait": 10.0})
    throttled = httpx.Response(429, json={}, headers={"Retry-After": "30"})
    with respx.mock() as mock:
        mock.post(PRODUCTS).side_effect = [updated, throttled]
        with pytest.raises(TransientError, match="stopped after 3 of 7 levels") as caught:
            WooCommerceSink("shop", config).send(as_push("shop", levels(7, product_id="{n}")))
    assert caught.value.retry_after == 30.0 and clock.slept == []


def test_an_item_refused_in_a_200_batch_is_named_and_the_rest_are_set(config: WooCommerceSourceConfig) -> None:
    found = [*levels(4, product_id="{n}"), StockLevel(sku="LOST", available=2)]
    with respx.mock() as mock:
        route = mock.post(PRODUCTS).mock(side_effect=lambda r: updated(r, refuse=frozenset({2})))
        said = WooCommerceSink("shop", config).send(as_push("shop", found))
    assert isinstance(said, StockSent) and sorted(said.refused) == ["LOST", "SKU-0002"]
    assert "3 of 5 levels set" in said
    assert "SKU-0002: id 2: woocommerce_rest_product_invalid_id Invalid ID." in said
    assert "LOST: the catalogue gives no WooCommerce product_id" in said
    assert route.call_count == 2


def test_an_item_the_answer_leaves_out_is_a_transient_refusal(config: WooCommerceSourceConfig) -> None:
    with respx.mock() as mock:
        mock.post(PRODUCTS).mock(return_value=httpx.Response(200, json={"update": [{"id": 1, "stock_quantity": 1}]}))
        with pytest.raises(TransientError, match="SKU-0002: id 2 is not in the answer"):
            WooCommerceSink("shop", config).send(as_push("shop", levels(2, product_id="{n}")))


def test_a_batch_refused_whole_for_one_item_is_sent_again_in_halves(config: WooCommerceSourceConfig) -> None:
    def store(request: httpx.Request) -> httpx.Response:
        ids = [item["id"] for item in json.loads(request.content)["update"]]
        if 2 in ids:  # a plugin's validation refusing the whole request for one product
            return httpx.Response(400, json={"code": "rest_invalid_param", "message": "Invalid parameter(s): update"})
        return updated(request)

    with respx.mock() as mock:
        route = mock.post(PRODUCTS).mock(side_effect=store)
        said = WooCommerceSink("shop", config).send(as_push("shop", levels(3, product_id="{n}")))
    assert isinstance(said, StockSent) and list(said.refused) == ["SKU-0002"]
    assert "rest_invalid_param" in said.refused["SKU-0002"]
    assert "2 of 3 levels set" in said and route.call_count == 5  # [1,2,3], [1], [2,3], [2], [3]
