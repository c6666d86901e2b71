"""What the sales-channel end-to-end tests (``test_<channel>_flow.py``) share: the hub around one channel source
(a ``shipped`` shipment-json folder for the warehouse's answers, a ``warehouse`` folder sink every order is routed
to), the orders the store holds for a channel, the warehouse's shipment file, the webhook server, and the steps
each flow repeats (drain, then look at what the warehouse got or what went back)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from sqlalchemy import func, select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, orders
from crossdock.server import make_server, serve_in_background, webhook_path
from tests.fakeapi import FakeApi, fake_api
from tests.hub.conftest import base_config, write_config

UNPAID = "an unpaid order does not go to the warehouse"
SOURCE_DEFAULTS: dict[str, Any] = {"first_sync": "30d", "timeout": 2}


class Serves(Protocol):
    def serve(self, api: FakeApi) -> None: ...


ChannelFake = TypeVar("ChannelFake", bound=Serves)


def served(fake: ChannelFake) -> Iterator[tuple[ChannelFake, FakeApi]]:
    """``fake``'s routes on a fake API on 127.0.0.1 for as long as the fixture that yields from this lasts."""
    with fake_api() as api:
        fake.serve(api)
        yield fake, api


def channel_config(tmp_path: Path, store_url: str, name: str, source: dict[str, Any]) -> dict[str, Any]:
    """The hub's configuration with the channel ``source`` as ``name`` (reading back 30 days on its first poll and
    giving up a call after 2 seconds, unless it says otherwise), the warehouse (partner ``acme-wh``) answering
    shipments in the ``shipped`` folder, and every order routed to the ``warehouse`` folder."""
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["acme-wh"] = {"isa_qualifier": "ZZ", "isa_id": "ACMEWH"}
    cfg["sources"][name] = SOURCE_DEFAULTS | source
    cfg["sources"]["shipped"] = {
        "type": "folder",
        "path": str(tmp_path / "shipped"),
        "min_age": 0,
        "format": "shipment-json",
        "partner": "acme-wh",
    }
    cfg["sinks"]["warehouse"] = {"type": "folder", "path": str(tmp_path / "warehouse")}
    cfg["routing"] = {"default": "warehouse"}
    return cfg


@contextmanager
def channel_hub(
    tmp_path: Path, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, environment: Mapping[str, str]
) -> Iterator[Hub]:
    """A hub on ``config`` with the channel's secrets in the environment and the ``shipped`` folder made."""
    for var, value in environment.items():
        monkeypatch.setenv(var, value)
    (tmp_path / "shipped").mkdir(exist_ok=True)
    hub = Hub(write_config(tmp_path, config))
    try:
        yield hub
    finally:
        hub.close()


def order_rows(hub: Hub, channel: str) -> dict[str, Any]:
    """The channel's orders in the store, by their id on the channel."""
    with hub.store.transaction() as conn:
        return {r.external_id: r for r in conn.execute(select(orders).where(orders.c.channel == channel))}


def drain(hub: Hub) -> None:
    hub.dispatcher("test").drain()


def warehouse_files(tmp_path: Path, pattern: str = "*.json") -> list[Path]:
    """What the warehouse folder holds."""
    return list((tmp_path / "warehouse").glob(pattern))


def ship_back(
    hub: Hub,
    tmp_path: Path,
    po_number: str,
    lines: Mapping[str, Any],
    *,
    shipment_id: str = "WH-9",
    ship_date: str = "2026-11-24",
    carrier_scac: str = "UPSN",
    carrier_service: str | None = None,
    tracking: str = "1Z999AA10123456784",
) -> None:
    """The warehouse's shipment file for ``lines`` (line number: quantity) of one order, read and answered back to
    the channel."""
    shipment: dict[str, Any] = {
        "shipment_id": shipment_id,
        "ship_date": ship_date,
        "carrier_scac": carrier_scac,
        "tracking_numbers": [tracking],
        "orders": [
            {"po_number": po_number, "lines": [{"line_number": n, "quantity": q} for n, q in lines.items()]},
        ],
    }
    if carrier_service is not None:
        shipment["carrier_service"] = carrier_service
    (tmp_path / "shipped" / f"{shipment_id}.json").write_text(json.dumps(shipment))
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    drain(hub)


def sent_fulfilments(hub: Hub) -> int:
    """How many fulfilments went back to a channel."""
    with hub.store.transaction() as conn:
        sent = conn.execute(
            select(func.count()).where(deliveries.c.purpose == "fulfilment", deliveries.c.state == "sent")
        )
        return int(sent.scalar_one())


def failing_source(hub: Hub) -> str:
    """The one source the hub's problems list as failing."""
    with hub.store.transaction() as conn:
        (failing,) = Queries(hub.store).problems(conn)["failing_sources"]
    return str(failing["source"])


@contextmanager
def webhook_url(hub: Hub, source: str) -> Iterator[str]:
    """The URL of ``source``'s webhook on crossdock's server, running in the background meanwhile."""
    server = make_server(hub, "127.0.0.1", 0)
    serve_in_background(server)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{webhook_path(source)}"
    finally:
        server.shutdown()
        server.server_close()


def assert_repoll_quiet_and_cancel_sent(hub: Hub, tmp_path: Path, source: str) -> None:
    """After an update and a cancellation are stored: polling again brings nothing, and the warehouse hears of the
    cancel."""
    assert poll(hub, source, "me").received == 0, "a re-poll within the overlap changes nothing"
    drain(hub)
    assert len(warehouse_files(tmp_path, "*-cancelled.json")) == 1, "the warehouse hears of the cancel"


def assert_waits_unrouted(
    hub: Hub, tmp_path: Path, source: str, channel: str, external_id: str, why: str = UNPAID
) -> Any:
    """The channel's one new order, not paid yet, is stored waiting and the warehouse gets nothing; its row."""
    assert poll(hub, source, "me").received == 1
    drain(hub)
    row = order_rows(hub, channel)[external_id]
    assert row.status == "waiting"
    assert not warehouse_files(tmp_path), why
    return row


def assert_routed_once_paid(hub: Hub, tmp_path: Path, source: str, channel: str, external_id: str) -> None:
    """The waiting order, paid on the channel since, is routed to the warehouse as its second revision."""
    assert poll(hub, source, "me").received == 1
    drain(hub)
    (sent,) = warehouse_files(tmp_path)
    assert "-r2" in sent.name and order_rows(hub, channel)[external_id].status == "delivered"


def assert_late_older_version_changes_nothing(
    hub: Hub, source: str, channel: str, newer: Inbound, older: Inbound, kept: str
) -> None:
    """One order stored and processed in its ``newer`` version, then in an ``older`` one that arrived late: the late
    one changes nothing, and the order keeps what only the newer one says (``kept``)."""
    for version in (newer, older):
        result = process(hub, ingest(hub, source, version).document_id)
    assert (result.orders_changed, result.orders_unchanged) == (0, 1)
    (row,) = order_rows(hub, channel).values()
    assert row.revision == 1 and kept in row.data
