"""BigCommerce v2 orders into the canonical Order, and fulfilments back out as shipment request bodies.

The owner publishes no openly licensed BigCommerce payloads (``shared/docs/channel-apis.md`` §7: the specs have no
licence file), so the order under ``tests/cases/channels/bigcommerce/`` is **our own**, written from the documented
v2 field names (order, ``/products``, ``/shipping_addresses``) and merged the way the connector merges it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.models import Order
from crossdock.mappings import bigcommerce
from crossdock.mappings.bigcommerce import merge, order_from_bigcommerce, shipment_requests
from tests.conftest import CASES
from tests.golden import assert_golden

HERE = CASES / "channels" / "bigcommerce"


def multi() -> dict[str, Any]:
    """Our multi-address order as a client reads it off the wire: JSON parsed without float."""
    payload: dict[str, Any] = json.loads((HERE / "order.multi-address.json").read_text(), parse_float=Decimal)
    return payload


def single() -> dict[str, Any]:
    """The same order shipping everything to its first address."""
    payload = multi()
    payload["shipping_addresses"] = payload["shipping_addresses"][:1]
    for product in payload["products"]:
        product["order_address_id"] = 9001
    return payload


def test_the_multi_address_order_maps_to_its_golden() -> None:
    order = order_from_bigcommerce(multi(), name="order.multi-address")
    text = json.dumps(order.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    assert_golden(HERE / "order.multi-address.expected.json", text.encode())


def test_one_order_with_the_first_address_as_ship_to_and_each_line_carrying_its_own() -> None:
    order = order_from_bigcommerce(multi())
    assert (order.channel, order.po_number, order.external_id, order.purpose, order.awaiting) == (
        "bigcommerce",
        "2301",
        "2301",
        "00",
        None,
    )
    ship_to = order.ship_to
    assert ship_to is not None and (ship_to.name, ship_to.id_qualifier, ship_to.id) == ("Dana Reyes", "92", "9001")
    assert ship_to.address is not None and (ship_to.address.state, ship_to.address.country) == ("TX", "US")
    by_line = {line.line_number: line.parties for line in order.lines}
    assert [(p.role, p.id, p.name) for p in by_line["502"]] == [("ST", "9002", "Luis Reyes")]
    assert [p.id for p in by_line["501"]] == ["9001"] and [p.id for p in by_line["503"]] == ["9001"]
    tent_to = by_line["502"][0].address
    assert tent_to is not None and (tent_to.state, tent_to.postal_code, tent_to.lines) == (
        "CA",
        "94111",
        ["1 Ferry Building"],
    )
    assert [(s.title, s.code, str(s.amount)) for s in order.shipping_lines] == [
        ("Flat Rate", "United States", "10.0000"),
        ("UPS Ground", "United States", "15.0000"),
    ], "one shipping line per address, its own cost"


def test_a_single_address_order_has_no_line_level_ship_to() -> None:
    order = order_from_bigcommerce(single())
    assert all(line.parties == [] for line in order.lines)
    assert order.ship_to is not None and order.ship_to.id == "9001"
    assert len(order.shipping_lines) == 1


def test_money_is_decimal_from_the_text_and_adds_up_to_the_total() -> None:
    order = order_from_bigcommerce(multi())
    assert order.currency == "USD", "default_currency_code (what was paid in), not the display currency CAD"
    assert str(order.total_amount) == "260.1000"
    mug, tent, stakes = order.lines
    assert (mug.quantity, str(mug.unit_price), [str(t.amount) for t in mug.taxes]) == (
        Decimal(2),
        "12.5000",
        ["2.0000"],
    )
    assert [(d.code, d.description, str(d.amount)) for d in mug.discounts] == [("SPRING10", "Spring sale", "2.5000")]
    assert order.discounts == [], "the coupon is on the line: coupon_discount would count it twice"
    assert [(c.indicator, c.description, str(c.amount)) for c in order.charges] == [("C", "Handling", "3.0000")]
    assert [(t.title, str(t.amount)) for t in order.taxes] == [("Handling tax", "0.2400")]
    goods = sum((line.quantity * (line.unit_price or 0) for line in order.lines), Decimal(0))
    tax_lines = [t for x in order.lines for t in x.taxes] + [t for s in order.shipping_lines for t in s.taxes]
    taxes = sum((t.amount for t in tax_lines + order.taxes), Decimal(0))
    off = sum((d.amount for d in [d for x in order.lines for d in x.discounts] + order.discounts), Decimal(0))
    extra = sum((s.amount for s in order.shipping_lines), Decimal(0)) + sum(
        (c.amount or 0 for c in order.charges), Decimal(0)
    )
    assert goods - off + taxes + extra == order.total_amount
    assert all(type(x) is Decimal for x in (*(line.unit_price for line in order.lines), order.total_amount))
    assert stakes.unit_price == Decimal("4.0000") and tent.taxes[0].amount == Decimal("14.4")


def test_lines_keep_ids_options_gtins_and_unescaped_names() -> None:
    mug, tent, stakes = order_from_bigcommerce(multi()).lines
    assert [line.line_number for line in (mug, tent, stakes)] == ["501", "502", "503"], "the order product ids"
    assert mug.product_ids == {"SK": "MUG-BLU", "PRODUCT": "77", "VARIANT": "120", "UP": "036000291452"}
    assert tent.product_ids == {"SK": "TENT-2P", "PRODUCT": "78"}, "variant 0 and an empty upc are left out"
    assert stakes.product_ids["EN"] == "4006381333931"
    assert mug.description == "Camp Mug & Lid" and mug.notes == ["Colour: Blue"]


def test_dates_are_rfc_2822_read_as_aware_utc() -> None:
    order = order_from_bigcommerce(multi())
    assert order.updated_at == dt.datetime(2026, 11, 23, 8, 15, 30, tzinfo=dt.UTC)
    assert order.order_date == dt.date(2026, 11, 23), "23:40 at -0600 is the next day in UTC"
    payload = multi() | {"date_modified": "Mon, 23 Nov 2026 10:15:30 +0200"}
    assert order_from_bigcommerce(payload).updated_at == dt.datetime(2026, 11, 23, 8, 15, 30, tzinfo=dt.UTC)
    payload = multi() | {"date_modified": "Mon, 23 Nov 2026 08:15:30 -0000"}
    stamp = order_from_bigcommerce(payload).updated_at
    assert stamp is not None and stamp.utcoffset() == dt.timedelta(0), "-0000 (zone unknown) is taken as UTC"


@pytest.mark.parametrize(
    ("status_id", "purpose", "awaiting"),
    [
        (1, "00", "payment"),
        (7, "00", "payment"),
        (12, "00", "review"),
        (4, "01", None),
        (5, "01", None),
        (6, "01", None),
        (9, "00", None),
        (11, "00", None),
        (3, "00", None),
        (14, "00", None),
        (2, "00", None),
        (10, "00", None),
    ],
)
def test_status_gives_the_purpose_and_what_the_order_waits_for(status_id: int, purpose: str, awaiting: str) -> None:
    order = order_from_bigcommerce(multi() | {"status_id": status_id})
    assert (order.purpose, order.awaiting) == (purpose, awaiting)
    assert order.already_shipped == (status_id in (2, 10)), "Shipped and Completed are shipped already"


def test_an_incomplete_order_is_never_an_order() -> None:
    with pytest.raises(DecodeError, match="status_id: 0 is Incomplete, an abandoned checkout"):
        order_from_bigcommerce(multi() | {"status_id": 0}, name="o")


def test_taxes_fall_back_to_the_order_total_and_order_discounts_appear_without_line_ones() -> None:
    payload = single()
    for product in payload["products"]:
        product.update(total_tax="0.0000", applied_discounts=[])
    payload.update(handling_cost_tax="0.0000", discount_amount="1.0000")
    order = order_from_bigcommerce(payload)
    assert [(t.title, str(t.amount)) for t in order.taxes] == [(None, "17.6000")]
    assert [(d.description, str(d.amount)) for d in order.discounts] == [("discount", "1.0000"), ("coupons", "2.5000")]


def test_an_order_without_shipping_addresses_keeps_its_shipping_cost_and_bill_to() -> None:
    payload = multi() | {"shipping_addresses": []}
    for product in payload["products"]:
        product["order_address_id"] = 0
    order = order_from_bigcommerce(payload)
    assert order.ship_to is None and order.party("BT") is not None
    assert [str(s.amount) for s in order.shipping_lines] == ["25.0000"]
    bill_to = order.party("BT")
    assert bill_to is not None and bill_to.extra_names == ["Trailhead Co"] and bill_to.id is None
    assert (order.contacts[0].email, order.contacts[0].phone) == ("dana@example.com", "512-555-0100")
    assert order.notes == ["Two addresses: the tent goes to my brother."]


def test_a_state_outside_the_us_is_kept_as_sent() -> None:
    payload = single()
    payload["shipping_addresses"][0].update(state="Ontario", country_iso2="CA", country="Canada")
    ship_to = order_from_bigcommerce(payload).ship_to
    assert ship_to is not None and ship_to.address is not None
    assert (ship_to.address.state, ship_to.address.country) == ("Ontario", "CA")


def damaged(change: Any) -> dict[str, Any]:
    payload = copy.deepcopy(multi())
    change(payload)
    return payload


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("id"), "o: id: missing"),
        (lambda p: p.update(status_id="eleven"), "o: status_id: 'eleven' is not an id"),
        (lambda p: p.update(total_inc_tax=260.1), "o: total_inc_tax: 260.1 is a float: parse the JSON"),
        (lambda p: p["products"][1].update(price_ex_tax="ten"), "o: products[1].price_ex_tax: 'ten' is not a number"),
        (lambda p: p["products"][0].update(quantity=0), "o: products[0].quantity: 0 is not a positive quantity"),
        (
            lambda p: p["products"][2].update(order_address_id=77),
            "o: products[2].order_address_id: 77 is none of the order's shipping addresses",
        ),
        (
            lambda p: p["shipping_addresses"][1].pop("cost_ex_tax"),
            "o: shipping_addresses[1].cost_ex_tax: missing",
        ),
        (
            lambda p: p.update(products={"url": "https://api.bigcommerce.com/…/products", "resource": "/orders/1"}),
            "o: products: a link, not the list: the connector merges the sub-resource",
        ),
        (lambda p: p.update(date_modified="2026-11-23T08:15:30Z"), "o: date_modified: '2026-11-23T08:15:30Z' is not"),
        (lambda p: p.pop("date_modified"), "o: date_modified: missing"),
        (lambda p: p.update(billing_address="Dana"), "o: billing_address: an object was expected, not str"),
        (lambda p: p.update(default_currency_code=None, currency_code=""), "o: currency_code: missing"),
    ],
)
def test_a_bad_order_is_refused_naming_the_payload_and_field(change: Any, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        order_from_bigcommerce(damaged(change), name="o")
    assert message in str(caught.value)
    assert caught.value.source == "o"


def test_merge_replaces_the_links_and_the_pipeline_name_is_the_same_function() -> None:
    payload = multi()
    order = {k: v for k, v in payload.items() if k not in ("products", "shipping_addresses")}
    order["products"] = {"url": "https://api.bigcommerce.com/stores/x/v2/orders/2301/products", "resource": "/p"}
    merged = merge(order, payload["products"], payload["shipping_addresses"])
    assert order_from_bigcommerce(merged) == order_from_bigcommerce(payload)
    assert isinstance(order["products"], dict), "the order given is not changed"
    assert bigcommerce.order_from_payload is order_from_bigcommerce


def fulfilment(**changes: Any) -> Fulfilment:
    base = Fulfilment(
        channel="bigcommerce",
        partner="store",
        po_number="2301",
        external_id="2301",
        shipment_id="WH-7",
        ship_date=dt.date(2026, 11, 24),
        carrier_scac="UPSN",
        carrier_service="Ground",
        tracking_numbers=["1Z999AA10123456784", "1Z999AA10123456795"],
        order_status="shipped",
        lines=[
            FulfilmentLine(line_number="501", quantity=Decimal(2)),
            FulfilmentLine(line_number="502", quantity=Decimal("1.000")),
            FulfilmentLine(line_number=None, product_ids={"SK": "STAKES-8"}, quantity=Decimal(3)),
        ],
    )
    return base.model_copy(update=changes)


def test_a_fulfilment_is_one_shipment_per_address_its_golden() -> None:
    bodies = shipment_requests(fulfilment(), multi()["products"])
    text = json.dumps(bodies, indent=2, ensure_ascii=False) + "\n"
    assert_golden(HERE / "shipments.multi-address.json", text.encode())
    first, second = bodies
    assert first["order_address_id"] == 9001 and second["order_address_id"] == 9002
    assert first["items"] == [{"order_product_id": 501, "quantity": 2}, {"order_product_id": 503, "quantity": 3}]
    assert second["items"] == [{"order_product_id": 502, "quantity": 1}], "1.000 is the whole number 1"
    assert first["tracking_number"] == "1Z999AA10123456784" and first["shipping_provider"] == "ups"
    assert "tracking numbers 1Z999AA10123456784, 1Z999AA10123456795" in first["comments"]


def test_the_carrier_is_a_shipping_provider_an_aftership_slug_or_named_in_the_comments() -> None:
    products = multi()["products"]
    one = [FulfilmentLine(line_number="502", quantity=Decimal(1))]
    (dhl,) = shipment_requests(fulfilment(carrier_scac="DHL", lines=one, carrier_service=None), products)
    assert dhl["tracking_carrier"] == "dhl" and "shipping_provider" not in dhl
    (other,) = shipment_requests(fulfilment(carrier_scac="OLDD", tracking_numbers=["OD-1"], lines=one), products)
    assert other["shipping_provider"] == "" and other["comments"] == "Shipment WH-7; carrier OLDD; service Ground"
    (bare,) = shipment_requests(fulfilment(carrier_scac=None, tracking_numbers=[], lines=one), products)
    assert "tracking_number" not in bare and bare["shipping_provider"] == ""


def test_the_same_product_twice_is_one_item_and_repeated_tracking_numbers_count_once() -> None:
    lines = [
        FulfilmentLine(line_number="503", quantity=Decimal(1)),
        FulfilmentLine(line_number="503", quantity=Decimal(2)),
    ]
    (body,) = shipment_requests(fulfilment(lines=lines, tracking_numbers=["A", "A "]), multi()["products"])
    assert body["items"] == [{"order_product_id": 503, "quantity": 3}]
    assert body["tracking_number"] == "A" and "tracking numbers" not in body["comments"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines": [FulfilmentLine(line_number="999", quantity=Decimal(1))]}, "line 999 is none of the order's"),
        ({"lines": [FulfilmentLine(product_ids={"SK": "NOPE"}, quantity=Decimal(1))]}, "line NOPE is none"),
        ({"lines": [FulfilmentLine(line_number="501", quantity=Decimal("1.5"))]}, "1.5 is not a whole quantity"),
        ({"tracking_numbers": ["X" * 51]}, "is longer than 50"),
    ],
)
def test_what_bigcommerce_cannot_take_is_refused_for_good(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        shipment_requests(fulfilment(**changes), multi()["products"])


def test_a_sku_two_products_share_is_not_guessed() -> None:
    products = multi()["products"]
    products[1]["sku"] = "STAKES-8"
    with pytest.raises(PermanentError, match="line STAKES-8 is none"):
        shipment_requests(fulfilment(), products)


def test_the_golden_order_round_trips_through_the_canonical_model() -> None:
    order = order_from_bigcommerce(multi())
    assert Order.model_validate_json(json.dumps(order.model_dump(mode="json"))) == order
