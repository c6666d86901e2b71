"""A Shopify store end to end against a fake of its Admin GraphQL API on 127.0.0.1: two pages of orders, an
update and a cancellation among them, each stored once and routed to a warehouse folder; the warehouse's
shipment goes back as a fulfilment on the order's fulfillment order with its tracking, once; a webhook is a
hint that reads the order again; the cost bucket paces the poll, a throttled query waits, a revoked grant ends
as a clear error; an expiring token is refreshed and its rotated refresh token kept.

No owner-published GraphQL payloads exist (channel-apis.md, "Not covered"): the fake's orders are the node
tests/test_shopify_mapping.py writes from the documented fields (the owner's REST example order, #1001), and
its ``extensions.cost``, ``errors`` and token answers are written here from channel-apis.md §4."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import crossdock.connectors.shopify_client as client
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.ports import Outbound
from crossdock.core.storage.schema import deliveries, documents
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import (
    assert_repoll_quiet_and_cancel_sent,
    assert_routed_once_paid,
    assert_waits_unrouted,
    channel_config,
    channel_hub,
    drain,
    failing_source,
    order_rows,
    served,
    ship_back,
    warehouse_files,
    webhook_url,
)
from tests.test_shopify_mapping import GRAPHQL_ORDER

API = "/admin/api/2026-10/graphql.json"
TOKEN, CLIENT_ID, CLIENT_SECRET = "shpat_static", "client-id", "client-secret"
DENIED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
COSTS = {"Orders": 250, "FulfillmentCreate": 10}  # a query's requested cost here; every other query costs 5
ENVIRONMENT = {
    "SHOPIFY_TOKEN": TOKEN,
    "SHOPIFY_CLIENT_ID": CLIENT_ID,
    "SHOPIFY_CLIENT_SECRET": CLIENT_SECRET,
    "SHOPIFY_REFRESH_TOKEN": "refresh-0",
}
CHANNEL = "shopify"


def example(order_id: int, updated: str, **changes: Any) -> dict[str, Any]:
    """The documented order #1001 under another id and name, changed at ``updated``, its lines with their own ids."""
    order = copy.deepcopy(GRAPHQL_ORDER)
    order.update(id=f"gid://shopify/Order/{order_id}", name=f"#{order_id}", updatedAt=updated, **changes)
    for i, line in enumerate(order["lineItems"]["nodes"]):
        line["id"] = f"gid://shopify/LineItem/{order_id * 10 + i}"
    return order


class FakeShop:
    """Orders, their fulfillment orders and fulfilments; GraphQL operations told apart by name; a cost bucket on
    a clock the connector's waits move forward; tokens checked, and refreshed with rotation. With ``page``, the
    lines of fulfillment orders and fulfilments come ``page`` at a time, the next from the last page's cursor."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.fulfillment_orders: dict[int, list[dict[str, Any]]] = {}
        self.fulfillments: dict[int, list[dict[str, Any]]] = {}
        self.tokens = {TOKEN}
        self.refresh_tokens = {"refresh-0"}
        self.refreshed: list[str] = []
        self.maximum, self.restore, self.available = 600.0, 50.0, 600.0
        self.skipped = 0.0  # seconds the connector waited (instead of sleeping)
        self.seen = time.monotonic()
        self.throttled = 0
        self.throttle = False
        self.lock = threading.Lock()
        self.page: int | None = None

    def add(self, order: dict[str, Any]) -> None:
        order_id = int(order["id"].rsplit("/", 1)[1])
        self.orders[order_id] = order
        lines = [
            {
                "id": f"gid://shopify/FulfillmentOrderLineItem/{line['id'].rsplit('/', 1)[1]}",
                "remainingQuantity": line["quantity"],
                "lineItem": {"id": line["id"]},
            }
            for line in order["lineItems"]["nodes"]
        ]
        fo = {"id": f"gid://shopify/FulfillmentOrder/{order_id}", "status": "OPEN", "lineItems": {"nodes": lines}}
        self.fulfillment_orders[order_id] = [fo]
        self.fulfillments[order_id] = []

    def serve(self, api: FakeApi) -> None:
        api.route("POST", API, self._graphql)
        api.route("POST", "/admin/oauth/access_token", self._refresh)

    def _now(self) -> float:
        return time.monotonic() + self.skipped

    def _graphql(self, request: Request) -> Response:
        if request.headers.get("x-shopify-access-token") not in self.tokens:
            return Response(401, DENIED)
        body = request.json()
        name = re.match(r"\s*(?:query|mutation)\s+(\w+)", body["query"])
        assert name is not None
        operation, variables = name.group(1), body["variables"]
        requested = COSTS.get(operation, 5)
        with self.lock:
            self.available = min(self.maximum, self.available + (self._now() - self.seen) * self.restore)
            self.seen = self._now()
            if self.available < requested or self.throttle:
                self.throttle = False
                self.throttled += 1
                error = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}
                return Response(200, {"errors": [error], "extensions": self._cost(requested, 0)})
            self.available -= requested
        data = getattr(self, f"_{operation}")(variables, body["query"])
        return Response(200, {"data": data, "extensions": self._cost(requested, requested)})

    def _cost(self, requested: int, actual: int) -> dict[str, Any]:
        status = {"maximumAvailable": self.maximum, "currentlyAvailable": self.available, "restoreRate": self.restore}
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}}

    def _Orders(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = re.fullmatch(r"updated_at:>='(.+)'", variables["query"])
        assert found, variables["query"]
        chosen = sorted(
            (o for o in self.orders.values() if o["updatedAt"] >= found.group(1)), key=lambda o: o["updatedAt"]
        )
        start = int(variables["after"] or 0)
        page = chosen[start : start + variables["first"]]
        end = start + len(page)
        info = {"hasNextPage": end < len(chosen), "endCursor": str(end)}
        return {"orders": {"pageInfo": info, "nodes": copy.deepcopy(page)}}

    def _order(self, variables: dict[str, Any]) -> int | None:
        order_id = int(variables["id"].rsplit("/", 1)[1])
        return order_id if order_id in self.orders else None

    def _Order(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        return {"order": copy.deepcopy(self.orders[found]) if found else None}

    def _page(self, nodes: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
        start = int(after or 0)
        end = start + (self.page or len(nodes))
        return {"pageInfo": {"hasNextPage": end < len(nodes), "endCursor": str(end)}, "nodes": nodes[start:end]}

    def _OrderFulfillmentOrders(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        if not found:
            return {"order": None}
        nodes = [fo | {"lineItems": self._page(fo["lineItems"]["nodes"])} for fo in self.fulfillment_orders[found]]
        return {"order": {"id": variables["id"], "fulfillmentOrders": {"nodes": copy.deepcopy(nodes)}}}

    def _FulfillmentOrderLineItems(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        (fo,) = self.fulfillment_orders[int(variables["id"].rsplit("/", 1)[1])]
        return {
            "fulfillmentOrder": {"lineItems": copy.deepcopy(self._page(fo["lineItems"]["nodes"], variables["after"]))}
        }

    def _OrderFulfillments(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        if not found:
            return {"order": None}
        made = [
            f | {"fulfillmentLineItems": self._page(f["fulfillmentLineItems"]["nodes"])}
            for f in self.fulfillments[found]
        ]
        return {"order": {"id": variables["id"], "fulfillments": made}}

    def _FulfillmentLineItems(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        made = next(f for fs in self.fulfillments.values() for f in fs if f["id"] == variables["id"])
        return {
            "fulfillment": {
                "fulfillmentLineItems": self._page(made["fulfillmentLineItems"]["nodes"], variables["after"])
            }
        }

    def _FulfillmentCreate(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        given = variables["fulfillment"]
        made = []
        for group in given["lineItemsByFulfillmentOrder"]:
            order_id = int(group["fulfillmentOrderId"].rsplit("/", 1)[1])
            (fo,) = self.fulfillment_orders[order_id]
            for item in group["fulfillmentOrderLineItems"]:
                held = next(x for x in fo["lineItems"]["nodes"] if x["id"] == item["id"])
                if item["quantity"] > held["remainingQuantity"]:
                    error = {"field": ["fulfillment"], "message": "Quantity exceeds the remaining quantity"}
                    return {"fulfillmentCreate": {"fulfillment": None, "userErrors": [error]}}
                held["remainingQuantity"] -= item["quantity"]
                made.append({"quantity": item["quantity"], "lineItem": held["lineItem"]})
        tracking = given.get("trackingInfo") or {}
        numbers = tracking.get("numbers") or ([tracking["number"]] if tracking.get("number") else [])
        fid = f"gid://shopify/Fulfillment/{order_id}{len(self.fulfillments[order_id]) + 1}"
        fulfillment = {
            "id": fid,
            "status": "SUCCESS",
            "trackingInfo": [{"number": n, "company": tracking.get("company")} for n in numbers],
            "fulfillmentLineItems": {"nodes": made},
            "notifyCustomer": given["notifyCustomer"],
        }
        self.fulfillments[order_id].append(fulfillment)
        return {"fulfillmentCreate": {"fulfillment": {"id": fid, "status": "SUCCESS"}, "userErrors": []}}

    def _refresh(self, request: Request) -> Response:
        body = request.json()
        if (body["client_id"], body["client_secret"], body["grant_type"]) != (
            CLIENT_ID,
            CLIENT_SECRET,
            "refresh_token",
        ):
            return Response(401, {"error": "invalid_client"})
        self.refreshed.append(body["refresh_token"])
        if body["refresh_token"] not in self.refresh_tokens:
            return Response(400, {"error": "invalid_grant", "error_description": "The refresh token is not valid"})
        n = len(self.refreshed)
        self.refresh_tokens = {f"refresh-{n}"}
        self.tokens = {f"shpat_expiring_{n}"}
        return Response(
            200, {"access_token": f"shpat_expiring_{n}", "expires_in": 3600, "refresh_token": f"refresh-{n}"}
        )


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeShop, FakeApi]]:
    fake = FakeShop()

    def wait(seconds: float) -> None:
        fake.skipped += seconds

    monkeypatch.setattr(client, "sleep", wait)
    yield from served(fake)


def config(tmp_path: Path, store_url: str, url: str, **auth: Any) -> dict[str, Any]:
    source = {
        "type": "shopify",
        "url": url,
        **(auth or {"access_token": "${SHOPIFY_TOKEN}"}),
        "webhook_secret": "${SHOPIFY_CLIENT_SECRET}",
        "page_size": 2,
        "tracking_urls": {"UPSN": "https://www.ups.com/track?tracknum={number}"},
    }
    return channel_config(tmp_path, store_url, "shop", source)


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, shop[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def test_orders_in_over_two_pages_stored_once_updated_cancelled_routed_and_fulfilled_back_once(
    hub: Hub, shop: tuple[FakeShop, FakeApi], tmp_path: Path
) -> None:
    fake, api = shop
    for i, order_id in enumerate((101, 102, 103)):
        fake.add(example(order_id, f"2026-11-2{i}T08:00:00Z"))
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 3
    assert len(api.calls("POST", API)) == 2, "three orders, two to a page"
    assert set(order_rows(hub, CHANNEL)) == {"101", "102", "103"}
    drain(hub)
    assert len(warehouse_files(tmp_path)) == 3

    fake.orders[102]["email"] = "new.address@example.com"
    fake.orders[102]["updatedAt"] = "2026-11-23T09:00:00Z"
    fake.orders[103].update(cancelledAt="2026-11-23T09:05:00Z", updatedAt="2026-11-23T09:05:00Z")
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 2, "only what changed since the checkpoint (less overlap)"
    second = api.calls("POST", API)[2].json()["variables"]
    assert second["query"] == "updated_at:>='2026-11-22T07:55:00Z'", "the checkpoint less five minutes' overlap"
    rows = order_rows(hub, CHANNEL)
    assert len(rows) == 3, "an update and a cancellation never make a second order"
    assert (rows["102"].revision, rows["103"].status) == (2, "cancelled")
    assert_repoll_quiet_and_cancel_sent(hub, tmp_path, "shop")
    assert fake.throttled == 0 and fake.skipped > 0, "the poll waited for the bucket instead of being throttled"

    ship_back(hub, tmp_path, "#101", {"1011": 1})
    (made,) = fake.fulfillments[101]
    assert made["trackingInfo"] == [{"number": "1Z999AA10123456784", "company": "UPS"}]
    assert made["fulfillmentLineItems"]["nodes"] == [{"quantity": 1, "lineItem": {"id": "gid://shopify/LineItem/1011"}}]
    assert made["notifyCustomer"] is True
    remaining = [x["remainingQuantity"] for x in fake.fulfillment_orders[101][0]["lineItems"]["nodes"]]
    assert remaining == [1, 0, 1], "one line of three shipped"
    create = [r.json()["variables"] for r in api.calls("POST", API) if "FulfillmentCreate" in r.json()["query"]]
    assert create[0]["fulfillment"]["trackingInfo"]["url"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"

    with hub.store.transaction() as conn:
        (sent,) = conn.execute(
            select(deliveries.c.key, deliveries.c.state, documents.c.data, documents.c.remote_name)
            .join(documents, documents.c.id == deliveries.c.document_id)
            .where(deliveries.c.purpose == "fulfilment")
        ).all()
    assert sent.state == "sent"
    again = hub.sink("shop").send(Outbound(name=sent.remote_name or "f.json", data=sent.data, idempotency_key=sent.key))
    assert again.endswith("already fulfilled") and len(fake.fulfillments[101]) == 1, "sent again after a crash: once"


def test_a_signed_webhook_reads_the_order_again_and_a_forged_one_is_refused(
    hub: Hub, shop: tuple[FakeShop, FakeApi]
) -> None:
    fake, _ = shop
    fake.add(example(201, "2026-11-22T08:00:00Z"))
    with webhook_url(hub, "shop") as url:
        # the hint, written here in the REST shape Shopify's order webhooks carry; not the truth
        body = json.dumps(
            {"id": 201, "admin_graphql_api_id": "gid://shopify/Order/201", "total_price": "1.00"}
        ).encode()
        signature = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        headers = {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/updated"}
        forged = httpx.post(url, content=body, headers=headers | {"X-Shopify-Hmac-Sha256": "AAAA"})
        assert forged.status_code == 401
        answer = httpx.post(url, content=body, headers=headers)
        assert answer.status_code == 202 and answer.json()["new"] is True
        replayed = httpx.post(url, content=body, headers=headers)
        assert replayed.json() == {"ignored": "answered already (the same delivery again)"}, "no read of the shop"
        other = body.replace(b'"1.00"', b'"2.00"')  # another delivery about the same order
        signature = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), other, hashlib.sha256).digest()).decode()
        again = httpx.post(url, content=other, headers=headers | {"X-Shopify-Hmac-Sha256": signature})
        assert again.json()["new"] is False, "the same order version is not stored twice"
        other = httpx.post(url, content=body, headers=headers | {"X-Shopify-Topic": "products/update"})
        assert other.status_code == 200 and "ignored" in other.json()
    (row,) = order_rows(hub, CHANNEL).values()
    assert json.loads(row.data)["total_amount"] == "409.94", "the order as the API gives it, not the hint"
    assert poll(hub, "shop", "me").received == 0, "the poll finds the order the webhook brought in"


def test_a_throttled_poll_waits_and_goes_on_and_a_refused_token_ends_as_a_clear_error(
    hub: Hub, shop: tuple[FakeShop, FakeApi]
) -> None:
    fake, _ = shop
    fake.add(example(301, "2026-11-22T08:00:00Z"))
    fake.throttle = True
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 1 and fake.throttled == 1, "waited for the bucket, went on"
    fake.tokens = {"shpat_someone_else"}
    fake.add(example(302, "2026-11-22T09:00:00Z"))
    report = poll(hub, "shop", "me")
    assert report.error is not None and "401 Unauthorized" in report.error and "Invalid API key" in report.error
    assert TOKEN not in report.error
    assert failing_source(hub) == "shop"


def test_an_expiring_token_is_refreshed_on_401_its_rotation_kept_and_a_revoked_grant_is_a_clear_error(
    tmp_path: Path, store_url: str, shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    auth = {
        "client_id": "${SHOPIFY_CLIENT_ID}",
        "client_secret": "${SHOPIFY_CLIENT_SECRET}",
        "refresh_token": "${SHOPIFY_REFRESH_TOKEN}",
        "token_file": "state/shopify-token.json",
    }
    with channel_hub(tmp_path, config(tmp_path, store_url, api.url, **auth), monkeypatch, ENVIRONMENT) as hub:
        fake.tokens = set()
        fake.add(example(401, "2026-11-22T08:00:00Z"))
        assert poll(hub, "shop", "me").received == 1
        assert fake.refreshed == ["refresh-0"], "the first token comes from the environment's refresh token"
        kept = json.loads((tmp_path / "state" / "shopify-token.json").read_text())
        assert kept["refresh_token"] == "refresh-1", "the rotated refresh token is kept, relative to the file"

        fake.tokens = set()  # the hour is over on the shop's clock before ours
        fake.add(example(402, "2026-11-22T09:00:00Z"))
        assert poll(hub, "shop", "me").received == 1
        assert fake.refreshed == ["refresh-0", "refresh-1"], "refreshed once on the 401, with the rotated token"

        fake.refresh_tokens = set()  # the merchant uninstalled the app
        fake.tokens = set()
        report = poll(hub, "shop", "me")
        assert (
            report.error is not None and "invalid_grant" in report.error and "authorise the app again" in report.error
        )
        assert "refresh-2" not in report.error and CLIENT_SECRET not in report.error


def test_an_unpaid_order_waits_and_is_routed_once_paid(
    hub: Hub, shop: tuple[FakeShop, FakeApi], tmp_path: Path
) -> None:
    fake, _ = shop
    fake.add(example(501, "2026-11-22T08:00:00Z", displayFinancialStatus="PENDING"))
    assert_waits_unrouted(hub, tmp_path, "shop", CHANNEL, "501")
    fake.orders[501].update(displayFinancialStatus="PAID", updatedAt="2026-11-22T09:00:00Z")
    assert_routed_once_paid(hub, tmp_path, "shop", CHANNEL, "501")


def test_an_order_with_more_lines_than_a_page_is_fulfilled_whole_and_once(
    hub: Hub, shop: tuple[FakeShop, FakeApi], tmp_path: Path
) -> None:
    fake, api = shop
    fake.page = 2  # three lines: the fulfillment order's and then the fulfilment's come in two pages
    fake.add(example(601, "2026-11-22T08:00:00Z"))
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    ship_back(hub, tmp_path, "#601", {"6010": 1, "6011": 1, "6012": 1})
    (made,) = fake.fulfillments[601]
    assert [x["lineItem"]["id"][-4:] for x in made["fulfillmentLineItems"]["nodes"]] == ["6010", "6011", "6012"]
    assert [x["remainingQuantity"] for x in fake.fulfillment_orders[601][0]["lineItems"]["nodes"]] == [0, 0, 0]
    pages = [
        r.json()["variables"]
        for r in api.calls("POST", API)
        if r.json()["query"].startswith("query FulfillmentOrderLineItems")
    ]
    assert pages == [{"id": "gid://shopify/FulfillmentOrder/601", "after": "2"}]

    with hub.store.transaction() as conn:
        (sent,) = conn.execute(
            select(deliveries.c.key, documents.c.data, documents.c.remote_name)
            .join(documents, documents.c.id == deliveries.c.document_id)
            .where(deliveries.c.purpose == "fulfilment")
        ).all()
    again = hub.sink("shop").send(Outbound(name=sent.remote_name or "f.json", data=sent.data, idempotency_key=sent.key))
    assert again.endswith("already fulfilled") and len(fake.fulfillments[601]) == 1, "its last line counts as shipped"
    assert api.calls("POST", API)[-1].json()["query"].startswith("query FulfillmentLineItems")
