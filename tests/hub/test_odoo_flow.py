"""An 850 routed to Odoo, end to end: the hub writes the request, the outbox sends it to a fake Odoo on
127.0.0.1, and faults (500, 429, a lost answer, unknown products, bad credentials) end as a retried or
dead-lettered delivery with a clear reason: no sale order is made twice and none is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries
from tests.connectors.test_odoo import KEY, FakeOdoo, Fault, seeded
from tests.fakeapi import FakeApi, Request, Response, fake_api
from tests.hub.conftest import base_config, only_delivery, receive, write_config
from tests.hub.edi import interchange, order


def serve(odoo: FakeOdoo, api: FakeApi) -> None:
    def jsonrpc(request: Request) -> Response:
        result, fault = odoo.serve(request.json())
        fault = fault or Fault()
        return Response(fault.status, result if fault.body is None else fault.body, fault.headers, fault.delay)

    api.route("POST", "/jsonrpc", jsonrpc)


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = seeded()
    with fake_api() as api:
        serve(fake, api)
        fake.url = api.url
        yield fake


@pytest.fixture
def hub(tmp_path: Path, store_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("ODOO_TEST_KEY", KEY)
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    cfg["sinks"]["erp"] = {
        "type": "odoo",
        "url": odoo.url,
        "database": "acme",
        "username": "crossdock",
        "api_key": "${ODOO_TEST_KEY}",
        "timeout": 0.5,
    }
    cfg["routing"] = {"default": "erp"}
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def delivery(hub: Hub) -> Any:
    return only_delivery(hub, "erp")


def test_an_850_becomes_one_sale_order_with_its_customer_lines_and_ship_to(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    report = hub.dispatcher("test").drain()
    assert report.sent >= 1 and report.dead == 0
    (created,) = odoo.all("sale.order")
    customer = next(p for p in odoo.all("res.partner") if p.get("ref") == "northwind")
    products = {p["default_code"]: p["id"] for p in odoo.all("product.product")}
    assert created["partner_id"] == customer["id"] and created["client_order_ref"] == "PO-1"
    assert [(line["product_id"], line["product_uom_qty"], line["price_unit"]) for line in created["order_line"]] == [
        (products["MUG-BLU"], 5.0, 12.5),
        (products["KTL-STL"], 5.0, 12.5),
    ]
    ship_to = odoo.records["res.partner"][created["partner_shipping_id"]]
    assert (ship_to["name"], ship_to["parent_id"], ship_to["city"]) == ("DC 42", customer["id"], "TOWN")
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 1
    assert row.remote_ref == f"sale.order {created['id']} ({created['name']})"
    assert created["origin"] == f"crossdock:{row.key}"


def test_a_500_is_retried_and_makes_one_order(hub: Hub, odoo: FakeOdoo) -> None:
    odoo.fail("sale.order.create", Fault(500, {"error": "database restarting"}))
    receive(hub, interchange([order("PO-1")]))
    first = hub.dispatcher("test").run_once()
    assert first.retried == 1
    row = delivery(hub)
    assert row.state == "pending" and "HTTP 500" in row.last_error and "sale.order.create" in row.last_error
    hub.dispatcher("test").drain()
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 2
    assert len(odoo.all("sale.order")) == 1 and odoo.calls.count("sale.order.create") == 2


def test_a_429_waits_as_long_as_odoo_asks_then_sends_once(hub: Hub, odoo: FakeOdoo) -> None:
    odoo.fail("login", Fault(429, {"error": "slow down"}, {"Retry-After": "120"}))
    receive(hub, interchange([order("PO-1")]))
    before = utcnow()
    hub.dispatcher("test").run_once()
    row = delivery(hub)
    assert row.state == "pending" and "HTTP 429" in row.last_error
    assert row.next_attempt_at >= before + dt.timedelta(seconds=119)
    assert hub.dispatcher("test").run_once().claimed == 0, "not due before Retry-After"
    assert odoo.all("sale.order") == []
    with hub.store.transaction() as conn:  # the two minutes pass
        conn.execute(update(deliveries).where(deliveries.c.id == row.id).values(next_attempt_at=utcnow()))
    hub.dispatcher("test").drain()
    assert delivery(hub).state == "sent" and len(odoo.all("sale.order")) == 1


def test_an_order_created_before_the_answer_was_lost_is_not_created_again(hub: Hub, odoo: FakeOdoo) -> None:
    odoo.fail("sale.order.create", Fault(after=True, delay=2.0))  # Odoo creates it, the client stops waiting
    receive(hub, interchange([order("PO-1")]))
    first = hub.dispatcher("test").run_once()
    assert first.retried == 1 and "no answer within 0.5 s" in delivery(hub).last_error
    (created,) = odoo.all("sale.order")
    hub.dispatcher("test").drain()
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 2
    assert row.remote_ref == f"sale.order {created['id']} ({created['name']})"
    assert len(odoo.all("sale.order")) == 1 and odoo.calls.count("sale.order.create") == 1


def test_an_unknown_product_is_dead_lettered_at_once_naming_it(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "LAMP-RED"))]))
    report = hub.dispatcher("test").drain()
    assert report.dead == 1
    row = delivery(hub)
    assert row.state == "dead" and row.attempts == 1
    assert "order PO-1" in row.last_error and "line 2 (0002): default_code='LAMP-RED'" in row.last_error
    assert odoo.all("sale.order") == []


def test_bad_credentials_are_dead_lettered_with_a_clear_reason(hub: Hub, odoo: FakeOdoo) -> None:
    odoo.key = "rotated-key"
    receive(hub, interchange([order("PO-1")]))
    hub.dispatcher("test").drain()
    row = delivery(hub)
    assert row.state == "dead" and row.attempts == 1
    assert "refused the login of user 'crossdock' on database 'acme'" in row.last_error
    assert "api_key" in row.last_error and KEY not in row.last_error
    assert odoo.all("sale.order") == []


def test_a_changed_order_cancels_its_sale_order_and_creates_the_new_revision(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    hub.dispatcher("test").drain()
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=7, purpose="05")], control=2), "b.edi")
    assert hub.dispatcher("test").drain().dead == 0
    old, new = odoo.all("sale.order")
    assert old["state"] == "cancel" and new["state"] == "draft"
    assert [line["product_uom_qty"] for line in new["order_line"]] == [7.0, 7.0]
    with hub.store.transaction() as conn:
        keys = conn.execute(
            select(deliveries.c.key).where(deliveries.c.sink == "erp", deliveries.c.state == "sent")
        ).scalars()
        assert [f"crossdock:{k}" for k in keys] == [old["origin"], new["origin"]]


def test_a_cancelled_order_cancels_its_sale_order(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1")]))
    hub.dispatcher("test").drain()
    receive(hub, interchange([order("PO-1", purpose="01")], control=2), "b.edi")
    assert hub.dispatcher("test").drain().dead == 0
    (only,) = odoo.all("sale.order")
    assert only["state"] == "cancel"


def test_a_cancel_after_odoo_delivered_comes_too_late_and_the_order_is_marked_shipped(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1")]))
    hub.dispatcher("test").drain()
    (created,) = odoo.all("sale.order")
    odoo.deliver(created["id"], "MUG-BLU", 5)
    receive(hub, interchange([order("PO-1", purpose="01")], control=2), "b.edi")
    hub.dispatcher("test").drain()
    assert created["state"] == "draft"
    with hub.store.transaction() as conn:
        (cancel,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "cancel")).all()
        status = Queries(hub.store).order(conn, "PO-1")["status"]  # type: ignore[index]
    assert status == "shipped" and cancel.state == "cancelled" and "every line delivered" in cancel.last_error


def test_a_change_to_an_order_odoo_delivered_in_part_sends_only_what_is_left(hub: Hub, odoo: FakeOdoo) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    hub.dispatcher("test").drain()
    (first,) = odoo.all("sale.order")
    odoo.deliver(first["id"], "MUG-BLU", 5)
    odoo.deliver(first["id"], "KTL-STL", 2)
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=7, purpose="05")], control=2), "b.edi")
    assert hub.dispatcher("test").drain().dead == 0
    _, second = odoo.all("sale.order")
    assert first["state"] == "cancel", "what it had not delivered is cancelled there"
    assert [line["product_uom_qty"] for line in second["order_line"]] == [2.0, 5.0], "7 less 5, 7 less 2"
    odoo.deliver(second["id"], "MUG-BLU", 2)
    odoo.deliver(second["id"], "KTL-STL", 5)
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=7, purpose="01")], control=3), "c.edi")
    hub.dispatcher("test").drain()
    with hub.store.transaction() as conn:
        (cancel,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "cancel")).all()
        status = Queries(hub.store).order(conn, "PO-1")["status"]  # type: ignore[index]
    assert cancel.state == "cancelled" and "every line delivered" in cancel.last_error and status == "shipped"
    assert second["state"] == "draft", "all of it went: nothing to cancel"
