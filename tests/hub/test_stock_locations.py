"""Reservations per stock location: an open order holds its units at the location of the destination that ships
it (``stock.ships_from``), so a channel selling from one location is not lowered by orders shipping from another;
without ``ships_from`` every order lowers every channel, as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.stock.catalogue import problems
from crossdock.core.stock.ledger import Figure, record_figures
from crossdock.core.stock.push import push
from crossdock.core.storage.schema import stock_reserved
from tests.hub.conftest import receive, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_stock_push import stock_config

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _hub(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, **stock: Any) -> Hub:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    data = stock_config(tmp_path, store_url)  # the shop sells from "main", buffer 2
    data["stock"].update(stock)
    data["routing"] = {
        "rules": [
            {"match": {"sku": ["MUG-RED"]}, "to": "east", "split": True},
            {"match": {"state": ["CA", "OR"]}, "to": "west"},
        ],
        "default": "east",
    }
    hub = Hub(write_config(tmp_path, data))
    with hub.store.transaction() as conn:
        record_figures(conn, [Figure("MUG-BLU", "main", 20, T0, "t"), Figure("MUG-RED", "main", 20, T0, "t")])
    return hub


def _available(hub: Hub) -> dict[str, int]:
    (pushed,) = push(hub, dry_run=True)
    return {lv.sku: lv.available for lv in pushed.levels}


def _orders(hub: Hub) -> None:
    receive(hub, interchange([order("PO-W", state="CA", skus=("MUG-BLU",), qty=3)]))  # west
    receive(hub, interchange([order("PO-E", state="NY", skus=("MUG-BLU",), qty=5)], control=2), "e.edi")  # east


def test_an_order_lowers_only_the_channels_selling_from_its_destination_s_location(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch, ships_from={"west": "main", "east": "far"})
    _orders(hub)
    assert _available(hub)["MUG-BLU"] == 20 - 3 - 2  # PO-E ships from "far": the shop, selling "main", keeps it
    with hub.store.engine.connect() as conn:
        rows = conn.execute(select(stock_reserved.c.sku, stock_reserved.c.location, stock_reserved.c.quantity))
        assert sorted(tuple(r) for r in rows) == [("MUG-BLU", "far", 5), ("MUG-BLU", "main", 3)]
    hub.close()


def test_without_ships_from_every_order_lowers_every_channel(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch)
    _orders(hub)
    assert _available(hub)["MUG-BLU"] == 20 - 3 - 5 - 2
    hub.close()


def test_a_split_order_holds_each_line_where_its_destination_ships_from(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch, ships_from={"west": "main", "east": "far"})
    receive(hub, interchange([order("PO-S", state="CA", skus=("MUG-BLU", "MUG-RED"), qty=4)]))
    with hub.store.engine.connect() as conn:
        rows = conn.execute(select(stock_reserved.c.sku, stock_reserved.c.location, stock_reserved.c.quantity))
        assert sorted(tuple(r) for r in rows) == [("MUG-BLU", "main", 4), ("MUG-RED", "far", 4)]
    assert _available(hub) == {"MUG-BLU": 14, "MUG-RED": 18}
    hub.close()


def test_check_names_a_ships_from_destination_that_does_not_exist(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch, ships_from={"nowhere": "main"})
    assert (("stock", "ships_from", "nowhere"), "no destination (sink) named 'nowhere'") in problems(hub.config)
    hub.close()
