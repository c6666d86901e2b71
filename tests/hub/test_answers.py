"""What a recorded shipment answers besides the 856: a Fulfilment to the order's origin, an 855 change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from crossdock.core.hub import Hub
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import orders
from crossdock.mappings.x12.poack855 import ack_from_855
from crossdock.mappings.x12.reader import parse
from tests.golden import assert_golden
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files
from tests.x12.written import read_back

CASES = Path(__file__).resolve().parents[1] / "cases" / "hub" / "answers"


def with_fulfilments(tmp_path: Path, store_url: str, **buyer: Any) -> Hub:
    cfg = config(tmp_path, store_url, **buyer)
    cfg["sources"]["drop"]["fulfilment_sink"] = "erp-hook"
    cfg["sinks"]["erp-hook"] = {"type": "folder", "path": str(tmp_path / "erp")}
    return Hub(write_config(tmp_path, cfg))


def fulfilments(tmp_path: Path) -> list[dict[str, Any]]:
    folder = tmp_path / "erp"
    return [json.loads(p.read_bytes()) for p in sorted(folder.glob("fulfilment-*.json"))] if folder.exists() else []


def status_of(hub: Hub, po: str) -> str:
    with hub.store.transaction() as conn:
        found = Queries(hub.store).order(conn, po)
    assert found is not None
    return str(found["status"])


def test_each_shipment_is_reported_to_the_sources_fulfilment_sink_besides_the_856(
    tmp_path: Path, store_url: str
) -> None:
    hub = with_fulfilments(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
        advice = ship_advice("PO-1", "SHIP-1", [("0001", 4, 4, "MUG-BLU")], tracking="1Z999")
        cycle(hub, "945.edi", advice)
        cycle(hub, "945-again.edi", advice.replace(b"\n", b"\r\n"))
    finally:
        hub.close()
    assert_golden(CASES / "fulfilment.json", next((tmp_path / "erp").glob("fulfilment-*.json")).read_bytes())
    (sent,) = fulfilments(tmp_path)
    assert sent["po_number"] == "PO-1" and sent["shipment_id"] == "SHIP-1" and sent["partner"] == "northwind"
    assert sent["carrier_scac"] == "UPSN" and sent["tracking_numbers"] == ["1Z999"]
    assert sent["order_status"] == "partially shipped"
    assert sent["lines"] == [{"line_number": "0001", "product_ids": {"VN": "MUG-BLU"}, "quantity": "4", "uom": "EA"}]
    assert len(files(tmp_path / "partner-inbox", "856")) == 1, "the EDI buyer still gets its 856"


def test_a_channel_order_is_answered_by_its_fulfilment_alone(tmp_path: Path, store_url: str) -> None:
    hub = with_fulfilments(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([order("PO-7", qty=2)]))
        with hub.store.transaction() as conn:  # as a webshop's order would be: no EDI partner behind it
            row = conn.execute(orders.select().where(orders.c.po_number == "PO-7")).one()
            data = {**json.loads(row.data), "channel": "shop", "partner": "webshop"}
            conn.execute(
                update(orders)
                .where(orders.c.id == row.id)
                .values(channel="shop", partner="webshop", data=json.dumps(data))
            )
        report = cycle(hub, "945.edi", ship_advice("PO-7", "SHIP-7", [("0001", 2, 2, "MUG-BLU")]))
        assert report.processed[0].error is None
        assert status_of(hub, "PO-7") == "shipped"
    finally:
        hub.close()
    (sent,) = fulfilments(tmp_path)
    assert (sent["channel"], sent["partner"], sent["order_status"]) == ("shop", "webshop", "shipped")
    assert files(tmp_path / "partner-inbox", "856") == [], "no 856 for an order no EDI partner sent"


def test_a_shipment_nothing_could_answer_is_held_with_the_reason(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-8", qty=2)]))
        with hub.store.transaction() as conn:
            conn.execute(update(orders).where(orders.c.po_number == "PO-8").values(partner="webshop"))
            row = conn.execute(orders.select().where(orders.c.po_number == "PO-8")).one()
            data = {**json.loads(row.data), "partner": "webshop"}
            conn.execute(update(orders).where(orders.c.id == row.id).values(data=json.dumps(data)))
        report = cycle(hub, "945.edi", ship_advice("PO-8", "SHIP-8", [("0001", 2, 2, "MUG-BLU")]))
        with hub.store.transaction() as conn:
            (held,) = Queries(hub.store).problems(conn)["held_shipments"]
    finally:
        hub.close()
    assert report.processed[0].shipments == 0
    assert "'webshop', which is not a configured partner" in held["error"] and "no fulfilment_sink" in held["error"]


def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from crossdock.core import order_deliveries, render
    from crossdock.core.fulfilment import answers, shipping

    for module in (order_deliveries, render, shipping, answers):
        monkeypatch.setattr(module, "created_now", lambda: dt.datetime(2026, 11, 21, 14, 30))


def test_a_short_shipment_sends_an_855_change_with_the_rest_backordered_once(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_clock(monkeypatch)
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, backorder_855=True)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=10)]))
        short = ship_advice("PO-1", "SHIP-1", [("0001", 10, 10, "MUG-BLU"), ("0002", 10, 4, "KTL-STL")])
        cycle(hub, "945a.edi", short)
        cycle(hub, "945a-again.edi", short)
        (change,) = files(tmp_path / "partner-inbox", "855")
        read_back(change)
        assert_golden(CASES / "855-change.edi", change)
        ack = ack_from_855(checked(change))
        assert (ack.purpose, ack.ack_type, ack.po_number) == ("04", "AC", "PO-1")
        got = [(line.line_number, line.status, line.quantity, line.ordered_quantity) for line in ack.lines]
        assert got == [("0001", "IA", Decimal(10), Decimal(10)), ("0002", "IB", Decimal(6), Decimal(10))]
        (ic,) = parse(change)
        assert ic.groups[0].functional_id == "PR"
        cycle(hub, "945b.edi", ship_advice("PO-1", "SHIP-2", [("0002", 6, 6, "KTL-STL")], control=51))
        assert len(files(tmp_path / "partner-inbox", "855")) == 1, "the rest shipped complete: no second change"
        assert status_of(hub, "PO-1") == "invoiced"
    finally:
        hub.close()


def test_without_backorder_855_or_a_short_line_no_855_change_is_sent(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=10)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 10, 4, "MUG-BLU")]))
    finally:
        hub.close()
    assert files(tmp_path / "partner-inbox", "855") == []
    (tmp_path / "split").mkdir()
    hub = Hub(write_config(tmp_path / "split", config(tmp_path / "split", store_url, backorder_855=True)))
    try:  # a split shipment: each line ships what the warehouse was asked for, nothing is short
        cycle(hub, "po.edi", interchange([order("PO-2", skus=("MUG-BLU", "KTL-STL"), qty=3)]))
        cycle(hub, "945.edi", ship_advice("PO-2", "SHIP-2", [("0001", 3, 3, "MUG-BLU")]))
        assert status_of(hub, "PO-2") == "partially shipped"
    finally:
        hub.close()
    assert files(tmp_path / "split" / "partner-inbox", "855") == []


def test_a_line_closed_short_is_not_backordered_in_the_855_change(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_clock(monkeypatch)
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, backorder_855=True)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL", "CUP-RED"), qty=10)]))
        lines = [("0001", 10, 10, "MUG-BLU"), ("0002", 10, 4, "KTL-STL"), ("0003", 10, 0, "CUP-RED")]
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", lines, closed=("0002",)))
        acks = [ack_from_855(checked(data)) for data in files(tmp_path / "partner-inbox", "855")]
        (backorder,) = [ack for ack in acks if any(line.status == "IB" for line in ack.lines)]
        got = [(line.line_number, line.status, line.quantity) for line in backorder.lines]
        assert got == [("0001", "IA", Decimal(10)), ("0002", "IQ", Decimal(4)), ("0003", "IB", Decimal(10))]
        assert status_of(hub, "PO-1") == "partially shipped"
    finally:
        hub.close()


def test_a_shipment_that_closes_every_short_line_still_tells_a_backorder_855_buyer(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed_clock(monkeypatch)
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, backorder_855=True)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-2", skus=("MUG-BLU", "KTL-STL"), qty=10)]))
        lines = [("0001", 10, 10, "MUG-BLU"), ("0002", 10, 4, "KTL-STL")]
        cycle(hub, "945.edi", ship_advice("PO-2", "SHIP-2", lines, closed=("0002",)))
        (change,) = files(tmp_path / "partner-inbox", "855")
        got = [(line.line_number, line.status, line.quantity) for line in ack_from_855(checked(change)).lines]
        assert got == [("0001", "IA", Decimal(10)), ("0002", "IQ", Decimal(4))], "no backorder: line 0002 is closed"
        assert status_of(hub, "PO-2") == "invoiced"
    finally:
        hub.close()
