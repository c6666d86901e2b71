"""ShipBob's delivered status at the connector and the mapping: a Completed shipment whose status details say
``Delivered`` is yielded under its own identity (so the store keeps that reading once) and read with
``delivered_at``; in transit, or delivered with no time named, it is the plain shipped reading."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import respx

from crossdock.core.errors import DecodeError
from crossdock.mappings.shipbob import shipments_from_shipbob
from tests.connectors.test_shipbob import BASE, document, receive, shipbob_order, source

IN_TRANSIT = [{"id": 201, "name": "InTransit", "description": "Shipment In Transit"}]
DELIVERED = [{"id": 203, "name": "Delivered", "description": "Shipment Delivered"}]


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SB_TOKEN", "pat-s3cret")


def listed(*shipments: dict[str, Any]) -> httpx.Response:
    order = shipbob_order()
    order["shipments"] = [order["shipments"][0] | s for s in shipments]
    return httpx.Response(200, json=[order], headers={"page-number": "1", "total-pages": "1"})


@respx.mock
def test_a_delivered_shipment_is_its_own_remote_object_and_one_in_transit_is_not() -> None:
    respx.get(f"{BASE}/order").mock(
        return_value=listed(
            {"id": 9001, "status_details": IN_TRANSIT},
            {"id": 9002, "status_details": DELIVERED, "delivery_date": "2026-11-23T14:05:00Z"},
            {"id": 9003, "status_details": DELIVERED},  # no time: not taken as delivered
        )
    )
    items = receive(source())
    assert [(i.name, i.identity) for i in items] == [
        ("shipbob-shipment-9001.json", "shipbob:shipment:9001"),
        ("shipbob-shipment-9002-delivered.json", "shipbob:shipment:9002:delivered"),
        ("shipbob-shipment-9003.json", "shipbob:shipment:9003"),
    ]
    (delivered,) = shipments_from_shipbob(items[1].data, name=items[1].name)
    assert delivered.delivered_at == dt.datetime(2026, 11, 23, 14, 5, tzinfo=dt.UTC)
    assert [shipments_from_shipbob(i.data, name=i.name)[0].delivered_at for i in (items[0], items[2])] == [None, None]


@pytest.mark.parametrize(
    ("fields", "when"),
    [
        ({"delivery_date": "2026-11-23T09:05:00-05:00"}, dt.datetime(2026, 11, 23, 14, 5, tzinfo=dt.UTC)),
        ({"delivery_date": "2026-11-23T14:05:00.1234567"}, dt.datetime(2026, 11, 23, 14, 5, 0, 123456, dt.UTC)),
        ({"last_tracking_update_at": "2026-11-24T08:00:00Z"}, dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)),
    ],
)
def test_the_delivery_time_is_the_delivery_date_else_the_last_tracking_update(
    fields: dict[str, Any], when: dt.datetime
) -> None:
    (shipment,) = shipments_from_shipbob(document(shipbob_order(status_details=DELIVERED, **fields)), name="s.json")
    assert shipment.delivered_at == when


def test_a_delivery_time_that_is_not_one_fails_naming_the_file_and_field() -> None:
    data = document(shipbob_order(status_details=DELIVERED, last_tracking_update_at="soon"))
    with pytest.raises(DecodeError, match=r"s\.json.*shipment\.delivery_date 'soon' is not an ISO time"):
        shipments_from_shipbob(data, name="s.json")


@respx.mock
def test_with_mark_uploaded_a_flagged_shipment_is_read_again_for_its_delivery_only() -> None:
    """Flagged shipments leave the first query; a second (``IsTrackingUploaded=true``) yields the delivered ones,
    under the delivered identity and without flagging them again."""
    unflagged = respx.get(f"{BASE}/order", params={"IsTrackingUploaded": "false"}).mock(
        return_value=listed({"id": 9001, "status_details": IN_TRANSIT})
    )
    flagged = respx.get(f"{BASE}/order", params={"IsTrackingUploaded": "true"}).mock(
        return_value=listed(
            {"id": 9002, "is_tracking_uploaded": True, "status_details": IN_TRANSIT},
            {"id": 9003, "is_tracking_uploaded": True, "status_details": DELIVERED, "delivery_date": "2026-11-23"},
        )
    )
    mark = respx.post(f"{BASE}/shipment:batchUpdateTrackingUpload").mock(return_value=httpx.Response(200, json={}))
    src = source(mark_uploaded=True)
    with src.receive() as items:
        got = list(items)
        for item in got:
            item.settle()
    assert unflagged.called and flagged.called
    assert [i.identity for i in got] == ["shipbob:shipment:9001", "shipbob:shipment:9003:delivered"]
    assert mark.call_count == 1  # 9001 only: 9003 was flagged already
