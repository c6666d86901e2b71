"""A BigCommerce order's life end to end against the fake store of test_bigcommerce_flow.py: a partial refund
after the order reached the warehouse (status 14, ``quantity_refunded``) makes a new revision with the refunded
units out; a shipment of two packages is two BigCommerce shipments, each under its own tracking number; one order
whose products cannot be read waits for the next poll while the others are stored; a cancellation crossdock
sends back is the status Cancelled, once; two stores with the same order id stay two orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation
from crossdock.core.poller import poll
from crossdock.core.ports import Outbound
from crossdock.core.storage.schema import orders
from tests.fakeapi import FakeApi, Request, Response, fake_api
from tests.hub.channels import channel_hub, drain, order_rows, warehouse_files
from tests.hub.test_bigcommerce_flow import BASE, CHANNEL, ENVIRONMENT, FakeStore, config, example, rfc2822
from tests.hub.test_shopify_lifecycle_flow import sent_lines, two_packages


class LifecycleStore(FakeStore):
    """The fake store that also changes an order's status (``PUT``) and can fail one order's products."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[int] = set()
        self.statuses: list[dict[str, Any]] = []

    def serve(self, api: FakeApi) -> None:
        super().serve(api)
        api.route("PUT", BASE + "/", self._put)

    def _get(self, request: Request) -> Response:
        parts = request.path.removeprefix(BASE).strip("/").split("/")
        if len(parts) == 2 and parts[1] == "products" and int(parts[0]) in self.broken:
            return self._answer(500, {"title": "Internal error"})
        return super()._get(request)

    def _put(self, request: Request) -> Response:
        order_id = int(request.path.removeprefix(BASE).strip("/"))
        self.statuses.append(request.json())
        self.orders[order_id].update(request.json())
        return self._answer(200, {"id": order_id, **request.json()})


@pytest.fixture
def store() -> Iterator[tuple[LifecycleStore, FakeApi]]:
    fake = LifecycleStore()
    with fake_api() as api:
        fake.serve(api)
        yield fake, api


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, store: tuple[LifecycleStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, store[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def test_a_partial_refund_is_a_new_revision_and_two_packages_are_two_shipments(
    hub: Hub, store: tuple[LifecycleStore, FakeApi], tmp_path: Path
) -> None:
    fake, _ = store
    fake.orders[501] = example(501, "2026-11-20T08:00:00")
    assert poll(hub, "store", "me").received == 1
    drain(hub)
    (first,) = warehouse_files(tmp_path)
    assert sent_lines(first) == {"5010": "2", "5011": "1", "5012": "3"}

    fake.orders[501].update(status_id=14, date_modified=rfc2822("2026-11-21T08:00:00"))
    fake.orders[501]["products"][2]["quantity_refunded"] = 2
    fake.orders[501]["products"][1]["quantity_refunded"] = 1
    assert poll(hub, "store", "me").received == 1
    drain(hub)
    assert order_rows(hub, CHANNEL)["501"].revision == 2
    (second,) = [p for p in warehouse_files(tmp_path) if "-r2" in p.name]
    assert sent_lines(second) == {"5010": "2", "5012": "1"}

    two_packages(tmp_path, "501", {"5010": 2}, {"5012": 1})
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    made = fake.shipments[501]
    assert [(m["tracking_number"], m["items"]) for m in made] == [
        ("1ZPACKAGE1", [{"order_product_id": 5010, "quantity": 2}]),
        ("1ZPACKAGE2", [{"order_product_id": 5012, "quantity": 1}]),
    ], "each shipment under its own package's number"


def test_an_order_whose_products_fail_waits_for_the_next_poll_and_the_others_are_stored(
    hub: Hub, store: tuple[LifecycleStore, FakeApi]
) -> None:
    fake, _ = store
    fake.orders[601] = example(601, "2026-11-20T08:00:00")
    fake.orders[602] = example(602, "2026-11-20T09:00:00")
    fake.broken = {601}
    report = poll(hub, "store", "me")
    assert report.error is None and report.received == 1 and set(order_rows(hub, CHANNEL)) == {"602"}
    fake.broken = set()
    assert poll(hub, "store", "me").received == 1
    assert set(order_rows(hub, CHANNEL)) == {"601", "602"}


def test_a_cancellation_from_crossdock_sets_the_status_once_and_comes_back_as_a_cancel(
    hub: Hub, store: tuple[LifecycleStore, FakeApi]
) -> None:
    fake, _ = store
    fake.orders[701] = example(701, "2026-11-20T08:00:00")
    assert poll(hub, "store", "me").received == 1
    cancel = Cancellation(
        channel="bigcommerce", po_number="701", external_id="701", cancellation_id="op-2", whole_order=True
    )
    data = json.dumps(cancel.model_dump(mode="json")).encode()
    sink = hub.sink("store")
    for _ in range(2):
        sink.send(Outbound(name="c.json", data=data, idempotency_key="cancel-701", purpose=CANCELLATION))
    assert fake.statuses == [{"status_id": 5}]
    fake.orders[701]["date_modified"] = rfc2822("2026-11-21T08:00:00")
    assert poll(hub, "store", "me").received == 1
    assert order_rows(hub, CHANNEL)["701"].status == "cancelled"


def test_two_stores_with_the_same_order_id_stay_two_orders(
    tmp_path: Path, store_url: str, store: tuple[LifecycleStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    other = LifecycleStore()
    with fake_api() as other_api:
        other.serve(other_api)
        cfg = config(tmp_path, store_url, api.url)
        cfg["sources"]["store2"] = cfg["sources"]["store"] | {"api_url": other_api.url}
        fake.orders[2301] = example(2301, "2026-11-20T08:00:00")
        other.orders[2301] = example(2301, "2026-11-20T08:00:00")
        with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
            assert poll(hub, "store", "me").received == 1 and poll(hub, "store2", "me").received == 1
            with hub.store.transaction() as conn:
                rows = conn.execute(
                    select(orders.c.partner, orders.c.external_id).where(orders.c.channel == CHANNEL)
                ).all()
    assert sorted(rows) == [("store", "2301"), ("store2", "2301")]
