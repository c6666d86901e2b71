"""ShipBob's delivered status end to end: a shipment ShipBob later lists with the status detail ``Delivered`` (its
status stays ``Completed``) is recorded as delivered once and the buyer mailed once, however often the poll reads
it; a shipment still in transit says nothing. ShipBob is the fake of ``test_shipbob_flow``; mail a local SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import events
from tests.hub.conftest import write_config
from tests.hub.test_customer_notices import config as notices_config
from tests.hub.test_customer_notices import cycle, dropship
from tests.hub.test_shipbob_flow import CHANNEL, TOKEN, FakeShipBob
from tests.hub.test_shipbob_flow import shipbob as shipbob  # the fake ShipBob fixture
from tests.peers import SmtpServer


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    cfg = notices_config(tmp_path, store_url, smtp_server, events=["shipped", "delivered"])
    api = {"type": "shipbob", "url": shipbob.api.url, "token": "${SHIPBOB_TEST_TOKEN}", "channel_id": CHANNEL}
    cfg["sinks"]["shipbob"] = {**api, "timeout": 5.0}
    cfg["sources"]["shipbob-shipments"] = {**api, "lookback": "1d", "timeout": 5.0}
    cfg["routing"] = {"default": "shipbob"}
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def carrier_says(shipbob: FakeShipBob, po: str, detail: str, **fields: Any) -> None:
    """ShipBob's tracking moves on: the shipment's status detail (and any other field) changes, the order updated."""
    (found,) = [o for o in shipbob.orders if o["order_number"] == po]
    (shipment,) = found["shipments"]
    shipment.update(status_details=[{"id": 0, "name": detail, "description": detail}], **fields)
    found["_updated"] = utcnow()


def read(hub: Hub) -> None:
    report = poll(hub, "shipbob-shipments", "me")
    assert report.error is None and [p.error for p in report.processed if p.error] == [], report
    hub.dispatcher("test").drain()


def delivered_events(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        return [str(e.message) for e in conn.execute(select(events).where(events.c.kind == "delivered"))]


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(m.message["Subject"]) for m in smtp.messages]


def test_a_shipment_shipbob_later_lists_as_delivered_is_told_once(
    hub: Hub, shipbob: FakeShipBob, smtp_server: SmtpServer
) -> None:
    cycle(hub, "po.edi", dropship("PO-7"))
    shipment = shipbob.ship("PO-7")
    read(hub)
    assert subjects(smtp_server) == ["Acme Tools order PO-7 has shipped"]

    carrier_says(shipbob, "PO-7", "InTransit", last_tracking_update_at="2026-11-22T08:00:00Z")
    read(hub)
    assert delivered_events(hub) == [] and len(smtp_server.messages) == 1, "in transit is not delivered"

    carrier_says(shipbob, "PO-7", "Delivered", delivery_date="2026-11-23T14:05:00.1234567Z")
    read(hub)
    read(hub)  # the same delivered shipment read again
    assert delivered_events(hub) == [
        f"shipment {shipment['id']} for PO PO-7 from shipbob-shipments delivered 2026-11-23T14:05:00.123456+00:00"
    ]
    assert subjects(smtp_server) == ["Acme Tools order PO-7 has shipped", "Acme Tools order PO-7 has been delivered"]
    assert smtp_server.messages[1].rcpt_tos == ["ann@example.test"]


def test_a_shipment_delivered_before_its_first_reading_is_recorded_and_delivered_in_one(
    hub: Hub, shipbob: FakeShipBob, smtp_server: SmtpServer
) -> None:
    cycle(hub, "po.edi", dropship("PO-8"))
    shipment = shipbob.ship("PO-8")
    carrier_says(shipbob, "PO-8", "Delivered", delivery_date="2026-11-23")
    read(hub)
    read(hub)
    assert delivered_events(hub) == [
        f"shipment {shipment['id']} for PO PO-8 from shipbob-shipments delivered 2026-11-23T00:00:00+00:00"
    ]
    assert subjects(smtp_server) == ["Acme Tools order PO-8 has shipped", "Acme Tools order PO-8 has been delivered"]


def test_delivered_without_a_time_is_not_taken_as_delivered(
    hub: Hub, shipbob: FakeShipBob, smtp_server: SmtpServer
) -> None:
    cycle(hub, "po.edi", dropship("PO-9"))
    shipbob.ship("PO-9")
    read(hub)
    carrier_says(shipbob, "PO-9", "Delivered")
    read(hub)
    assert delivered_events(hub) == [] and subjects(smtp_server) == ["Acme Tools order PO-9 has shipped"]
