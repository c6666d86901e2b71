"""Amazon SP-API orders (2026-01-01 fixtures) into the canonical Order, and fulfilments out as v0 confirmShipment.

The confirmShipment body is checked against the v0 spec's ``ConfirmShipmentRequest`` with ``jsonschema``
(``tests/openapi.py``), plus (stricter than the spec) no property the spec does not name.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.core.models import Order
from crossdock.mappings.amazon import MARKETPLACE_CURRENCIES, order_from_amazon, order_from_payload
from crossdock.mappings.amazon_requests import confirm_shipment_request, confirm_shipment_requests
from tests.conftest import CASES, FIXTURES
from tests.golden import assert_golden
from tests.openapi import amazon

ORDERS = FIXTURES / "amazon-sp-api" / "orders-2026-01-01"


def load(path: Path) -> Any:
    return json.loads(path.read_text(), parse_float=Decimal)


def orders_in(path: Path) -> list[dict[str, Any]]:
    """The orders of a saved response: an example is the body, a sandbox file a request/response pair."""
    body = load(path)
    body = body.get("response", body)
    return list(body["orders"]) if "orders" in body else [body["order"]]


def fixture_order(file: str, index: int = 0) -> dict[str, Any]:
    return orders_in(ORDERS / file)[index]


ALL_200 = sorted(p.name for p in ORDERS.glob("*.200.*.json"))


def test_the_fixtures_are_all_there() -> None:
    assert len(ALL_200) == 8, ALL_200


@pytest.mark.parametrize("file", ALL_200)
def test_every_fixture_order_maps(file: str) -> None:
    for i, raw in enumerate(orders_in(ORDERS / file)):
        order = order_from_amazon(raw, name=f"{file}[{i}]")
        assert order.channel == "amazon"
        assert order.po_number == order.external_id == raw["orderId"]
        assert order.currency == raw["proceeds"]["grandTotal"]["currencyCode"]
        assert order.total_amount == Decimal(raw["proceeds"]["grandTotal"]["amount"])
        assert order.updated_at == dt.datetime.fromisoformat(raw["lastUpdatedTime"])
        assert order.updated_at is not None and order.updated_at.utcoffset() == dt.timedelta(0)
        assert order.order_date == dt.date.fromisoformat(raw["createdTime"][:10])
        assert order.purpose == "00"  # none of the owner's examples is cancelled
        assert [line.position for line in order.lines] == list(range(1, len(raw["orderItems"]) + 1))
        for line, item in zip(order.lines, raw["orderItems"], strict=True):
            assert line.line_number == item["orderItemId"]
            assert line.product_ids == {"SK": item["product"]["sellerSku"], "ASIN": item["product"]["asin"]}
            assert line.quantity == Decimal(item["quantityOrdered"]) and line.uom == "EA"
            unit = item["product"]["price"]["unitPrice"]["amount"]
            assert isinstance(line.unit_price, Decimal) and str(line.unit_price) == unit
            assert line.description == item["product"]["title"]
        ship_to = order.ship_to
        assert ship_to is not None and ship_to.address is not None
        assert ship_to.address.country == raw["recipient"]["deliveryAddress"]["countryCode"]


def test_get_order_example_money_taxes_shipping_and_parties() -> None:
    order = order_from_amazon(load(ORDERS / "getOrder.200.example.json"), name="example")  # the {"order": …} body
    assert (order.po_number, order.currency, order.total_amount) == ("202-1234567-8901234", "GBP", Decimal("103.97"))
    assert order.updated_at == dt.datetime(2024, 12, 25, 16, 30, tzinfo=dt.UTC)
    (line,) = order.lines
    assert (line.quantity, line.unit_price) == (Decimal(3), Decimal("29.99"))
    assert [(t.amount, t.collected_by, t.title) for t in line.taxes] == [(Decimal("3.00"), "seller", None)]
    assert str(line.taxes[0].amount) == "3.00"  # the text's scale, not a float's
    (shipping,) = order.shipping_lines
    assert (shipping.code, shipping.amount) == ("STANDARD", Decimal("10.00"))
    assert [(t.amount, t.collected_by) for t in shipping.taxes] == [(Decimal("1.00"), "seller")]
    assert order.taxes == []  # the order-level TAX 4.00 is the items' 3.00 + 1.00, not counted twice
    assert line.discounts == []  # a promotion id without an amount is no discount ...
    assert [(r.qualifier, r.value) for r in line.references] == [("PROMOTION", "UK-BOXING-DAY-2024")]  # ... but kept
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.address is not None
    assert (ship_to.name, ship_to.extra_names) == ("James Wilson", ["Wilson Electronics Ltd"])
    assert ship_to.address.lines == ["123 High Street", "Unit 4B"]  # the empty addressLine3 is dropped
    assert (ship_to.address.city, ship_to.address.postal_code) == ("Manchester", "M1 2AB")
    assert [c.phone for c in ship_to.contacts] == ["+44 161 123 4567"]
    assert [(c.function, c.email) for c in order.contacts] == [("BD", "buyer-email@marketplace.amazon.co.uk")]
    assert [(d.qualifier, d.date, d.time) for d in order.dates] == [
        ("037", dt.date(2024, 12, 25), "0000"),
        ("038", dt.date(2024, 12, 26), "2359"),
    ]
    refs = {r.qualifier: r.value for r in order.references}
    assert refs == {"SELLER_ORDER_ID": "UK-MERCHANT-ORDER-2024-001", "MARKETPLACE": "A1F83G8C2ARO7P"} | {
        "FULFILLED_BY": "MERCHANT"
    }


def test_search_orders_example_tip_buyer_po_and_cancel_request() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    assert [(c.description, c.amount) for c in order.charges] == [("DELIVERY_TIP", Decimal("5.00"))]
    assert [t.amount for t in order.lines[0].taxes] == [Decimal("0.02")] and order.lines[1].taxes == []
    assert order.lines[0].notes == [] and order.awaiting is None, (
        "the owner's example shows the request executed (cancelledBy MERCHANT) after every unit was fulfilled: "
        "no open request, nothing left to take out"
    )
    assert [line.quantity for line in order.lines] == [2, 1]
    buyer = order.party("BY")
    assert buyer is not None and (buyer.name, buyer.extra_names) == ("John Smith", ["Smith Industries LLC"])
    assert ("CO", "PO-2024-12345") in [(r.qualifier, r.value) for r in order.references]
    assert order.shipping_lines == []  # no SHIPPING proceeds on its items


def test_fba_order_is_marked_and_yen_amounts_have_no_decimals() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.sandbox-1.json"))
    assert ("FULFILLED_BY", "AMAZON") in [(r.qualifier, r.value) for r in order.references]
    assert [str(line.unit_price) for line in order.lines] == ["5980", "6980"]
    assert order.total_amount == Decimal("19940") and order.currency == "JPY"


def test_marketplace_facilitator_tax_is_kept_apart_from_the_sellers() -> None:
    raw = fixture_order("getOrder.200.sandbox-2.json")  # TR: the item's taxCollections say MARKETPLACE_FACILITATOR
    assert order_from_amazon(raw).lines[0].taxes == []  # the fixture has the model but no tax amount
    tax: dict[str, Any] = {"type": "TAX", "subtotal": {"amount": "22.50", "currencyCode": "TRY"}}
    tax["detailedBreakdowns"] = [
        {"subtype": "ITEM", "value": {"amount": "20.00", "currencyCode": "TRY"}},
        {"subtype": "SHIPPING", "value": {"amount": "2.50", "currencyCode": "TRY"}},
    ]
    raw["orderItems"][0]["proceeds"]["breakdowns"].append(tax)
    seller = copy.deepcopy(raw["orderItems"][0])
    seller["orderItemId"], seller["tax"] = "02812345678902", {}
    raw["orderItems"].append(seller)
    order = order_from_amazon(raw)
    assert [(t.amount, t.collected_by) for t in order.lines[0].taxes] == [(Decimal("20.00"), "marketplace")]
    assert [(t.amount, t.collected_by) for t in order.lines[1].taxes] == [(Decimal("20.00"), "seller")]
    taxes = {t.collected_by: t.amount for t in order.shipping_lines[0].taxes}
    assert taxes == {"marketplace": Decimal("2.50"), "seller": Decimal("2.50")}
    bill_to = order.party("BT")  # the buyer's tax registration address
    assert bill_to is not None and bill_to.address is not None
    assert (bill_to.name, bill_to.address.city) == ("Test company name", "Istanbul")


def test_discounts_are_positive_and_split_between_line_and_shipping() -> None:
    raw = fixture_order("getOrder.200.sandbox-1.json")
    raw["orderItems"][0]["proceeds"]["breakdowns"] += [
        {"type": "SHIPPING", "subtotal": {"amount": "15.00", "currencyCode": "BRL"}},
        {
            "type": "DISCOUNT",
            "subtotal": {"amount": "-35.00", "currencyCode": "BRL"},
            "detailedBreakdowns": [
                {"subtype": "ITEM", "value": {"amount": "-30.00", "currencyCode": "BRL"}},
                {"subtype": "SHIPPING", "value": {"amount": "-5.00", "currencyCode": "BRL"}},
            ],
        },
        {"type": "GIFT_WRAP", "subtotal": {"amount": "4.99", "currencyCode": "BRL"}},
    ]
    order = order_from_amazon(raw)
    (line,) = order.lines
    assert [(d.code, d.amount) for d in line.discounts] == [("BR-NATAL-2024", Decimal("30.00"))]
    assert [(c.description, c.amount) for c in line.charges] == [("GIFT_WRAP", Decimal("4.99"))]
    (shipping,) = order.shipping_lines
    assert shipping.amount == Decimal("15.00")
    assert [(d.code, d.amount) for d in shipping.discounts] == [("BR-NATAL-2024", Decimal("5.00"))]


@pytest.mark.parametrize("status", ["CANCELLED", "Canceled", "canceled"])
def test_a_cancelled_order_has_purpose_01(status: str) -> None:
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["fulfillment"]["fulfillmentStatus"] = status
    assert order_from_amazon(raw).purpose == "01"


@pytest.mark.parametrize(
    ("status", "awaiting"),
    [("PENDING", "payment"), ("Pending", "payment"), ("PENDING_AVAILABILITY", "availability"), ("UNSHIPPED", None)],
)
def test_a_pending_order_awaits_payment_and_a_preorder_availability(status: str, awaiting: str | None) -> None:
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["fulfillment"]["fulfillmentStatus"] = status
    order = order_from_amazon(raw)
    assert (order.purpose, order.awaiting) == ("00", awaiting)
    assert not order.already_shipped


def test_a_shipped_order_is_shipped_already() -> None:
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["fulfillment"]["fulfillmentStatus"] = "SHIPPED"
    assert order_from_amazon(raw).already_shipped


def test_unit_price_from_item_proceeds_when_no_unit_price() -> None:
    raw = fixture_order("searchOrders.200.sandbox-1.json")
    for item in raw["orderItems"]:
        del item["product"]["price"]
    order = order_from_amazon(raw)
    assert [line.unit_price for line in order.lines] == [Decimal("5980"), Decimal("6980")]  # 13960 / 2
    raw["orderItems"][1]["proceeds"]["breakdowns"][0]["subtotal"]["amount"] = "13961"  # 6980.5: not 1/2 yen ...
    raw["orderItems"][1]["quantityOrdered"] = 3  # ... 13961 / 3 does not divide: left unknown
    assert order_from_amazon(raw).lines[1].unit_price is None


def test_money_accepts_int_and_decimal() -> None:
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["orderItems"][0]["product"]["price"]["unitPrice"]["amount"] = 40
    raw["proceeds"]["grandTotal"]["amount"] = Decimal("49.990")
    order = order_from_amazon(raw)
    assert order.lines[0].unit_price == Decimal(40) and str(order.total_amount) == "49.990"


@pytest.mark.parametrize("file", ["getOrder.400.sandbox-1.json", "searchOrders.400.sandbox-1.json"])
def test_an_error_response_is_not_an_order(file: str) -> None:
    with pytest.raises(DecodeError, match=r"an error response, not an order \(InvalidInput: Invalid Input\)") as err:
        order_from_amazon(load(ORDERS / file)["response"], name=file)
    assert err.value.source == file


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", path) if k]
    target: Any = raw
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("orderId", _DELETE, "orderId: missing"),
        ("orderId", 12345, "orderId: 12345 is not text"),
        ("lastUpdatedTime", "2024-12-25 14:45", "lastUpdatedTime: '2024-12-25 14:45' has no UTC offset"),
        ("orderItems", [], "orderItems: no items"),
        ("orderItems[1].product.price.unitPrice.amount", 49.99, r"orderItems\[1\].product.price.unitPrice.amount: "),
        ("proceeds.grandTotal.amount", 154.99, "proceeds.grandTotal.amount: 154.99 is a float"),
        ("orderItems[0].quantityOrdered", "two", r"orderItems\[0\].quantityOrdered: 'two' is not a number"),
        ("orderItems[0].quantityOrdered", "1.5", r"orderItems\[0\].quantityOrdered: '1.5' is not a quantity"),
        ("orderItems[0].quantityOrdered", _DELETE, r"orderItems\[0\].quantityOrdered: missing"),
        ("orderItems[0].product.price.unitPrice.amount", "4,99", "unitPrice.amount: '4,99' is not a number"),
        ("orderItems[0].product.price.unitPrice.currencyCode", "EUR", "'EUR' is not the order's currency 'USD'"),
        ("orderItems[0].product", _DELETE, r"orderItems\[0\].product: missing"),
        ("orderItems[0].proceeds.breakdowns[1].subtotal", _DELETE, r"breakdowns\[1\].subtotal: missing"),
    ],
)
def test_bad_input_names_the_field(path: str, value: Any, message: str) -> None:
    raw = fixture_order("searchOrders.200.example.json")
    _set(raw, path, value)
    with pytest.raises(DecodeError, match=message) as err:
        order_from_amazon(raw, name="search page 1")
    assert str(err.value).startswith("search page 1: ")


def test_a_float_amount_says_how_to_parse() -> None:
    raw = json.loads((ORDERS / "getOrder.200.sandbox-3.json").read_text())["response"]["order"]
    raw["orderItems"][0]["product"]["price"]["unitPrice"]["amount"] = 39.99  # json.loads without parse_float
    with pytest.raises(DecodeError, match="is a float: parse the JSON with parse_float=Decimal"):
        order_from_amazon(raw)


def test_an_order_without_amounts_needs_a_currency() -> None:
    raw = fixture_order("getOrder.200.sandbox-3.json")
    del raw["proceeds"], raw["orderItems"][0]["proceeds"], raw["orderItems"][0]["product"]["price"]
    with pytest.raises(DecodeError, match="proceeds: no amount to take the currency from"):
        order_from_amazon(raw)
    order = order_from_amazon(raw, currency="USD")
    assert (order.currency, order.total_amount, order.lines[0].unit_price) == ("USD", None, None)


def test_the_pipeline_entry_takes_a_pending_orders_currency_from_its_marketplace() -> None:
    """A pending order can carry no amount yet: it is stored and waits, in its marketplace's currency."""
    raw = fixture_order("getOrder.200.sandbox-3.json")  # Amazon.com, ATVPDKIKX0DER
    del raw["proceeds"], raw["orderItems"][0]["proceeds"], raw["orderItems"][0]["product"]["price"]
    raw["fulfillment"]["fulfillmentStatus"] = "PENDING"
    order = order_from_payload(raw, name="amazon-order-114.json")
    assert (order.currency, order.awaiting, order.total_amount) == ("USD", "payment", None)
    wrapped = order_from_payload({"order": raw}, name="wrapped")  # getOrder's body
    assert wrapped.currency == "USD"
    raw["salesChannel"]["marketplaceId"] = "A1VC38T7YXB528"  # Japan
    assert order_from_payload(raw).currency == "JPY"
    raw["salesChannel"]["marketplaceId"] = "NOT-A-MARKETPLACE"
    with pytest.raises(DecodeError, match="proceeds: no amount to take the currency from") as err:
        order_from_payload(raw, name="amazon-order-114.json")
    assert err.value.source == "amazon-order-114.json"


@pytest.mark.parametrize("file", ALL_200)
def test_amounts_win_over_the_marketplace_currency(file: str) -> None:
    for raw in orders_in(ORDERS / file):  # the sandbox mixes currencies and marketplaces: the amounts decide
        assert order_from_payload(raw).currency == raw["proceeds"]["grandTotal"]["currencyCode"]


def test_every_fixture_marketplace_has_a_currency() -> None:
    seen = {raw["salesChannel"]["marketplaceId"] for file in ALL_200 for raw in orders_in(ORDERS / file)}
    assert seen <= set(MARKETPLACE_CURRENCIES), seen - set(MARKETPLACE_CURRENCIES)
    assert all(len(code) == 3 and code.isupper() for code in MARKETPLACE_CURRENCIES.values())


def test_a_malformed_payload_through_the_pipeline_entry_names_the_document() -> None:
    with pytest.raises(DecodeError, match="an order is an object, not list") as err:
        order_from_payload([], name="amazon-order-x.json")
    assert err.value.source == "amazon-order-x.json"
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["salesChannel"] = "Amazon.com"  # the currency look-up passes it by; the mapping names it
    with pytest.raises(DecodeError, match=r"amazon-order-x\.json: salesChannel: an object was expected, not str"):
        order_from_payload(raw, name="amazon-order-x.json")
    raw = fixture_order("getOrder.200.sandbox-3.json")
    raw["orderItems"][0]["quantityOrdered"] = "x"
    with pytest.raises(DecodeError, match=r"orderItems\[0\].quantityOrdered: 'x' is not a number"):
        order_from_payload(raw, name="amazon-order-x.json")


# --- confirmShipment (v0) ---------------------------------------------------------------------------------------

V0 = amazon("ordersV0.json")
CONFIRM = "/orders/v0/orders/902-1106328-1059050/shipmentConfirmation"


def schema_errors(body: Mapping[str, Any]) -> list[str]:
    """The spec's errors for a confirmShipment body, and any property the spec does not name."""
    errors = V0.request_errors("POST", CONFIRM, {}, body)
    detail = V0.doc["definitions"]["PackageDetail"]["properties"]
    errors += [f"packageDetail.{k}: not in the spec" for k in body.get("packageDetail", {}) if k not in detail]
    return errors


def test_the_checker_agrees_with_the_owners_sandbox() -> None:
    folder = FIXTURES / "amazon-sp-api" / "orders-v0"
    good = load(folder / "confirmShipment.204.sandbox-1.json")["request"]["parameters"]["body"]["value"]
    bad = load(folder / "confirmShipment.400.sandbox-1.json")["request"]["parameters"]["body"]["value"]
    assert schema_errors(good) == []
    (error,) = schema_errors(bad)
    assert error.endswith("body $.packageDetail.shipDate: '02/21/2022' is not a 'date-time'")
    del good["packageDetail"]["trackingNumber"]
    good["packageDetail"]["orderItems"][0]["quantity"] = "1"
    good["packageDetail"]["trackingNo"] = "x"
    errors = schema_errors(good)
    assert len(errors) == 3, errors
    assert "body $.packageDetail: 'trackingNumber' is a required property" in errors[0]
    assert "body $.packageDetail.orderItems[0].quantity: '1' is not of type 'integer'" in errors[1]
    assert errors[2] == "packageDetail.trackingNo: not in the spec"


def fulfilment_of(order: Order, **changes: Any) -> Fulfilment:
    fields: dict[str, Any] = {
        "channel": order.channel,
        "po_number": order.po_number,
        "external_id": order.external_id,
        "shipment_id": "42",
        "ship_date": dt.date(2024, 12, 25),
        "carrier_scac": "UPSN",
        "carrier_service": "UPS Ground",
        "tracking_numbers": ["1Z999AA1234567890"],
        "lines": [
            FulfilmentLine(line_number=line.line_number, product_ids=dict(line.product_ids), quantity=line.quantity)
            for line in order.lines
        ],
    }
    return Fulfilment(**(fields | changes))


def test_confirm_shipment_full() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    body = confirm_shipment_request(fulfilment_of(order), marketplace_id="ATVPDKIKX0DER")
    assert schema_errors(body) == []
    assert body == {
        "marketplaceId": "ATVPDKIKX0DER",
        "packageDetail": {
            "packageReferenceId": "42",
            "carrierCode": "UPS",
            "shippingMethod": "UPS Ground",
            "trackingNumber": "1Z999AA1234567890",
            "shipDate": "2024-12-25T00:00:00Z",
            "orderItems": [
                {"orderItemId": "12345678901234", "quantity": 2},
                {"orderItemId": "12345678901235", "quantity": 1},
            ],
        },
    }
    text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    assert_golden(CASES / "channels" / "amazon" / "confirm_shipment.full.json", text.encode())


def test_confirm_shipment_partial_other_carrier_and_derived_package_reference() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    partial = fulfilment_of(
        order,
        shipment_id="SHP-7",
        carrier_scac="ACME",
        carrier_service=None,
        order_status="partially shipped",
        lines=[FulfilmentLine(line_number="12345678901234", quantity=Decimal(1))],
    )
    shipped_at = dt.datetime(2024, 12, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    body = confirm_shipment_request(partial, marketplace_id="ATVPDKIKX0DER", shipped_at=shipped_at)
    assert schema_errors(body) == []
    detail = body["packageDetail"]
    assert (detail["carrierCode"], detail["carrierName"]) == ("Other", "ACME")
    assert "shippingMethod" not in detail
    assert detail["shipDate"] == "2024-12-26T08:30:00Z"
    assert detail["orderItems"] == [{"orderItemId": "12345678901234", "quantity": 1}]
    reference = detail["packageReferenceId"]
    assert reference.isdigit() and int(reference) > 0  # [spec] "Only positive numeric values are supported"
    again = confirm_shipment_request(partial, marketplace_id="ATVPDKIKX0DER", shipped_at=shipped_at)
    assert again["packageDetail"]["packageReferenceId"] == reference  # a resend edits the same package
    other = confirm_shipment_request(partial.model_copy(update={"shipment_id": "SHP-8"}), marketplace_id="X")
    assert other["packageDetail"]["packageReferenceId"] != reference
    chosen = confirm_shipment_request(partial, marketplace_id="X", package_reference_id="3")
    assert chosen["packageDetail"]["packageReferenceId"] == "3"


def test_packages_that_say_their_lines_are_confirmed_one_each_with_their_own_reference() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    first, second = (FulfilmentLine(line_number=line.line_number, quantity=line.quantity) for line in order.lines)
    packages = [
        FulfilmentPackage(tracking_number="1ZA", lines=[first]),
        FulfilmentPackage(tracking_number="1ZB", lines=[second]),
    ]
    both = fulfilment_of(order, tracking_numbers=["1ZA", "1ZB"], packages=packages)
    bodies = confirm_shipment_requests(both, marketplace_id="ATVPDKIKX0DER")
    assert [schema_errors(b) for b in bodies] == [[], []]
    details = [b["packageDetail"] for b in bodies]
    assert [(d["trackingNumber"], d["orderItems"][0]["orderItemId"]) for d in details] == [
        ("1ZA", first.line_number),
        ("1ZB", second.line_number),
    ]
    assert details[0]["packageReferenceId"] != details[1]["packageReferenceId"]
    again = confirm_shipment_requests(both, marketplace_id="ATVPDKIKX0DER")
    assert [b["packageDetail"]["packageReferenceId"] for b in again] == [d["packageReferenceId"] for d in details]
    single = confirm_shipment_requests(fulfilment_of(order), marketplace_id="ATVPDKIKX0DER")
    assert single == [confirm_shipment_request(fulfilment_of(order), marketplace_id="ATVPDKIKX0DER")]


def test_confirm_shipment_sums_split_lines_of_one_item() -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    lines = [FulfilmentLine(line_number="12345678901234", quantity=Decimal(1)) for _ in range(2)]
    body = confirm_shipment_request(fulfilment_of(order, lines=lines), marketplace_id="ATVPDKIKX0DER")
    assert body["packageDetail"]["orderItems"] == [{"orderItemId": "12345678901234", "quantity": 2}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracking_numbers": []}, "no tracking number"),
        ({"tracking_numbers": [" "]}, "no tracking number"),
        ({"tracking_numbers": ["A1", "A2"]}, "2 tracking numbers"),
        ({"carrier_scac": None}, "no carrier"),
        ({"ship_date": None}, "no ship date"),
        ({"lines": []}, "no lines to confirm"),
        ({"lines": [FulfilmentLine(line_number=None, quantity=Decimal(1))]}, r"line 1: no order item id"),
        ({"lines": [FulfilmentLine(line_number="9", quantity=Decimal("1.5"))]}, "order item 9: 1.5 is not a whole"),
        ({"lines": [FulfilmentLine(line_number="9", quantity=Decimal(0))]}, "order item 9: 0 is not a whole"),
    ],
)
def test_confirm_shipment_refuses(changes: dict[str, Any], message: str) -> None:
    order = order_from_amazon(fixture_order("searchOrders.200.example.json"))
    with pytest.raises(ValueError, match=message) as err:
        confirm_shipment_request(fulfilment_of(order, **changes), marketplace_id="ATVPDKIKX0DER")
    assert "amazon fulfilment 42 of order 123-4567890-1234567" in str(err.value)


def test_confirm_shipment_needs_a_marketplace_and_an_aware_time() -> None:
    fulfilment = fulfilment_of(order_from_amazon(fixture_order("searchOrders.200.example.json")))
    with pytest.raises(ValueError, match="no marketplace_id"):
        confirm_shipment_request(fulfilment, marketplace_id=" ")
    with pytest.raises(ValueError, match="shipped_at must be an aware datetime"):
        confirm_shipment_request(fulfilment, marketplace_id="X", shipped_at=dt.datetime(2024, 12, 25, 10))
    with pytest.raises(ValueError, match="package reference 'P1' is not a positive number"):
        confirm_shipment_request(fulfilment, marketplace_id="X", package_reference_id="P1")


def _unshipped_pair() -> dict[str, Any]:
    """The owner's searchOrders example made a live two-item order: unshipped, nothing fulfilled yet."""
    order = copy.deepcopy(fixture_order("searchOrders.200.example.json"))
    order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
    for item in order["orderItems"]:
        item.pop("cancellation", None)
        item["fulfillment"].update(quantityFulfilled=0, quantityUnfulfilled=item["quantityOrdered"])
    return order


def test_a_cancelled_item_leaves_the_order_and_says_so() -> None:
    payload = _unshipped_pair()
    first = payload["orderItems"][0]
    first["cancellation"] = {"cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "Changed mind"}}
    assert amazon("orders_2026-01-01.json").definition("Order", payload) == []
    order = order_from_amazon(payload)
    assert order.purpose == "00" and order.awaiting is None
    assert [(line.position, line.line_number, line.quantity) for line in order.lines] == [(1, "12345678901235", 1)]
    sku = first["product"]["sellerSku"]
    assert order.notes == [f"line 12345678901234 ({sku}): all 2 cancelled at Amazon by BUYER: Changed mind"]


def test_a_part_fulfilled_item_cancelled_keeps_what_shipped_out_of_what_is_left() -> None:
    payload = _unshipped_pair()
    first = payload["orderItems"][0]
    first["fulfillment"].update(quantityFulfilled=1, quantityUnfulfilled=1)
    first["cancellation"] = {"cancellationExecution": {"cancelledBy": "MERCHANT"}}
    order = order_from_amazon(payload)
    assert [(line.line_number, line.quantity) for line in order.lines] == [("12345678901234", 1), ("12345678901235", 1)]
    assert order.lines[0].notes == ["1 of 2 cancelled at Amazon by MERCHANT"]


def test_every_item_cancelled_is_a_cancel_with_the_lines_as_ordered() -> None:
    payload = _unshipped_pair()
    for item in payload["orderItems"]:
        item["cancellation"] = {"cancellationExecution": {"cancelledBy": "AMAZON"}}
    order = order_from_amazon(payload)
    assert order.purpose == "01" and [line.quantity for line in order.lines] == [2, 1]


def test_an_open_buyer_cancel_request_holds_the_order_until_a_read_without_it() -> None:
    payload = _unshipped_pair()
    payload["orderItems"][1]["cancellation"] = {"cancellationRequest": {"requester": "BUYER", "cancelReason": "Late"}}
    assert amazon("orders_2026-01-01.json").definition("Order", payload) == []
    held = order_from_amazon(payload)
    assert held.awaiting == "cancellation" and held.purpose == "00"
    assert held.lines[1].notes == ["cancellation requested by BUYER: Late"]
    assert order_from_amazon(_unshipped_pair()).awaiting is None, "the request settled: released"
    dates = [(d.qualifier, d.date) for d in held.dates]
    assert ("038", dt.date(2024, 12, 27)) in dates, "the ship-by window's latest time is the ship-by date"
