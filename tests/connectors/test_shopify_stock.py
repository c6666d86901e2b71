"""Stock to Shopify against a mocked Admin GraphQL API (respx): inventorySetQuantities in batches with
compare-and-set from what the store was last told, an idempotency key per batch, a throttled answer mid-push
waited for, a stale quantity read back and set again, and a retried push that does nothing twice.

No owner-published GraphQL schema is among the fixtures (Shopify's are REST examples only): the fake
checks each mutation's variables against the input objects as Shopify's reference pages give them for API
2026-10 (``INPUT`` below), and refuses any other field, a missing ``changeFromQuantity`` or a missing key."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.shopify_client as client
from crossdock.connectors.shopify import ShopifySink
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound
from crossdock.core.stock.models import StockLevel, StockPush, StockSent
from crossdock.mappings import shopify_stock

SHOP = "https://example.myshopify.test"
GRAPHQL = f"{SHOP}/admin/api/2026-10/graphql.json"
LOCATION = "gid://shopify/Location/7"

# InventorySetQuantitiesInput and InventorySetQuantityInput (API 2026-04 on): field -> (type, required)
INPUT = {"name": (str, True), "reason": (str, True), "referenceDocumentUri": (str, False), "quantities": (list, True)}
QUANTITY = {"inventoryItemId": (str, True), "locationId": (str, True), "quantity": (int, True)}


def _check_input(given: dict[str, Any]) -> None:
    assert set(given) <= set(INPUT), set(given) - set(INPUT)
    for key, (kind, required) in INPUT.items():
        assert key in given or not required, key
        assert key not in given or isinstance(given[key], kind), key
    assert given["name"] in ("available", "on_hand")
    for q in given["quantities"]:
        assert set(q) == {*QUANTITY, "changeFromQuantity"}, q  # changeFromQuantity must be given, even null
        assert all(isinstance(q[k], t) for k, (t, _) in QUANTITY.items()), q
        assert q["changeFromQuantity"] is None or isinstance(q["changeFromQuantity"], int)
        assert q["inventoryItemId"].startswith("gid://shopify/InventoryItem/")
        assert q["locationId"].startswith("gid://shopify/Location/")


class FakeShop:
    """A store's available quantities; inventorySetQuantities is all-or-nothing, compare-and-set, idempotent."""

    def __init__(self, held: dict[str, int]) -> None:
        self.held = dict(held)
        self.keys: dict[str, tuple[str, dict[str, Any]]] = {}
        self.applied: list[str] = []  # keys whose changes were made
        self.throttle: set[int] = set()  # which calls (1, 2, ...) answer THROTTLED
        self.calls = 0
        self.errors: list[dict[str, Any]] = []
        self.unknown: set[str] = set()  # items the store does not have: refused by their position in the batch
        self.vague = False  # with unknown items: the error names no position (``field: ["input"]``)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        body = json.loads(request.content)
        name = re.match(r"\s*(?:query|mutation)\s+(\w+)", body["query"]).group(1)  # type: ignore[union-attr]
        cost = {"requestedQueryCost": 10, "throttleStatus": {"currentlyAvailable": 500, "restoreRate": 100}}
        if self.calls in self.throttle:  # the bucket is empty and refills 10 a second: a 1 s wait
            errors = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
            empty = {"requestedQueryCost": 10, "throttleStatus": {"currentlyAvailable": 0, "restoreRate": 10}}
            return httpx.Response(200, json={"errors": errors, "extensions": {"cost": empty}})
        variables = body["variables"]
        if name == "InventoryAvailable":
            nodes = [
                {"id": i, "inventoryLevel": {"quantities": [{"name": "available", "quantity": self.held[i]}]}}
                for i in variables["ids"]
            ]
            return httpx.Response(200, json={"data": {"nodes": nodes}, "extensions": {"cost": cost}})
        assert name == "InventorySet" and "@idempotent(key: $key)" in body["query"]
        _check_input(variables["input"])
        key = variables["key"]
        if key in self.keys:
            if self.keys[key][0] != json.dumps(variables["input"], sort_keys=True):
                return self._answer([{"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "field": [], "message": "x"}])
            return self._answer(self.keys[key][1])
        quantities = variables["input"]["quantities"]
        missing = [i for i, q in enumerate(quantities) if q["inventoryItemId"] in self.unknown]
        where = (lambda i: ["input"]) if self.vague else (lambda i: ["input", "quantities", str(i), "inventoryItemId"])
        errors = list(self.errors) or [
            {"code": "INVALID_INVENTORY_ITEM", "field": where(i), "message": "The inventory item could not be found."}
            for i in missing
        ]
        errors = errors or [
            {
                "code": "CHANGE_FROM_QUANTITY_STALE",
                "field": ["input", "quantities", str(i), "changeFromQuantity"],
                "message": "The changeFromQuantity value does not match persisted value.",
            }
            for i, q in enumerate(variables["input"]["quantities"])
            if q["changeFromQuantity"] is not None and q["changeFromQuantity"] != self.held[q["inventoryItemId"]]
        ]
        if not errors:
            for q in variables["input"]["quantities"]:
                self.held[q["inventoryItemId"]] = q["quantity"]
            self.applied.append(key)
        self.keys[key] = (json.dumps(variables["input"], sort_keys=True), errors)
        return self._answer(errors)

    def _answer(self, errors: list[dict[str, Any]]) -> httpx.Response:
        payload = {"inventoryAdjustmentGroup": None if errors else {"id": "gid://shopify/InventoryAdjustmentGroup/1"}}
        payload["userErrors"] = errors  # type: ignore[assignment]
        return httpx.Response(200, json={"data": {"inventorySetQuantities": payload}})


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(client, "sleep", waits.append)
    monkeypatch.setattr(client, "_BUCKETS", {})
    monkeypatch.setattr(shopify_stock, "BATCH", 2)
    return waits


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> ShopifySink:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_static_token")
    config = ShopifySourceConfig(type="shopify", url=SHOP, access_token="${SHOPIFY_TOKEN}", throttle_wait=30)
    return ShopifySink("shop", config)


def item(n: int) -> str:
    return f"gid://shopify/InventoryItem/{n}"


def stock_push(levels: dict[int, tuple[int, int | None]], push_id: str = "p" * 40) -> Outbound:
    push = StockPush(
        channel="shop",
        push_id=push_id,
        as_of=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        levels=[
            StockLevel(sku=f"SKU-{n}", available=qty, ids={"inventory_item_id": str(n)}, location=LOCATION, told=told)
            for n, (qty, told) in levels.items()
        ],
    )
    return Outbound(
        name="stock.json",
        data=json.dumps(push.model_dump(mode="json")).encode(),
        idempotency_key=push_id,
        purpose="stock",
    )


def test_levels_are_set_in_batches_compared_with_what_the_store_was_told(sink: ShopifySink) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 6)})
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        said = sink.send(stock_push({1: (3, 5), 2: (0, 5), 3: (9, 5), 4: (1, None), 5: (7, 5)}))
    assert shop.held == {item(1): 3, item(2): 0, item(3): 9, item(4): 1, item(5): 7}
    assert len(shop.applied) == 3 and "5 level(s) set in 3 batch(es)" in said


def test_a_throttled_answer_mid_push_is_waited_for_and_the_push_goes_on(
    sink: ShopifySink, no_sleep: list[float]
) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 5)})
    shop.throttle = {2}
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        sink.send(stock_push({1: (1, 5), 2: (2, 5), 3: (3, 5), 4: (4, 5)}))
    assert shop.held == {item(1): 1, item(2): 2, item(3): 3, item(4): 4}
    assert len(shop.applied) == 2 and no_sleep  # waited, then both batches made once


def test_a_push_retried_after_a_failure_mid_way_makes_no_batch_twice(sink: ShopifySink) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 5)})
    shop.throttle = set(range(2, 40))  # throttled for longer than the push's patience
    push = stock_push({1: (1, 5), 2: (2, 5), 3: (3, 5), 4: (4, 5)})
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        with pytest.raises(TransientError):
            sink.send(push)
        assert shop.applied and shop.held[item(1)] == 1 and shop.held[item(3)] == 5
        shop.held[item(1)] = 0  # sold meanwhile: the first batch sent again must not set it back
        shop.throttle = set()
        sink.send(push)
    assert shop.held == {item(1): 0, item(2): 2, item(3): 3, item(4): 4}
    assert len(shop.applied) == 2  # the first batch's key answered from Shopify's record, not made again


def test_a_stale_quantity_is_read_back_and_set_from_what_the_store_holds(sink: ShopifySink) -> None:
    shop = FakeShop({item(1): 4, item(2): 5})  # item 1 sold one in the shop since crossdock told it 5
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        said = sink.send(stock_push({1: (2, 5), 2: (3, 5)}))
    assert shop.held == {item(1): 2, item(2): 3}
    assert "2 changed on Shopify since last told" in said


def test_missing_ids_and_skus_the_store_refuses_are_refused_and_the_rest_set(sink: ShopifySink) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 4)})
    shop.unknown = {item(2)}
    bare = StockPush(channel="shop", push_id="q" * 40, as_of=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
    bare.levels = [StockLevel(sku="NO-IDS", available=1)]
    document = Outbound(
        name="s.json", data=json.dumps(bare.model_dump(mode="json")).encode(), idempotency_key="q", purpose="stock"
    )
    with respx.mock:
        route = respx.post(GRAPHQL).mock(side_effect=shop)
        said = sink.send(document)
        assert not route.called
        assert isinstance(said, StockSent) and "no Shopify inventory_item_id and location_id" in said.refused["NO-IDS"]
        said = sink.send(stock_push({1: (1, 5), 2: (2, 5), 3: (3, 5)}))
    assert isinstance(said, StockSent) and list(said.refused) == ["SKU-2"]
    assert said.refused["SKU-2"] == "INVALID_INVENTORY_ITEM The inventory item could not be found."
    assert shop.held == {item(1): 1, item(2): 5, item(3): 3}  # the batch sent again without SKU-2


def test_an_error_that_names_no_quantity_sends_the_batch_again_in_halves(sink: ShopifySink) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 3)})
    shop.unknown, shop.vague = {item(2)}, True
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        said = sink.send(stock_push({1: (1, 5), 2: (2, 5)}))
    assert isinstance(said, StockSent) and list(said.refused) == ["SKU-2"]
    assert shop.held[item(1)] == 1 and shop.calls == 3


def test_skus_refused_in_a_row_with_no_quantity_named_stop_the_push(sink: ShopifySink) -> None:
    shop = FakeShop({item(n): 5 for n in range(1, 9)})
    shop.errors = [{"code": "INVALID_INVENTORY_ITEM", "field": ["input"], "message": "not found"}]
    with respx.mock:
        respx.post(GRAPHQL).mock(side_effect=shop)
        with pytest.raises(PermanentError, match="5 SKUs refused in a row"):
            sink.send(stock_push({n: (n, 5) for n in range(1, 9)}))
