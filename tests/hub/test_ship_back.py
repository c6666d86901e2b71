"""What a warehouse's confirmation sends back to where the order came from: lines it closes short as a
Cancellation (and an 855 change for an EDI buyer), a shipment found by its store when two stores share a PO
number, an order with no lines held, and an order not shipped by its ship-by date alerted once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.connectors.woocommerce import _inbound
from crossdock.core.errors import CrossdockError
from crossdock.core.fulfilment.ship_by import alert_late_orders
from crossdock.core.hub import Hub
from crossdock.core.models import DateRef
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, orders, shipments
from crossdock.mappings.x12.poack855 import ack_from_855
from tests.golden import assert_golden
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_channel_batch import order as woo_order
from tests.hub.test_ship_flow import checked, config, cycle, files


def cancellations(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes()) for p in sorted(folder.glob("cancellation-*.json"))] if folder.exists() else []


def status_of(hub: Hub, po: str) -> str:
    with hub.store.transaction() as conn:
        return str(Queries(hub.store).order(conn, po)["status"])  # type: ignore[index]


@pytest.fixture
def buyer_hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    """The 3PL flow (940 out, 945 in) for a buyer that takes 855s, its orders' cancellations to ``erp``."""
    cfg = config(tmp_path, store_url, send_855=True)
    cfg["sources"]["drop"]["fulfilment_sink"] = "erp"
    cfg["sinks"]["erp"] = {"type": "folder", "path": str(tmp_path / "erp")}
    hub = Hub(write_config(tmp_path, cfg))
    yield hub
    hub.close()


def test_a_line_the_warehouse_closes_short_goes_back_cancelled_and_the_order_is_done(
    buyer_hub: Hub, tmp_path: Path
) -> None:
    cycle(buyer_hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=10)]))
    closed = ship_advice("PO-1", "SHIP-1", [("0001", 10, 10, "MUG-BLU"), ("0002", 10, 4, "KTL-STL")], closed=("0002",))
    cycle(buyer_hub, "945.edi", closed)
    cycle(buyer_hub, "945-again.edi", closed.replace(b"\n", b"\r\n"))
    (told,) = cancellations(tmp_path / "erp")
    assert (told["by"], told["reason"], told["whole_order"]) == ("warehouse", "out_of_stock", False)
    assert [(line["line_number"], line["quantity"]) for line in told["lines"]] == [("0002", "6")]
    (change,) = [d for d in files(tmp_path / "partner-inbox", "855") if b"BAK*04" in d]
    ack = ack_from_855(checked(change))
    assert [(line.status, line.quantity) for line in ack.lines] == [("IA", Decimal(10)), ("IQ", Decimal(4))]
    assert status_of(buyer_hub, "PO-1") == "invoiced", "nothing more will ship: the order is done"


def test_a_945_that_ships_nothing_and_closes_every_line_cancels_the_order_with_no_856_or_810(
    buyer_hub: Hub, tmp_path: Path
) -> None:
    cycle(buyer_hub, "po.edi", interchange([order("PO-9", qty=3)]))
    report = cycle(buyer_hub, "945.edi", ship_advice("PO-9", "SHIP-9", [("0001", 3, 0, "MUG-BLU")], closed=("0001",)))
    assert report.processed[0].error is None
    (told,) = cancellations(tmp_path / "erp")
    assert told["whole_order"] is True and told["lines"] == []
    assert files(tmp_path / "partner-inbox", "856") == [] and files(tmp_path / "partner-inbox", "810") == []
    assert status_of(buyer_hub, "PO-9") == "cancelled"


def test_a_short_line_with_the_rest_to_follow_is_not_cancelled(buyer_hub: Hub, tmp_path: Path) -> None:
    cycle(buyer_hub, "po.edi", interchange([order("PO-2", qty=10)]))
    cycle(buyer_hub, "945.edi", ship_advice("PO-2", "SHIP-2", [("0001", 10, 4, "MUG-BLU")]))
    assert cancellations(tmp_path / "erp") == []
    assert status_of(buyer_hub, "PO-2") == "partially shipped"


def test_an_order_with_no_lines_is_held_not_delivered(buyer_hub: Hub, tmp_path: Path) -> None:
    empty = order("PO-3")
    empty.lines = []
    cycle(buyer_hub, "po.edi", interchange([empty]))
    assert status_of(buyer_hub, "PO-3") == "held"
    assert files(tmp_path / "3pl", "940") == []


class Store:
    """A WooCommerce source (named ``name``) that gives these orders."""

    def __init__(self, name: str, items: list[Inbound]) -> None:
        self.name, self.items = name, items
        self.since: str | None = None
        self.reached: str | None = None

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        yield iter(self.items)


@pytest.fixture
def two_stores(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """Two WooCommerce stores that both have order 1001, each answered to its own folder; shipments come in as
    crossdock's Shipment JSON."""
    monkeypatch.setenv("WOO_KEY", "ck")
    monkeypatch.setenv("WOO_SECRET", "cs")
    cfg = base_config(tmp_path, store_url)
    for name in ("shop-a", "shop-b"):
        cfg["sources"][name] = {
            "type": "woocommerce",
            "url": "http://127.0.0.1:9",
            "consumer_key": "${WOO_KEY}",
            "consumer_secret": "${WOO_SECRET}",
            "fulfilment_sink": f"back-{name}",
        }
        cfg["sinks"][f"back-{name}"] = {"type": "folder", "path": str(tmp_path / f"back-{name}")}
    cfg["sources"]["shipped"] = {
        "type": "folder",
        "path": str(tmp_path / "shipped"),
        "min_age": 0,
        "format": "shipment-json",
        "partner": "acme-wh",
    }
    cfg["partners"]["acme-wh"] = {"isa_qualifier": "ZZ", "isa_id": "ACMEWH"}
    (tmp_path / "shipped").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    stores = {name: Store(name, [_inbound(woo_order(1001))]) for name in ("shop-a", "shop-b")}
    with monkeypatch.context() as scripted:
        scripted.setattr(hub, "source", lambda name: stores[name])
        for name in stores:
            assert poll(hub, name, "me").processed[0].state == "processed"
    yield hub
    hub.close()


def shipment(shipment_id: str, **names: str) -> dict[str, Any]:
    lines = [{"line_number": "315", "quantity": "2"}, {"line_number": "316", "quantity": "1"}]
    return {
        "shipment_id": shipment_id,
        "tracking_numbers": [f"1Z{shipment_id}"],
        "orders": [{"po_number": "1001", **names, "lines": lines}],
    }


def test_two_stores_with_order_1001_each_get_their_own_shipment(two_stores: Hub, tmp_path: Path) -> None:
    (tmp_path / "shipped" / "s.json").write_text(
        json.dumps([shipment("B", source="shop-b", external_id="1001"), shipment("A", source="shop-a")])
    )
    report = poll(two_stores, "shipped", "me")
    assert report.processed[0].error is None and report.processed[0].shipments == 2
    two_stores.dispatcher("test").drain()
    with two_stores.store.transaction() as conn:
        by_store = {r.partner: r.id for r in conn.execute(select(orders.c.id, orders.c.partner))}
        shipped = {
            r.external_id: r.order_id for r in conn.execute(select(shipments.c.external_id, shipments.c.order_id))
        }
    assert shipped == {"A": by_store["shop-a"], "B": by_store["shop-b"]}
    (a,) = [json.loads(p.read_bytes()) for p in (tmp_path / "back-shop-a").glob("fulfilment-*.json")]
    (b,) = [json.loads(p.read_bytes()) for p in (tmp_path / "back-shop-b").glob("fulfilment-*.json")]
    assert (a["shipment_id"], b["shipment_id"]) == ("A", "B")


def test_a_shipment_naming_only_a_po_number_two_stores_share_is_held(two_stores: Hub, tmp_path: Path) -> None:
    (tmp_path / "shipped" / "s.json").write_text(json.dumps(shipment("C")))
    report = poll(two_stores, "shipped", "me")
    assert report.processed[0].shipments == 0
    assert "2 orders carry PO number '1001' (shop-a, shop-b)" in str(report.processed[0].error)


def test_an_order_not_shipped_by_its_ship_by_date_raises_one_alert(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url, alerts={"sink": "ops"})
    cfg["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        late, on_time = order("PO-LATE"), order("PO-SOON")
        late.dates = [DateRef(qualifier="038", date=dt.date(2026, 11, 25))]
        on_time.dates = [DateRef(qualifier="038", date=dt.date(2026, 12, 9))]
        cycle(hub, "po.edi", interchange([late, on_time]))
        assert alert_late_orders(hub, today=dt.date(2026, 11, 25)) == 0, "the ship-by day itself is not late"
        assert alert_late_orders(hub, today=dt.date(2026, 12, 1)) == 1
        assert alert_late_orders(hub, today=dt.date(2026, 12, 2)) == 0, "one alert per order"
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    (alert,) = (tmp_path / "ops").glob("*.txt")
    assert "order PO-LATE from northwind was to ship by 2026-11-25" in alert.read_text()


def test_a_shipment_naming_the_reference_crossdock_gave_the_warehouse_finds_that_order(
    tmp_path: Path, store_url: str
) -> None:
    """As ShipBob's reference_id does: the order delivery's key, whichever partner's PO-6 it is."""
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["southwind"] = {"isa_qualifier": "ZZ", "isa_id": "SOUTHWIND", "reply_to": "northwind-inbox"}
    cfg["partners"]["southwind"]["gs1_prefix"] = "0614141"
    cfg["sources"]["drop"]["fulfilment_sink"] = "erp"
    cfg["sinks"]["erp"] = {"type": "folder", "path": str(tmp_path / "erp")}
    cfg["sources"]["shipped"] = {"type": "folder", "path": str(tmp_path / "shipped"), "min_age": 0}
    cfg["sources"]["shipped"].update(format="shipment-json", partner="acme-wh")
    cfg["partners"]["acme-wh"] = {"isa_qualifier": "ZZ", "isa_id": "ACMEWH"}
    (tmp_path / "shipped").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "a.edi", interchange([order("PO-6")]))
        cycle(hub, "b.edi", interchange([order("PO-6")], sender="SOUTHWIND", control=2))
        with hub.store.transaction() as conn:
            south = conn.execute(select(orders.c.id).where(orders.c.partner == "southwind")).scalar_one()
            key = conn.execute(select(deliveries.c.key).where(deliveries.c.order_id == south)).scalar_one()
        lines = [{"line_number": "0001", "quantity": "5"}]
        sent = {"shipment_id": "S-6", "orders": [{"po_number": "PO-6", "reference": key, "lines": lines}]}
        (tmp_path / "shipped" / "s.json").write_text(json.dumps(sent))
        report = poll(hub, "shipped", "me").processed[0]
        assert report.shipments == 1, report.error
        with hub.store.transaction() as conn:
            assert conn.execute(select(shipments.c.order_id)).scalar_one() == south
    finally:
        hub.close()


def test_an_operator_cancel_of_a_channel_order_goes_back_to_its_store_and_an_old_page_does_not_undo_it(
    two_stores: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core.lifecycle.operator_orders import cancel_order

    done = cancel_order(two_stores, "1001", source="shop-b", lines=None, reason="buyer_request")
    assert "order 1001 cancelled" in done and "back-shop-b" in done
    two_stores.dispatcher("test").drain()
    assert cancellations(tmp_path / "back-shop-a") == []
    (told,) = cancellations(tmp_path / "back-shop-b")
    assert (told["channel"], told["external_id"], told["whole_order"]) == ("woocommerce", "1001", True)
    late = woo_order(1001, "2026-11-22T09:00:00")  # changed in the store before the cancel, and read after it
    late["customer_note"] = "leave at the door"
    monkeypatch.setattr(two_stores, "source", lambda name: Store(name, [_inbound(late)]))
    assert poll(two_stores, "shop-b", "me").processed[0].state == "processed"
    with two_stores.store.transaction() as conn:
        row = conn.execute(select(orders).where(orders.c.partner == "shop-b")).one()
    assert (row.status, row.revision) == ("cancelled", 2), "the store's page from before the cancel is older"


def test_an_operator_cancels_the_rest_of_a_partly_shipped_order_and_it_counts_as_shipped(
    buyer_hub: Hub, tmp_path: Path
) -> None:
    from crossdock.core.lifecycle.operator_orders import cancel_order

    cycle(buyer_hub, "po.edi", interchange([order("PO-7", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
    cycle(buyer_hub, "945.edi", ship_advice("PO-7", "SHIP-7", [("0001", 4, 4, "MUG-BLU"), ("0002", 4, 1, "KTL-STL")]))
    assert status_of(buyer_hub, "PO-7") == "partially shipped"
    with pytest.raises(CrossdockError, match="line 0001 of order PO-7 has 0 left to cancel"):
        cancel_order(buyer_hub, "PO-7", source=None, lines="0001:1", reason="merchant")
    assert "1 line(s) cut" in cancel_order(buyer_hub, "PO-7", source=None, lines=None, reason="merchant")
    buyer_hub.dispatcher("test").drain()
    (told,) = cancellations(tmp_path / "erp")
    assert [(line["line_number"], line["quantity"]) for line in told["lines"]] == [("0002", "3")]
    assert status_of(buyer_hub, "PO-7") == "shipped"


def test_the_order_a_warehouse_gets_names_its_source_and_a_shipment_echoing_it_finds_that_order(
    two_stores: Hub, tmp_path: Path
) -> None:
    two_stores.dispatcher("test").drain()
    files = sorted(tmp_path.glob("[ew]*st/*.json"))
    sent = [json.loads(p.read_bytes()) for p in files]
    (shop_a,) = [p for p, o in zip(files, sent, strict=True) if o["source"] == "shop-a"]
    assert_golden(Path(__file__).resolve().parents[1] / "cases" / "hub" / "order-source.json", shop_a.read_bytes())
    assert sorted((o["po_number"], o["source"]) for o in sent) == [("1001", "shop-a"), ("1001", "shop-b")]
    echoed = [shipment(f"E-{o['source']}", source=o["source"]) for o in sent]  # as the warehouse had it
    (tmp_path / "shipped" / "s.json").write_text(json.dumps(echoed))
    report = poll(two_stores, "shipped", "me")
    assert report.processed[0].error is None and report.processed[0].shipments == 2
    with two_stores.store.transaction() as conn:
        by_store = {r.partner: r.id for r in conn.execute(select(orders.c.id, orders.c.partner))}
        shipped = {
            r.external_id: r.order_id for r in conn.execute(select(shipments.c.external_id, shipments.c.order_id))
        }
    assert shipped == {"E-shop-a": by_store["shop-a"], "E-shop-b": by_store["shop-b"]}


def test_a_csv_destination_can_carry_the_orders_source(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    columns = [{"header": "PO", "field": "po_number"}, {"header": "Store", "field": "source"}]
    cfg["sinks"]["east"] = {"type": "folder", "path": str(tmp_path / "east"), "format": "csv", "columns": columns}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-9", state="NY")]))
    finally:
        hub.close()
    (written,) = (tmp_path / "east").glob("*.csv")
    assert written.read_text().splitlines() == ["PO,Store", "PO-9,northwind"]
