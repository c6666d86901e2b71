"""ShipBob's returns over HTTP (respx): a return is created once under its RMA (looked up first, and again after a
duplicate answer), its cancel counts one ShipBob holds no more as done, and the source reads every page of the
channel's completed returns since the lookback, one document each."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.shipbob import ShipBobSink, ShipBobSource
from crossdock.connectors.shipbob_config import ShipBobSinkConfig, ShipBobSourceConfig
from crossdock.core.errors import PermanentError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.mappings.shipbob_returns import cancel_request, return_request

BASE = "https://api.shipbob.test/2026-01"
ORDER_KEY = "0f3c9a" * 6 + "ab"
NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
API = {"type": "shipbob", "url": "https://api.shipbob.test", "token": "${SB_TOKEN}", "channel_id": "100102"}
CHANNEL = {"id": 100102, "name": "crossdock"}
NEXT = "/2026-01/return?Cursor=2"  # a next page as ShipBob links it: a path under the API's version


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SB_TOKEN", "pat-s3cret")


def sink() -> ShipBobSink:
    return ShipBobSink("shipbob", ShipBobSinkConfig.model_validate(API))


def told(data: bytes, purpose: str = "return") -> Outbound:
    return Outbound(name="return.json", data=data, idempotency_key="k" * 40, purpose=purpose)


def request_data() -> bytes:
    ret = Return(
        channel="shop", return_id="RA-1", po_number="PO-1", lines=[ReturnLine(sku="MUG-BLU", quantity=Decimal(2))]
    )
    return return_request(ret, rma="RA-1", order_reference=ORDER_KEY)


def shipped_order() -> dict[str, Any]:
    product = {"reference_id": "MUG-BLU", "sku": "MUG-BLU", "inventory_items": [{"id": 1501, "quantity": 5}]}
    shipment = {"id": 9001, "status": "Completed", "products": [product], "location": {"id": 22}}
    return {"id": 7001, "reference_id": ORDER_KEY, "order_number": "PO-1", "shipments": [shipment]}


@respx.mock
def test_a_return_is_created_under_its_rma_from_the_orders_shipment() -> None:
    respx.get(f"{BASE}/return", params={"ReferenceIds": "RA-1"}).mock(
        return_value=httpx.Response(200, json={"items": []})
    )
    respx.get(f"{BASE}/order", params={"ReferenceIds": ORDER_KEY}).mock(
        return_value=httpx.Response(200, json=[shipped_order()])
    )
    create = respx.post(f"{BASE}/return").mock(return_value=httpx.Response(201, json={"id": 301}))
    assert sink().send(told(request_data())) == "shipbob return 301 (reference RA-1)"
    sent = json.loads(create.calls.last.request.content)
    assert sent == {
        "reference_id": "RA-1",
        "fulfillment_center": {"id": 22},
        "inventory": [{"id": 1501, "quantity": 2, "requested_action": "Default"}],
        "original_shipment_id": 9001,
    }
    assert create.calls.last.request.headers["shipbob_channel_id"] == "100102"


@respx.mock
def test_a_return_shipbob_holds_already_on_this_channel_is_not_made_again() -> None:
    other = {"id": 300, "reference_id": "RA-1", "status": "Completed", "channel": {"id": 5}}
    mine = {"id": 301, "reference_id": "RA-1", "status": "AwaitingArrival", "channel": CHANNEL}
    respx.get(f"{BASE}/return").mock(return_value=httpx.Response(200, json={"items": [other, mine]}))
    assert sink().send(told(request_data())) == "shipbob return 301 (reference RA-1, created by an earlier attempt)"


@respx.mock
def test_a_duplicate_answer_is_looked_up_and_a_refusal_is_permanent_in_shipbobs_words() -> None:
    mine = {"id": 301, "reference_id": "RA-1", "status": "AwaitingArrival", "channel": CHANNEL}
    respx.get(f"{BASE}/return").mock(
        side_effect=[httpx.Response(200, json={"items": []}), httpx.Response(200, json={"items": [mine]})]
    )
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[shipped_order()]))
    respx.post(f"{BASE}/return").mock(return_value=httpx.Response(422, json={"ReferenceId": ["already exists"]}))
    assert sink().send(told(request_data())).endswith("(reference RA-1, created by an earlier attempt)")

    respx.get(f"{BASE}/return").mock(return_value=httpx.Response(200, json={"items": []}))
    respx.post(f"{BASE}/return").mock(return_value=httpx.Response(400, json={"Inventory": ["unknown id"]}))
    with pytest.raises(PermanentError, match="400 Bad Request: Inventory: unknown id") as caught:
        sink().send(told(request_data()))
    assert "s3cret" not in str(caught.value)


@respx.mock
def test_a_cancel_cancels_a_return_awaiting_arrival_and_counts_one_gone_as_done() -> None:
    waiting = {"id": 301, "reference_id": "RA-1", "status": "AwaitingArrival", "channel": CHANNEL}
    respx.get(f"{BASE}/return").mock(return_value=httpx.Response(200, json={"items": [waiting]}))
    cancel = respx.post(f"{BASE}/return/301:cancel").mock(return_value=httpx.Response(200, json={}))
    assert sink().send(told(cancel_request("RA-1"), "return-cancel")) == "shipbob return 301 (RMA RA-1) cancelled"
    assert cancel.call_count == 1
    respx.get(f"{BASE}/return").mock(return_value=httpx.Response(200, json={"items": []}))
    assert sink().send(told(cancel_request("RA-1"), "return-cancel")).startswith("no ShipBob return under reference")


@respx.mock
def test_the_source_reads_every_page_of_this_channels_completed_returns_since_the_lookback() -> None:
    def done(n: int, channel: dict[str, Any]) -> dict[str, Any]:
        return {"id": n, "reference_id": f"RA-{n}", "status": "Completed", "channel": channel, "inventory": []}

    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[]))
    pages = respx.get(f"{BASE}/return").mock(
        side_effect=[
            httpx.Response(
                200, json={"items": [done(1, CHANNEL), done(2, {"id": 5})], "next": "/2026-01/return?Cursor=2"}
            ),
            httpx.Response(200, json={"items": [done(3, CHANNEL)], "next": None}),
        ]
    )
    config = ShipBobSourceConfig.model_validate(API | {"lookback": "2d", "read_returns": True})
    with ShipBobSource("shipbob-shipments", config, now=lambda: NOW).receive() as items:
        found = list(items)
    assert [(i.identity, i.kind) for i in found] == [
        ("shipbob:return:1", "shipbob-return"),
        ("shipbob:return:3", "shipbob-return"),
    ]
    first, second = (str(call.request.url) for call in pages.calls)
    assert "Status=Completed" in first and "CompletedStartDate=2026-11-20T12:00:00Z" in first
    assert second == f"{BASE}/return?Cursor=2"


@respx.mock
def test_without_read_returns_the_source_asks_for_none() -> None:
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[]))
    config = ShipBobSourceConfig.model_validate(API | {"lookback": "2d"})
    with ShipBobSource("shipbob-shipments", config, now=lambda: NOW).receive() as items:
        assert list(items) == []
    assert [c.request.url.path for c in respx.calls] == ["/2026-01/order"]
