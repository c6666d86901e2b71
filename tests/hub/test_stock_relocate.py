"""Reservations held at no location before reservations had one (the rows migration 0016 copied at ""): migration
0021 marks their open orders, and the next stock push reserves each at the location its destination ships from,
without the order being recorded again; until then they count at every location, as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.storage import migrate
from crossdock.core.storage.schema import orders, stock_reserved
from tests.hub.test_stock_locations import _available, _hub, _orders


def _rows(hub: Hub) -> list[tuple[str, str, str, int]]:
    with hub.store.engine.connect() as conn:
        query = select(orders.c.po_number, stock_reserved.c.sku, stock_reserved.c.location, stock_reserved.c.quantity)
        return sorted(tuple(r) for r in conn.execute(query.join(orders, orders.c.id == stock_reserved.c.order_id)))


def _as_before_the_upgrade(hub: Hub) -> None:
    """The store as 0016 left one upgraded from before: every reservation at no location, at revision 0020."""
    cfg = migrate._config()
    with hub.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0020")
        conn.execute(update(stock_reserved).values(location=""))


def test_reservations_at_no_location_count_where_their_orders_ship_from_after_the_upgrade(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch, ships_from={"west": "main", "east": "far"})
    try:
        _orders(hub)  # PO-W ships from "main" (3), PO-E from "far" (5)
        _as_before_the_upgrade(hub)
        migrate.upgrade(hub.store.engine)
        assert _rows(hub) == [
            ("PO-E", "", "~relocate", 0), ("PO-E", "MUG-BLU", "", 5),
            ("PO-W", "", "~relocate", 0), ("PO-W", "MUG-BLU", "", 3),
        ]  # fmt: skip
        assert _available(hub)["MUG-BLU"] == 20 - 3 - 2, "PO-E ships from far: the shop selling main keeps it"
        assert _rows(hub) == [("PO-E", "MUG-BLU", "far", 5), ("PO-W", "MUG-BLU", "main", 3)]
        assert _available(hub)["MUG-BLU"] == 20 - 3 - 2, "worked out once: the same the next time"
    finally:
        hub.close()


def test_an_order_shipped_or_routed_nowhere_known_is_left_as_it_was(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = _hub(tmp_path, store_url, monkeypatch, ships_from={"west": "main"})  # "east" names no location
    try:
        _orders(hub)
        _as_before_the_upgrade(hub)
        with hub.store.engine.begin() as conn:
            conn.execute(update(orders).where(orders.c.po_number == "PO-W").values(status="shipped"))
        migrate.upgrade(hub.store.engine)
        assert _rows(hub) == [("PO-E", "", "~relocate", 0), ("PO-E", "MUG-BLU", "", 5), ("PO-W", "MUG-BLU", "", 3)]
        assert _available(hub)["MUG-BLU"] == 20 - 5 - 2, "PO-E still counts everywhere; shipped PO-W nowhere"
        assert _rows(hub) == [("PO-E", "MUG-BLU", "", 5), ("PO-W", "MUG-BLU", "", 3)]
    finally:
        hub.close()
