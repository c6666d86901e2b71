"""An Amazon order's life after it is read, end to end against the fake SP-API of ``test_amazon_flow`` (the owner's
example orders, every answer checked against the owner's spec): a buyer's open cancel request holds the order
until a read no longer shows it; an item Amazon cancelled never reaches the warehouse, and one cancelled after
the order went out makes a new revision without it; two seller accounts with the same order id keep two orders.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.connectors import amazon
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from crossdock.core.poller import poll
from crossdock.core.storage.schema import orders
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import channel_hub, drain, order_rows, warehouse_files
from tests.hub.test_amazon_flow import CHANNEL, ENVIRONMENT, FakeAmazon, config, example

FEEDS = "/feeds/2021-06-30/"


class FakeAmazonFeeds(FakeAmazon):
    """The order book with the Feeds API beside it: a document to upload to, and feeds created. The Feeds API's
    spec is not among the fixtures, so its calls are not checked against one (the orders' calls still are)."""

    def __init__(self) -> None:
        super().__init__()
        self.uploaded: list[bytes] = []
        self.feeds: list[dict[str, Any]] = []
        self.route(
            "POST",
            f"{FEEDS}documents",
            lambda _: Response(201, {"feedDocumentId": "doc-1", "url": f"{self.url}/upload/doc-1"}),
        )
        self.route("PUT", "/upload/", self._upload)
        self.route("POST", f"{FEEDS}feeds", self._feed)

    def _upload(self, request: Request) -> Response:
        self.uploaded.append(request.body)
        return Response(200)

    def _feed(self, request: Request) -> Response:
        self.feeds.append(request.json())
        return Response(202, {"feedId": f"5000{len(self.feeds)}"})

    def _answer(self, request: Request) -> Response:
        if request.path.startswith((FEEDS, "/upload/")):
            return FakeApi._answer(self, request)
        return super()._answer(request)


@pytest.fixture
def fake() -> Iterator[FakeAmazonFeeds]:
    amazon._SHARED.clear()  # tokens and usage plans are kept per process: each test starts afresh
    api = FakeAmazonFeeds()
    api.start()
    try:
        yield api
        assert api.problems == [], "the fake answered or was asked something the spec does not allow"
    finally:
        api.stop()
        amazon._SHARED.clear()


@pytest.fixture
def hub(tmp_path: Path, store_url: str, fake: FakeAmazon, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, fake.url), monkeypatch, ENVIRONMENT) as h:
        yield h


def lines_sent(path: Path) -> list[tuple[str, str]]:
    return [(x["line_number"], x["quantity"]) for x in json.loads(path.read_text())["lines"]]


def test_a_buyers_cancel_request_holds_the_order_until_it_is_settled(
    hub: Hub, fake: FakeAmazon, tmp_path: Path
) -> None:
    order = example("111-0000000-0000501", "2026-11-20T08:00:00Z")
    order["orderItems"][1]["cancellation"] = {"cancellationRequest": {"requester": "BUYER", "cancelReason": "Late"}}
    fake.orders[order["orderId"]] = order
    assert poll(hub, "amz", "me").received == 1
    drain(hub)
    assert order_rows(hub, CHANNEL)[order["orderId"]].status == "waiting"
    assert not warehouse_files(tmp_path), "a buyer asked to cancel: nothing goes to the warehouse meanwhile"
    del order["orderItems"][1]["cancellation"]  # the seller declined the request in Seller Central
    order["lastUpdatedTime"] = "2026-11-20T09:00:00Z"
    assert poll(hub, "amz", "me").received == 1
    drain(hub)
    (sent,) = warehouse_files(tmp_path)
    assert "-r2" in sent.name and len(lines_sent(sent)) == 2


def test_an_item_amazon_cancelled_leaves_the_order_before_and_after_it_went_out(
    hub: Hub, fake: FakeAmazon, tmp_path: Path
) -> None:
    order = example("111-0000000-0000601", "2026-11-20T08:00:00Z")
    first, second = order["orderItems"]
    second["cancellation"] = {"cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "Late"}}
    fake.orders[order["orderId"]] = order
    assert poll(hub, "amz", "me").received == 1
    drain(hub)
    (sent,) = warehouse_files(tmp_path)
    assert lines_sent(sent) == [(first["orderItemId"], str(first["quantityOrdered"]))], "the cancelled item: not sent"
    assert f"line {second['orderItemId']}" in json.loads(sent.read_text())["notes"][0]

    first["cancellation"] = {"cancellationExecution": {"cancelledBy": "MERCHANT"}}
    order["lastUpdatedTime"] = "2026-11-20T09:00:00Z"
    assert poll(hub, "amz", "me").received == 1
    drain(hub)
    row = order_rows(hub, CHANNEL)[order["orderId"]]
    assert (row.revision, row.status) == (2, "cancelled"), "every item cancelled: the order is"
    assert len(warehouse_files(tmp_path, "*-cancelled.json")) == 1, "the warehouse hears of it"


def test_two_seller_accounts_with_the_same_order_id_keep_two_orders(
    tmp_path: Path, store_url: str, fake: FakeAmazon, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(tmp_path, store_url, fake.url)
    cfg["sources"]["amz-two"] = dict(cfg["sources"]["amz"])
    fake.orders["111-0000000-0000701"] = example("111-0000000-0000701", "2026-11-20T08:00:00Z")
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as two:
        assert poll(two, "amz", "me").received == 1
        assert poll(two, "amz-two", "me").received == 1
        with two.store.transaction() as conn:
            query = select(orders.c.partner).where(orders.c.external_id == "111-0000000-0000701")
            found = conn.execute(query).scalars().all()
    assert sorted(found) == ["amz", "amz-two"]


def test_an_operator_cancel_goes_back_to_amazon_as_an_acknowledgement_feed(
    tmp_path: Path, store_url: str, fake: FakeAmazonFeeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(tmp_path, store_url, fake.url)
    cfg["sources"]["amz"]["merchant_id"] = "A2MERCHANT7"
    order = example("111-0000000-0000801", "2026-11-20T08:00:00Z")
    fake.orders[order["orderId"]] = order
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        assert poll(hub, "amz", "me").received == 1
        drain(hub)
        cancel_order(hub, order["orderId"], source=None, lines=None, reason="out_of_stock")
        drain(hub)
    (feed,) = fake.feeds
    assert feed == {
        "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "inputFeedDocumentId": "doc-1",
    }
    (xml,) = fake.uploaded
    for item in order["orderItems"]:
        assert f"<AmazonOrderItemCode>{item['orderItemId']}</AmazonOrderItemCode>".encode() in xml
    assert b"<StatusCode>Failure</StatusCode>" in xml and b"<CancelReason>NoInventory</CancelReason>" in xml


def test_an_operator_cancel_of_part_of_an_item_goes_back_as_an_order_adjustment_feed(
    tmp_path: Path, store_url: str, fake: FakeAmazonFeeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(tmp_path, store_url, fake.url)
    cfg["sources"]["amz"]["merchant_id"] = "A2MERCHANT7"
    order = example("111-0000000-0000802", "2026-11-20T08:00:00Z")
    first = order["orderItems"][0]
    assert first["quantityOrdered"] == 2
    fake.orders[order["orderId"]] = order
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        assert poll(hub, "amz", "me").received == 1
        drain(hub)
        cancel_order(hub, order["orderId"], source=None, lines=f"{first['orderItemId']}:1", reason="out_of_stock")
        drain(hub)
    (feed,) = fake.feeds
    assert feed["feedType"] == "POST_PAYMENT_ADJUSTMENT_DATA"
    (xml,) = fake.uploaded
    assert f"<AmazonOrderItemCode>{first['orderItemId']}</AmazonOrderItemCode>".encode() in xml
    assert b"<AdjustmentReason>NoInventory</AdjustmentReason>" in xml
    assert b"<QuantityCancelled>1</QuantityCancelled>" in xml
