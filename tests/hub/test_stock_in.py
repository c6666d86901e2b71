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
from crossdock.core.schema import documents
from crossdock.core.stock_in import pull
from crossdock.core.stock_ledger import figures, on_hand
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
