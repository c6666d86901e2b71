"""An Amazon order's life after it is read, end to end against the fake SP-API of ``test_amazon_flow`` (the owner's
example orders, every answer checked against the owner's spec): a buyer's open cancel request holds the order
until a read no longer shows it; an item Amazon cancelled never reaches the warehouse, and one cancelled after
the order went out makes a new revision without it; two seller accounts with the same order id keep two orders.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crossdock.connectors import amazon
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.schema import orders
from tests.hub.channels import channel_hub, drain, order_rows, warehouse_files
from tests.hub.test_amazon_flow import CHANNEL, ENVIRONMENT, FakeAmazon, config, example


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    amazon._SHARED.clear()  # tokens and usage plans are kept per process: each test starts afresh
    api = FakeAmazon()
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
