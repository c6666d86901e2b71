"""The Shopify connector against a mocked Admin GraphQL API (respx): the window and cursor it reads, orders with
more lines than a page, pacing by the cost bucket, how each answer maps to an outcome, the expiring token's
refresh and rotation, webhook signatures and topics, and fulfilments sent once.

No owner-published GraphQL payloads exist (channel-apis.md, "Not covered"): the order nodes are the ones
tests/test_shopify_mapping.py writes from the documented fields; the answers' ``extensions.cost`` and
``errors`` shapes are written here from channel-apis.md §4."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.shopify_client as client
from crossdock.connectors.shopify import ShopifySink, ShopifySource, verify_webhook, webhook_order_id
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.core.errors import ConfigError, PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.ports import Outbound
from crossdock.mappings.shopify_graphql import FULFILLMENTS_READ
from tests.connectors.channels import as_outbound, assert_reads_back, read
from tests.test_shopify_mapping import FULFILLMENT_ORDER, GRAPHQL_ORDER, gql_line

SHOP = "https://example.myshopify.test"
GRAPHQL = f"{SHOP}/admin/api/2026-10/graphql.json"
TOKEN_URL = f"{SHOP}/admin/oauth/access_token"
TOKEN = "shpat_static_token"


def cost(requested: int = 100, available: int = 1900, restore: int = 100) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": requested,
            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": available, "restoreRate": restore},
        }
    }


def answer(data: Any, **bucket: int) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": cost(**bucket)})


def node(order_id: int, updated: str, **changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(GRAPHQL_ORDER)
    order.update(id=f"gid://shopify/Order/{order_id}", name=f"#{order_id}", updatedAt=updated, **changes)
    return order


def operation(request: httpx.Request) -> tuple[str, dict[str, Any]]:
    body = json.loads(request.content)
    found = re.match(r"\s*(?:query|mutation)\s+(\w+)", body["query"])
    assert found, body["query"]
    return found.group(1), body["variables"]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Waits recorded, not slept; and each test starts with a shop whose cost bucket is not known yet."""
    waits: list[float] = []
    monkeypatch.setattr(client, "sleep", waits.append)
    monkeypatch.setattr(client, "_BUCKETS", {})
    return waits


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> ShopifySourceConfig:
    monkeypatch.setenv("SHOPIFY_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPIFY_SECRET", "client-secret")
    return ShopifySourceConfig(
        type="shopify", url=SHOP, access_token="${SHOPIFY_TOKEN}", webhook_secret="${SHOPIFY_SECRET}", page_size=2
    )


def test_every_page_is_read_from_the_checkpoint_less_the_overlap_and_each_page_ends_with_a_checkpoint(
    config: ShopifySourceConfig,
) -> None:
    source = ShopifySource("shop", config)
    source.since = "2026-11-20T10:00:00Z"
    pages = [
        answer(
            {
                "orders": {
                    "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
                    "nodes": [node(1, "2026-11-21T09:00:00Z"), node(2, "2026-11-22T07:00:00Z")],
                }
            }
        ),
        answer(
            {
                "orders": {
                    "pageInfo": {"hasNextPage": False, "endCursor": "c2"},
                    "nodes": [node(3, "2026-11-21T12:00:00Z")],
                }
            }
        ),
    ]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(GRAPHQL).mock(side_effect=pages)
        items = read(source)
    calls = [operation(c.request) for c in route.calls]
    assert [name for name, _ in calls] == ["Orders", "Orders"]
    assert calls[0][1] == {"first": 2, "after": None, "query": "updated_at:>='2026-11-20T09:55:00Z'"}
    assert calls[1][1]["after"] == "c1"
    assert route.calls[0].request.headers["X-Shopify-Access-Token"] == TOKEN
    assert [i.identity for i in items] == [
        "shopify:1:2026-11-21T09:00:00Z",
        "shopify:2:2026-11-22T07:00:00Z",
        "shopify:3:2026-11-21T12:00:00Z",
    ]
    assert [i.checkpoint for i in items] == [None, "2026-11-22T07:00:00Z", "2026-11-22T07:00:00Z"], (
        "each page's last order carries the latest change so far: orders come sorted by update time"
    )
    assert json.loads(items[0].data)["taxLines"][0]["rate"] == "0.06", "a JSON number is kept as text, never float"


def test_the_first_poll_reads_back_first_sync_and_an_empty_window_moves_nothing(config: ShopifySourceConfig) -> None:
    empty = answer({"orders": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}})
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(GRAPHQL).mock(return_value=empty)
        assert read(ShopifySource("shop", config)) == []
    query = operation(route.calls[0].request)[1]["query"]
    since = dt.datetime.fromisoformat(query.removeprefix("updated_at:>='").removesuffix("'"))
    assert_reads_back(since)


def test_an_order_with_more_lines_than_a_page_is_completed_before_it_is_stored(config: ShopifySourceConfig) -> None:
    big = node(7, "2026-11-21T09:00:00Z")
    big["lineItems"]["pageInfo"] = {"hasNextPage": True, "endCursor": "L1"}
    extra = gql_line(900000001, "IPOD2008BLUE", 49148386, "blue")

    def api(request: httpx.Request) -> httpx.Response:
        name, variables = operation(request)
        if name == "Orders":
            return answer({"orders": {"pageInfo": {"hasNextPage": False}, "nodes": [big]}})
        assert (name, variables) == ("OrderLineItems", {"id": "gid://shopify/Order/7", "after": "L1"})
        return answer(
            {"order": {"lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": "L2"}, "nodes": [extra]}}}
        )

    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(GRAPHQL).mock(side_effect=api)
        (item,) = read(ShopifySource("shop", config))
    assert route.call_count == 2
    from crossdock.mappings.shopify import order_from_payload

    order = order_from_payload(json.loads(item.data, parse_float=Decimal), name=item.name)
    assert [x.line_number for x in order.lines] == ["466157049", "518995019", "703073504", "900000001"]


def test_the_next_query_waits_for_the_cost_bucket_to_hold_what_it_asks_for(
    config: ShopifySourceConfig, no_sleep: list[float]
) -> None:
    pages = [
        answer(
            {"orders": {"pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "nodes": []}},
            requested=500,
            available=100,
            restore=50,
        ),
        answer(
            {"orders": {"pageInfo": {"hasNextPage": False}, "nodes": []}}, requested=500, available=1500, restore=50
        ),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=pages)
        read(ShopifySource("shop", config))
    (wait,) = no_sleep
    assert 7.5 < wait <= 8.0, "400 points short at 50 a second: about 8 seconds"


@pytest.mark.parametrize(
    ("reply", "error", "said", "wait"),
    [
        (
            httpx.Response(
                200,
                json={
                    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                    "extensions": cost(requested=302, available=2, restore=100),
                },
            ),
            TransientError,
            "throttled: Throttled",
            3.0,
        ),
        (httpx.Response(429, text="", headers={"Retry-After": "4"}), TransientError, "429", 4.0),
        (httpx.Response(502, text="<html>bad gateway</html>"), TransientError, "502", None),
        (httpx.Response(200, text="<html>maintenance</html>"), TransientError, "not a JSON object", None),
        (
            httpx.Response(401, json={"errors": "[API] Invalid API key or access token (unrecognized login)"}),
            PermanentError,
            "401 Unauthorized: [API] Invalid API key or access token",
            None,
        ),
        (
            httpx.Response(
                200,
                json={
                    "data": None,
                    "errors": [{"message": "Access denied for orders field.", "extensions": {"code": "ACCESS_DENIED"}}],
                },
            ),
            PermanentError,
            "Access denied for orders field. (ACCESS_DENIED)",
            None,
        ),
        (
            httpx.Response(
                200, json={"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
            ),
            TransientError,
            "Internal error",
            None,
        ),
    ],
)
def test_answers_map_to_outcomes_and_the_token_never_shows(
    config: ShopifySourceConfig, reply: httpx.Response, error: type[Exception], said: str, wait: float | None
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(return_value=reply)
        with pytest.raises(error) as caught:
            read(ShopifySource("shop", config))
    assert said in str(caught.value) and TOKEN not in str(caught.value)
    assert getattr(caught.value, "retry_after", None) == wait


def test_one_order_by_id_and_an_unknown_one(config: ShopifySourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(GRAPHQL).mock(
            side_effect=[answer({"order": node(450789469, "2026-11-22T07:00:00Z")}), answer({"order": None})]
        )
        source = ShopifySource("shop", config)
        item = source.order("450789469")
        with pytest.raises(PermanentError, match="order gid://shopify/Order/5 not found"):
            source.order("gid://shopify/Order/5")
    assert operation(route.calls[0].request) == ("Order", {"id": "gid://shopify/Order/450789469"})
    assert operation(route.calls[1].request)[1] == {"id": "gid://shopify/Order/5"}
    assert item.identity == "shopify:450789469:2026-11-22T07:00:00Z" and item.checkpoint is None
    with pytest.raises(PermanentError, match="'abc' is not a Shopify order id"):
        source.order("abc")


# --- the expiring offline token --------------------------------------------------------------------------------


@pytest.fixture
def refreshing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ShopifySourceConfig:
    monkeypatch.setenv("SHOPIFY_CLIENT_ID", "client-id")
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SHOPIFY_REFRESH", "refresh-0")
    return ShopifySourceConfig(
        type="shopify",
        url=SHOP,
        client_id="${SHOPIFY_CLIENT_ID}",
        client_secret="${SHOPIFY_CLIENT_SECRET}",
        refresh_token="${SHOPIFY_REFRESH}",
        token_file=tmp_path / "state" / "shopify-token.json",
    )


class TokenServer:
    """Shopify's token endpoint as Shopify's own library calls it: each refresh rotates the refresh token."""

    def __init__(self) -> None:
        self.issued = 0
        self.valid = {"refresh-0"}
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if body["refresh_token"] not in self.valid:
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "refresh token revoked"})
        self.valid = set()
        self.issued += 1
        self.valid.add(f"refresh-{self.issued}")
        return httpx.Response(
            200,
            json={
                "access_token": f"shpat_expiring_{self.issued}",
                "expires_in": 3600,
                "refresh_token": f"refresh-{self.issued}",
                "refresh_token_expires_in": 7776000,
                "scope": "read_orders,write_merchant_managed_fulfillment_orders",
            },
        )


EMPTY = {"orders": {"pageInfo": {"hasNextPage": False}, "nodes": []}}


def test_the_expiring_token_is_fetched_once_kept_rotated_and_renewed_before_it_ends(
    refreshing: ShopifySourceConfig,
) -> None:
    tokens = TokenServer()
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=tokens)
        api = mock.post(GRAPHQL).mock(return_value=answer(EMPTY))
        read(ShopifySource("shop", refreshing))
        read(ShopifySource("shop", refreshing))
        assert tokens.issued == 1, "the second poll uses the kept token"
        assert tokens.bodies[0] == {
            "client_id": "client-id",
            "client_secret": "client-secret",
            "grant_type": "refresh_token",
            "refresh_token": "refresh-0",
        }
        assert [c.request.headers["X-Shopify-Access-Token"] for c in api.calls] == ["shpat_expiring_1"] * 2
        path = Path(str(refreshing.token_file))
        state = json.loads(path.read_text())
        assert state["refresh_token"] == "refresh-1" and os.stat(path).st_mode & 0o777 == 0o600
        state["expires_at"] = time.time() + 120  # within the five minutes before its end
        path.write_text(json.dumps(state))
        read(ShopifySource("shop", refreshing))
    assert tokens.bodies[1]["refresh_token"] == "refresh-1", "the rotated refresh token, not the environment's"
    assert api.calls[-1].request.headers["X-Shopify-Access-Token"] == "shpat_expiring_2"


def test_a_401_refreshes_once_and_retries_and_a_refused_refresh_is_permanent(
    refreshing: ShopifySourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = TokenServer()
    denied = httpx.Response(401, json={"errors": "[API] Invalid API key or access token"})
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=tokens)
        api = mock.post(GRAPHQL).mock(side_effect=[answer(EMPTY), denied, answer(EMPTY)])
        read(ShopifySource("shop", refreshing))
        read(ShopifySource("shop", refreshing))  # the token was revoked early: refreshed, the query sent again
        assert [c.request.headers["X-Shopify-Access-Token"] for c in api.calls] == [
            "shpat_expiring_1",
            "shpat_expiring_1",
            "shpat_expiring_2",
        ]
        tokens.valid = set()  # the grant is gone (the app was uninstalled)
        Path(str(refreshing.token_file)).write_text(
            json.dumps(json.loads(Path(str(refreshing.token_file)).read_text()) | {"expires_at": 0})
        )
        with pytest.raises(PermanentError) as caught:
            read(ShopifySource("shop", refreshing))
    message = str(caught.value)
    assert (
        "400: invalid_grant refresh token revoked" in message
        and "authorise the app again" in message
        and "check client_id" in message
    )
    assert "refresh-2" not in message and "client-secret" not in message and "shpat" not in message


def test_a_new_grant_in_the_environment_replaces_the_kept_tokens(
    refreshing: ShopifySourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = TokenServer()
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN_URL).mock(side_effect=tokens)
        mock.post(GRAPHQL).mock(return_value=answer(EMPTY))
        read(ShopifySource("shop", refreshing))
        tokens.valid = {"refresh-new"}
        monkeypatch.setenv("SHOPIFY_REFRESH", "refresh-new")
        read(ShopifySource("shop", refreshing))
    assert [b["refresh_token"] for b in tokens.bodies] == ["refresh-0", "refresh-new"]


def test_the_configuration_takes_one_way_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"give access_token \(a non-expiring token\), or all of client_id"):
        ShopifySourceConfig(type="shopify", url=SHOP, client_id="${A}")
    with pytest.raises(ValueError, match="not both"):
        ShopifySourceConfig(type="shopify", url=SHOP, access_token="${A}", refresh_token="${B}")
    with pytest.raises(ValueError, match=r"tracking_urls\.ACME: a link with \{number\}"):
        ShopifySourceConfig(type="shopify", url=SHOP, access_token="${A}", tracking_urls={"ACME": "https://x/"})
    monkeypatch.delenv("NOT_SET_TOKEN", raising=False)
    unset = ShopifySourceConfig(type="shopify", url=SHOP, access_token="${NOT_SET_TOKEN}")
    with pytest.raises(ConfigError, match="NOT_SET_TOKEN is not set"):
        read(ShopifySource("shop", unset))


# --- webhooks --------------------------------------------------------------------------------------------------


def signed(body: bytes, secret: str = "client-secret") -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_webhook_signatures_and_topics() -> None:
    # the webhook body is the REST order (written here; Shopify's sample payloads are not openly licensed)
    body = b'{"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508"}'
    assert verify_webhook(body, {"x-shopify-hmac-sha256": signed(body)}, "client-secret")
    assert verify_webhook(body, {"shopify-hmac-sha256": signed(body)}, "client-secret"), "the name without X-"
    assert not verify_webhook(body + b" ", {"x-shopify-hmac-sha256": signed(body)}, "client-secret")
    assert not verify_webhook(body, {"x-shopify-hmac-sha256": signed(body, "other")}, "client-secret")
    assert not verify_webhook(body, {"x-shopify-hmac-sha256": "not base64!"}, "client-secret")
    assert not verify_webhook(body, {}, "client-secret")
    assert not verify_webhook(body, {"x-shopify-hmac-sha256": signed(body, "")}, "")
    for topic in ("orders/create", "orders/updated", "orders/cancelled"):
        assert webhook_order_id(body, {"x-shopify-topic": topic}) == "820982911946154508"
    assert webhook_order_id(body, {"x-shopify-topic": "products/update"}) is None
    assert webhook_order_id(body, {}) is None
    assert webhook_order_id(b"[]", {"x-shopify-topic": "orders/updated"}) is None


# --- fulfilments -----------------------------------------------------------------------------------------------


def fulfilment(numbers: list[str] | None = None, **quantities: int) -> Outbound:
    data = Fulfilment(
        channel="shopify",
        partner="shop",
        po_number="#1001",
        external_id="450789469",
        shipment_id="WH-1",
        ship_date=dt.date(2026, 11, 22),
        carrier_scac="ACME",
        tracking_numbers=["1Z999AA10123456784"] if numbers is None else numbers,
        lines=[FulfilmentLine(line_number=k.removeprefix("l"), quantity=Decimal(v)) for k, v in quantities.items()],
    )
    return as_outbound(data)


class FakeOrder:
    """The order's fulfillment orders and fulfilments; fulfillmentCreate books against them like Shopify. With
    ``page``, every connection comes ``page`` nodes at a time, the next from the cursor its last page ended at."""

    def __init__(self, fulfillment_orders: list[dict[str, Any]], page: int | None = None) -> None:
        self.fulfillment_orders = fulfillment_orders
        self.page = page
        self.fulfillments: list[dict[str, Any]] = []
        self.created: list[dict[str, Any]] = []
        self.user_errors: list[dict[str, Any]] = []

    def _page(self, nodes: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
        if self.page is None:
            return {"nodes": nodes}
        start = int(after.removeprefix("after-")) if after else 0
        end = start + self.page
        return {"pageInfo": {"hasNextPage": end < len(nodes), "endCursor": f"after-{end}"}, "nodes": nodes[start:end]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name, variables = operation(request)
        after = variables.get("after")
        if name == "OrderFulfillmentOrders":
            orders = [fo | {"lineItems": self._page(fo["lineItems"]["nodes"], None)} for fo in self.fulfillment_orders]
            return answer({"order": {"id": variables["id"], "fulfillmentOrders": self._page(orders, after)}})
        if name == "FulfillmentOrderLineItems":
            fo = next(f for f in self.fulfillment_orders if f["id"] == variables["id"])
            return answer({"fulfillmentOrder": {"lineItems": self._page(fo["lineItems"]["nodes"], after)}})
        if name == "OrderFulfillments":
            made = [
                f | {"fulfillmentLineItems": self._page(f["fulfillmentLineItems"]["nodes"], None)}
                for f in self.fulfillments
            ]
            return answer({"order": {"id": variables["id"], "fulfillments": made}})
        if name == "FulfillmentLineItems":
            found = next(f for f in self.fulfillments if f["id"] == variables["id"])
            return answer(
                {"fulfillment": {"fulfillmentLineItems": self._page(found["fulfillmentLineItems"]["nodes"], after)}}
            )
        assert name == "FulfillmentCreate"
        if self.user_errors:
            return answer({"fulfillmentCreate": {"fulfillment": None, "userErrors": self.user_errors}})
        given = variables["fulfillment"]
        self.created.append(given)
        lines = []
        for group in given["lineItemsByFulfillmentOrder"]:
            fo = next(f for f in self.fulfillment_orders if f["id"] == group["fulfillmentOrderId"])
            for item in group["fulfillmentOrderLineItems"]:
                held = next(x for x in fo["lineItems"]["nodes"] if x["id"] == item["id"])
                held["remainingQuantity"] -= item["quantity"]
                lines.append({"quantity": item["quantity"], "lineItem": held["lineItem"]})
        tracking = given.get("trackingInfo", {})
        numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
        fid = f"gid://shopify/Fulfillment/{len(self.created)}"
        self.fulfillments.append(
            {
                "id": fid,
                "status": "SUCCESS",
                "trackingInfo": [{"number": n} for n in numbers],
                "fulfillmentLineItems": {"nodes": lines},
            }
        )
        return answer({"fulfillmentCreate": {"fulfillment": {"id": fid, "status": "SUCCESS"}, "userErrors": []}})


def test_a_fulfilment_is_created_once_with_its_tracking_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", TOKEN)
    config = ShopifySourceConfig(
        type="shopify",
        url=SHOP,
        access_token="${SHOPIFY_TOKEN}",
        notify_customer=False,
        tracking_urls={"acme": "https://acme.example/track?n={number}"},
    )
    shop = FakeOrder([copy.deepcopy(FULFILLMENT_ORDER)])
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        first = sink.send(fulfilment(l518995019=2))
        again = sink.send(fulfilment(l518995019=2))
    assert first == "shopify order 450789469: shipment WH-1 as gid://shopify/Fulfillment/1"
    assert again == "shopify order 450789469: shipment WH-1 already fulfilled"
    (created,) = shop.created
    assert created == {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1046000001",
                "fulfillmentOrderLineItems": [
                    {"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 2}
                ],
            }
        ],
        "notifyCustomer": False,
        "trackingInfo": {
            "company": "ACME",
            "number": "1Z999AA10123456784",
            "url": "https://acme.example/track?n=1Z999AA10123456784",
        },
    }


def test_lines_over_two_locations_make_two_fulfilments_and_a_half_done_send_finishes(
    config: ShopifySourceConfig,
) -> None:
    first, second = copy.deepcopy(FULFILLMENT_ORDER), copy.deepcopy(FULFILLMENT_ORDER)
    first["lineItems"]["nodes"] = first["lineItems"]["nodes"][:1]
    second["id"] = "gid://shopify/FulfillmentOrder/1046000002"
    second["lineItems"]["nodes"] = second["lineItems"]["nodes"][1:]
    shop = FakeOrder([first, second])
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        sink.send(fulfilment(l466157049=1, l703073504=1))
        assert [c["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"][-1] for c in shop.created] == ["1", "2"]
        del shop.fulfillments[1]  # as if the second mutation's answer had been lost: it was never made
        shop.fulfillment_orders[1]["lineItems"]["nodes"][1]["remainingQuantity"] = 1
        shop.created.clear()
        sink.send(fulfilment(l466157049=1, l703073504=1))
    (redone,) = shop.created
    assert redone["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1}
    ]


def test_a_shipment_without_tracking_counts_as_sent_once_its_lines_are_no_longer_open(
    config: ShopifySourceConfig,
) -> None:
    shop = FakeOrder([copy.deepcopy(FULFILLMENT_ORDER)])
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        sink.send(fulfilment([], l466157049=1))
        assert sink.send(fulfilment([], l466157049=1)).endswith("already fulfilled")
    (created,) = shop.created
    assert "trackingInfo" in created and created["trackingInfo"] == {"company": "ACME"}


def test_user_errors_and_impossible_shipments_are_permanent(config: ShopifySourceConfig) -> None:
    shop = FakeOrder([copy.deepcopy(FULFILLMENT_ORDER)])
    shop.user_errors = [{"field": ["fulfillment", "trackingInfo"], "message": "Tracking number is invalid"}]
    sink = ShopifySink("shop", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        with pytest.raises(PermanentError, match=r"refused: fulfillment\.trackingInfo: Tracking number is invalid"):
            sink.send(fulfilment(l466157049=1))
        with pytest.raises(PermanentError, match="line 999 is on none of the order's fulfillment orders"):
            sink.send(fulfilment(l999=1))
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(return_value=answer({"order": None}))
        with pytest.raises(PermanentError, match="no such order"):
            sink.send(fulfilment(l466157049=1))


def test_a_large_order_is_fulfilled_from_every_page_and_what_shipped_is_read_to_its_last_line(
    config: ShopifySourceConfig,
) -> None:
    big, closed, other = (
        copy.deepcopy(FULFILLMENT_ORDER),
        copy.deepcopy(FULFILLMENT_ORDER),
        copy.deepcopy(FULFILLMENT_ORDER),
    )
    closed.update(id="gid://shopify/FulfillmentOrder/1046000009", status="CLOSED")
    closed["lineItems"]["nodes"] = closed["lineItems"]["nodes"][:1]
    other["id"] = "gid://shopify/FulfillmentOrder/1046000002"
    other["lineItems"]["nodes"] = [
        {
            "id": "gid://shopify/FulfillmentOrderLineItem/1047000004",
            "remainingQuantity": 3,
            "lineItem": {"id": "gid://shopify/LineItem/900000001"},
        }
    ]
    shop = FakeOrder([big, closed, other], page=2)  # two pages of fulfillment orders; the first's lines in two
    sink = ShopifySink("shop", config)
    shipment = fulfilment(l466157049=1, l518995019=2, l703073504=1, l900000001=3)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(GRAPHQL).mock(side_effect=shop)
        sink.send(shipment)
        first = [operation(c.request) for c in route.calls]
        again = sink.send(shipment)
    order = {"id": "gid://shopify/Order/450789469"}
    assert first[:4] == [
        ("OrderFulfillmentOrders", order),
        ("OrderFulfillments", order),
        ("OrderFulfillmentOrders", order | {"after": "after-2"}),
        ("FulfillmentOrderLineItems", {"id": "gid://shopify/FulfillmentOrder/1046000001", "after": "after-2"}),
    ]
    assert [name for name, _ in first[4:]] == ["FulfillmentCreate", "FulfillmentCreate"]
    assert [
        [(g["fulfillmentOrderId"][-1], g["fulfillmentOrderLineItems"]) for g in c["lineItemsByFulfillmentOrder"]]
        for c in shop.created
    ] == [
        [
            (
                "1",
                [
                    {"id": "gid://shopify/FulfillmentOrderLineItem/1047000001", "quantity": 1},
                    {"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 2},
                    {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1},
                ],
            )
        ],
        [("2", [{"id": "gid://shopify/FulfillmentOrderLineItem/1047000004", "quantity": 3}])],
    ], "the line on the second page of lines and the fulfillment order on the second page are both shipped"
    assert again.endswith("already fulfilled"), "the first fulfilment's second page of lines counts as shipped"
    assert operation(route.calls[-1].request) == (
        "FulfillmentLineItems",
        {"id": "gid://shopify/Fulfillment/1", "after": "after-2"},
    )
    assert len(shop.created) == 2


def test_an_order_with_as_many_fulfilments_as_one_read_returns_is_refused(config: ShopifySourceConfig) -> None:
    shop = FakeOrder([copy.deepcopy(FULFILLMENT_ORDER)])
    shop.fulfillments = [
        {
            "id": f"gid://shopify/Fulfillment/{n}",
            "status": "SUCCESS",
            "trackingInfo": [],
            "fulfillmentLineItems": {"nodes": []},
        }
        for n in range(FULFILLMENTS_READ)
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(GRAPHQL).mock(side_effect=shop)
        with pytest.raises(PermanentError, match=f"{FULFILLMENTS_READ} fulfilments or more"):
            ShopifySink("shop", config).send(fulfilment(l466157049=1))
    assert shop.created == [], "Order.fulfillments is a list that may be cut: nothing is risked twice"
