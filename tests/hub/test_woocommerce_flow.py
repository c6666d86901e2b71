"""A WooCommerce store end to end against a fake of its REST API on 127.0.0.1 (built from the owner's example
order): two pages of orders, an update and a cancellation among them, each stored once, routed to a
warehouse folder; the warehouse's shipment goes back to the store as a note with the tracking and the order
completed; a webhook is a hint that reads the order again (and the unsigned activation ping is answered
exactly 200, reading nothing); a 429 is waited out, bad keys end as a clear error."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import crossdock.connectors.woocommerce as connector
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from tests.conftest import FIXTURES
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

KEY, SECRET, HOOK_SECRET = "ck_test", "cs_test", "hook-secret"
ENVIRONMENT = {"WOO_KEY": KEY, "WOO_SECRET": SECRET, "WOO_HOOK": HOOK_SECRET}
CHANNEL = "woocommerce"
EXAMPLE = json.loads((FIXTURES / "woocommerce" / "orders.retrieve.response.json").read_text())


def example(order_id: int, modified: str, **changes: Any) -> dict[str, Any]:
    """The owner's example order under another id, changed at ``modified`` (GMT)."""
    order = copy.deepcopy(EXAMPLE)
    order.update(id=order_id, number=str(order_id), date_created_gmt=f"2026-11-0{order_id % 9 + 1}T10:00:00")
    order.update(date_modified_gmt=modified, **changes)
    for i, line in enumerate(order["line_items"]):
        line["id"] = order_id * 10 + i
    return order


class FakeStore:
    """Orders by id; ``orders`` pages them by modification time like WooCommerce, two to a page here."""

    def __init__(self) -> None:
        self.orders: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.refunds: dict[int, list[dict[str, Any]]] = {}
        self.expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()

    def serve(self, api: FakeApi) -> None:
        api.route("GET", "/wp-json/wc/v3/orders", self._get)
        api.route("POST", "/wp-json/wc/v3/orders/", self._post_note)
        api.route("PUT", "/wp-json/wc/v3/orders/", self._put)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != self.expected:
            return Response(
                401, {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."}
            )
        return None

    def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        rest = request.path.removeprefix("/wp-json/wc/v3/orders").strip("/")
        if rest.endswith("/notes"):
            return Response(200, self.notes.get(int(rest.split("/")[0]), []))
        if rest.endswith("/refunds"):
            return Response(200, self.refunds.get(int(rest.split("/")[0]), []))
        if rest:
            found = self.orders.get(int(rest))
            return Response(200, found) if found else Response(404, {"code": "woocommerce_rest_shop_order_invalid_id"})
        since = request.query["modified_after"][0]
        assert request.query["dates_are_gmt"] == ["true"]
        chosen = sorted(
            (o for o in self.orders.values() if o["date_modified_gmt"] > since), key=lambda o: o["date_created_gmt"]
        )
        per_page, page = int(request.query["per_page"][0]), int(request.query["page"][0])
        pages = max(1, -(-len(chosen) // per_page))
        headers = {"X-WP-Total": str(len(chosen)), "X-WP-TotalPages": str(pages)}
        return Response(200, chosen[(page - 1) * per_page : page * per_page], headers)

    def _post_note(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        order_id = int(request.path.split("/")[5])
        note = {"id": len(self.notes.get(order_id, [])) + 1, **request.json()}
        self.notes.setdefault(order_id, []).append(note)
        return Response(201, note)

    def _put(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        order_id = int(request.path.split("/")[5])
        self.orders[order_id].update(request.json())
        return Response(200, self.orders[order_id])


@pytest.fixture
def store() -> Iterator[tuple[FakeStore, FakeApi]]:
    yield from served(FakeStore())


def config(tmp_path: Path, store_url: str, url: str) -> dict[str, Any]:
    source = {
        "type": "woocommerce",
        "url": url,
        "consumer_key": "${WOO_KEY}",
        "consumer_secret": "${WOO_SECRET}",
        "webhook_secret": "${WOO_HOOK}",
        "per_page": 2,
    }
    return channel_config(tmp_path, store_url, "shop", source)


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, store[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def test_orders_in_over_two_pages_stored_once_updated_cancelled_routed_and_fulfilled_back(
    hub: Hub, store: tuple[FakeStore, FakeApi], tmp_path: Path
) -> None:
    fake, api = store
    for i, order_id in enumerate((101, 102, 103)):
        fake.orders[order_id] = example(order_id, f"2026-11-2{i}T08:00:00")
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 3
    assert len(api.calls("GET", "/wp-json/wc/v3/orders")) == 2, "three orders, two to a page"
    assert set(order_rows(hub, CHANNEL)) == {"101", "102", "103"}
    drain(hub)
    assert len(warehouse_files(tmp_path)) == 3

    fake.orders[102]["customer_note"] = "leave at the door"
    fake.orders[102]["date_modified_gmt"] = "2026-11-23T09:00:00"
    fake.orders[103].update(status="cancelled", date_modified_gmt="2026-11-23T09:05:00")
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 2, "only what changed since the checkpoint (less overlap)"
    second = api.calls("GET", "/wp-json/wc/v3/orders")[2]
    assert second.query["modified_after"] == ["2026-11-22T07:55:00"], "the checkpoint less five minutes' overlap"
    rows = order_rows(hub, CHANNEL)
    assert len(rows) == 3, "an update and a cancellation never make a second order"
    assert (rows["102"].revision, rows["103"].status) == (2, "cancelled")
    assert_repoll_quiet_and_cancel_sent(hub, tmp_path, "shop")

    line = fake.orders[101]["line_items"][0]
    ship_back(hub, tmp_path, "101", {str(line["id"]): line["quantity"]})
    (note,) = fake.notes[101]
    assert "1Z999AA10123456784" in note["note"] and note["customer_note"] is True
    assert fake.orders[101]["status"] == "processing", "one line of two shipped: the order is not completed yet"
    assert sent_fulfilments(hub) == 1


def test_a_signed_webhook_reads_the_order_again_and_a_forged_one_is_refused(
    hub: Hub, store: tuple[FakeStore, FakeApi]
) -> None:
    fake, api = store
    fake.orders[201] = example(201, "2026-11-22T08:00:00")
    with webhook_url(hub, "shop") as url:
        body = json.dumps({"id": 201, "status": "processing", "total": "1.00"}).encode()  # the hint, not the truth
        signature = base64.b64encode(hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        forged = httpx.post(url, content=body, headers={"X-WC-Webhook-Signature": "AAAA"})
        assert forged.status_code == 401
        answer = httpx.post(url, content=body, headers={"X-WC-Webhook-Signature": signature})
        assert answer.status_code == 202 and answer.json()["new"] is True
        replayed = httpx.post(url, content=body, headers={"X-WC-Webhook-Signature": signature})
        assert replayed.json() == {"ignored": "answered already (the same delivery again)"}, "no read of the store"
        other = body.replace(b'"1.00"', b'"2.00"')  # another delivery about the same order
        signature = base64.b64encode(hmac.new(HOOK_SECRET.encode(), other, hashlib.sha256).digest()).decode()
        again = httpx.post(url, content=other, headers={"X-WC-Webhook-Signature": signature})
        assert again.json()["new"] is False, "the same order version is not stored twice"
        ping = b"webhook_id=7"
        ping_signature = base64.b64encode(hmac.new(HOOK_SECRET.encode(), ping, hashlib.sha256).digest()).decode()
        assert httpx.post(url, content=ping, headers={"X-WC-Webhook-Signature": ping_signature}).status_code == 200
        reads = len(api.calls("GET"))
        form = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "WooCommerce/9.0 Hookshot"}
        unsigned = httpx.post(url, content=b"webhook_id=8", headers=form)
        assert unsigned.status_code == 200 and len(api.calls("GET")) == reads, "the activation ping reads nothing"
        assert httpx.post(url, content=b"webhook_id=8&id=201", headers=form).status_code == 401
    (row,) = order_rows(hub, CHANNEL).values()
    assert json.loads(row.data)["total_amount"] == EXAMPLE["total"], "the order as the API gives it, not the hint"
    assert poll(hub, "shop", "me").received == 0, "the poll finds the order the webhook brought in"


def test_a_throttled_poll_waits_and_goes_on_and_bad_keys_end_as_a_clear_error(
    hub: Hub, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    waits: list[float] = []
    monkeypatch.setattr(connector, "_sleep", waits.append)
    fake.orders[301] = example(301, "2026-11-22T08:00:00")
    api.fail_next(Response(429, b"<html>slow down</html>", {"Retry-After": "5", "Content-Type": "text/html"}))
    report = poll(hub, "shop", "me")
    assert report.error is None and report.received == 1 and waits == [5.0]
    fake.expected = "Basic nobody"
    fake.orders[302] = example(302, "2026-11-22T09:00:00")
    report = poll(hub, "shop", "me")
    assert report.error is not None and "401" in report.error and "cannot list resources" in report.error
    assert SECRET not in report.error and KEY not in report.error
    assert failing_source(hub) == "shop"


def test_an_older_version_that_arrives_late_changes_nothing(hub: Hub) -> None:
    from crossdock.connectors.woocommerce import _inbound

    newer = _inbound(example(401, "2026-11-22T10:00:00", customer_note="second thoughts"))
    older = _inbound(example(401, "2026-11-22T09:00:00"))
    assert_late_older_version_changes_nothing(hub, "shop", CHANNEL, newer, older, "second thoughts")


def test_an_unpaid_order_waits_is_routed_once_paid_and_a_hold_after_sending_tells_a_person(
    tmp_path: Path, store_url: str, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    cfg = config(tmp_path, store_url, api.url)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        fake.orders[501] = example(501, "2026-11-22T08:00:00", status="pending")
        assert_waits_unrouted(hub, tmp_path, "shop", CHANNEL, "501")
        fake.orders[501].update(status="processing", date_modified_gmt="2026-11-22T09:00:00")
        assert_routed_once_paid(hub, tmp_path, "shop", CHANNEL, "501")

        fake.orders[501].update(status="on-hold", date_modified_gmt="2026-11-22T10:00:00")
        assert poll(hub, "shop", "me").received == 1
        drain(hub)
        assert order_rows(hub, CHANNEL)["501"].status == "waiting"
        (alert,) = (tmp_path / "alerts").iterdir()
        assert "waits for payment again after it was sent to warehouse" in alert.read_text()


def test_the_store_stamping_an_order_after_crossdock_completed_it_is_not_a_change_to_ship(
    hub: Hub, store: tuple[FakeStore, FakeApi], tmp_path: Path
) -> None:
    fake, _ = store
    fake.orders[601] = example(601, "2026-11-22T08:00:00")
    poll(hub, "shop", "me")
    drain(hub)
    fake.orders[601].update(status="completed", date_modified_gmt="2026-11-24T10:00:00")  # the store's own stamp
    report = poll(hub, "shop", "me")
    assert report.received == 1 and report.processed[0].orders_unchanged == 1
    drain(hub)
    assert len(warehouse_files(tmp_path)) == 1, "the warehouse gets the order once"
    row = order_rows(hub, CHANNEL)["601"]
    assert row.revision == 1 and json.loads(row.data)["updated_at"].startswith("2026-11-24T10:00:00")


def test_an_order_first_read_completed_is_stored_but_never_sent_to_the_warehouse(
    hub: Hub, store: tuple[FakeStore, FakeApi], tmp_path: Path
) -> None:
    fake, _ = store
    fake.orders[701] = example(701, "2026-11-22T08:00:00", status="completed")  # shipped before crossdock ran
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    assert order_rows(hub, CHANNEL)["701"].status == "shipped"
    assert not warehouse_files(tmp_path), "the warehouse does not ship it a second time"
