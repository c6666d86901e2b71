"""A WooCommerce order's life end to end against the fake store of test_woocommerce_flow.py (the owner's example
order): a partial refund after the order reached the warehouse makes a new revision with the refunded units out
(read from the refund's own record); a virtual product is not asked of the warehouse; a shipment of two packages
is one note naming each package; a cancellation crossdock sends back is a refund and the status cancelled, once;
two stores with the same order number stay two orders."""

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
from tests.hub.test_shopify_lifecycle_flow import sent_lines, two_packages
from tests.hub.test_woocommerce_flow import CHANNEL, ENVIRONMENT, FakeStore, config, example
from tests.test_woocommerce_lifecycle import refund


class LifecycleStore(FakeStore):
    """The fake store that also has products (one of them virtual) and takes refunds."""

    def __init__(self) -> None:
        super().__init__()
        self.virtual: set[str] = set()

    def serve(self, api: FakeApi) -> None:
        super().serve(api)
        api.route("GET", "/wp-json/wc/v3/products/", self._product)

    def _product(self, request: Request) -> Response:
        key = request.path.removeprefix("/wp-json/wc/v3/products/").replace("/variations/", "/")
        return Response(200, {"id": key, "virtual": key in self.virtual})

    def _post_note(self, request: Request) -> Response:
        if request.path.endswith("/refunds"):
            order_id = int(request.path.split("/")[5])
            body = request.json()
            record = refund(*[(x["id"], 0, 0, x["quantity"]) for x in body["line_items"]]) | {
                "id": 900 + len(self.refunds.get(order_id, [])),
                "meta_data": body["meta_data"],
            }
            self.refunds.setdefault(order_id, []).append(record)
            return Response(201, record)
        return super()._post_note(request)


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


def test_a_partial_refund_is_a_new_revision_a_virtual_line_stays_at_zero_and_packages_are_named(
    hub: Hub, store: tuple[LifecycleStore, FakeApi], tmp_path: Path
) -> None:
    fake, _ = store
    fake.virtual = {"22/23"}  # the second line's variation is virtual
    order = example(501, "2026-11-20T08:00:00")
    order["line_items"][0]["quantity"] = 3
    fake.orders[501] = order
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    (first,) = warehouse_files(tmp_path)
    assert sent_lines(first) == {"5010": "3"}, "the virtual line is not asked for"

    fake.refunds[501] = [refund((5010, 93, 0, 1))]
    order.update(refunds=[{"id": 726, "reason": "", "total": "-3.23"}], date_modified_gmt="2026-11-21T08:00:00")
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    assert order_rows(hub, CHANNEL)["501"].revision == 2
    (second,) = [p for p in warehouse_files(tmp_path) if "-r2" in p.name]
    assert sent_lines(second) == {"5010": "2"}

    two_packages(tmp_path, "501", {"5010": 1}, {"5010": 1})
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    (note,) = fake.notes[501]
    assert "Package 1ZPACKAGE1: 1 × line 5010\nPackage 1ZPACKAGE2: 1 × line 5010" in note["note"]
    assert "crossdock" not in note["note"]


def test_a_cancellation_from_crossdock_is_a_refund_and_the_status_cancelled_once(
    hub: Hub, store: tuple[LifecycleStore, FakeApi]
) -> None:
    fake, _ = store
    fake.orders[601] = example(601, "2026-11-20T08:00:00")
    cancel = Cancellation(
        channel="woocommerce", po_number="601", external_id="601", cancellation_id="op-3", whole_order=True
    )
    data = json.dumps(cancel.model_dump(mode="json")).encode()
    sink = hub.sink("shop")
    for _ in range(2):
        sink.send(Outbound(name="c.json", data=data, idempotency_key="cancel-601", purpose=CANCELLATION))
    (made,) = fake.refunds[601]
    assert [x["meta_data"] for x in [made]] == [[{"key": "crossdock_cancellation", "value": "op-3"}]]
    assert fake.orders[601]["status"] == "cancelled"
    fake.orders[601]["date_modified_gmt"] = "2026-11-21T08:00:00"
    assert poll(hub, "shop", "me").received == 1
    assert order_rows(hub, CHANNEL)["601"].status == "cancelled"


def test_two_stores_with_the_same_order_number_stay_two_orders(
    tmp_path: Path, store_url: str, store: tuple[LifecycleStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    other = LifecycleStore()
    with fake_api() as other_api:
        other.serve(other_api)
        cfg: dict[str, Any] = config(tmp_path, store_url, api.url)
        cfg["sources"]["shop2"] = cfg["sources"]["shop"] | {"url": other_api.url}
        fake.orders[1001] = example(1001, "2026-11-20T08:00:00")
        other.orders[1001] = example(1001, "2026-11-20T08:00:00")
        with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
            assert poll(hub, "shop", "me").received == 1 and poll(hub, "shop2", "me").received == 1
            with hub.store.transaction() as conn:
                rows = conn.execute(
                    select(orders.c.partner, orders.c.po_number).where(orders.c.channel == CHANNEL)
                ).all()
    assert sorted(rows) == [("shop", "1001"), ("shop2", "1001")]
