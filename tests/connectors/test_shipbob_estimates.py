"""ShipBob's delivery estimate (its tracking API's ``edd``) becomes the shipment's ``delivery_date``, the 856's
DTM*017 (issue 19): the mapping (pure) and the source that asks for it (respx)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pydantic
import pytest
import respx

from crossdock.core.errors import DecodeError
from crossdock.mappings.shipbob import shipments_from_shipbob
from tests.connectors.test_shipbob import BASE, document, shipbob_order, source, source_config
from tests.connectors.test_shipbob import token as token  # the source's token in the environment

EDD = {"tracking_number": "1Z999", "carrier": "UPS", "edd": "2026-11-25T20:00:00+00:00", "edd_source": "Carrier"}


def _with(tracking: dict[str, Any] | None, **shipment: Any) -> bytes:
    doc = json.loads(document(shipbob_order(**shipment)))
    if tracking is not None:
        doc["tracking"] = tracking
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("tracking", "shipment", "expected"),
    [
        ({"edd": "2026-11-25T20:00:00+00:00"}, {}, dt.date(2026, 11, 25)),
        (None, {"delivery_date": "2026-11-24T15:00:00Z"}, dt.date(2026, 11, 24)),  # read after it was delivered
        ({"edd": "2026-11-25"}, {"delivery_date": "2026-11-24T15:00:00Z"}, dt.date(2026, 11, 25)),
        ({"edd": None}, {}, None),
        (None, {}, None),
        ({"edd": "2026-11-20T08:00:00Z"}, {}, None),  # before the ship date (11-21): no estimate
    ],
)
def test_the_delivery_estimate_is_the_shipments_delivery_date(
    tracking: dict[str, Any] | None, shipment: dict[str, Any], expected: dt.date | None
) -> None:
    (mapped,) = shipments_from_shipbob(_with(tracking, **shipment), name="x")
    assert mapped.ship_date == dt.date(2026, 11, 21) and mapped.delivery_date == expected


def test_an_estimate_that_is_no_date_is_a_decode_error_naming_the_field() -> None:
    with pytest.raises(DecodeError) as caught:
        shipments_from_shipbob(_with({"edd": "next week" * 50}), name="ship.json")
    assert "ship.json" in str(caught.value) and "tracking.edd 'next week" in str(caught.value)
    assert len(str(caught.value)) < 200, "ShipBob's value is cut in the message"


@respx.mock
def test_the_source_asks_the_tracking_api_for_each_new_shipments_estimate() -> None:
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[shipbob_order()]))
    asked = respx.get(f"{BASE}/shipments-tracking").mock(
        return_value=httpx.Response(200, json=[EDD | {"tracking_number": "1Z000", "edd": "2026-12-30"}, EDD])
    )
    with source(mark_uploaded=True, estimated_delivery=True).receive() as items:
        (item,) = list(items)
    assert asked.call_count == 1 and asked.calls.last.request.url.params["ShipmentIds"] == "9001"
    assert asked.calls.last.request.headers["Authorization"] == "Bearer pat-s3cret"
    assert json.loads(item.data)["tracking"] == {"edd": "2026-11-25T20:00:00+00:00"}, "the record of its tracking no."
    (mapped,) = shipments_from_shipbob(item.data, name=item.name)
    assert mapped.delivery_date == dt.date(2026, 11, 25)


@respx.mock
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(403, json={"message": "scope"}),
        httpx.Response(200, json={"oops": 1}),
        httpx.Response(200, json=[]),
    ],
)
def test_no_estimate_leaves_the_shipment_without_one(answer: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[shipbob_order()]))
    respx.get(f"{BASE}/shipments-tracking").mock(return_value=answer)
    with source(mark_uploaded=True, estimated_delivery=True).receive() as items:
        (item,) = list(items)
    assert "tracking" not in json.loads(item.data)
    assert shipments_from_shipbob(item.data, name=item.name)[0].delivery_date is None
    if answer.status_code == 403:
        assert "shipment 9001 has no delivery estimate" in caplog.text and "pat-s3cret" not in caplog.text


@respx.mock
def test_without_the_setting_the_tracking_api_is_not_asked() -> None:
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[shipbob_order()]))
    asked = respx.get(f"{BASE}/shipments-tracking").mock(return_value=httpx.Response(200, json=[EDD]))
    with source().receive() as items:
        (item,) = list(items)
    assert asked.call_count == 0 and "tracking" not in json.loads(item.data)


def test_estimates_need_mark_uploaded() -> None:
    with pytest.raises(pydantic.ValidationError, match="estimated_delivery needs mark_uploaded: true"):
        source_config(estimated_delivery=True)
    assert source_config(estimated_delivery=True, mark_uploaded=True).estimated_delivery
