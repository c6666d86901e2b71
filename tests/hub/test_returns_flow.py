"""An EDI buyer's return: its 180 ties to the buyer's 850, the warehouse (a CSV destination) gets a return file, the
warehouse's CSV receipt restocks the sellable units, and no channel refund is made (the credit memo is a
person's); the command line lists and shows it. A 180 read twice is one return."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crossdock.cli import main
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.stock.ledger import on_hand
from crossdock.core.storage.schema import deliveries, events, returns
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order

RETURN_180 = (
    "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261125*0915*U*00401*{control:09d}*0*P*>~"
    "GS*AN*NORTHWIND*CROSSDOCK*20261125*0915*{control}*X*004010~"
    "ST*180*0001~BGN*00*RA-1*20261125~PRF*PO-R1~"
    "BLI*VN*MUG-BLU*2*EA~N9*LI*0001~NTE*GEN*damaged: chipped~"
    "SE*7*0001~GE*1*{control}~IEA*1*{control:09d}~"
)


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["east"] = {
        "type": "folder", "path": str(tmp_path / "east"), "format": "csv",
        "columns": [{"header": "po", "field": "po_number"}, {"header": "qty", "field": "line.quantity"}],
    }  # fmt: skip
    cfg["sources"]["receipts"] = {
        "type": "folder", "path": str(tmp_path / "receipts"), "min_age": 0, "format": "return-receipt-csv",
        "partner": "east-wh",
    }  # fmt: skip
    cfg["partners"]["east-wh"] = {"isa_qualifier": "ZZ", "isa_id": "EASTWH"}
    (tmp_path / "receipts").mkdir()
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def test_an_edi_buyers_return_reaches_the_csv_warehouse_and_its_receipt_restocks_without_a_channel_refund(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    receive(hub, interchange([order("PO-R1", state="NY")]))
    hub.dispatcher("test").drain()
    receive(hub, RETURN_180.format(control=2).encode(), "return.edi")
    receive(hub, RETURN_180.format(control=3).encode(), "return-again.edi")
    hub.dispatcher("test").drain()
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(returns))
    assert (row.channel, row.return_id, row.state, row.warehouse) == ("northwind", "RA-1", "open", "east")
    (notice,) = (tmp_path / "east").glob("return-*.csv")
    assert_golden(CASES / "returns" / "notice.csv", notice.read_bytes())

    (tmp_path / "receipts" / "r.csv").write_text(
        "rma_number,sku,quantity,condition\r\nRA-1,MUG-BLU,1,sellable\r\nRA-1,MUG-BLU,1,defective\r\n"
    )
    assert poll(hub, "receipts", "me").processed[0].error is None
    hub.dispatcher("test").drain()
    with hub.store.transaction() as conn:
        assert on_hand(conn, ["MUG-BLU"]) == {("MUG-BLU", "east-wh"): 1}
        assert list(conn.execute(select(deliveries).where(deliveries.c.purpose == "refund"))) == []
        said = [e.message for e in conn.execute(select(events).where(events.c.kind == "refund"))]
        (row,) = conn.execute(select(returns))
    assert row.state == "received"
    assert any("no channel refund" in m and "credit" in m for m in said)

    config = str(tmp_path / "crossdock.yaml")
    assert main(["returns", "list", "-c", config, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["return_id"], r["state"], r["po_number"]) for r in listed] == [("RA-1", "received", "PO-R1")]
    assert main(["returns", "show", "RA-1", "-c", config]) == 0
    shown = capsys.readouterr().out
    assert "returned 2 EA MUG-BLU: damaged" in shown and "received 1 MUG-BLU defective" in shown
    assert main(["returns", "approve", "RA-1", "-c", config]) == 1
    assert "no refund waits for approval" in capsys.readouterr().err


def test_a_receipt_for_no_return_is_held_naming_what_it_was_for(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "receipts" / "r.csv").write_text("rma_number,sku,quantity\r\nRA-404,MUG-BLU,1\r\n")
    got = poll(hub, "receipts", "me").processed[0]
    assert got.error == "receipt for RA-404 from east-wh held: no open return has that RMA, id or PO number"
    with hub.store.transaction() as conn:
        assert on_hand(conn, ["MUG-BLU"]) == {}


def test_a_receipt_file_that_cannot_be_read_fails_by_name_and_row(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "receipts" / "bad.csv").write_text("rma_number,sku,quantity,condition\r\nRA-1,MUG-BLU,1,wet\r\n")
    got = poll(hub, "receipts", "me").processed[0]
    assert got.state == "failed"
    assert got.error is not None and "bad.csv: row 2: condition 'wet' is not one of" in got.error
