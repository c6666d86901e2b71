"""Available to sell, pushes per channel through the outbox, supersession, and the oversell guard."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.stock.ledger import Figure, record_figures
from crossdock.core.stock.push import push
from crossdock.core.storage.schema import deliveries, documents, orders
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def stock_config(tmp_path: Path, store_url: str, **stock: Any) -> dict[str, Any]:
    data = base_config(tmp_path, store_url)
    data["sources"]["shop"] = {
        "type": "shopify",
        "url": "https://example.myshopify.com",
        "access_token": "${SHOPIFY_TOKEN}",
        "stock": {"locations": ["main"], "buffer": 2, "location_id": "gid://shopify/Location/1", **stock},
    }
    data["stock"] = {
        "items": {
            "MUG-BLU": {"shop": {"inventory_item_id": "gid://shopify/InventoryItem/11"}},
            "MUG-RED": {"shop": {"inventory_item_id": "gid://shopify/InventoryItem/12"}},
        }
    }
    return data


@pytest.fixture
def shop(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    h = Hub(write_config(tmp_path, stock_config(tmp_path, store_url)))
    yield h
    h.close()


def _figures(hub: Hub, *figures: Figure) -> None:
    with hub.store.transaction() as conn:
        record_figures(conn, list(figures))


def _stock_deliveries(hub: Hub) -> list[tuple[str, dict[str, Any]]]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(
            select(deliveries.c.state, documents.c.data)
            .join(documents, documents.c.id == deliveries.c.document_id)
            .where(deliveries.c.purpose == "stock")
            .order_by(deliveries.c.id)
        ).all()
    return [(state, json.loads(bytes(data))) for state, data in rows]


def _levels(push_json: dict[str, Any]) -> dict[str, int]:
    return {lv["sku"]: lv["available"] for lv in push_json["levels"]}


def _sent(hub: Hub) -> None:
    with hub.store.transaction() as conn:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.state == "pending")
            .values(state="sent", sent_at=dt.datetime(2026, 12, 2))
        )


def test_available_is_on_hand_at_the_channel_s_locations_less_its_buffer(shop: Hub) -> None:
    _figures(
        shop,
        Figure("MUG-BLU", "main", 10, T0, "t"),
        Figure("MUG-BLU", "elsewhere", 50, T0, "t"),
        Figure("MUG-RED", "main", 1, T0, "t"),
    )
    (pushed,) = push(shop)
    assert {lv.sku: lv.available for lv in pushed.levels} == {"MUG-BLU": 8, "MUG-RED": 0}
    blu = next(lv for lv in pushed.levels if lv.sku == "MUG-BLU")
    assert blu.ids == {"inventory_item_id": "gid://shopify/InventoryItem/11"}
    assert blu.location == "gid://shopify/Location/1" and blu.told is None
    ((state, sent),) = _stock_deliveries(shop)
    assert state == "pending" and sent["channel"] == "shop" and _levels(sent) == {"MUG-BLU": 8, "MUG-RED": 0}


def test_only_what_changed_since_the_channel_was_told_is_pushed(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"), Figure("MUG-RED", "main", 5, T0, "t"))
    push(shop)
    _sent(shop)
    assert push(shop)[0].levels == []  # nothing changed
    _figures(shop, Figure("MUG-RED", "main", 7, T0 + dt.timedelta(hours=1), "t"))
    (pushed,) = push(shop)
    assert [(lv.sku, lv.available, lv.told) for lv in pushed.levels] == [("MUG-RED", 5, 3)]


def test_a_newer_push_supersedes_a_waiting_older_one_and_its_retry_never_sends(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"), Figure("MUG-RED", "main", 5, T0, "t"))
    push(shop)
    with shop.store.transaction() as conn:  # the first push failed once and waits for its retry
        conn.execute(update(deliveries).values(attempts=1, last_error="503"))
    _figures(shop, Figure("MUG-BLU", "main", 4, T0 + dt.timedelta(hours=1), "t"))
    push(shop)
    (old_state, old), (new_state, new) = _stock_deliveries(shop)
    assert old_state == "cancelled" and _levels(old) == {"MUG-BLU": 8, "MUG-RED": 3}
    assert new_state == "pending" and _levels(new) == {"MUG-BLU": 2, "MUG-RED": 3}  # the older SKUs carried on
    sent = []
    dispatcher = shop.dispatcher()
    shop._sinks["shop"] = _Recorder(sent)  # type: ignore[assignment]
    dispatcher.run_once()
    assert [_levels(json.loads(d)) for d in sent] == [{"MUG-BLU": 2, "MUG-RED": 3}]
    with shop.store.transaction() as conn:  # someone puts the older one back: begin_sends refuses it
        conn.execute(update(deliveries).where(deliveries.c.state == "cancelled").values(attempts=1))
    dispatcher.run_once()
    assert len(sent) == 1
    _figures(shop, Figure("MUG-BLU", "main", 4, T0 + dt.timedelta(hours=2), "t"))
    assert push(shop)[0].levels == []  # the sent push is what the channel was told


def test_a_push_being_sent_is_not_superseded_the_next_run_pushes(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"))
    push(shop)
    with shop.store.transaction() as conn:
        conn.execute(update(deliveries).values(lease_owner="w1", lease_until=dt.datetime(2999, 1, 1)))
    _figures(shop, Figure("MUG-BLU", "main", 3, T0 + dt.timedelta(hours=1), "t"))
    (pushed,) = push(shop)
    assert pushed.levels == [] and "right now" in pushed.note
    assert [s for s, _ in _stock_deliveries(shop)] == ["pending"]


def test_dry_run_queues_nothing(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"))
    (pushed,) = push(shop, dry_run=True)
    assert [(lv.sku, lv.available) for lv in pushed.levels] == [("MUG-BLU", 8), ("MUG-RED", 0)]
    assert _stock_deliveries(shop) == []


def test_an_order_recorded_reserves_its_units_and_a_sku_reaching_the_buffer_is_pushed_at_once(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"), Figure("MUG-RED", "main", 9, T0, "t"))
    push(shop)
    _sent(shop)
    receive(shop, interchange([order("PO-1", skus=("MUG-BLU", "MUG-RED"), qty=3)]))
    assert [s for s, _ in _stock_deliveries(shop)] == ["sent"]  # 10-3-2 = 5 left: no push yet
    receive(shop, interchange([order("PO-2", skus=("MUG-BLU",), qty=5)], control=2), "po2.edi")
    state, pushed = _stock_deliveries(shop)[-1]
    assert state == "pending" and _levels(pushed) == {"MUG-BLU": 0}  # queued with the order
    (later,) = push(shop)
    assert [(lv.sku, lv.available) for lv in later.levels] == [("MUG-BLU", 0), ("MUG-RED", 4)]
    with shop.store.transaction() as conn:  # PO-2 cancelled: its units are free again
        conn.execute(update(orders).where(orders.c.po_number == "PO-2").values(status="cancelled"))
    (freed,) = push(shop)
    assert {lv.sku: lv.available for lv in freed.levels}["MUG-BLU"] == 5


class _Recorder:
    def __init__(self, sent: list[bytes]) -> None:
        self.sent = sent

    def send(self, document: Any) -> str:
        self.sent.append(document.data)
        return "ok"

    def close(self) -> None:
        pass


def test_the_stock_commands_push_and_show(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.hub.conftest import run

    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(stock_config(tmp_path, store_url, push=True)))
    (tmp_path / "drop").mkdir()
    hub = Hub(write_config(tmp_path, stock_config(tmp_path, store_url)))
    _figures(hub, Figure("MUG-BLU", "main", 10, T0, "846"))
    hub.close()
    code, out, _ = run(capsys, "stock", "push", "-c", str(path), "--dry-run")
    assert code == 0 and "shop: would push 2 SKU(s)" in out and "MUG-BLU: 8 (told None)" in out
    code, _, err = run(capsys, "stock", "push", "-c", str(path), "--channel", "nope")
    assert code == 1 and "nope" in err
    code, out, _ = run(capsys, "stock", "show", "-c", str(path), "MUG-BLU")
    assert code == 0
    assert "main: 10 (figure 10 as of 2026-12-01 00:00:00 from 846)" in out
    assert "shop: available 8; never told" in out


def test_units_shipped_after_the_latest_figure_stay_held_until_a_newer_figure(shop: Hub) -> None:
    from crossdock.core.fulfilment.models import Shipment, ShipmentLine, ShipmentOrder
    from crossdock.core.storage.engine import utcnow
    from crossdock.core.storage.schema import shipments

    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"))
    receive(shop, interchange([order("PO-9", skus=("MUG-BLU",), qty=3)]))
    shipped = Shipment(
        shipment_id="S1",
        orders=[
            ShipmentOrder(po_number="PO-9", lines=[ShipmentLine(product_ids={"VN": "MUG-BLU"}, quantity=Decimal(3))])
        ],
    )
    with shop.store.transaction() as conn:  # the warehouse shipped PO-9 whole: it no longer holds anything
        conn.execute(update(orders).where(orders.c.po_number == "PO-9").values(status="shipped"))
        now = utcnow()
        row = {"partner": "w", "external_id": "S1", "po_number": "PO-9", "state": "recorded", "created_at": now}
        conn.execute(shipments.insert().values(**row, data=json.dumps(shipped.model_dump(mode="json")), updated_at=now))
    (pushed,) = push(shop, dry_run=True)
    assert {lv.sku: lv.available for lv in pushed.levels}["MUG-BLU"] == 5  # 10 - 3 shipped since the figure - 2
    _figures(shop, Figure("MUG-BLU", "main", 7, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), "t"))
    (pushed,) = push(shop, dry_run=True)
    assert {lv.sku: lv.available for lv in pushed.levels}["MUG-BLU"] == 5  # the newer figure counts them: 7 - 2


def test_a_push_reaches_shopify_through_the_outbox_and_the_next_compares_with_what_was_told(
    shop: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import respx

    import crossdock.connectors.shopify_client as client
    from tests.connectors.test_shopify_stock import FakeShop

    monkeypatch.setattr(client, "sleep", lambda _s: None)
    monkeypatch.setattr(client, "_BUCKETS", {})
    fake = FakeShop({"gid://shopify/InventoryItem/11": 0, "gid://shopify/InventoryItem/12": 0})
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"), Figure("MUG-RED", "main", 6, T0, "t"))
    with respx.mock:
        respx.post("https://example.myshopify.com/admin/api/2026-10/graphql.json").mock(side_effect=fake)
        push(shop)
        assert shop.dispatcher().drain().sent == 1
        _figures(shop, Figure("MUG-BLU", "main", 5, T0 + dt.timedelta(hours=1), "t"))
        (pushed,) = push(shop)
        assert [(lv.sku, lv.available, lv.told) for lv in pushed.levels] == [("MUG-BLU", 3, 8)]
        assert shop.dispatcher().drain().sent == 1
    assert fake.held == {"gid://shopify/InventoryItem/11": 3, "gid://shopify/InventoryItem/12": 4}


def test_an_unreadable_catalogue_never_stops_an_order_being_recorded(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core.storage.schema import stock_reserved

    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    data = stock_config(tmp_path, store_url)
    data["stock"]["catalogue"] = "gone.csv"
    hub = Hub(write_config(tmp_path, data))
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU",), qty=2)]))
    with hub.store.engine.connect() as conn:
        assert conn.execute(select(orders.c.status)).scalar() == "routed"
        assert conn.execute(select(stock_reserved.c.sku, stock_reserved.c.quantity)).all() == [("MUG-BLU", 2)]
    assert _stock_deliveries(hub) == []
    hub.close()


def test_a_dead_push_is_cancelled_by_the_next_which_carries_its_skus_so_no_retry_sends_it(shop: Hub) -> None:
    _figures(shop, Figure("MUG-BLU", "main", 10, T0, "t"), Figure("MUG-RED", "main", 5, T0, "t"))
    push(shop)
    with shop.store.transaction() as conn:
        conn.execute(update(deliveries).values(state="dead", attempts=8, last_error="503"))
    _figures(shop, Figure("MUG-BLU", "main", 6, T0 + dt.timedelta(hours=1), "t"))
    push(shop)
    (old_state, _), (new_state, new) = _stock_deliveries(shop)
    assert old_state == "cancelled" and new_state == "pending"
    assert _levels(new) == {"MUG-BLU": 4, "MUG-RED": 3}  # MUG-RED, never told, goes again
