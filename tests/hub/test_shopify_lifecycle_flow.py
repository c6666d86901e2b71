"""A Shopify order's life end to end against the fake shop of test_shopify_flow.py: a refund after the order
reached the warehouse makes a new revision with the refunded units out; a shipment of two packages goes back as
one fulfilment per package under its own tracking number; a refund of everything cancels the order; a
cancellation crossdock sends back is one orderCancel; and two stores with the same order number stay two
orders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import crossdock.connectors.shopify_client as client
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation
from crossdock.core.poller import poll
from crossdock.core.ports import Outbound
from crossdock.core.storage.schema import orders
from tests.fakeapi import FakeApi, fake_api
from tests.hub.channels import channel_hub, drain, order_rows, warehouse_files
from tests.hub.test_shopify_flow import CHANNEL, ENVIRONMENT, FakeShop, config, example


class CancellingShop(FakeShop):
    """The fake shop that also answers crossdock's cancel calls: the order's cancel state and ``orderCancel``."""

    def __init__(self) -> None:
        super().__init__()
        self.cancels: list[dict[str, Any]] = []

    def _OrderCancelState(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        order = self.orders[found] if found else None
        return {"order": {"id": variables["id"], "cancelledAt": order["cancelledAt"], "refunds": []} if order else None}

    def _OrderCancel(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        self.cancels.append(variables)
        found = self._order({"id": variables["orderId"]})
        assert found
        self.orders[found].update(cancelledAt="2026-11-25T10:00:00Z", updatedAt="2026-11-25T10:00:00Z")
        return {"orderCancel": {"job": {"id": "gid://shopify/Job/1", "done": False}, "orderCancelUserErrors": []}}


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CancellingShop, FakeApi]]:
    fake = CancellingShop()

    def wait(seconds: float) -> None:  # the shop's bucket refills on its clock, moved by the connector's waits
        fake.skipped += seconds

    monkeypatch.setattr(client, "sleep", wait)
    with fake_api() as api:
        fake.serve(api)
        yield fake, api


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, shop: tuple[CancellingShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, shop[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def sent_lines(path: Path) -> dict[str, str]:
    return {line["line_number"]: line["quantity"] for line in json.loads(path.read_text())["lines"]}


def two_packages(tmp_path: Path, po_number: str, first: dict[str, int], second: dict[str, int]) -> None:
    """The warehouse's shipment of two packages, each with its own tracking number and lines."""

    def lines(quantities: dict[str, int]) -> list[dict[str, Any]]:
        return [{"line_number": n, "quantity": q} for n, q in quantities.items()]

    shipment = {
        "shipment_id": "WH-77",
        "ship_date": "2026-11-24",
        "carrier_scac": "UPSN",
        "tracking_numbers": ["1ZPACKAGE1", "1ZPACKAGE2"],
        "orders": [
            {
                "po_number": po_number,
                "packages": [
                    {"tracking_number": "1ZPACKAGE1", "lines": lines(first)},
                    {"tracking_number": "1ZPACKAGE2", "lines": lines(second)},
                ],
            }
        ],
    }
    (tmp_path / "shipped" / "WH-77.json").write_text(json.dumps(shipment))


def test_a_refund_after_sending_is_a_new_revision_packages_ship_apart_and_a_full_refund_cancels(
    hub: Hub, shop: tuple[CancellingShop, FakeApi], tmp_path: Path
) -> None:
    fake, _ = shop
    order = example(701, "2026-11-22T08:00:00Z")
    order["lineItems"]["nodes"][0].update(quantity=3, currentQuantity=3)
    fake.add(order)
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    (first,) = warehouse_files(tmp_path)
    assert sent_lines(first) == {"7010": "3", "7011": "1", "7012": "1"}

    fake.orders[701]["lineItems"]["nodes"][0]["currentQuantity"] = 2  # one unit refunded
    fake.orders[701]["lineItems"]["nodes"][1]["currentQuantity"] = 0  # the line refunded whole
    fake.orders[701].update(displayFinancialStatus="PARTIALLY_REFUNDED", updatedAt="2026-11-23T08:00:00Z")
    fake.fulfillment_orders[701][0]["lineItems"]["nodes"][0]["remainingQuantity"] = 2
    fake.fulfillment_orders[701][0]["lineItems"]["nodes"][1]["remainingQuantity"] = 0
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    row = order_rows(hub, CHANNEL)["701"]
    assert row.revision == 2 and row.status != "cancelled"
    (second,) = [p for p in warehouse_files(tmp_path) if "-r2" in p.name]
    assert sent_lines(second) == {"7010": "2", "7012": "1"}, "what is left to ship; the refunded line is not asked for"

    fake.fulfillment_orders[701][0]["lineItems"]["nodes"][2]["remainingQuantity"] = 0  # refunded on the way
    two_packages(tmp_path, "#701", {"7010": 1}, {"7010": 1, "7012": 1})
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    made = fake.fulfillments[701]
    assert [
        (
            f["trackingInfo"][0]["number"],
            [(x["lineItem"]["id"][-4:], x["quantity"]) for x in f["fulfillmentLineItems"]["nodes"]],
        )
        for f in made
    ] == [
        ("1ZPACKAGE1", [("7010", 1)]),
        ("1ZPACKAGE2", [("7010", 1)]),
    ], "each package under its own number; what no longer is open is left out, not the whole shipment"

    fake.orders[701].update(displayFinancialStatus="REFUNDED", updatedAt="2026-11-26T08:00:00Z")
    assert poll(hub, "shop", "me").received == 1
    assert order_rows(hub, CHANNEL)["701"].status == "cancelled"


def test_a_cancellation_from_crossdock_cancels_the_order_on_shopify_once(
    hub: Hub, shop: tuple[CancellingShop, FakeApi]
) -> None:
    fake, _ = shop
    fake.add(example(801, "2026-11-22T08:00:00Z"))
    cancel = Cancellation(
        channel="shopify",
        po_number="#801",
        external_id="801",
        cancellation_id="op-1",
        whole_order=True,
        reason="merchant",
    )
    data = json.dumps(cancel.model_dump(mode="json")).encode()
    sink = hub.sink("shop")
    for _ in range(2):
        sink.send(Outbound(name="c.json", data=data, idempotency_key="cancel-801", purpose=CANCELLATION))
    assert [(c["orderId"], c["reason"], c["restock"]) for c in fake.cancels] == [
        ("gid://shopify/Order/801", "STAFF", True)
    ]
    assert poll(hub, "shop", "me").received == 1
    assert order_rows(hub, CHANNEL)["801"].status == "cancelled", "the shop's cancel comes back as the order's"


def test_two_stores_with_the_same_order_number_stay_two_orders(
    tmp_path: Path, store_url: str, shop: tuple[CancellingShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    other = CancellingShop()
    with fake_api() as other_api:
        other.serve(other_api)
        cfg = config(tmp_path, store_url, api.url)
        cfg["sources"]["shop2"] = cfg["sources"]["shop"] | {"url": other_api.url}
        fake.add(example(1001, "2026-11-22T08:00:00Z"))
        other.add(example(1001, "2026-11-22T08:00:00Z", email="someone.else@example.com"))
        with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
            assert poll(hub, "shop", "me").received == 1 and poll(hub, "shop2", "me").received == 1
            with hub.store.transaction() as conn:
                rows = conn.execute(
                    select(orders.c.partner, orders.c.po_number).where(orders.c.channel == CHANNEL)
                ).all()
    assert sorted(rows) == [("shop", "#1001"), ("shop2", "#1001")]
