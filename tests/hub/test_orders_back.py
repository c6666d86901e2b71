"""An operator's ``orders cancel``, ``hold`` and ``release``: the order's next revision, its destinations and its
source told, nothing delivered while it is held."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.lifecycle import cancel_back
from crossdock.core.storage.schema import deliveries
from crossdock.mappings.x12.poack855 import ack_from_855
from tests.golden import assert_golden
from tests.hub.conftest import base_config, run, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_answers import fixed_clock
from tests.hub.test_ship_flow import checked, cycle, files
from tests.x12.written import read_back

CASES = Path(__file__).resolve().parents[1] / "cases" / "hub" / "orders_back"


@pytest.fixture
def setup(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Northwind's 850s (it takes 855s) from the ``drop`` folder, whose orders' fulfilments and cancellations go
    back to the ``erp`` folder; CA orders go to ``west``, which takes crossdock's order JSON."""
    fixed_clock(monkeypatch)
    monkeypatch.setattr(cancel_back, "created_now", lambda: dt.datetime(2026, 11, 21, 14, 30))
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["drop"]["fulfilment_sink"] = "erp"
    cfg["sinks"]["erp"] = {"type": "folder", "path": str(tmp_path / "erp")}
    write_config(tmp_path, cfg)
    return tmp_path / "crossdock.yaml"


def hub_of(path: Path) -> Hub:
    return Hub(write_config(path.parent, yaml.safe_load(path.read_text())))


def cli(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> tuple[int, str, str]:
    return run(capsys, *argv, "-c", str(path))


def received(path: Path, data: bytes, name: str = "po.edi") -> None:
    hub = hub_of(path)
    try:
        cycle(hub, name, data)
    finally:
        hub.close()


def drained(path: Path) -> None:
    hub = hub_of(path)
    try:
        hub.dispatcher("test").drain()
    finally:
        hub.close()


def order_row(path: Path, po: str) -> Any:
    from crossdock.core.storage.queries import Queries

    hub = hub_of(path)
    try:
        with hub.store.transaction() as conn:
            return Queries(hub.store).order(conn, po)
    finally:
        hub.close()


def cancellations(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes()) for p in sorted(folder.glob("cancellation-*.json"))]


def test_an_operator_cancels_an_order_its_destination_and_its_buyer_are_told(
    setup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = setup.parent
    received(setup, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    code, out, err = cli(capsys, setup, "orders", "cancel", "PO-1", "--reason", "buyer_request")
    assert code == 0, err
    assert "order PO-1 cancelled" in out and "erp" in out and "northwind (855 change)" in out
    drained(setup)
    found = order_row(setup, "PO-1")
    assert (found["status"], found["revision"]) == ("cancelled", 2)
    (cancelled,) = tmp.joinpath("west").glob("*-cancelled.json")
    assert json.loads(cancelled.read_bytes())["purpose"] == "01", "the destination that has it gets the cancel"
    (told,) = cancellations(tmp / "erp")
    assert (told["whole_order"], told["by"], told["reason"], told["lines"]) == (True, "operator", "buyer_request", [])
    change = next(d for d in files(tmp / "partner-inbox", "855") if b"BAK*04" in d)
    read_back(change)
    assert_golden(CASES / "855-cancel-whole.edi", change)
    ack = ack_from_855(checked(change))
    assert [(line.status, line.quantity) for line in ack.lines] == [("IR", Decimal(5)), ("IR", Decimal(5))]

    code, out, err = cli(capsys, setup, "orders", "cancel", "PO-1", "--reason", "again")
    assert code == 1 and "is cancelled: nothing to cancel" in err


def test_an_operator_cuts_lines_the_next_revision_goes_out_and_the_source_gets_the_cut_lines(
    setup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = setup.parent
    received(setup, interchange([order("PO-2", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    code, out, err = cli(capsys, setup, "orders", "cancel", "PO-2", "--lines", "0002:2", "--reason", "no stock left")
    assert code == 0, err
    assert "1 line(s) cut, revision 2" in out
    drained(setup)
    revised = json.loads(next(tmp.joinpath("west").glob("*-PO-2-r2.json")).read_bytes())
    assert [line["quantity"] for line in revised["lines"]] == ["5", "3"]
    (told,) = cancellations(tmp / "erp")
    assert_golden(CASES / "cancellation-lines.json", next((tmp / "erp").glob("cancellation-*.json")).read_bytes())
    assert told["whole_order"] is False and told["reason"] == "other" and told["note"] == "no stock left"
    assert [(line["line_number"], line["quantity"]) for line in told["lines"]] == [("0002", "2")]
    change = next(d for d in files(tmp / "partner-inbox", "855") if b"BAK*04" in d)
    ack = ack_from_855(checked(change))
    assert [(line.status, line.quantity) for line in ack.lines] == [("IA", Decimal(5)), ("IQ", Decimal(3))]

    code, out, err = cli(capsys, setup, "orders", "cancel", "PO-2", "--lines", "0002:4", "--reason", "x")
    assert code == 1 and "line 0002 of order PO-2 has 3 left to cancel" in err
    code, out, err = cli(capsys, setup, "orders", "cancel", "PO-2", "--lines", "0009", "--reason", "x")
    assert code == 1 and "has no line '0009' (its lines: 0001, 0002)" in err


def test_a_held_order_gets_no_deliveries_until_it_is_released(setup: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp = setup.parent
    (tmp / "drop" / "po.edi").write_bytes(interchange([order("PO-3")]))
    assert cli(capsys, setup, "poll", "drop", "--no-dispatch")[0] == 0
    code, out, err = cli(capsys, setup, "orders", "hold", "PO-3", "--reason", "address check")
    assert code == 0 and "order PO-3 on hold: 1 delivery(ies) stopped" in out, err
    drained(setup)
    assert list(tmp.joinpath("west").glob("*.json")) == [], "held: nothing went to the warehouse"
    assert order_row(setup, "PO-3")["status"] == "held"  # type: ignore[index]
    code, out, err = cli(capsys, setup, "orders", "hold", "PO-3", "--reason", "twice")
    assert code == 1 and "on hold already (address check)" in err

    code, out, err = cli(capsys, setup, "orders", "release", "PO-3")
    assert code == 0 and "order PO-3 released: 1 delivery(ies) resumed, 0 planned" in out, err
    drained(setup)
    assert len(list(tmp.joinpath("west").glob("*-PO-3-r1.json"))) == 1, "released: sent once"
    assert order_row(setup, "PO-3")["status"] in ("routed", "delivered")  # type: ignore[index]
    code, out, err = cli(capsys, setup, "orders", "release", "PO-3")
    assert code == 1 and "is not on hold" in err


def test_a_revision_arriving_while_held_is_stored_not_routed_and_release_routes_it(
    setup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp = setup.parent
    (tmp / "drop" / "po.edi").write_bytes(interchange([order("PO-4", qty=5)]))
    assert cli(capsys, setup, "poll", "drop", "--no-dispatch")[0] == 0
    assert cli(capsys, setup, "orders", "hold", "PO-4", "--reason", "fraud review")[0] == 0
    (tmp / "drop" / "po2.edi").write_bytes(interchange([order("PO-4", qty=7, purpose="05")], control=2))
    assert cli(capsys, setup, "poll", "drop")[0] == 0
    assert list(tmp.joinpath("west").glob("*.json")) == []
    found = order_row(setup, "PO-4")
    assert (found["status"], found["revision"]) == ("held", 2)
    assert cli(capsys, setup, "orders", "release", "PO-4")[0] == 0
    drained(setup)
    assert [p.name for p in tmp.joinpath("west").glob("*.json")] == ["northwind-PO-4-r2.json"], (
        "only the latest revision goes, once"
    )


def test_a_held_order_already_at_its_destination_raises_an_alert(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = base_config(tmp_path, store_url, alerts={"sink": "ops"})
    cfg["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    write_config(tmp_path, cfg)
    path = tmp_path / "crossdock.yaml"
    received(path, interchange([order("PO-5")]))
    code, out, err = cli(capsys, path, "orders", "hold", "PO-5", "--reason", "address check")
    assert code == 0 and "west had it already: alerted" in out, err
    drained(path)
    (alert,) = (tmp_path / "ops").glob("*.txt")
    assert "sent to west: hold it there" in alert.read_text()
    hub = hub_of(path)
    try:
        with hub.store.transaction() as conn:
            states = set(conn.execute(select(deliveries.c.state).where(deliveries.c.purpose == "order")).scalars())
    finally:
        hub.close()
    assert states == {"sent"}


def test_two_orders_with_one_po_number_are_told_apart_by_source(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["southwind"] = {"isa_qualifier": "ZZ", "isa_id": "SOUTHWIND", "reply_to": "northwind-inbox"}
    write_config(tmp_path, cfg)
    path = tmp_path / "crossdock.yaml"
    received(path, interchange([order("PO-6")]), "a.edi")
    received(path, interchange([order("PO-6")], sender="SOUTHWIND", control=2), "b.edi")
    code, _, err = cli(capsys, path, "orders", "hold", "PO-6", "--reason", "x")
    assert code == 1 and "2 orders carry PO number 'PO-6' (from northwind, southwind): name one with --source" in err
    code, _, err = cli(capsys, path, "orders", "hold", "PO-6", "--source", "southwind", "--reason", "x")
    assert code == 0, err
