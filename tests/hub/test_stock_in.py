"""Stock in: an 846 through a partner's X12 source, stock files read by a stock source, raw bytes kept first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.models import InventoryItem, InventorySnapshot
from crossdock.core.stock.incoming import pull
from crossdock.core.stock.ledger import figures, on_hand
from crossdock.core.storage.schema import documents
from crossdock.mappings.x12.hub import Outgoing, write_846
from tests.hub.conftest import base_config, receive, write_config


def _846(control: int, qty: int, when: dt.datetime) -> bytes:
    snapshot = InventorySnapshot(
        report_id=f"R{control}",
        report_date=when.date(),
        items=[InventoryItem(product_ids={"VN": "MUG-BLU"}, quantities={"33": Decimal(qty)})],
    )
    out = Outgoing(
        sender_qualifier="ZZ",
        sender_id="NORTHWIND",
        receiver_qualifier="ZZ",
        receiver_id="CROSSDOCK",
        application_sender="NORTHWIND",
        application_receiver="CROSSDOCK",
        version="004010",
        usage="P",
        interchange=control,
        group=control,
        transaction=1,
        created=when,
    )
    return write_846(snapshot, out)


def test_an_846_from_a_partner_records_its_figures_and_an_older_one_changes_nothing(hub: Hub) -> None:
    receive(hub, _846(1, 40, dt.datetime(2026, 12, 1, 10, 0)), "a.edi")
    receive(hub, _846(2, 7, dt.datetime(2026, 11, 30, 10, 0)), "b.edi")  # made earlier, arrives later
    with hub.store.engine.connect() as conn:
        assert on_hand(conn, ["MUG-BLU"]) == {("MUG-BLU", "northwind"): 40}
        ((loc, qty, as_of, source),) = figures(conn, "MUG-BLU")
    assert (loc, qty, as_of, source) == ("northwind", 40, dt.datetime(2026, 12, 1, 10, 0), "846")


@pytest.fixture
def stocked(tmp_path: Path, store_url: str) -> Hub:
    data = base_config(tmp_path, store_url)
    data["stock"] = {"sources": {"wms": {"file": str(tmp_path / "onhand.csv"), "location": "main"}}}
    return Hub(write_config(tmp_path, data))


def test_a_stock_file_is_stored_first_then_recorded_and_a_bad_one_is_kept_failed(stocked: Hub, tmp_path: Path) -> None:
    (tmp_path / "onhand.csv").write_text("sku,quantity\nMUG-BLU,12\nMUG-RED,3\n")
    assert "2 of 2" in pull(stocked, "wms")
    (tmp_path / "onhand.csv").write_text("sku,quantity\nMUG-BLU,many\n")
    with pytest.raises(CrossdockError, match="'many' is not a number"):
        pull(stocked, "wms")
    with stocked.store.engine.connect() as conn:
        assert on_hand(conn) == {("MUG-BLU", "main"): 12, ("MUG-RED", "main"): 3}
        rows = conn.execute(select(documents.c.state, documents.c.data).where(documents.c.kind == "stock")).all()
    assert [(s, bytes(d)[-6:]) for s, d in rows] == [("processed", b"RED,3\n"), ("failed", b",many\n")]
    stocked.close()


def _api_hub(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("SHIPBOB_TOKEN", "shipbob-token-long-enough-for-a-check")
    monkeypatch.setenv("ODOO_KEY", "odoo-key-long-enough-for-a-check")
    data = base_config(tmp_path, store_url)
    data["sinks"]["bob"] = {
        "type": "shipbob",
        "url": "https://api.shipbob.test",
        "token": "${SHIPBOB_TOKEN}",
        "channel_id": "42",
    }
    data["sinks"]["erp"] = {
        "type": "odoo",
        "url": "https://erp.example.test",
        "database": "prod",
        "username": "crossdock",
        "api_key": "${ODOO_KEY}",
    }
    data["stock"] = {
        "sources": {
            "bob-stock": {"shipbob": "bob", "location": "shipbob"},
            "erp-stock": {"odoo": "erp", "location": "erp"},
        }
    }
    return Hub(write_config(tmp_path, data))


def test_shipbob_inventory_levels_are_on_hand_summed_over_its_centers_every_page_read(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx
    import respx

    hub = _api_hub(tmp_path, store_url, monkeypatch)
    first = {
        "items": [
            {
                "inventory_id": 1,
                "sku": "MUG-BLU",
                "locations": [
                    {"location_id": 101, "on_hand_quantity": 90, "fulfillable_quantity": 85},
                    {"location_id": 102, "on_hand_quantity": 10, "fulfillable_quantity": 2},
                ],
            }
        ],
        "next": "/2026-01/inventory-level/locations?Cursor=abc",
    }
    second = {
        "items": [{"inventory_id": 2, "sku": "MUG-RED", "locations": [{"location_id": 101, "on_hand_quantity": 4}]}]
    }
    with respx.mock:
        route = respx.get(url__startswith="https://api.shipbob.test/2026-01/inventory-level/locations").mock(
            side_effect=[httpx.Response(200, json=first), httpx.Response(200, json=second)]
        )
        said = pull(hub, "bob-stock")
    assert route.call_count == 2 and route.calls[1].request.url.params["Cursor"] == "abc"
    assert route.calls[0].request.headers["Authorization"] == "Bearer shipbob-token-long-enough-for-a-check"
    assert "2 of 2" in said
    with hub.store.engine.connect() as conn:
        assert on_hand(conn) == {("MUG-BLU", "shipbob"): 100, ("MUG-RED", "shipbob"): 4}
    hub.close()


def test_odoo_stock_quants_in_internal_locations_by_default_code(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import httpx
    import respx

    hub = _api_hub(tmp_path, store_url, monkeypatch)
    asked: list[dict[str, object]] = []

    def odoo(request: httpx.Request) -> httpx.Response:
        params = json.loads(request.content)["params"]
        if params["service"] == "common":
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": 7})
        model, args = params["args"][3], params["args"][5]
        asked.append({"model": model, "domain": args[0]})
        if model == "stock.quant":
            quants = [
                {"id": 1, "product_id": [5, "[MUG-BLU] Mug"], "location_id": [8, "WH/Stock"], "quantity": 7.0},
                {"id": 2, "product_id": [5, "[MUG-BLU] Mug"], "location_id": [9, "WH/Shelf"], "quantity": 3.5},
                {"id": 3, "product_id": [6, "Sample"], "location_id": [8, "WH/Stock"], "quantity": 2.0},
            ]
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": 2, "result": quants})
        products = [{"id": 5, "default_code": "MUG-BLU"}, {"id": 6, "default_code": False}]
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": 3, "result": products})

    with respx.mock:
        respx.post("https://erp.example.test/jsonrpc").mock(side_effect=odoo)
        pull(hub, "erp-stock")
    assert asked[0] == {"model": "stock.quant", "domain": [["location_id.usage", "=", "internal"]]}
    with hub.store.engine.connect() as conn:
        assert on_hand(conn) == {("MUG-BLU", "erp"): 10}  # 7 + 3.5, whole units; the product without a code left out
    hub.close()


def test_a_real_846_read_by_a_stock_source_gives_its_figure(tmp_path: Path, store_url: str) -> None:
    """x12types' 5010 846 sample (tests/data/corpus, MIT OR Apache-2.0): LIN VN ABC123, QTY 33 100 EA."""
    from tests.conftest import CORPUS

    data = base_config(tmp_path, store_url)
    data["stock"] = {"sources": {"supplier": {"file": str(tmp_path / "s1.edi"), "location": "supplier"}}}
    (tmp_path / "s1.edi").write_bytes((CORPUS / "x12" / "846" / "x12types_5010_bia-lin-qty33.edi").read_bytes())
    hub = Hub(write_config(tmp_path, data))
    assert "1 of 1" in pull(hub, "supplier")
    with hub.store.engine.connect() as conn:
        assert on_hand(conn) == {("ABC123", "supplier"): 100}
    hub.close()


def test_a_stock_file_with_a_figure_out_of_bounds_is_kept_failed(tmp_path: Path, store_url: str) -> None:
    data = base_config(tmp_path, store_url)
    data["stock"] = {"sources": {"wms": {"file": str(tmp_path / "onhand.csv"), "location": "main"}}}
    (tmp_path / "onhand.csv").write_text("sku,quantity\nMUG-BLU,99999999999\n")
    hub = Hub(write_config(tmp_path, data))
    with pytest.raises(CrossdockError, match="beyond"):
        pull(hub, "wms")
    with hub.store.engine.connect() as conn:
        assert conn.execute(select(documents.c.state).where(documents.c.kind == "stock")).scalar() == "failed"
    hub.close()
