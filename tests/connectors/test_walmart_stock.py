"""Stock to Walmart (respx): one ``PUT /v3/inventory?sku=…`` a SKU at ``stock_rate`` a second, the bulk inventory
feed past ``stock_feed_threshold``; a 429 mid-push waits Walmart's ``Retry-After`` and goes on; a SKU Walmart
refuses (a 4xx) or answers with another quantity is named. Walmart's inventory spec is not among the fixtures:
the bodies follow its documented fields (``channel-lifecycle.md`` §6, the docs named there)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.walmart_sink import WalmartSink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.stock.models import StockSent
from tests.connectors.stock import Clock, as_push, levels

API = "https://marketplace.example.test"


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WalmartSourceConfig:
    monkeypatch.setenv("WM_ID", "client-id-1")
    monkeypatch.setenv("WM_SECRET", "client-secret-1")
    return WalmartSourceConfig.model_validate(
        {"type": "walmart", "url": API, "client_id": "${WM_ID}", "client_secret": "${WM_SECRET}", "stock_rate": 2}
    )


def token(mock: respx.MockRouter) -> None:
    mock.post(f"{API}/v3/token").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 900})
    )


def echoed(request: httpx.Request) -> httpx.Response:
    """Walmart's answer to an inventory update: the SKU and quantity it now holds."""
    body: dict[str, Any] = json.loads(request.content)
    assert request.url.params["sku"] == body["sku"]
    return httpx.Response(200, json=body)


def test_a_few_skus_are_updated_one_by_one_at_the_configured_rate(
    config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        route = mock.put(f"{API}/v3/inventory").mock(side_effect=echoed)
        said = WalmartSink("wm", config).send(as_push("wm", levels(3)))
    assert json.loads(route.calls[0].request.content) == {
        "sku": "SKU-0001",
        "quantity": {"unit": "EACH", "amount": 1},
    }
    assert route.call_count == 3 and "3 of 3 levels set" in said
    assert clock.slept == [0.5]  # two at once, then one every half second


def test_many_skus_go_as_one_inventory_feed(config: WalmartSourceConfig) -> None:
    config = config.model_copy(update={"stock_feed_threshold": 2})
    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        route = mock.post(f"{API}/v3/feeds", params={"feedType": "inventory"}).mock(
            return_value=httpx.Response(200, json={"feedId": "F-123"})
        )
        said = WalmartSink("wm", config).send(as_push("wm", levels(3)))
    sent = route.calls[0].request
    assert sent.headers["content-type"].startswith("multipart/form-data")
    part = sent.content.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n--", 1)[0]
    assert b'name="file"; filename="inventory.json"' in sent.content
    assert json.loads(part) == {
        "InventoryHeader": {"version": "1.4"},
        "Inventory": [{"sku": f"SKU-000{n}", "quantity": {"unit": "EACH", "amount": n}} for n in (1, 2, 3)],
    }
    assert "feed F-123" in said and "3 of 3 levels submitted" in said
    assert isinstance(said, StockSent) and said.feeds == ["F-123"]  # core reads its item statuses later


def test_a_429_mid_push_waits_and_goes_on(config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    config = config.model_copy(update={"stock_rate": 100.0})
    throttled = httpx.Response(429, json={}, headers={"Retry-After": "3"})
    with respx.mock() as mock:
        token(mock)
        route = mock.put(f"{API}/v3/inventory")
        route.side_effect = [echoed, throttled, echoed, echoed]
        said = WalmartSink("wm", config).send(as_push("wm", levels(3)))
    assert clock.slept == [3.0] and route.call_count == 4
    assert "3 of 3 levels set" in said


def test_a_throttle_past_the_clients_budget_raises_transient(
    config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    throttled = httpx.Response(429, json={}, headers={"Retry-After": "600"})
    with respx.mock() as mock:
        token(mock)
        mock.put(f"{API}/v3/inventory").side_effect = [echoed, throttled]
        with pytest.raises(TransientError, match="stopped after 1 of 3 levels") as caught:
            WalmartSink("wm", config).send(as_push("wm", levels(3)))
    assert caught.value.retry_after == 600.0


def test_refused_skus_are_named_and_the_rest_are_set(
    config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    refused = httpx.Response(
        400, json={"errors": {"error": [{"code": "CONTENT_NOT_FOUND.GMP_INVENTORY_API", "description": "Invalid SKU"}]}}
    )
    with respx.mock() as mock:
        token(mock)
        mock.put(f"{API}/v3/inventory").side_effect = [echoed, refused, echoed]
        said = WalmartSink("wm", config).send(as_push("wm", levels(3)))
    assert isinstance(said, StockSent) and list(said.refused) == ["SKU-0002"]
    assert "2 of 3 levels set" in said and "SKU-0002:" in said and "Invalid SKU" in said


def test_an_answer_with_another_quantity_is_a_transient_refusal(
    config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch)
    other = httpx.Response(200, json={"sku": "SKU-0001", "quantity": {"unit": "EACH", "amount": 9}})
    with respx.mock() as mock:
        token(mock)
        mock.put(f"{API}/v3/inventory").mock(return_value=other)
        with pytest.raises(TransientError, match="SKU-0001: the answer shows 'SKU-0001' at 9"):
            WalmartSink("wm", config).send(as_push("wm", levels(1)))


def test_calls_refused_in_a_row_stop_the_push(config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    Clock(monkeypatch)
    forbidden = httpx.Response(403, json={"errors": {"error": [{"code": "UNAUTHORIZED", "description": "no access"}]}})
    with respx.mock() as mock:
        token(mock)
        route = mock.put(f"{API}/v3/inventory").mock(return_value=forbidden)
        with pytest.raises(PermanentError, match="5 calls refused in a row"):
            WalmartSink("wm", config).send(as_push("wm", levels(40)))
    assert route.call_count == 5  # not one call per SKU of the push
