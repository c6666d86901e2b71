"""A BigCommerce store end to end against a fake of its v2 API on 127.0.0.1: two pages of orders (one of them
shipping to two addresses), an update, a cancellation and an abandoned checkout among them, each order stored
once and routed to a warehouse folder; the warehouse's shipment goes back as one BigCommerce shipment per
address, once; a webhook is a hint that reads the order again; the quota paces, a 429 is waited out, a bad
token ends clearly.

The fake's orders are our own (``tests/cases/channels/bigcommerce/order.multi-address.json``), written from the
documented v2 fields: the owner publishes no openly licensed payloads."""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.connectors import bigcommerce, standard_webhooks
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from tests.conftest import CASES
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import (
    assert_late_older_version_changes_nothing,
    assert_repoll_quiet_and_cancel_sent,
    assert_routed_once_paid,
    assert_waits_unrouted,
    channel_config,
    channel_hub,
    drain,
    failing_source,
    order_rows,
    sent_fulfilments,
    served,
    ship_back,
    warehouse_files,
    webhook_url,
)

TOKEN, HOOK_SECRET, HASH = "bc-token", "hook-secret", "abc123"
ENVIRONMENT = {"BC_TOKEN": TOKEN, "BC_HOOK": HOOK_SECRET}
CHANNEL = "bigcommerce"
BASE = f"/stores/{HASH}/v2/orders"
EXAMPLE = json.loads((CASES / "channels" / "bigcommerce" / "order.multi-address.json").read_text())


def rfc2822(stamp: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC), usegmt=True)


def example(order_id: int, modified: str, *, status_id: int = 11, addresses: int = 1) -> dict[str, Any]:
    """Our example order under another id, changed at ``modified`` (UTC), shipping to one or two addresses."""
    order: dict[str, Any] = copy.deepcopy(EXAMPLE)
    order.update(id=order_id, status_id=status_id, date_modified=rfc2822(modified))
    order["shipping_addresses"] = order["shipping_addresses"][:addresses]
    for k, address in enumerate(order["shipping_addresses"]):
        address.update(id=order_id * 100 + k, order_id=order_id)
    for i, line in enumerate(order["products"]):
        line.update(id=order_id * 10 + i, order_id=order_id, order_address_id=order_id * 100 + (i % addresses))
    return order


class FakeStore:
    """Orders by id, listed like v2: filtered by ``min_date_modified``, sorted by id, paged, 204 when empty."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, list[dict[str, Any]]] = {}
        self.token = TOKEN
        self.left = 140

    def serve(self, api: FakeApi) -> None:
        api.route("GET", BASE, self._get)
        api.route("POST", BASE + "/", self._post)

    def _answer(self, status: int, body: Any = None) -> Response:
        quota = {"X-Rate-Limit-Requests-Left": str(self.left), "X-Rate-Limit-Time-Reset-Ms": "1500"}
        return Response(status, body, quota)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("x-auth-token") != self.token:
            return self._answer(401, [{"status": 401, "message": "You are not authorized to access this resource."}])
        return None

    def _paged(self, request: Request, items: list[Any]) -> Response:
        page, limit = int(request.query["page"][0]), int(request.query["limit"][0])
        found = items[(page - 1) * limit : page * limit]
        return self._answer(200, found) if found else self._answer(204)

    def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        parts = request.path.removeprefix(BASE).strip("/").split("/")
        if parts == [""]:
            since = dt.datetime.fromisoformat(request.query["min_date_modified"][0])
            assert request.query["sort"] == ["id:asc"]
            chosen = [
                {**o, "products": {"url": "…", "resource": "…"}, "shipping_addresses": {"url": "…", "resource": "…"}}
                for _, o in sorted(self.orders.items())
                if parsedate_to_datetime(o["date_modified"]) >= since
            ]
            return self._paged(request, chosen)
        order = self.orders.get(int(parts[0]))
        if order is None:
            return self._answer(404, [{"status": 404, "message": "The requested resource was not found."}])
        if len(parts) == 1:
            return self._answer(200, {k: v for k, v in order.items() if k not in ("products", "shipping_addresses")})
        if parts[1] == "shipments":
            return self._paged(request, self.shipments.get(order["id"], []))
        return self._paged(request, order[parts[1]])

    def _post(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        order_id = int(request.path.removeprefix(BASE).strip("/").split("/")[0])
        body = request.json()
        assert set(body) <= {"order_address_id", "tracking_number", "shipping_provider", "comments", "items"}
        made = {"id": sum(len(s) for s in self.shipments.values()) + 1, "order_id": order_id, **body}
        self.shipments.setdefault(order_id, []).append(made)
        return self._answer(201, made)


@pytest.fixture
def store() -> Iterator[tuple[FakeStore, FakeApi]]:
    yield from served(FakeStore())


def config(tmp_path: Path, store_url: str, url: str) -> dict[str, Any]:
    source = {
        "type": "bigcommerce",
        "store_hash": HASH,
        "api_url": url,
        "access_token": "${BC_TOKEN}",
        "webhook_secret": "${BC_HOOK}",
        "limit": 2,
    }
    return channel_config(tmp_path, store_url, "store", source)


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, store[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def test_orders_in_over_two_pages_stored_once_updated_cancelled_routed_and_shipped_back_per_address(
    hub: Hub, store: tuple[FakeStore, FakeApi], tmp_path: Path
) -> None:
    fake, api = store
    fake.orders[101] = example(101, "2026-11-20T08:00:00", addresses=2)
    fake.orders[102] = example(102, "2026-11-21T08:00:00")
    fake.orders[103] = example(103, "2026-11-22T08:00:00")
    report = poll(hub, "store", "me")
    assert report.error is None and report.received == 3
    products = [r for r in api.calls("GET", BASE + "/") if r.path.endswith("/products")]
    assert len(products) == 6, "each order's three lines, read in pages of two"
    assert len([r for r in api.calls("GET", BASE + "/") if r.path.endswith("/shipping_addresses")]) == 4
    assert len([r for r in api.calls("GET", BASE) if r.path == BASE]) == 2, "three orders, two to a page"
    assert set(order_rows(hub, CHANNEL)) == {"101", "102", "103"}
    drain(hub)
    sent = {p.name: json.loads(p.read_text()) for p in warehouse_files(tmp_path)}
    assert len(sent) == 3
    (two,) = [o for o in sent.values() if o["po_number"] == "101"]
    assert [[p["id"] for p in line["parties"]] for line in two["lines"]] == [["10100"], ["10101"], ["10100"]]

    fake.orders[102].update(customer_message="leave at the door", date_modified=rfc2822("2026-11-23T09:00:00"))
    fake.orders[103].update(status_id=5, status="Cancelled", date_modified=rfc2822("2026-11-23T09:05:00"))
    fake.orders[104] = example(104, "2026-11-23T09:10:00", status_id=0)
    report = poll(hub, "store", "me")
    assert report.error is None and report.received == 2, "only what changed; the abandoned checkout is not read"
    second = [r for r in api.calls("GET", BASE) if r.path == BASE][2]
    assert second.query["min_date_modified"] == ["2026-11-22T07:55:00+00:00"], "the checkpoint less 5 minutes"
    assert not api.calls("GET", f"{BASE}/104"), "neither are its lines"
    rows = order_rows(hub, CHANNEL)
    assert set(rows) == {"101", "102", "103"}, "an update and a cancellation never make a second order"
    assert (rows["102"].revision, rows["103"].status) == (2, "cancelled")
    assert_repoll_quiet_and_cancel_sent(hub, tmp_path, "store")

    lines = fake.orders[101]["products"]
    ship_back(hub, tmp_path, "101", {str(x["id"]): x["quantity"] for x in lines[:2]})
    made = fake.shipments[101]
    assert [(s["order_address_id"], s["items"]) for s in made] == [
        (10100, [{"order_product_id": 1010, "quantity": 2}]),
        (10101, [{"order_product_id": 1011, "quantity": 1}]),
    ], "one shipment per address the shipped lines go to"
    assert {s["tracking_number"] for s in made} == {"1Z999AA10123456784"} and made[0]["shipping_provider"] == "ups"
    assert sent_fulfilments(hub) == 1


def test_a_webhook_with_the_secret_header_reads_the_order_again_and_others_are_refused(
    hub: Hub, store: tuple[FakeStore, FakeApi]
) -> None:
    fake, _ = store
    fake.orders[201] = example(201, "2026-11-22T08:00:00")
    fake.orders[202] = example(202, "2026-11-22T08:00:00", status_id=0)
    with webhook_url(hub, "store") as url:

        def hook(order_id: int, scope: str = "store/order/updated", secret: str = HOOK_SECRET) -> httpx.Response:
            body = {"scope": scope, "store_id": "1", "data": {"type": "order", "id": order_id}, "hash": "x"}
            return httpx.post(url, json=body, headers={"X-Crossdock-Webhook-Secret": secret})

        assert hook(201, secret="guess").status_code == 401
        answer = hook(201)
        assert answer.status_code == 202 and answer.json()["new"] is True
        assert hook(201, "store/order/statusUpdated").json()["new"] is False, "the same version is stored once"
        assert hook(201, "store/product/updated").status_code == 200, "not an order: ignored"
        incomplete = hook(202)
        assert incomplete.status_code == 202 and "status 0 (Incomplete), not imported" in incomplete.json()["error"]
    (row,) = order_rows(hub, CHANNEL).values()
    assert json.loads(row.data)["total_amount"] == EXAMPLE["total_inc_tax"], "the order as the API gives it"
    assert poll(hub, "store", "me").received == 0, "the poll finds the order the webhook brought in"


def test_a_standard_webhooks_signature_is_verified_and_a_late_or_replayed_one_is_not_read(
    hub: Hub, store: tuple[FakeStore, FakeApi]
) -> None:
    """BigCommerce signs with the app's client secret (here the webhook_secret) over id, time and body."""
    fake, api = store
    fake.orders[301] = example(301, "2026-11-22T08:00:00")
    body = json.dumps({"scope": "store/order/created", "data": {"type": "order", "id": 301}}).encode()

    def signed(delivery_id: str, when: float) -> dict[str, str]:
        stamp = str(int(when))
        signature = standard_webhooks.sign(HOOK_SECRET.encode(), delivery_id, stamp, body)
        return {"webhook-id": delivery_id, "webhook-timestamp": stamp, "webhook-signature": signature}

    with webhook_url(hub, "store") as url:
        late = httpx.post(url, content=body, headers=signed("msg_1", time.time() - 3600))
        answer = httpx.post(url, content=body, headers=signed("msg_2", time.time()))
        reads = len(api.calls("GET"))
        replayed = httpx.post(url, content=body, headers=signed("msg_2", time.time()))  # same id, a new time
    assert late.status_code == 401, "signed an hour ago: kept and sent again"
    assert answer.status_code == 202 and answer.json()["new"] is True
    assert replayed.json() == {"ignored": "answered already (the same delivery again)"}
    assert len(api.calls("GET")) == reads, "no read of the store for a delivery answered already"


def test_the_quota_slows_the_poll_a_429_is_waited_out_and_a_bad_token_ends_as_a_clear_error(
    hub: Hub, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    waits: list[float] = []
    monkeypatch.setattr(bigcommerce, "_sleep", waits.append)
    fake.orders[301] = example(301, "2026-11-22T08:00:00")
    api.fail_next(Response(429, b"", {"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "2500"}))
    report = poll(hub, "store", "me")
    assert report.error is None and report.received == 1
    assert waits[0] == 2.5, "the 429 waits for the window to reset, then the poll goes on"
    waits.clear()
    fake.left = 5
    fake.orders[303] = example(303, "2026-11-22T08:30:00")
    assert poll(hub, "store", "me").received == 1
    assert waits and set(waits) == {1.5}, "5 left (under the reserve of 10): each later call waits"
    fake.left = 140
    fake.token = "rotated"
    fake.orders[302] = example(302, "2026-11-22T09:00:00")
    report = poll(hub, "store", "me")
    assert report.error is not None and "401" in report.error and "not authorized" in report.error
    assert TOKEN not in report.error
    assert failing_source(hub) == "store"


def test_an_older_version_that_arrives_late_changes_nothing(hub: Hub) -> None:
    from crossdock.connectors.bigcommerce import _inbound

    newer = _inbound(example(401, "2026-11-22T10:00:00") | {"customer_message": "second thoughts"})
    older = _inbound(example(401, "2026-11-22T09:00:00"))
    assert_late_older_version_changes_nothing(hub, "store", CHANNEL, newer, older, "second thoughts")


def test_an_order_awaiting_payment_waits_and_is_routed_once_it_awaits_fulfillment(
    hub: Hub, store: tuple[FakeStore, FakeApi], tmp_path: Path
) -> None:
    fake, _ = store
    fake.orders[501] = example(501, "2026-11-22T08:00:00", status_id=7)
    assert_waits_unrouted(hub, tmp_path, "store", CHANNEL, "501")
    fake.orders[501].update(status_id=11, date_modified=rfc2822("2026-11-22T09:00:00"))
    assert_routed_once_paid(hub, tmp_path, "store", CHANNEL, "501")


def test_a_poll_that_finds_only_abandoned_checkouts_still_moves_its_checkpoint(
    hub: Hub, store: tuple[FakeStore, FakeApi]
) -> None:
    fake, _ = store
    fake.orders[601] = example(601, "2026-11-22T08:00:00", status_id=0)
    report = poll(hub, "store", "me")
    assert report.error is None and report.received == 0
    with hub.store.transaction() as conn:
        assert hub.store.cursor(conn, "sync:store") == "2026-11-22T08:00:00+00:00", "the next poll starts there"
