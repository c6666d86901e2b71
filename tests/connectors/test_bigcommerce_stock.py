"""Stock to BigCommerce (respx): absolute inventory adjustments, at most ``stock_batch_size`` items a call, each
item named by variant, product or SKU at its location; the store's quota headers pace the calls; a 429 mid-push
waits for the quota window; a call BigCommerce refuses (422: it applies a call whole or not at all) names its
SKUs while the other calls still go. BigCommerce's inventory spec is not among the fixtures (no licence): the
bodies follow its documented fields (``channel-lifecycle.md`` §3)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from crossdock.connectors import bigcommerce
from crossdock.connectors.bigcommerce import BigCommerceSink
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.core.stock.models import StockLevel, StockSent
from tests.connectors.stock import Clock, as_push, levels

ABSOLUTE = "https://api.bigcommerce.test/stores/abc123/v3/inventory/adjustments/absolute"
DONE = httpx.Response(200, json={"transaction_id": "9b1c2d3e"})


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> BigCommerceSourceConfig:
    monkeypatch.setenv("BC_TOKEN", "bc-token")
    return BigCommerceSourceConfig(
        type="bigcommerce",
        store_hash="abc123",
        api_url="https://api.bigcommerce.test/",
        access_token="${BC_TOKEN}",
        stock_batch_size=2,
        stock_location_id=3,
    )


def test_levels_go_as_absolute_adjustments_in_batches(config: BigCommerceSourceConfig) -> None:
    found = [
        StockLevel(sku="V", available=5, ids={"variant_id": "71", "product_id": "7"}),
        StockLevel(sku="P", available=-2, ids={"product_id": "8"}),
        StockLevel(sku="S", available=1, location="4"),
    ]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.put(ABSOLUTE).mock(return_value=DONE)
        said = BigCommerceSink("store", config).send(as_push("store", found, push_id="P-7"))
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies[0] == {
        "reason": "crossdock stock push P-7",
        "items": [
            {"location_id": 3, "quantity": 5, "variant_id": 71},
            {"location_id": 3, "quantity": 0, "product_id": 8},
        ],
    }
    assert bodies[1]["items"] == [{"location_id": 4, "quantity": 1, "sku": "S"}]
    assert "3 of 3 levels set" in said


def test_the_stores_quota_paces_the_calls(config: BigCommerceSourceConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    paused: list[float] = []
    monkeypatch.setattr(bigcommerce, "_sleep", paused.append)
    low = httpx.Response(
        200, json={}, headers={"X-Rate-Limit-Requests-Left": "2", "X-Rate-Limit-Time-Reset-Ms": "3500"}
    )
    with respx.mock() as mock:
        route = mock.put(ABSOLUTE)
        route.side_effect = [DONE, low, DONE]
        BigCommerceSink("store", config).send(as_push("store", levels(6)))
    assert route.call_count == 3
    assert paused == [3.5]  # the third call waited for the window to reset, as the quota asked


def test_a_429_mid_push_waits_for_the_window_and_goes_on(
    config: BigCommerceSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    throttled = httpx.Response(429, json={}, headers={"X-Rate-Limit-Time-Reset-Ms": "4000"})
    with respx.mock() as mock:
        route = mock.put(ABSOLUTE)
        route.side_effect = [DONE, throttled, DONE, DONE]
        said = BigCommerceSink("store", config).send(as_push("store", levels(6)))
    assert clock.slept == [4.0]
    assert route.call_count == 4 and "6 of 6 levels set" in said


def test_a_call_refused_for_one_sku_is_sent_again_in_halves_so_only_that_sku_is_refused(
    config: BigCommerceSourceConfig,
) -> None:
    refused = httpx.Response(
        422, json={"status": 422, "title": "Inventory is tracked by product, but a variant was given"}
    )

    def store(request: httpx.Request) -> httpx.Response:
        variants = [item["variant_id"] for item in json.loads(request.content)["items"]]
        return refused if 4 in variants else DONE

    with respx.mock() as mock:
        route = mock.put(ABSOLUTE).mock(side_effect=store)
        said = BigCommerceSink("store", config).send(as_push("store", levels(6, variant_id="{n}")))
    assert isinstance(said, StockSent) and list(said.refused) == ["SKU-0004"]  # the push is done, SKU-0004 refused
    assert "tracked by product" in said.refused["SKU-0004"]
    assert route.call_count == 5  # three batches, the refused one again as two halves
    assert "5 of 6 levels set" in said and "1 refused" in said
