"""ShipBob: the create-order body and the shipment mapping (pure), the sink and the polling source (respx)."""

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
from crossdock.core.errors import CrossdockError, DecodeError, PermanentError, TooLate, TransientError
from crossdock.core.models import Address, Contact, Order, OrderLine, Party
from crossdock.core.ports import Outbound
from crossdock.mappings.shipbob import REPLACES, cancel_request, order_request, shipments_from_shipbob

BASE = "https://api.shipbob.test/2026-01"
KEY = "0f3c9a" * 6 + "ab"
NOW = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
KIT = {"reference_id": "KIT", "inventory_items": [{"quantity": 1}, {"quantity": 2}]}  # two items, two counts
LOT = {"id": 11, "quantity": 5, "lot": "L7"}
RATE_LIMITED = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 25 seconds."}


def sink_config(**extra: Any) -> ShipBobSinkConfig:
    return ShipBobSinkConfig.model_validate(
        {"type": "shipbob", "url": "https://api.shipbob.test", "token": "${SB_TOKEN}", "channel_id": "100102"} | extra
    )


def source_config(**extra: Any) -> ShipBobSourceConfig:
    base = {"type": "shipbob", "url": "https://api.shipbob.test", "token": "${SB_TOKEN}", "channel_id": "100102"}
    return ShipBobSourceConfig.model_validate(base | {"lookback": "2d"} | extra)


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SB_TOKEN", "pat-s3cret")


def purchase_order(**changes: Any) -> Order:
    # fmt: off
    lines = [
        OrderLine(position=1, line_number="0001", quantity=Decimal(5), uom="EA", unit_price=Decimal("12.50"),
                  product_ids={"VN": "MUG-BLU", "UP": "012345678905"}, description="Blue mug"),
        OrderLine(position=2, line_number="0002", quantity=Decimal(2), uom="CS", product_ids={"SK": "KTL-STL"}),
    ]
    # fmt: on
    ship_to = Party(
        role="ST",
        name="DC 42",
        contacts=[Contact(function="DC", name="Dock Office", phone="555-0100", email="dock@example.test")],
        address=Address(lines=["1 Main St", "Door 7"], city="Town", state="CA", postal_code="94607"),
    )
    return Order(po_number="PO-1", order_date=dt.date(2026, 11, 20), parties=[ship_to], lines=lines).model_copy(
        update=changes
    )


# --- the create-order body ---------------------------------------------------------------------------------


def test_an_order_becomes_shipbobs_create_order_body() -> None:
    body = json.loads(order_request(purchase_order(), sink_config(shipping_method="Ground")))
    assert "reference_id" not in body  # the sink sets it from the delivery's key
    assert body["order_number"] == "PO-1" and body["type"] == "DTC" and body["shipping_method"] == "Ground"
    assert body["purchase_date"] == "2026-11-20T00:00:00Z"
    # fmt: off
    assert body["recipient"] == {
        "name": "Dock Office",
        "address": {"address1": "1 Main St", "address2": "Door 7", "company_name": "DC 42", "city": "Town",
                    "state": "CA", "country": "US", "zip_code": "94607"},
        "email": "dock@example.test", "phone_number": "555-0100",
    }
    assert body["products"] == [
        {"reference_id": "MUG-BLU", "name": "Blue mug", "quantity": 5, "quantity_unit_of_measure_code": "EA",
         "external_line_id": 1, "upc": "012345678905", "unit_price": 12.5},
        {"reference_id": "KTL-STL", "name": "KTL-STL", "quantity": 2, "quantity_unit_of_measure_code": "CS",
         "external_line_id": 2},
    ]
    # fmt: on
    tags = [(t["name"], t["value"]) for t in body["tags"]]
    assert tags == [("crossdock_line_1", "VN:0001"), ("crossdock_line_2", "SK:0002")]
    assert "retailer_program_data" not in body


def test_a_b2b_order_carries_its_po_and_the_qualifiers_are_configurable() -> None:
    body = json.loads(order_request(purchase_order(), sink_config(order_type="B2B", product_ids=["UP", "SK"])))
    assert body["type"] == "B2B" and body["retailer_program_data"] == {"purchase_order_number": "PO-1"}
    assert [p["reference_id"] for p in body["products"]] == ["012345678905", "KTL-STL"]
    assert [t["value"] for t in body["tags"]] == ["UP:0001", "SK:0002"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"parties": []}, "order PO-1: ShipBob needs a ship-to party (N1*ST) with a name, a street and a city"),
        (
            {"lines": [OrderLine(position=1, line_number="7", quantity=Decimal(1), uom="EA", product_ids={"IN": "X"})]},
            "order PO-1 line 1 (7): no product id for ShipBob (looked for VN, SK, BP, UP; the line has IN)",
        ),
        (
            {"lines": [OrderLine(position=1, quantity=Decimal("1.5"), uom="EA", product_ids={"VN": "X"})]},
            "order PO-1 line 1: ShipBob takes whole quantities, not 1.5",
        ),
        (
            {"lines": [OrderLine(position=1, quantity=Decimal(1), uom="BX", product_ids={"VN": "X"})]},
            "order PO-1 line 1: ShipBob has no unit for 'BX' (it takes EA, CS or PL)",
        ),
    ],
)
def test_what_shipbob_cannot_take_is_a_permanent_error_naming_the_line(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(PermanentError) as caught:
        order_request(purchase_order(**change), sink_config())
    assert str(caught.value) == reason


# --- shipments back ------------------------------------------------------------------------------------------


def shipbob_order(**shipment: Any) -> dict[str, Any]:
    """An order as ShipBob answers it, the way crossdock created it (products and tags echoed back)."""
    body = {
        "id": 7001,
        "reference_id": KEY,
        "order_number": "PO-1",
        "status": "Fulfilled",
        "channel": {"id": 100102, "name": "crossdock"},
        "products": [
            {"id": 1, "reference_id": "MUG-BLU", "external_line_id": 1, "quantity": 5},
            {"id": 2, "reference_id": "KTL-STL", "external_line_id": 2, "quantity": 2},
        ],
        "tags": [{"name": "crossdock_line_1", "value": "VN:0001"}, {"name": "crossdock_line_2", "value": "SK:0002"}],
    }
    body["shipments"] = [
        {
            "id": 9001,
            "order_id": 7001,
            "reference_id": KEY,
            "status": "Completed",
            "actual_fulfillment_date": "2026-11-21T16:05:00.1234567+00:00",
            "tracking": {"carrier": "UPS", "carrier_service": "Ground", "tracking_number": "1Z999", "scac": None},
            "measurements": {"total_weight_oz": 42, "depth_in": 10},
            "products": [
                {"id": 1, "reference_id": "MUG-BLU", "sku": "MUG-BLU", "name": "Blue mug", "inventory_items": [LOT]},
                {"id": 2, "reference_id": "KTL-STL", "inventory_items": [{"id": 12, "quantity": 2}]},
            ],
        }
        | shipment
    ]
    return body


def document(order: dict[str, Any], index: int = 0) -> bytes:
    return json.dumps({"order": order, "shipment": order["shipments"][index]}).encode()


def test_a_completed_shipment_becomes_a_shipment_traced_to_the_partners_lines() -> None:
    (shipment,) = shipments_from_shipbob(document(shipbob_order()), name="shipbob-shipment-9001.json")
    assert shipment.shipment_id == "9001" and shipment.ship_date == dt.date(2026, 11, 21)
    assert (shipment.carrier_scac, shipment.carrier_service) == ("UPS", "Ground")
    assert shipment.tracking_numbers == ["1Z999"]
    assert (shipment.gross_weight, shipment.weight_uom) == (Decimal(42), "OZ")
    (shipped,) = shipment.orders
    assert shipped.po_number == "PO-1" and shipped.lines == []
    (package,) = shipped.packages
    assert (package.tracking_number, package.weight) == ("1Z999", Decimal(42))
    assert [(li.line_number, li.product_ids, li.quantity, li.lot) for li in package.lines] == [
        ("0001", {"VN": "MUG-BLU"}, Decimal(5), "L7"),
        ("0002", {"SK": "KTL-STL"}, Decimal(2), None),
    ]


def test_a_scac_bol_and_pro_number_are_kept_and_a_freight_date_wins() -> None:
    tracking = {"carrier": "Old Dominion", "scac": "ODFL", "bol": "BOL-1", "pro_number": "PRO-9"}
    tracking["shipping_date"] = "2026-11-23T08:00:00Z"  # freight: the day it left wins over the fulfilment date
    (shipment,) = shipments_from_shipbob(document(shipbob_order(tracking=tracking, measurements=None)), name="x")
    assert shipment.carrier_scac == "ODFL" and shipment.bill_of_lading == "BOL-1"
    assert [(r.qualifier, r.value) for r in shipment.references] == [("CN", "PRO-9")]
    assert shipment.ship_date == dt.date(2026, 11, 23) and shipment.tracking_numbers == []
    assert shipment.orders[0].packages == [] and len(shipment.orders[0].lines) == 2


def test_a_product_on_two_lines_is_shared_out_and_an_untagged_order_falls_back_to_product_ids() -> None:
    order = shipbob_order(products=[{"reference_id": "MUG-BLU", "inventory_items": [{"quantity": 7}]}])
    order["products"] = [
        {"reference_id": "MUG-BLU", "external_line_id": 2, "quantity": 4},
        {"reference_id": "MUG-BLU", "external_line_id": 1, "quantity": 3},
    ]
    order["tags"] = [{"name": "crossdock_line_1", "value": "VN:A"}, {"name": "crossdock_line_2", "value": "VN:B"}]
    (shipment,) = shipments_from_shipbob(document(order), name="x")
    lines = shipment.orders[0].packages[0].lines
    assert [(li.line_number, li.quantity) for li in lines] == [("A", Decimal(3)), ("B", Decimal(4))]

    order["tags"], order["products"] = None, None
    (shipment,) = shipments_from_shipbob(document(order), name="x")
    (line,) = shipment.orders[0].packages[0].lines
    assert (line.line_number, line.product_ids, line.quantity) == (None, {"VN": "MUG-BLU"}, Decimal(7))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html>", "ship.json: not JSON"),
        (json.dumps({"order": {"order_number": "PO-1"}}).encode(), "ship.json: shipment: Field required"),
        (document(shipbob_order() | {"order_number": None}), "ship.json: order.order_number is missing"),
        (document(shipbob_order(products=[])), "ship.json: shipment.products is empty"),
        (document(shipbob_order(status="Processing")), "ship.json: shipment.status is 'Processing', not shipped"),
        (document(shipbob_order(products=[KIT])), "shipment.products.0.inventory_items: cannot tell how many shipped"),
        (document(shipbob_order(products=[{"inventory_items": [{"quantity": 1}]}])), "no reference_id or sku"),
        (document(shipbob_order(actual_fulfillment_date="soon")), "shipment date 'soon' is not an ISO date"),
    ],
)
def test_bad_input_is_a_decode_error_naming_the_file_and_field(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        shipments_from_shipbob(data, name="ship.json")
    assert reason in str(caught.value)


# --- the sink --------------------------------------------------------------------------------------------------


def outbound() -> Outbound:
    data = order_request(purchase_order(), sink_config())
    return Outbound(name="northwind-PO-1-r1.json", data=data, idempotency_key=KEY)


def test_an_order_is_created_with_the_token_the_channel_and_the_delivery_key_as_reference() -> None:
    sink = ShipBobSink("shipbob", sink_config())
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(f"{BASE}/order").mock(return_value=httpx.Response(201, json={"id": 7001}))
        assert sink.send(outbound()) == f"shipbob order 7001 (reference {KEY})"
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer pat-s3cret"
    assert request.headers["shipbob_channel_id"] == "100102"
    body = json.loads(request.content)
    assert body["reference_id"] == KEY and body["order_number"] == "PO-1" and len(body["products"]) == 2


@pytest.mark.parametrize(
    ("response", "error", "after"),
    [
        (httpx.Response(500, text="oops"), TransientError, None),
        (httpx.Response(503, headers={"Retry-After": "120"}), TransientError, 120.0),
        (httpx.Response(429, headers={"x-retry-after": "25"}, json=RATE_LIMITED), TransientError, 25.0),
        (httpx.Response(408), TransientError, None),
        (httpx.Response(400, json={"Recipient.Address.Country": ["Country is required"]}), PermanentError, None),
        (httpx.Response(401), PermanentError, None),
        (httpx.Response(403, json={"message": "No access"}), PermanentError, None),
    ],
)
@respx.mock
def test_answers_map_to_transient_or_permanent_in_shipbobs_words(
    response: httpx.Response, error: type[Exception], after: float | None
) -> None:
    respx.post(f"{BASE}/order").mock(return_value=response)
    with pytest.raises(error) as caught:
        ShipBobSink("shipbob", sink_config()).send(outbound())
    message = str(caught.value)
    assert f"POST {BASE}/order: {response.status_code}" in message and "s3cret" not in message
    if response.status_code == 400:
        assert message.endswith("Recipient.Address.Country: Country is required")
    if response.status_code == 429:
        assert "Rate limit is exceeded" in message
    if isinstance(caught.value, TransientError):
        assert caught.value.retry_after == after


@respx.mock
def test_a_timeout_and_a_refused_connection_are_transient() -> None:
    respx.post(f"{BASE}/order").mock(side_effect=[httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
    sink = ShipBobSink("shipbob", sink_config(timeout=3))
    with pytest.raises(TransientError, match="no answer within 3 s"):
        sink.send(outbound())
    with pytest.raises(TransientError, match="ConnectError"):
        sink.send(outbound())


@respx.mock
def test_a_duplicate_reference_after_a_lost_answer_is_found_and_counted_as_done() -> None:
    respx.post(f"{BASE}/order").mock(return_value=httpx.Response(422, json={"ReferenceId": ["Duplicate reference id"]}))
    lookup = respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(
        return_value=httpx.Response(200, json=[{"id": 7001, "reference_id": KEY, "order_number": "PO-1"}])
    )
    assert ShipBobSink("shipbob", sink_config()).send(outbound()) == (
        f"shipbob order 7001 (reference {KEY}, created by an earlier attempt)"
    )
    assert lookup.call_count == 1


@respx.mock
def test_a_422_that_is_not_a_duplicate_is_permanent_with_the_validation_message() -> None:
    respx.post(f"{BASE}/order").mock(
        return_value=httpx.Response(422, json={"Products[0].Quantity": ["must be greater than 0"]})
    )
    respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[]))
    with pytest.raises(PermanentError, match=r"422 Unprocessable Entity: Products\[0\]\.Quantity: must be greater"):
        ShipBobSink("shipbob", sink_config()).send(outbound())


def test_a_body_that_is_not_an_order_request_is_refused_without_a_call() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{BASE}/order")
        with pytest.raises(PermanentError, match="not a ShipBob order request"):
            ShipBobSink("shipbob", sink_config()).send(Outbound(name="x.json", data=b"[1]", idempotency_key=KEY))
    assert route.call_count == 0


# --- the source ------------------------------------------------------------------------------------------------


def source(**extra: Any) -> ShipBobSource:
    return ShipBobSource("shipbob-shipments", source_config(**extra), now=lambda: NOW)


def receive(src: ShipBobSource) -> list[Any]:
    with src.receive() as items:
        return list(items)


@respx.mock
def test_each_shipped_shipment_of_this_channel_is_one_document_with_a_stable_identity() -> None:
    mine = shipbob_order()
    mine["shipments"].append(mine["shipments"][0] | {"id": 9002, "tracking": {"tracking_number": "1Z998"}})
    mine["shipments"].append(mine["shipments"][0] | {"id": 9003, "status": "Processing"})
    other = shipbob_order() | {"id": 8001, "order_number": "WEB-1", "channel": {"id": 5, "name": "Shopify"}}
    route = respx.get(f"{BASE}/order").mock(
        return_value=httpx.Response(200, json=[mine, other], headers={"page-number": "1", "total-pages": "1"})
    )
    items = receive(source())
    assert [(i.name, i.identity) for i in items] == [
        ("shipbob-shipment-9001.json", "shipbob:shipment:9001"),
        ("shipbob-shipment-9002.json", "shipbob:shipment:9002"),
    ]
    assert items[0].data != items[1].data  # identical bytes would be taken for a duplicate document
    doc = json.loads(items[1].data)
    assert doc["shipment"]["id"] == 9002 and doc["order"]["order_number"] == "PO-1" and "shipments" not in doc["order"]
    assert shipments_from_shipbob(items[1].data, name=items[1].name)[0].tracking_numbers == ["1Z998"]
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer pat-s3cret"
    assert "LastUpdateStartDate=2026-11-20T12:00:00Z" in str(request.url)  # two days back, ':' left unescaped
    assert request.url.params["Limit"] == "250" and request.url.params["Page"] == "1"
    assert "IsTrackingUploaded" not in request.url.params


@respx.mock
def test_pages_are_followed_until_a_short_page_or_the_last_announced_one() -> None:
    orders = [shipbob_order(id=9000 + n) | {"id": 7000 + n} for n in range(5)]
    route = respx.get(f"{BASE}/order")
    route.side_effect = [
        httpx.Response(200, json=orders[0:2]),
        httpx.Response(200, json=orders[2:4]),
        httpx.Response(200, json=orders[4:5]),
    ]
    items = receive(source(page_size=2))
    assert [i.identity for i in items] == [f"shipbob:shipment:{9000 + n}" for n in range(5)]
    assert [c.request.url.params["Page"] for c in route.calls] == ["1", "2", "3"]

    route.side_effect = [httpx.Response(200, json=orders[0:2], headers={"total-pages": "1"})]
    assert len(receive(source(page_size=2))) == 2


@respx.mock
def test_a_failing_api_raises_for_the_poller_to_report() -> None:
    route = respx.get(f"{BASE}/order")
    route.mock(return_value=httpx.Response(500, text="upstream down"))
    with pytest.raises(TransientError, match="500 Internal Server Error: upstream down"):
        receive(source())
    route.mock(return_value=httpx.Response(401))
    with pytest.raises(CrossdockError, match="401 Unauthorized") as caught:
        receive(source())
    assert "s3cret" not in str(caught.value)
    route.mock(return_value=httpx.Response(200, text="<html>"))
    with pytest.raises(TransientError, match="did not answer a JSON list of orders"):
        receive(source())


@respx.mock
def test_mark_uploaded_reads_unflagged_shipments_and_flags_each_once_stored() -> None:
    order = shipbob_order()
    order["shipments"].append(order["shipments"][0] | {"id": 9002, "is_tracking_uploaded": True})
    route = respx.get(f"{BASE}/order").mock(return_value=httpx.Response(200, json=[order]))
    mark = respx.post(f"{BASE}/shipment:batchUpdateTrackingUpload").mock(return_value=httpx.Response(200, json={}))
    src = source(mark_uploaded=True)
    with src.receive() as items:
        (item,) = list(items)
        assert mark.call_count == 0
        item.settle()
    assert route.calls[0].request.url.params["IsTrackingUploaded"] == "false"
    assert json.loads(mark.calls.last.request.content) == {"shipment_ids": [9001], "is_tracking_uploaded": True}

    mark.mock(return_value=httpx.Response(404))
    with src.receive() as items, pytest.raises(CrossdockError, match="404"):
        next(iter(items)).settle()


def test_the_shipment_carries_the_reference_crossdock_created_the_shipbob_order_under() -> None:
    (shipment,) = shipments_from_shipbob(document(shipbob_order()), name="x")
    assert shipment.orders[0].reference == KEY, "the delivery's key: it names the order, whatever its PO number"


# --- cancels and revisions -------------------------------------------------------------------------------------

OLD = "a1" * 20  # the key the order being cancelled was created under


def listed(status: str = "Processing", shipment: str = "Processing") -> httpx.Response:
    order = {"id": 7001, "reference_id": OLD, "order_number": "PO-1", "status": status,
             "shipments": [{"id": 9001, "status": shipment}]}  # fmt: skip
    return httpx.Response(200, json=[order])


def cancel_outbound() -> Outbound:
    return Outbound("northwind-PO-1-cancelled.json", cancel_request("PO-1", OLD), "c" * 40, purpose="cancel")


def revision_outbound() -> Outbound:
    data = order_request(purchase_order(), sink_config(), replaces=OLD)
    return Outbound(name="northwind-PO-1-r2.json", data=data, idempotency_key=KEY, purpose="order")


@respx.mock
def test_a_cancel_finds_the_order_by_its_reference_and_cancels_it() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=listed())
    cancel = respx.post(f"{BASE}/order/7001:cancel").mock(
        return_value=httpx.Response(
            200, json={"order_id": 7001, "canceled_shipment_results": [{"shipment_id": 9001, "is_success": True}]}
        )
    )
    assert ShipBobSink("shipbob", sink_config()).send(cancel_outbound()) == "shipbob order 7001 cancelled"
    assert cancel.call_count == 1 and cancel.calls.last.request.headers["shipbob_channel_id"] == "100102"


@respx.mock
def test_an_order_cancelled_already_is_done_without_a_second_cancel() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=listed(status="Cancelled"))
    cancel = respx.post(f"{BASE}/order/7001:cancel")
    assert "by an earlier attempt" in ShipBobSink("shipbob", sink_config()).send(cancel_outbound())
    assert cancel.call_count == 0


@pytest.mark.parametrize(
    ("found", "answer", "said"),
    [
        (listed(status="Fulfilled", shipment="Completed"), None, "shipment 9001 is Completed"),
        (listed(), httpx.Response(200, json={"canceled_shipment_results": [
            {"shipment_id": 9001, "is_success": False, "reason": "Shipment is already packed"}]}),
         "ShipBob did not cancel shipment 9001: Shipment is already packed"),
    ],
)  # fmt: skip
@respx.mock
def test_a_shipped_order_cannot_be_cancelled_and_says_so_as_too_late(
    found: httpx.Response, answer: httpx.Response | None, said: str
) -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=found)
    cancel = respx.post(f"{BASE}/order/7001:cancel").mock(return_value=answer or httpx.Response(500))
    with pytest.raises(TooLate, match=said):
        ShipBobSink("shipbob", sink_config()).send(cancel_outbound())
    assert cancel.call_count == (0 if answer is None else 1)


@respx.mock
def test_a_revision_cancels_the_order_it_replaces_then_creates_itself_without_the_marker() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(return_value=httpx.Response(200, json=[]))
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=listed())
    cancel = respx.post(f"{BASE}/order/7001:cancel").mock(return_value=httpx.Response(200, json={}))
    create = respx.post(f"{BASE}/order").mock(return_value=httpx.Response(201, json={"id": 7002}))
    done = ShipBobSink("shipbob", sink_config()).send(revision_outbound())
    assert done == f"shipbob order 7002 (reference {KEY}); shipbob order 7001 cancelled"
    assert cancel.call_count == 1
    body = json.loads(create.calls.last.request.content)
    assert body["reference_id"] == KEY and REPLACES not in body


@respx.mock
def test_a_revision_whose_old_order_shipped_creates_nothing() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(return_value=httpx.Response(200, json=[]))
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=listed("Fulfilled", "Completed"))
    create = respx.post(f"{BASE}/order")
    with pytest.raises(TooLate):
        ShipBobSink("shipbob", sink_config()).send(revision_outbound())
    assert create.call_count == 0


@respx.mock
def test_a_revision_created_by_an_earlier_attempt_is_not_cancelled_or_created_again() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(
        return_value=httpx.Response(200, json=[{"id": 7002, "reference_id": KEY}])
    )
    create, cancel = respx.post(f"{BASE}/order"), respx.post(f"{BASE}/order/7001:cancel")
    assert "created by an earlier attempt" in ShipBobSink("shipbob", sink_config()).send(revision_outbound())
    assert create.call_count == 0 and cancel.call_count == 0


def partly_shipped(open_status: str = "Processing") -> httpx.Response:
    order = {"id": 7001, "reference_id": OLD, "order_number": "PO-1", "status": "PartiallyFulfilled",
             "shipments": [{"id": 9001, "status": "Completed"}, {"id": 9002, "status": open_status}]}  # fmt: skip
    return httpx.Response(200, json=[order])


def left_outbound(counted: tuple[str, ...]) -> Outbound:
    data = order_request(purchase_order(), sink_config(), replaces=OLD, shipped=counted)
    return Outbound(name="northwind-PO-1-r2.json", data=data, idempotency_key=KEY, purpose="order")


@respx.mock
def test_what_is_left_of_a_partly_shipped_order_replaces_only_its_open_shipment() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(return_value=httpx.Response(200, json=[]))
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=partly_shipped())
    whole = respx.post(f"{BASE}/order/7001:cancel")
    one = respx.post(f"{BASE}/order/7001/shipment/9002:cancel").mock(return_value=httpx.Response(200, json={}))
    create = respx.post(f"{BASE}/order").mock(return_value=httpx.Response(201, json={"id": 7002}))
    done = ShipBobSink("shipbob", sink_config()).send(left_outbound(("9001",)))
    assert done.endswith("shipbob order 7001: open shipments 9002 cancelled (kept: 9001)")
    assert (whole.call_count, one.call_count, create.call_count) == (0, 1, 1), "the shipped 9001 is kept"
    assert {"crossdock_shipped", REPLACES} & set(json.loads(create.calls.last.request.content)) == set()


@respx.mock
def test_a_shipment_crossdock_has_not_counted_makes_the_replacement_too_late() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(return_value=httpx.Response(200, json=[]))
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=partly_shipped())
    create = respx.post(f"{BASE}/order")
    with pytest.raises(TooLate, match="shipment 9001 is Completed"):
        ShipBobSink("shipbob", sink_config()).send(left_outbound(("8888",)))  # 9001 left unseen by crossdock
    assert create.call_count == 0


@respx.mock
def test_an_open_shipment_packed_meanwhile_is_too_late() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": KEY}).mock(return_value=httpx.Response(200, json=[]))
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(
        side_effect=[partly_shipped(), partly_shipped("LabeledCreated")]
    )
    respx.post(f"{BASE}/order/7001/shipment/9002:cancel").mock(return_value=httpx.Response(422, json={}))
    create = respx.post(f"{BASE}/order")
    with pytest.raises(TooLate, match="shipment 9002 cannot be cancelled"):
        ShipBobSink("shipbob", sink_config()).send(left_outbound(("9001",)))
    assert create.call_count == 0


@respx.mock
def test_a_cancel_of_what_is_left_keeps_the_shipped_shipments() -> None:
    respx.get(f"{BASE}/order", params={"ReferenceIds": OLD}).mock(return_value=partly_shipped())
    one = respx.post(f"{BASE}/order/7001/shipment/9002:cancel").mock(return_value=httpx.Response(200, json={}))
    data = cancel_request("PO-1", OLD, shipped=("9001",))
    said = ShipBobSink("shipbob", sink_config()).send(Outbound("c.json", data, "c" * 40, purpose="cancel"))
    assert said == "shipbob order 7001: open shipments 9002 cancelled (kept: 9001)" and one.call_count == 1
    assert json.loads(cancel_request("PO-1", OLD)) == {"reference_id": OLD, "order_number": "PO-1"}, "as before"
