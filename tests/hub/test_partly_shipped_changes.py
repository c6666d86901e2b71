"""A change to an order that shipped in part reaches each destination as what is left to ship: ordered less shipped
per line, a line shipped in full left out; JSON and CSV say both what is ordered and what shipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from crossdock.core.storage.schema import deliveries, documents
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import change, interchange, order, ship_advice
from tests.hub.test_destination_changes import PO_1, config, rows, sets, values

SKUS = ("MUG-BLU", "KTL-STL", "BOX-1", "PEN-1", "SHP-1", "ERP-1")
APIS = ("shipbob", "erp")


@pytest.fixture
def hub(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", "t0ken")
    monkeypatch.setenv("ODOO_TEST_KEY", "k3y")
    cfg = config(tmp_path, store_url)
    cfg["partners"]["northwind"]["gs1_prefix"] = "0614141"  # the 856 for the 945 needs SSCCs
    cfg["sinks"]["shipbob"] = {
        "type": "shipbob", "url": "http://127.0.0.1:9", "token": "${SHIPBOB_TEST_TOKEN}", "channel_id": "7",
        "product_ids": ["VN"],
    }  # fmt: skip
    cfg["sinks"]["erp"] = {
        "type": "odoo", "url": "http://127.0.0.1:9", "database": "acme", "username": "crossdock",
        "api_key": "${ODOO_TEST_KEY}", "product_ids": ["VN"],
    }  # fmt: skip
    cfg["routing"]["rules"] += [
        {"match": {"sku": ["SHP-*"]}, "to": "shipbob", "split": True},
        {"match": {"sku": ["ERP-*"]}, "to": "erp", "split": True},
    ]
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def _drain(hub: Hub) -> None:
    """The files go out; the ShipBob order and the sale.order are taken as created (no API runs here)."""
    with hub.store.transaction() as conn:
        conn.execute(
            update(deliveries).where(deliveries.c.sink.in_(APIS), deliveries.c.state == "pending").values(state="sent")
        )
    report = hub.dispatcher("test").drain()
    assert report.dead == 0, report.errors


def _api_requests(hub: Hub, sink: str) -> list[tuple[str, dict[str, Any]]]:
    """Each delivery to ``sink``: its key (the reference the order is created under) and its request."""
    with hub.store.transaction() as conn:
        got = conn.execute(
            select(deliveries.c.key, documents.c.data)
            .join(deliveries, deliveries.c.document_id == documents.c.id)
            .where(deliveries.c.sink == sink)
            .order_by(deliveries.c.id)
        ).all()
        return [(str(key), json.loads(bytes(data))) for key, data in got]


def _half_shipped_then_changed(hub: Hub) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=6)]), "po.edi")
    _drain(hub)
    shipped = [("0001", 6, 2, "MUG-BLU"), ("0002", 6, 3, "KTL-STL"), ("0003", 6, 6, "BOX-1"), ("0004", 6, 1, "PEN-1")]
    shipped += [("0005", 6, 4, "SHP-1"), ("0006", 6, 5, "ERP-1")]
    receive(hub, ship_advice("PO-1", "SHIP-1", shipped), "945.edi")
    pocs = ["0001*QI*8**EA", "0002*QD*4**EA", "0004*QD*5**EA", "0005*QI*7**EA", "0006*QI*9**EA"]
    receive(hub, change("PO-1", "04", pocs, sequence="1"), "860.edi")
    _drain(hub)


def test_the_3pl_gets_a_cancel_then_what_is_left_under_the_same_depositor_order(hub: Hub, tmp_path: Path) -> None:
    _half_shipped_then_changed(hub)
    _, second = sorted((tmp_path / "3pl").glob("*-940-*.edi"))
    cancel, reissue = sets(second)
    assert values(cancel, "W05") == [["F", PO_1, "PO-1"]]
    assert values(reissue, "W05") == [["N", PO_1, "PO-1"]], "the 945 finds the order by the same W0502"
    assert [w[:2] + w[4:5] for w in values(reissue, "W01")] == [["6", "EA", "MUG-BLU"]], "8 ordered, 2 shipped"


def test_csv_and_json_say_what_is_ordered_what_shipped_and_what_is_left(hub: Hub, tmp_path: Path) -> None:
    _half_shipped_then_changed(hub)
    (changed,) = sorted((tmp_path / "import").glob("*-change.csv"))
    assert rows(changed) == [{"action": "change", "po": "PO-1", "sku": "KTL-STL", "qty": "1"}]
    (plain,) = sorted((tmp_path / "west").glob("*-r2*.json"))
    (line,) = json.loads(plain.read_bytes())["lines"]
    assert (line["product_ids"]["VN"], line["quantity"], line["ordered"], line["shipped"]) == ("PEN-1", "4", "5", "1")
    hooked = sorted((tmp_path / "hook").glob("*.json"))
    assert len(hooked) == 1, "BOX-1 shipped in full before the change: the hook hears nothing of it"


def test_csv_columns_ordered_and_shipped(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config(tmp_path, store_url)
    cfg["partners"]["northwind"]["gs1_prefix"] = "0614141"
    cfg["sinks"]["import"]["columns"] += [
        {"header": "ordered", "field": "line.ordered"},
        {"header": "shipped", "field": "line.shipped"},
    ]
    hub = Hub(write_config(tmp_path, cfg))
    try:
        receive(hub, interchange([order("PO-1", skus=SKUS[:2], qty=6)]), "po.edi")
        _drain(hub)
        receive(hub, ship_advice("PO-1", "SHIP-1", [("0002", 6, 2, "KTL-STL")]), "945.edi")
        receive(hub, change("PO-1", "04", ["0002*QI*9**EA"], sequence="1"), "860.edi")
        _drain(hub)
        receive(hub, change("PO-1", "04", ["0002*QD*2**EA"], sequence="2", control=71), "860-2.edi")
        _drain(hub)
    finally:
        hub.close()
    (new,) = sorted((tmp_path / "import").glob("*-r1*.csv"))
    assert [(r["qty"], r["ordered"], r["shipped"]) for r in rows(new)] == [("6", "6", "0")]
    (changed,) = sorted((tmp_path / "import").glob("*-change.csv"))
    assert [(r["qty"], r["ordered"], r["shipped"]) for r in rows(changed)] == [("7", "9", "2")]
    (cancelled,) = sorted((tmp_path / "import").glob("*-cancel.csv"))
    assert [(r["qty"], r["ordered"], r["shipped"]) for r in rows(cancelled)] == [("7", "9", "2")], "the 7 left go"


def test_shipbob_and_odoo_get_what_is_left_in_place_of_the_order_they_hold(hub: Hub) -> None:
    _half_shipped_then_changed(hub)
    (held, first), (_, revised) = _api_requests(hub, "shipbob")
    assert [p["quantity"] for p in first["products"]] == [6]
    assert [p["quantity"] for p in revised["products"]] == [3], "7 ordered, 4 shipped"
    assert revised["crossdock_replaces"] == held, "the ShipBob order it holds is cancelled first"
    (held, _), (_, erp) = _api_requests(hub, "erp")
    assert erp["replaces"] == held and [line["quantity"] for line in erp["lines"]] == ["4"], erp


def test_a_change_leaving_nothing_to_ship_at_a_destination_cancels_it_there(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS[:1], qty=6)]), "po.edi")
    _drain(hub)
    receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 6, 2, "MUG-BLU")]), "945.edi")
    receive(hub, change("PO-1", "04", ["0001*QD*2**EA"], sequence="1"), "860.edi")
    _drain(hub)
    (cancel_940,) = sorted((tmp_path / "3pl").glob("*-940-cancel-*.edi"))
    (cancel,) = sets(cancel_940)
    assert values(cancel, "W05") == [["F", PO_1, "PO-1"]]
    assert len(list((tmp_path / "3pl").glob("*-940-*.edi"))) == 2, "no new order: nothing is left to ship"


def test_a_line_cancelled_by_the_operator_reaches_only_the_destination_that_holds_it(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=6)]), "po.edi")
    _drain(hub)
    cancel_order(hub, "PO-1", source=None, lines="0002:2", reason="out_of_stock")
    cancel_order(hub, "PO-1", source=None, lines="0001", reason="out_of_stock")
    _drain(hub)
    (changed,) = sorted((tmp_path / "import").glob("*-change.csv"))
    assert rows(changed) == [{"action": "change", "po": "PO-1", "sku": "KTL-STL", "qty": "4"}]
    (cancel_940,) = sorted((tmp_path / "3pl").glob("*-940-cancel-*.edi"))
    assert [w[4] for w in values(sets(cancel_940)[0], "W01")] == ["MUG-BLU"], "line 0001 cut whole: cancelled there"
    assert len(list((tmp_path / "3pl").glob("*-940-*.edi"))) == 2, "no order of nothing after the cancel"
    assert len(list((tmp_path / "hook").glob("*.json"))) == 1, "the hook's line was not touched: it hears nothing"
    assert len(list((tmp_path / "west").glob("*.json"))) == 1
    assert len(_api_requests(hub, "shipbob")) == 1 and len(_api_requests(hub, "erp")) == 1


def _known_by_po_number(hub: Hub) -> None:
    """The 940 that brought the order to the 3PL carried the PO number as W0502 (crossdock's rule before)."""
    with hub.store.transaction() as conn:
        (doc_id, data) = conn.execute(
            select(documents.c.id, documents.c.data)
            .join(deliveries, deliveries.c.document_id == documents.c.id)
            .where(deliveries.c.sink == "3pl", deliveries.c.purpose == "order")
        ).one()
        old = bytes(data).replace(f"W05*N*{PO_1}*".encode(), b"W05*N*PO-1*")
        assert old != bytes(data)
        conn.execute(update(documents).where(documents.c.id == doc_id).values(data=old))


@pytest.mark.parametrize("changes", ["cancel-then-reissue", "change"])
def test_a_3pl_that_got_the_order_under_its_po_number_is_told_under_it(
    tmp_path: Path, store_url: str, changes: str
) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, changes=changes)))
    try:
        receive(hub, interchange([order("PO-1", skus=SKUS[:1], qty=6)]), "po.edi")
        _drain(hub)
        _known_by_po_number(hub)
        receive(hub, interchange([order("PO-1", skus=SKUS[:1], qty=7, purpose="05")], control=2), "po-2.edi")
        _drain(hub)
        receive(hub, interchange([order("PO-1", skus=SKUS[:1], qty=7, purpose="01")], control=3), "po-3.edi")
        _drain(hub)
    finally:
        hub.close()
    _, second = sorted((tmp_path / "3pl").glob("*-940-PO-*.edi"))
    told = [values(ts, "W05")[0][:2] for ts in sets(second)]
    if changes == "change":
        assert told == [["R", "PO-1"]], "the change names the order as the 3PL holds it"
    else:
        assert told == [["F", "PO-1"], ["N", PO_1]], "cancelled under the old number, sent anew under the new"
    (cancel,) = sorted((tmp_path / "3pl").glob("*-940-cancel-*.edi"))
    expected = "PO-1" if changes == "change" else PO_1
    assert values(sets(cancel)[0], "W05")[0][:2] == ["F", expected], "the cancel names what the 3PL holds now"


def test_a_line_the_warehouse_closed_is_not_asked_for_again(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS[:2], qty=6)]), "po.edi")
    _drain(hub)
    closed = ship_advice("PO-1", "SHIP-1", [("0001", 6, 2, "MUG-BLU")], closed=("0001",))
    receive(hub, closed, "945.edi")
    moved = order("PO-1", skus=SKUS[:2], qty=6, purpose="05", state="NY")  # a new ship-to for every line
    receive(hub, interchange([moved], control=2), "po-2.edi")
    _drain(hub)
    assert len(list((tmp_path / "3pl").glob("*-940-*.edi"))) == 1, "the 3PL ships no more of 0001: nothing to tell"
    (changed,) = sorted((tmp_path / "import").glob("*-change.csv"))
    assert rows(changed) == [{"action": "change", "po": "PO-1", "sku": "KTL-STL", "qty": "6"}]


def test_a_partly_shipped_order_routed_elsewhere_brings_only_what_is_left_there(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"].update(send_855=False, gs1_prefix="0614141")
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        receive(hub, interchange([order("PO-2", skus=SKUS[:2], qty=6, state="CA")]), "po.edi")
        _drain(hub)
        receive(hub, ship_advice("PO-2", "SHIP-1", [("0001", 6, 6, "MUG-BLU"), ("0002", 6, 1, "KTL-STL")]), "945.edi")
        moved = order("PO-2", skus=SKUS[:2], qty=6, state="NY", purpose="05")  # routed to east now
        receive(hub, interchange([moved], control=2), "po-2.edi")
        _drain(hub)
    finally:
        hub.close()
    (cancelled,) = sorted((tmp_path / "west").glob("*-cancelled.json"))
    assert json.loads(cancelled.read_bytes())["purpose"] == "01", "west is told to stop"
    (now,) = sorted((tmp_path / "east").glob("*.json"))
    lines = json.loads(now.read_bytes())["lines"]
    assert [(x["line_number"], x["quantity"], x["ordered"], x["shipped"]) for x in lines] == [("0002", "5", "6", "1")]
