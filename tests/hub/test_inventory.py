"""Stock out: a snapshot file becomes an 846 per partner and a JSON feed, once per distinct snapshot."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.cli import main
from crossdock.core.errors import CrossdockError, DecodeError
from crossdock.core.hub import Hub
from crossdock.core.stock.inventory import publish
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.inventory846 import inventory_from_846
from crossdock.mappings.x12.reader import parse
from tests.fakeapi import Response, fake_api
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_ship_flow import cycle
from tests.x12.written import read_back


def _hub(tmp_path: Path, store_url: str) -> Hub:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["stock-feed"] = {"type": "folder", "path": str(tmp_path / "stock")}
    cfg["inventory"] = {
        "daily": {
            "snapshot": str(tmp_path / "stock.csv"),
            "columns": {"sku": "Item", "quantity": "Available", "uom": "Unit"},
            "partners": ["northwind"],
            "sinks": ["stock-feed"],
        }
    }
    return Hub(write_config(tmp_path, cfg))


def test_a_snapshot_goes_out_as_an_846_and_json_once(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "stock.csv").write_text("Item,Available,Unit\nMUG-BLU,120,EA\nKTL-STL,-3,EA\n")
    hub = _hub(tmp_path, store_url)
    try:
        assert publish(hub, "daily") == "2 item(s): 846 to 1 partner(s), JSON to 1 sink(s)"
        assert publish(hub, "daily").endswith("unchanged since document 1: nothing sent")
        hub.dispatcher("test").drain()
        (tmp_path / "stock.csv").write_text("Item,Available,Unit\nMUG-BLU,90,EA\n")
        assert publish(hub, "daily").startswith("1 item(s)")
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    reports = sorted((tmp_path / "partner-inbox").glob("*-846-*.edi"))
    assert len(reports) == 2
    first = inventory_from_846(read_back(reports[0].read_bytes()))
    assert [(i.product_ids["VN"], i.quantities["33"]) for i in first.items] == [
        ("MUG-BLU", Decimal("120")),
        ("KTL-STL", Decimal("0")),
    ], "a negative stock level is reported as none available"
    assert {int(parse(p.read_bytes())[0].control) for p in reports} == {1, 2}
    (feed, _) = sorted((tmp_path / "stock").iterdir())
    assert json.loads(feed.read_text())["items"][0]["product_ids"] == {"VN": "MUG-BLU"}


def test_a_bad_snapshot_is_kept_failed_and_nothing_is_sent(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "stock.csv").write_text("Item,Available,Unit\nMUG-BLU,plenty,EA\n")
    hub = _hub(tmp_path, store_url)
    try:
        with pytest.raises(DecodeError, match=re.escape("stock.csv row 2 column 'Available': 'plenty' is not")):
            publish(hub, "daily")
        assert hub.dispatcher("test").drain().sent == 0
    finally:
        hub.close()


def test_the_inventory_command_sends_a_feed_now(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "stock.csv").write_text("Item,Available,Unit\nMUG-BLU,5,EA\n")
    _hub(tmp_path, store_url).close()
    assert main(["inventory", "daily", "-c", str(tmp_path / "crossdock.yaml")]) == 0
    out = capsys.readouterr().out
    assert "daily: 1 item(s)" in out and "outbox: 2 sent" in out


def _endpoint_hub(tmp_path: Path, store_url: str, url: str) -> Hub:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["stock-feed"] = {"type": "folder", "path": str(tmp_path / "stock")}
    cfg["inventory"] = {
        "hourly": {
            "snapshot_url": url,
            "snapshot_auth": "${WMS_TEST_TOKEN}",
            "snapshot_timeout": 2,
            "columns": {"sku": "sku", "quantity": "available"},
            "partners": ["northwind"],
            "sinks": ["stock-feed"],
        }
    }
    return Hub(write_config(tmp_path, cfg))


def test_a_snapshot_read_from_an_endpoint_goes_out_once_and_a_failing_endpoint_sends_nothing(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WMS_TEST_TOKEN", "Bearer s3cret")
    body = {"items": [{"sku": "MUG-BLU", "available": 12}, {"sku": "KTL-STL", "available": "4"}]}
    with fake_api() as api:
        api.route("GET", "/stock", lambda request: Response(200, body))
        api.fail_next(Response(503, {"error": "rebuilding"}, {"Retry-After": "30"}))
        hub = _endpoint_hub(tmp_path, store_url, f"{api.url}/stock")
        try:
            with pytest.raises(CrossdockError, match=r"inventory hourly: GET .*/stock: 503 .*rebuilding"):
                publish(hub, "hourly")
            assert hub.dispatcher("test").drain().sent == 0
            assert publish(hub, "hourly") == "2 item(s): 846 to 1 partner(s), JSON to 1 sink(s)"
            assert publish(hub, "hourly").endswith("nothing sent"), "the same snapshot is not sent twice"
            assert hub.dispatcher("test").drain().sent == 2
        finally:
            hub.close()
        assert [r.headers["authorization"] for r in api.calls("GET", "/stock")] == ["Bearer s3cret"] * 3
    (report,) = sorted((tmp_path / "partner-inbox").glob("*-846-*.edi"))
    items = inventory_from_846(read_back(report.read_bytes())).items
    assert [(i.product_ids["VN"], i.quantities["33"]) for i in items] == [
        ("MUG-BLU", Decimal("12")),
        ("KTL-STL", Decimal("4")),
    ]


def test_a_partner_who_orders_in_cases_gets_its_stock_in_whole_cases(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "stock.csv").write_text("Item,Available,Unit\nMUG-BLU,30,EA\nKTL-STL,7,EA\nCUP-RED,5,EA\n")
    hub = _hub(tmp_path, store_url)
    try:
        po = order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=2)
        po.lines[0].uom, po.lines[0].pack = "CA", 12  # MUG-BLU in cases of 12 eaches (PO4*12)
        po.lines[1].uom = "CA"  # KTL-STL in cases of a size nothing states
        cycle(hub, "po.edi", interchange([po]))
        publish(hub, "daily")
        hub.dispatcher("test").drain()
        with hub.store.transaction() as conn:
            (doc,) = [d for d in Queries(hub.store).documents(conn, direction="in") if d["kind"] == "inventory"]
            shown = Queries(hub.store).document(conn, doc["id"])
    finally:
        hub.close()
    (report,) = sorted((tmp_path / "partner-inbox").glob("*-846-*.edi"))
    sent = inventory_from_846(read_back(report.read_bytes()))
    assert [(i.product_ids["VN"], i.quantities["33"], i.uom) for i in sent.items] == [
        ("MUG-BLU", Decimal("2"), "CA"),  # 30 eaches fill 2 cases of 12
        ("KTL-STL", Decimal("7"), "EA"),  # no case size known: the snapshot's unit, named
        ("CUP-RED", Decimal("5"), "EA"),  # never ordered in another unit
    ]
    assert shown is not None
    (note,) = [e["message"] for e in shown["events"] if e["kind"] == "846"]
    assert "KTL-STL" in note and "how many eaches a CA holds is unknown" in note
    (feed,) = sorted((tmp_path / "stock").iterdir())
    assert json.loads(feed.read_text())["items"][0]["quantities"] == {"33": "30"}, "the JSON feed stays in eaches"
