"""Walmart hears "acknowledged" only of an order crossdock routed: one held for having no route is left Created
(a person is alerted), so Walmart is never promised a shipment no warehouse was asked for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from tests.fakeapi import FakeApi
from tests.hub.channels import channel_config, channel_hub, order_rows
from tests.hub.test_walmart_flow import ENVIRONMENT, FakeWalmart, example, statuses
from tests.hub.test_walmart_flow import throttle_waits as throttle_waits
from tests.hub.test_walmart_flow import walmart as walmart


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, walmart: tuple[FakeWalmart, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    source = {"type": "walmart", "url": walmart[1].url, "client_id": "${WM_ID}", "client_secret": "${WM_SECRET}"}
    cfg = channel_config(tmp_path, store_url, "walmart-us", source)
    cfg["routing"] = {"rules": [{"match": {"sku": ["KETTLE-*"]}, "to": "warehouse"}]}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as h:
        yield h


def test_an_order_held_for_want_of_a_route_is_not_acknowledged(hub: Hub, walmart: tuple[FakeWalmart, FakeApi]) -> None:
    fake, api = walmart
    routed, unroutable = example("9001"), example("9002")
    for line in unroutable["orderLines"]["orderLine"]:
        line["item"]["sku"] = "NOWHERE-1"
    fake.put(routed)
    fake.put(unroutable)
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and [p.state for p in report.processed] == ["processed", "processed"]
    assert set(order_rows(hub, "walmart")) == {"9001", "9002"}
    assert statuses(fake.orders["9001"]) == ["Acknowledged", "Acknowledged"]
    assert statuses(fake.orders["9002"]) == ["Created", "Created"], "held: no warehouse will ship it yet"
    assert len(api.calls("POST", "/v3/orders/9002/acknowledge")) == 0
