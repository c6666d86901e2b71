"""eBay Sell Fulfillment orders into the canonical Order, and fulfilments back out as shipping_fulfillment bodies.

eBay publishes no order example under an open licence (see tests/data/fixtures/SOURCES.md), so the order payload,
tests/cases/channels/ebay/order.json, is our own, written from the fields eBay documents for getOrder (lineItems,
pricingSummary, taxes and ebayCollectAndRemitTaxes, the shipping step's shipTo, buyer, the three statuses).
The expected Order beside it is a golden file."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.mappings import ebay
from crossdock.mappings.ebay import order_from_ebay, shipping_fulfillment, shipping_fulfillments
from tests.conftest import CASES
from tests.golden import assert_golden

HERE = CASES / "channels" / "ebay"


def payload() -> dict[str, Any]:
    """Our order as a client reads it off the wire: JSON parsed without float."""
    data: dict[str, Any] = json.loads((HERE / "order.json").read_text(), parse_float=Decimal)
    return data


def test_the_order_maps_field_by_field() -> None:
    order = order_from_ebay(payload(), name="order.json")
    assert (order.channel, order.po_number, order.external_id, order.currency) == (
        "ebay",
        "12-34567-89012",
        "12-34567-89012",
        "USD",
    )
    assert (order.purpose, order.awaiting) == ("00", None)
    assert order.order_date == dt.date(2026, 11, 20)
    assert order.updated_at == dt.datetime(2026, 11, 20, 10, 1, 44, 120000, tzinfo=dt.UTC)
    assert str(order.total_amount) == "50.19"
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.name == "John Doe"
    assert ship_to.address is not None and ship_to.address.model_dump() == {
        "lines": ["2145 Hamilton Ave", "Apt 3"],
        "city": "San Jose",
        "state": "CA",
        "postal_code": "95125",
        "country": "US",
    }
    assert [(c.phone, c.email) for c in ship_to.contacts] == [("555-555-0100", "buyer@example.com")]
    buyer = order.party("BY")
    assert buyer is not None and buyer.id == "test_user" and buyer.name is None
    assert buyer.address is not None and (buyer.address.state, buyer.address.country) == ("CA", "US")
    mug, tee = order.lines
    assert (mug.line_number, mug.quantity, str(mug.unit_price)) == ("10000000000001", Decimal(2), "15.00")
    assert mug.product_ids == {"SK": "MUG-BLUE", "ITEM": "110000000001"}
    assert tee.product_ids == {"SK": "TEE-M", "ITEM": "110000000002", "VARIATION": "220000000002"}
    assert mug.notes == ["Colour: Blue"]
    assert [(d.code, str(d.amount)) for d in mug.discounts] == [("PROMO-5OFF", "5.00")]
    assert [(t.title, str(t.amount), t.collected_by) for t in mug.taxes] == [
        ("STATE_SALES_TAX", "2.00", "marketplace")
    ], "listed in taxes and in ebayCollectAndRemitTaxes: one tax, eBay's"
    assert [(t.title, str(t.amount), t.collected_by) for t in tee.taxes] == [("STATE_SALES_TAX", "1.20", "marketplace")]
    assert [(d.qualifier, d.date) for d in mug.dates] == [("038", dt.date(2026, 11, 22))]
    (shipping,) = order.shipping_lines
    assert (shipping.code, str(shipping.amount)) == ("USPSPriority", "6.99")
    assert order.taxes == [] and order.discounts == [], "the lines carry them: pricingSummary is not counted twice"
    assert order.notes == ["Please pack carefully"]
    assert {r.qualifier: r.value for r in order.references} == {
        "LEGACY_ORDER_ID": "110000000001-2000000000001",
        "SALES_RECORD": "1001",
        "PAYMENT_STATUS": "PAID",
        "FULFILLMENT_STATUS": "NOT_STARTED",
        "CANCEL_STATE": "NONE_REQUESTED",
    }


def test_the_order_golden() -> None:
    order = order_from_ebay(payload(), name="order.json")
    text = json.dumps(order.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    assert_golden(HERE / "order.expected.json", text.encode())


def test_every_amount_is_decimal_and_the_order_adds_up() -> None:
    order = order_from_ebay(payload())
    goods = sum((line.quantity * (line.unit_price or 0) for line in order.lines), Decimal(0))
    off = sum((d.amount for line in order.lines for d in line.discounts), Decimal(0))
    taxes = sum((t.amount for line in order.lines for t in line.taxes), Decimal(0))
    shipping = sum((s.amount for s in order.shipping_lines), Decimal(0))
    assert goods - off + taxes + shipping == order.total_amount == Decimal("50.19")
    for value in (goods, off, taxes, shipping, order.total_amount):
        assert type(value) is Decimal


@pytest.mark.parametrize(
    ("payment", "cancel", "purpose", "awaiting"),
    [
        ("PAID", "NONE_REQUESTED", "00", None),
        ("PENDING", "NONE_REQUESTED", "00", "payment"),
        ("FAILED", "NONE_REQUESTED", "01", None),
        ("FULLY_REFUNDED", "NONE_REQUESTED", "01", None),
        ("PARTIALLY_REFUNDED", "NONE_REQUESTED", "00", None),
        ("PAID", "CANCELED", "01", None),
        ("PAID", "IN_PROGRESS", "00", "cancellation"),
        ("PENDING", "CANCELED", "01", None),
    ],
)
def test_statuses_give_the_purpose_and_what_the_order_waits_for(
    payment: str, cancel: str, purpose: str, awaiting: str | None
) -> None:
    data = payload()
    data["orderPaymentStatus"] = payment
    data["cancelStatus"]["cancelState"] = cancel
    order = order_from_ebay(data)
    assert (order.purpose, order.awaiting) == (purpose, awaiting)
    if awaiting == "cancellation":
        assert "the buyer asked to cancel" in order.notes[0]


def test_fulfilled_orders_are_not_cancellations_and_keep_their_status() -> None:
    data = payload() | {"orderFulfillmentStatus": "FULFILLED"}
    order = order_from_ebay(data)
    assert order.purpose == "00" and order.awaiting is None and order.already_shipped
    assert any(r.qualifier == "FULFILLMENT_STATUS" and r.value == "FULFILLED" for r in order.references)
    assert not order_from_ebay(payload() | {"orderFulfillmentStatus": "IN_PROGRESS"}).already_shipped


def test_seller_taxes_and_order_level_amounts_when_the_lines_have_none() -> None:
    data = payload()
    data["ebayCollectAndRemitTax"] = False
    mug, tee = data["lineItems"]
    mug["ebayCollectAndRemitTaxes"] = []
    tee["ebayCollectAndRemitTaxes"] = []
    order = order_from_ebay(data)
    assert [(t.title, str(t.amount), t.collected_by) for t in order.lines[0].taxes] == [
        ("STATE_SALES_TAX", "2.00", "seller")
    ]
    mug["taxes"] = []
    mug.pop("appliedPromotions")
    mug.pop("discountedLineItemCost")
    order = order_from_ebay(data)
    assert [(str(t.amount), t.collected_by) for t in order.taxes] == [("3.20", "seller")]
    assert [str(d.amount) for d in order.discounts] == ["5.00"], "priceDiscount is negative: taken as positive"
    data["ebayCollectAndRemitTax"] = True
    assert order_from_ebay(data).taxes[0].collected_by == "marketplace"


def test_a_discount_without_a_promotion_is_the_cost_difference_and_shipping_falls_back_to_the_lines() -> None:
    data = payload()
    data["lineItems"][0].pop("appliedPromotions")
    del data["pricingSummary"]["deliveryCost"]
    order = order_from_ebay(data)
    assert [(d.code, str(d.amount)) for d in order.lines[0].discounts] == [(None, "5.00")]
    assert [str(s.amount) for s in order.shipping_lines] == ["6.99"], "the lines' shippingCost summed"


def test_inexact_unit_price_and_the_global_shipping_program_note() -> None:
    data = payload()
    data["lineItems"][1].update(quantity=3, lineItemCost={"value": "10.00", "currency": "USD"})
    data["fulfillmentStartInstructions"][0]["finalDestinationAddress"] = {"countryCode": "GB"}
    order = order_from_ebay(data)
    assert order.lines[1].unit_price == Decimal("3.333333")
    assert "Global Shipping Program: the ship-to is eBay's hub, not the buyer" in order.notes


def damaged(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(payload())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("orderId"), "order.json: orderId: missing"),
        (lambda p: p.pop("lastModifiedDate"), "order.json: lastModifiedDate: missing"),
        (lambda p: p.update(creationDate="yesterday"), "creationDate: 'yesterday' is not a date and time"),
        (lambda p: p.update(creationDate="2026-11-20T09:15:02"), "creationDate: '2026-11-20T09:15:02' has no UTC"),
        (
            lambda p: p["pricingSummary"]["total"].update(value=50.19),
            "order.json: pricingSummary.total.value: 50.19 is a float: parse the JSON with parse_float=Decimal",
        ),
        (
            lambda p: p["lineItems"][1]["ebayCollectAndRemitTaxes"][0]["amount"].update(currency="EUR"),
            "lineItems[1].ebayCollectAndRemitTaxes[0].amount.currency: 'EUR' is not the order's currency 'USD'",
        ),
        (lambda p: p["lineItems"][0].update(quantity=0), "lineItems[0].quantity: 0 is not a positive whole quantity"),
        (lambda p: p["lineItems"][0].update(quantity="x"), "lineItems[0].quantity: 'x' is not a number"),
        (lambda p: p["lineItems"][0].pop("lineItemId"), "lineItems[0].lineItemId: missing"),
        (lambda p: p["lineItems"][0].pop("lineItemCost"), "lineItems[0].lineItemCost: missing"),
        (lambda p: p.update(lineItems=[]), "lineItems: no line items"),
        (lambda p: p.pop("lineItems"), "lineItems: missing"),
        (lambda p: p.update(buyer="test_user"), "buyer: an object was expected, not str"),
        (
            lambda p: p["fulfillmentStartInstructions"][0]["shippingStep"].update(shipTo=[]),
            "fulfillmentStartInstructions[0].shippingStep.shipTo: an object was expected, not list",
        ),
    ],
)
def test_a_bad_order_is_refused_naming_the_payload_and_field(change: Any, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        order_from_ebay(damaged(change), name="order.json")
    assert message in str(caught.value)
    assert caught.value.source == "order.json"


def test_not_an_object_and_the_pipeline_name() -> None:
    with pytest.raises(DecodeError, match="order: an order is an object, not list"):
        order_from_ebay([], name="order")  # type: ignore[arg-type]
    assert ebay.order_from_payload is order_from_ebay


def fulfilment(**changes: Any) -> Fulfilment:
    base = Fulfilment(
        channel="ebay",
        partner="ebay",
        po_number="12-34567-89012",
        external_id="12-34567-89012",
        shipment_id="WH-1",
        ship_date=dt.date(2026, 11, 22),
        carrier_scac="UPSN",
        tracking_numbers=["1Z999AA10123456784"],
        order_status="partially shipped",
        lines=[
            FulfilmentLine(line_number="10000000000001", quantity=Decimal(1)),
            FulfilmentLine(line_number="10000000000001", quantity=Decimal("1.000")),
            FulfilmentLine(line_number="10000000000002", product_ids={"SK": "TEE-M"}, quantity=Decimal(1)),
        ],
    )
    return base.model_copy(update=changes)


def test_a_package_is_one_shipping_fulfillment_body_golden() -> None:
    body = shipping_fulfillment(fulfilment())
    assert body == {
        "lineItems": [
            {"lineItemId": "10000000000001", "quantity": 2},
            {"lineItemId": "10000000000002", "quantity": 1},
        ],
        "shippedDate": "2026-11-22T00:00:00.000Z",
        "shippingCarrierCode": "UPS",
        "trackingNumber": "1Z999AA10123456784",
    }
    text = json.dumps(body, indent=2) + "\n"
    assert_golden(HERE / "shipping_fulfillment.json", text.encode())


def test_carrier_codes_and_what_is_left_out() -> None:
    assert shipping_fulfillment(fulfilment(carrier_scac="OLDD"))["shippingCarrierCode"] == "OLDD"
    own = shipping_fulfillment(fulfilment(carrier_scac="oldd"), carriers={"OLDD": "OldDominion"})
    assert own["shippingCarrierCode"] == "OldDominion"
    bare = shipping_fulfillment(fulfilment(tracking_numbers=[], ship_date=None))
    assert bare == {
        "lineItems": [
            {"lineItemId": "10000000000001", "quantity": 2},
            {"lineItemId": "10000000000002", "quantity": 1},
        ]
    }, "a carrier without a tracking number is left out: eBay takes them only together"
    again = shipping_fulfillment(fulfilment(tracking_numbers=["X1", " X1 "]))
    assert again["trackingNumber"] == "X1", "a repeated number is one package"


def test_packages_that_say_their_lines_are_one_body_each() -> None:
    packages = [
        FulfilmentPackage(
            tracking_number="A1", lines=[FulfilmentLine(line_number="10000000000001", quantity=Decimal(2))]
        ),
        FulfilmentPackage(
            tracking_number="B2", lines=[FulfilmentLine(line_number="10000000000002", quantity=Decimal(1))]
        ),
    ]
    bodies = shipping_fulfillments(fulfilment(tracking_numbers=["A1", "B2"], packages=packages))
    assert [(b["trackingNumber"], b["lineItems"]) for b in bodies] == [
        ("A1", [{"lineItemId": "10000000000001", "quantity": 2}]),
        ("B2", [{"lineItemId": "10000000000002", "quantity": 1}]),
    ]
    assert shipping_fulfillments(fulfilment()) == [shipping_fulfillment(fulfilment())], "one tracking number: one body"
    with pytest.raises(ValueError, match="2 tracking numbers"):  # a package that does not say its lines
        shipping_fulfillments(fulfilment(tracking_numbers=["A1", "B2"], packages=packages[:1]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracking_numbers": ["A1", "B2"]}, "2 tracking numbers: eBay takes one package per call"),
        ({"carrier_scac": None}, "tracking number 1Z999AA10123456784 without a carrier"),
        ({"lines": []}, "no lines shipped"),
        ({"lines": [FulfilmentLine(line_number=None, quantity=Decimal(1))]}, "line 1: no eBay line item id"),
        ({"lines": [FulfilmentLine(line_number="1", quantity=Decimal("1.5"))]}, "1.5 is not a whole quantity"),
    ],
)
def test_a_fulfilment_ebay_cannot_take_is_refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        shipping_fulfillment(fulfilment(**changes))
    assert "ebay fulfilment WH-1 of order 12-34567-89012" in str(caught.value)


def refunded(*amounts: str, line: int = 0) -> dict[str, Any]:
    """Our order with refunds issued on one line (eBay's ``LineItemRefund``: amount, refundDate, refundId)."""
    order = payload()
    order["lineItems"][line]["refunds"] = [
        {"amount": {"value": a, "currency": "USD"}, "refundDate": "2026-11-21T10:00:00.000Z", "refundId": f"R-{i}"}
        for i, a in enumerate(amounts)
    ]
    order["orderPaymentStatus"] = "PARTIALLY_REFUNDED"
    return order


def test_a_refunded_unit_leaves_the_line_and_stays_visible() -> None:
    order = order_from_ebay(refunded("12.50"))  # the mugs cost 25.00 for two after the promotion: one unit
    assert order.purpose == "00"
    assert [(line.line_number, line.quantity) for line in order.lines] == [("10000000000001", 1), ("10000000000002", 1)]
    assert order.lines[0].notes[-1] == "1 of 2 refunded at eBay"


def test_a_line_refunded_whole_leaves_the_order_and_the_order_says_so() -> None:
    order = order_from_ebay(refunded("20.00", "5.00"))
    assert [line.line_number for line in order.lines] == ["10000000000002"]
    assert [line.position for line in order.lines] == [1]
    assert "line 10000000000001 (MUG-BLUE): all 2 refunded at eBay" in order.notes


def test_a_price_adjustment_takes_no_unit_out() -> None:
    order = order_from_ebay(refunded("3.00"))
    assert [line.quantity for line in order.lines] == [2, 1] and order.lines[0].notes == ["Colour: Blue"]


def test_every_line_refunded_is_a_cancel_with_the_lines_as_ordered() -> None:
    order = refunded("25.00")
    second = order["lineItems"][1]
    second["refunds"] = [{"amount": second["lineItemCost"], "refundId": "R-9"}]  # pending: no refundDate yet
    mapped = order_from_ebay(order)
    assert mapped.purpose == "01" and [line.quantity for line in mapped.lines] == [2, 1]
