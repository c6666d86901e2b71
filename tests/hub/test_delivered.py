"""The delivered notice: a shipment the warehouse's Shipment JSON or CSV says was delivered is recorded as delivered
once, however often it is read, and the buyer of a source with ``notify: {events: [..., delivered]}`` is mailed
once; a source that does not ask for it mails nothing (the default events are the four that were)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.schema import events
from tests.hub.conftest import write_config
from tests.hub.test_customer_notices import config, cycle, dropship
from tests.peers import SmtpServer

MUG = {"line_number": "0001", "product_ids": {"VN": "MUG-BLU"}, "quantity": "2"}
SHIPPED = {
    "shipment_id": "SHIP-1", "ship_date": "2026-11-21", "carrier_scac": "UPS",
    "tracking_numbers": ["1Z999AA10123456784"], "orders": [{"po_number": "PO-7", "lines": [MUG]}],
}  # fmt: skip


def hub_with(tmp_path: Path, store_url: str, smtp: SmtpServer, **notify: Any) -> Hub:
    cfg = config(tmp_path, store_url, smtp, **notify)
    cfg["sources"]["ships"] = {
        "type": "folder", "path": str(tmp_path / "ships"), "min_age": 0, "format": "shipment-json",
        "partner": "acme3pl",
    }  # fmt: skip
    cfg["sources"]["ship-csv"] = {
        "type": "folder", "path": str(tmp_path / "ship-csv"), "min_age": 0, "format": "csv-shipments",
        "partner": "acme3pl",
        "shipment_columns": {"shipment_id": "shipment", "po_number": "po", "line_number": "line", "sku": "sku",
                             "quantity": "qty", "ship_date": "shipped", "delivered_at": "delivered"},
    }  # fmt: skip
    (tmp_path / "ships").mkdir()
    (tmp_path / "ship-csv").mkdir()
    return Hub(write_config(tmp_path, cfg))


def post(hub: Hub, source: str, name: str, data: bytes) -> None:
    (Path(hub.config.sources[source].path) / name).write_bytes(data)  # type: ignore[union-attr]
    report = poll(hub, source, "me")
    assert report.error is None and [p.error for p in report.processed] == [None], report
    hub.dispatcher("test").drain()


def delivered_events(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        return [str(e.message) for e in conn.execute(select(events).where(events.c.kind == "delivered"))]


def test_a_shipment_said_delivered_is_recorded_once_and_its_buyer_mailed_once(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    hub = hub_with(tmp_path, store_url, smtp_server, events=["received", "shipped", "delivered"])
    try:
        cycle(hub, "po.edi", dropship("PO-7"))
        post(hub, "ships", "ship.json", json.dumps(SHIPPED).encode())
        assert [m.message["Subject"] for m in smtp_server.messages] == [
            "Acme Tools order PO-7 received",
            "Acme Tools order PO-7 has shipped",
        ]
        assert delivered_events(hub) == []
        arrived = {**SHIPPED, "delivered_at": "2026-11-23T14:05:00Z"}
        post(hub, "ships", "delivered.json", json.dumps(arrived).encode())
        post(hub, "ships", "delivered-again.json", json.dumps(arrived, indent=1).encode())
        said = delivered_events(hub)
    finally:
        hub.close()
    assert said == ["shipment SHIP-1 for PO PO-7 from acme3pl delivered 2026-11-23T14:05:00+00:00"]
    assert len(smtp_server.messages) == 3
    mail = smtp_server.messages[2]
    assert mail.rcpt_tos == ["ann@example.test"]
    assert mail.message["Subject"] == "Acme Tools order PO-7 has been delivered"
    text = mail.message.get_content()
    assert "Hello Ann Buyer" in text and "2 x MUG-BLU" in text and "1Z999AA10123456784" in text


def test_a_ship_file_row_delivered_already_records_the_shipment_and_its_delivery(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    hub = hub_with(tmp_path, store_url, smtp_server, events=["shipped", "delivered"], language="de")
    try:
        cycle(hub, "po.edi", dropship("PO-7"))
        csv = "shipment,po,line,sku,qty,shipped,delivered\r\nSHIP-2,PO-7,0001,MUG-BLU,2,2026-11-21,2026-11-23\r\n"
        post(hub, "ship-csv", "ship.csv", csv.encode())
        said = delivered_events(hub)
    finally:
        hub.close()
    assert said == ["shipment SHIP-2 for PO PO-7 from acme3pl delivered 2026-11-23T00:00:00+00:00"]
    assert [m.message["Subject"] for m in smtp_server.messages] == [
        "Acme Tools Bestellung PO-7 wurde versandt",
        "Acme Tools Bestellung PO-7 wurde zugestellt",
    ]


def test_a_source_that_does_not_ask_for_delivered_mails_nothing_more(
    tmp_path: Path, store_url: str, smtp_server: SmtpServer
) -> None:
    hub = hub_with(tmp_path, store_url, smtp_server)
    try:
        cycle(hub, "po.edi", dropship("PO-7"))
        post(hub, "ships", "ship.json", json.dumps({**SHIPPED, "delivered_at": "2026-11-23T14:05:00Z"}).encode())
        said = delivered_events(hub)
    finally:
        hub.close()
    assert len(said) == 1
    assert [m.message["Subject"] for m in smtp_server.messages] == [
        "Acme Tools order PO-7 received",
        "Acme Tools order PO-7 has shipped",
    ]


def test_a_delivered_time_that_is_not_one_fails_the_file_by_row_and_column() -> None:
    from crossdock.core.errors import DecodeError
    from crossdock.mappings.shipcsv import shipments_from_csv

    columns = {"shipment_id": "s", "po_number": "p", "sku": "k", "quantity": "q", "delivered_at": "d"}
    with pytest.raises(DecodeError, match=r"f\.csv row 2 column 'd': 'soon' is not a date"):
        shipments_from_csv(b"s,p,k,q,d\r\nS,P,K,1,soon\r\n", columns, name="f.csv")
