"""A return's edge cases at the warehouses: an order split across destinations has each told of its own returned
lines only, and a return cancelled after the warehouses were told is told to each of them again, their own way
(a 180 with BGN01 01, a cancel row, a JSON with ``action: cancel``), or to a person where crossdock has no way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries, events, returns
from crossdock.mappings.x12.reader import parse
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order

SKUS = ("MUG-BLU", "KTL-STL", "BOX-1", "PEN-1")


def return_180(control: int, purpose: str = "00", lines: tuple[tuple[str, int], ...] = ()) -> bytes:
    body = "".join(f"BLI*VN*{sku}*{qty}*EA~NTE*GEN*unwanted~" for sku, qty in lines)
    count = 4 + 2 * len(lines)
    return (
        "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261125*0915*U*00401*"
        f"{control:09d}*0*P*>~GS*AN*NORTHWIND*CROSSDOCK*20261125*0915*{control}*X*004010~"
        f"ST*180*0001~BGN*{purpose}*RA-1*20261125~PRF*PO-1~{body}SE*{count}*0001~GE*1*{control}~IEA*1*{control:09d}~"
    ).encode()


RETURNED = (("MUG-BLU", 1), ("KTL-STL", 2), ("BOX-1", 1))


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl"}
    cfg["sinks"]["3pl"] = {
        "type": "folder", "path": str(tmp_path / "3pl"), "format": "x12-940", "partner": "acme3pl",
        "depositor": "CROSSDOCK",
    }  # fmt: skip
    cfg["sinks"]["import"] = {
        "type": "folder", "path": str(tmp_path / "import"), "format": "csv",
        "columns": [{"header": "po", "field": "po_number"}, {"header": "qty", "field": "line.quantity"}],
    }  # fmt: skip
    cfg["sinks"]["hook"] = {"type": "folder", "path": str(tmp_path / "hook"), "format": "json"}
    cfg["routing"] = {
        "rules": [
            {"match": {"sku": ["MUG-*"]}, "to": "3pl", "split": True},
            {"match": {"sku": ["KTL-*"]}, "to": "import", "split": True},
            {"match": {"sku": ["BOX-*"]}, "to": "hook", "split": True},
        ],
        "default": "west",
    }
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def bli_lines(data: bytes) -> tuple[str, list[tuple[str, str]]]:
    (ic,) = parse(data)
    (ts,) = ic.groups[0].transactions
    bgn = next(s for s in ts.segments if s.id == "BGN")
    return bgn.get(1), [(s.get(2), s.get(3)) for s in ts.segments if s.id == "BLI"]


def test_a_split_orders_return_reaches_each_destination_with_its_own_lines_only(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=5)]))
    assert hub.dispatcher("test").drain().dead == 0
    receive(hub, return_180(2, lines=RETURNED), "return.edi")
    hub.dispatcher("test").drain()

    (x12,) = files(tmp_path / "3pl", "*-180-*.edi")
    assert bli_lines(x12.read_bytes()) == ("00", [("MUG-BLU", "1")])
    (csv,) = files(tmp_path / "import", "return-*.csv")
    rows = csv.read_text().splitlines()
    assert [r.split(",")[5:7] for r in rows[1:]] == [["KTL-STL", "2"]]
    (hooked,) = files(tmp_path / "hook", "return-*.json")
    assert [(x["sku"], x["quantity"]) for x in json.loads(hooked.read_text())["lines"]] == [("BOX-1", "1")]
    assert files(tmp_path / "west", "return-*") == [], "the destination that shipped none of them hears nothing"
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(returns))
    assert row.state == "open" and set(row.warehouse.split(",")) == {"3pl", "import", "hook"}


def test_a_return_cancelled_after_the_warehouses_were_told_is_told_to_each_of_them(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=5)]))
    hub.dispatcher("test").drain()
    receive(hub, return_180(2, lines=RETURNED), "return.edi")
    receive(hub, return_180(3, purpose="01", lines=RETURNED), "return-cancelled.edi")
    receive(hub, return_180(4, purpose="01", lines=RETURNED), "return-cancelled-again.edi")
    assert hub.dispatcher("test").drain().dead == 0

    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(returns))
        cancels = conn.execute(select(deliveries.c.sink).where(deliveries.c.purpose == "return-cancel")).all()
    assert row.state == "cancelled"
    assert sorted(c.sink for c in cancels) == ["3pl", "hook", "import"], "each once, though read twice"
    first, second = files(tmp_path / "3pl", "*-180-*.edi")
    assert [bli_lines(p.read_bytes()) for p in (first, second)] == [
        ("00", [("MUG-BLU", "1")]),
        ("01", [("MUG-BLU", "1")]),
    ]
    (cancel_csv,) = files(tmp_path / "import", "return-*-cancel.csv")
    assert_golden(CASES / "returns" / "cancel.csv", cancel_csv.read_bytes())
    (cancel_json,) = files(tmp_path / "hook", "return-*-cancel.json")
    said = json.loads(cancel_json.read_text())
    assert (said["action"], said["rma_number"], [x["sku"] for x in said["lines"]]) == ("cancel", "RA-1", ["BOX-1"])


def test_a_return_cancelled_before_any_warehouse_was_told_tells_none(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=5)]))
    hub.dispatcher("test").drain()
    receive(hub, return_180(2, purpose="01", lines=RETURNED), "return-cancelled.edi")
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(returns))
        told = conn.execute(select(deliveries).where(deliveries.c.purpose.in_(["return", "return-cancel"]))).all()
    assert row.state == "cancelled" and told == []


def test_a_cancel_a_destination_cannot_be_told_of_alerts_a_person(tmp_path: Path, store_url: str) -> None:
    cfg: dict[str, Any] = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    cfg["sinks"]["erp"] = {
        "type": "odoo", "url": "http://127.0.0.1:9", "database": "d", "username": "u", "api_key": "${ODOO_KEY}",
    }  # fmt: skip
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    cfg["routing"] = {"default": "erp"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        receive(hub, interchange([order("PO-1", skus=SKUS, qty=5)]))
        receive(hub, return_180(2, lines=RETURNED), "return.edi")
        receive(hub, return_180(3, purpose="01", lines=RETURNED), "return-cancelled.edi")
        with hub.store.transaction() as conn:
            alerts = conn.execute(select(deliveries).where(deliveries.c.purpose == "alert")).all()
            said = [e.message for e in conn.execute(select(events).where(events.c.kind == "return"))]
    finally:
        hub.close()
    assert len(alerts) == 1
    assert any("erp (odoo) cannot be told by crossdock: tell the warehouse not to expect RMA RA-1" in m for m in said)
