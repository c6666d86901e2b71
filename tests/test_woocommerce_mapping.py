"""WooCommerce REST v3 orders (the owner's docs examples, unchanged) into the canonical Order, and fulfilments
back out as the order update, the customer note and the Shipment Tracking bodies."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.models import Order
from crossdock.mappings import woocommerce
from crossdock.mappings.woocommerce import (
    order_from_woocommerce,
    order_update,
    orders_from_woocommerce,
    shipment_tracking,
    tracking_note,
)
from tests.conftest import CASES, FIXTURES
from tests.golden import assert_golden

WOO = FIXTURES / "woocommerce"


def load(name: str) -> Any:
    """A fixture as a client reads it off the wire: JSON parsed without float."""
    return json.loads((WOO / name).read_text(), parse_float=Decimal)


def raw(name: str) -> Any:
    """The same fixture with amounts left as the JSON text says them, to compare against."""
    return json.loads((WOO / name).read_text(), parse_float=str)


def retrieved() -> dict[str, Any]:
    order: dict[str, Any] = load("orders.retrieve.response.json")
    return order


def fixture_orders() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every order object in the owner's fixtures: (where, as parsed, as text)."""
    out = []
    for name in ("orders.create.response.json", "orders.retrieve.response.json", "orders.update.response.json"):
        out.append((name, load(name), raw(name)))
    out.append(("orders.delete.response.json", load("orders.delete.response.json"), raw("orders.delete.response.json")))
    for i, (parsed, text) in enumerate(
        zip(load("orders.list.response.json"), raw("orders.list.response.json"), strict=True)
    ):
        out.append((f"orders.list[{i}]", parsed, text))
    batch, batch_text = load("orders.batch.response.json"), raw("orders.batch.response.json")
    for part in ("create", "update", "delete"):
        for i, (parsed, text) in enumerate(zip(batch[part], batch_text[part], strict=True)):
            out.append((f"orders.batch.{part}[{i}]", parsed, text))
    return out


FIXTURE_ORDERS = fixture_orders()


def test_the_fixtures_hold_the_orders_these_tests_expect() -> None:
    ids = sorted({(where.split("[")[0], order["id"]) for where, order, _ in FIXTURE_ORDERS})
    assert len(FIXTURE_ORDERS) == 10
    assert {order_id for _, order_id in ids} == {723, 727, 728, 729}


def test_retrieved_order_maps_field_by_field() -> None:
    order = order_from_woocommerce(retrieved(), name="orders.retrieve")
    assert (order.channel, order.po_number, order.external_id, order.currency) == ("woocommerce", "727", "727", "USD")
    assert order.purpose == "00"
    assert order.order_date == dt.date(2017, 3, 22)
    assert order.updated_at == dt.datetime(2017, 3, 22, 19, 28, 8, tzinfo=dt.UTC)
    assert str(order.total_amount) == "29.35"
    ship_to, bill_to = order.party("ST"), order.party("BT")
    assert ship_to is not None and bill_to is not None
    assert ship_to.name == "John Doe" and ship_to.extra_names == []
    assert ship_to.address is not None and ship_to.address.model_dump() == {
        "lines": ["969 Market"],
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94103",
        "country": "US",
    }
    assert (order.contacts[0].email, order.contacts[0].phone) == ("john.doe@example.com", "(555) 555-5555")
    first, second = order.lines
    assert (first.position, first.line_number, first.quantity, first.uom) == (1, "315", Decimal(2), "EA")
    assert str(first.unit_price) == "3.00", "subtotal 6.00 over 2, from the text, not price 3"
    assert first.product_ids == {"PRODUCT": "93"}, "an empty sku and a zero variation are left out"
    assert first.notes == []
    assert second.product_ids == {"SK": "Bar3", "PRODUCT": "22", "VARIATION": "23"}
    assert second.description == "Ship Your Idea – Color: Black, Size: M Test", "&ndash; is unescaped"
    assert second.notes == ["pa_color: black", "size: M Test"]
    assert [(t.title, str(t.amount)) for t in first.taxes + second.taxes] == [
        ("State Tax", "0.45"),
        ("State Tax", "0.9"),
    ]
    assert first.discounts == [] and second.discounts == [] and order.discounts == []
    assert order.taxes == [], "the order's tax_lines are the lines' taxes summed: not counted twice"
    (shipping,) = order.shipping_lines
    assert (shipping.code, shipping.title, str(shipping.amount), shipping.taxes) == (
        "flat_rate",
        "Flat Rate",
        "10.00",
        [],
    )
    assert order.notes == [] and order.charges == []


def test_the_owners_second_order_keeps_its_foreign_address_and_meta() -> None:
    (order,) = [o for o in orders_from_woocommerce(load("orders.list.response.json")) if o.external_id == "723"]
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.name == "João Silva"
    assert ship_to.address is not None
    assert (ship_to.address.postal_code, ship_to.address.state, ship_to.address.country) == ("12345-000", "RJ", "BR")
    assert ship_to.address.lines == ["Av. Brasil, 432"]
    assert [line.line_number for line in order.lines] == ["311", "313"]
    assert order.shipping_lines[0].code == "flat_rate:25"
    assert order.order_date == dt.date(2017, 3, 21)


def amounts(order: Order) -> list[Decimal]:
    out = [x for x in (order.total_amount,) if x is not None]
    for line in order.lines:
        out += [line.quantity, *(t.amount for t in line.taxes), *(d.amount for d in line.discounts)]
        out += [line.unit_price] if line.unit_price is not None else []
    for s in order.shipping_lines:
        out += [s.amount, *(t.amount for t in s.taxes)]
    return out


@pytest.mark.parametrize(("where", "payload", "text"), FIXTURE_ORDERS, ids=[w for w, _, _ in FIXTURE_ORDERS])
def test_every_fixture_order_maps_and_adds_up(where: str, payload: dict[str, Any], text: dict[str, Any]) -> None:
    order = order_from_woocommerce(payload, name=where)
    assert order.external_id == str(text["id"]) and order.po_number == text["number"]
    assert order.purpose == "00", f"{text['status']} is not a cancellation"
    assert order.updated_at == dt.datetime.fromisoformat(text["date_modified_gmt"]).replace(tzinfo=dt.UTC)
    assert isinstance(order.total_amount, Decimal) and str(order.total_amount) == text["total"]
    assert all(type(x) is Decimal for x in amounts(order))
    assert [line.line_number for line in order.lines] == [str(item["id"]) for item in text["line_items"]]
    assert [line.product_ids.get("SK", "") for line in order.lines] == [item["sku"] for item in text["line_items"]]
    for line, item in zip(order.lines, text["line_items"], strict=True):
        assert line.quantity * (line.unit_price or 0) == Decimal(item["subtotal"])
        assert [str(t.amount) for t in line.taxes] == [t["total"] for t in item["taxes"]]
    assert [str(s.amount) for s in order.shipping_lines] == [s["total"] for s in text["shipping_lines"]]
    goods = sum((line.quantity * (line.unit_price or 0) for line in order.lines), Decimal(0))
    taxes = sum((t.amount for x in [*order.lines, *order.shipping_lines, order] for t in x.taxes), Decimal(0))
    off = sum((d.amount for x in [*order.lines, order] for d in x.discounts), Decimal(0))
    shipping = sum((s.amount for s in order.shipping_lines), Decimal(0))
    assert goods - off + taxes + shipping == order.total_amount


def test_an_amount_beyond_any_order_is_refused_where_it_is() -> None:
    order = retrieved()
    order["line_items"][0]["subtotal"] = Decimal("1E+400")
    with pytest.raises(DecodeError) as caught:
        order_from_woocommerce(order, name="order.json")
    assert "line_items[0].subtotal: Decimal('1E+400') is too large for an amount or a quantity" in str(caught.value)


def test_order_pages_name_the_order_by_index_in_errors() -> None:
    page = load("orders.list.response.json")
    assert [o.external_id for o in orders_from_woocommerce(page)] == ["727", "723"]
    page[1]["line_items"][0]["quantity"] = "x"
    with pytest.raises(DecodeError) as caught:
        orders_from_woocommerce(page, name="orders.list")
    assert str(caught.value) == "orders.list: [1].line_items[0].quantity: 'x' is not a number"
    with pytest.raises(DecodeError, match=r"orders\.list: a page of orders is a list, not dict"):
        orders_from_woocommerce({"id": 1}, name="orders.list")


def test_modified_time_is_the_gmt_field_read_as_utc_never_the_local_one() -> None:
    payload = retrieved()
    payload["date_modified"] = "2030-01-01T00:00:00"  # the store's local time: must not be read
    order = order_from_woocommerce(payload)
    assert order.updated_at == dt.datetime(2017, 3, 22, 19, 28, 8, tzinfo=dt.UTC)
    assert order.updated_at is not None and order.updated_at.utcoffset() == dt.timedelta(0)
    payload["date_created_gmt"] = "2017-03-22T23:30:00"
    payload["date_created"] = "2017-03-22T20:30:00"
    payload["date_modified_gmt"] = "2017-03-23T01:00:00+02:00"
    order = order_from_woocommerce(payload)
    assert order.updated_at == dt.datetime(2017, 3, 22, 23, 0, tzinfo=dt.UTC), "an offset, if sent, is honoured"
    assert order.order_date == dt.date(2017, 3, 22)
    del payload["date_modified_gmt"]
    assert order_from_woocommerce(payload).updated_at is None, "no fallback to the local field"


@pytest.mark.parametrize(
    ("status", "purpose", "awaiting"),
    [
        ("cancelled", "01", None),
        ("refunded", "01", None),
        ("failed", "01", None),
        ("trash", "01", None),
        ("processing", "00", None),
        ("completed", "00", None),
        ("pending", "00", "payment"),
        ("on-hold", "00", "payment"),
        ("checkout-draft", "00", "checkout"),
        ("wc-awaiting-shipment", "00", None),
    ],
)
def test_status_gives_the_purpose_and_what_the_order_waits_for(status: str, purpose: str, awaiting: str) -> None:
    order = order_from_woocommerce(retrieved() | {"status": status})
    assert (order.purpose, order.awaiting) == (purpose, awaiting)
    assert order.already_shipped == (status == "completed")


def test_number_falls_back_to_id_and_customer_note_and_company_are_kept() -> None:
    payload = retrieved() | {"number": "", "customer_note": "Leave at the door"}
    payload["shipping"] = payload["shipping"] | {"company": "Acme Inc", "address_2": "Suite 5", "phone": "555-0100"}
    order = order_from_woocommerce(payload)
    assert order.po_number == "727" and order.notes == ["Leave at the door"]
    ship_to = order.ship_to
    assert ship_to is not None and ship_to.extra_names == ["Acme Inc"] and ship_to.contacts[0].phone == "555-0100"
    assert ship_to.address is not None and ship_to.address.lines == ["969 Market", "Suite 5"]
    payload["shipping"] = dict.fromkeys(payload["shipping"], "")
    assert order_from_woocommerce(payload).ship_to is None, "an all-empty shipping address is no ship-to"


def test_coupons_are_line_discounts_when_the_lines_carry_them_else_order_discounts() -> None:
    payload = retrieved()
    payload["line_items"][1].update(total="10.80", total_tax="0.81")
    payload["line_items"][1]["taxes"][0].update(total="0.81")
    payload["coupon_lines"] = [{"id": 1, "code": "save10", "discount": "1.20", "discount_tax": "0.09"}]
    order = order_from_woocommerce(payload)
    (discount,) = order.lines[1].discounts
    assert (discount.code, str(discount.amount)) == ("save10", "1.20")
    assert order.lines[0].discounts == [] and order.discounts == [], "the coupon is on the line: not counted twice"
    payload["line_items"][1].update(total="12.00")
    order = order_from_woocommerce(payload)
    assert [(d.code, str(d.amount)) for d in order.discounts] == [("save10", "1.20")]


def test_fees_are_charges_and_order_level_taxes_come_from_tax_lines_only_without_line_taxes() -> None:
    payload = retrieved()
    payload["fee_lines"] = [
        {"id": 9, "name": "Gift wrap", "total": "2.50", "taxes": [{"id": 75, "total": "0.19"}]},
        {"id": 10, "name": "Loyalty", "total": "-1.00", "taxes": []},
    ]
    order = order_from_woocommerce(payload)
    assert [(c.indicator, str(c.amount), c.description) for c in order.charges] == [
        ("C", "2.50", "Gift wrap"),
        ("A", "1.00", "Loyalty"),
    ]
    assert [(t.title, str(t.amount)) for t in order.taxes] == [("State Tax", "0.19")]
    bare = retrieved() | {
        "tax_lines": [
            {"rate_id": 75, "label": "", "rate_code": "US-CA", "tax_total": "1.35", "shipping_tax_total": "0.10"}
        ]
    }
    for item in bare["line_items"]:
        item["taxes"] = []
    assert [(t.title, str(t.amount)) for t in order_from_woocommerce(bare).taxes] == [("US-CA", "1.45")]
    bare["fee_lines"] = [{"id": 9, "name": "Gift wrap", "total": "2.50", "taxes": [{"id": 75, "total": "0.19"}]}]
    assert [str(t.amount) for t in order_from_woocommerce(bare).taxes] == ["0.19"], "tax_lines would count it twice"


def test_line_meta_gtins_hidden_keys_and_structured_values() -> None:
    payload = retrieved()
    item = payload["line_items"][0]
    item["meta_data"] = [
        {"id": 1, "key": "_gtin", "value": "4006381333931"},
        {"id": 2, "key": "upc", "value": "036000291452"},
        {"id": 3, "key": "_reduced_stock", "value": "2"},
        {"id": 4, "key": "Engraving", "value": {"text": "For Ada", "font": "serif"}},
        {"id": 5, "key": "colour", "value": "4006381333931"},
    ]
    item.update(subtotal="10.00", quantity=3, sku="WS-1", product_id=0)
    line = order_from_woocommerce(payload).lines[0]
    assert line.product_ids == {"SK": "WS-1", "EN": "4006381333931", "UP": "036000291452"}
    assert line.notes == ["upc: 036000291452", 'Engraving: {"text":"For Ada","font":"serif"}', "colour: 4006381333931"]
    assert line.unit_price == Decimal("3.333333"), "an inexact unit price is rounded to 6 places"
    item["meta_data"] = [{"id": 1, "key": "gtin", "value": "10012345678902"}]
    assert order_from_woocommerce(payload).lines[0].product_ids["UK"] == "10012345678902"


def test_price_as_a_json_number_is_not_read() -> None:
    payload = retrieved()
    payload["line_items"][0]["price"] = 2.9999999999  # even a float here: unit_price comes from the subtotal text
    assert str(order_from_woocommerce(payload).lines[0].unit_price) == "3.00"


def damaged(change: Any) -> dict[str, Any]:
    payload = copy.deepcopy(retrieved())
    change(payload)
    return payload


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.pop("id"), "orders.retrieve: id: missing"),
        (lambda p: p.update(id="seven"), "orders.retrieve: id: 'seven' is not an id"),
        (lambda p: p.update(total=29.35), "orders.retrieve: total: 29.35 is a float: parse the JSON with parse_float"),
        (
            lambda p: p["line_items"][1]["taxes"][0].update(total=0.9),
            "orders.retrieve: line_items[1].taxes[0].total: 0.9 is a float",
        ),
        (lambda p: p["shipping_lines"][0].update(total="ten"), "shipping_lines[0].total: 'ten' is not a number"),
        (
            lambda p: p["line_items"][0].update(quantity="x"),
            "orders.retrieve: line_items[0].quantity: 'x' is not a number",
        ),
        (lambda p: p["line_items"][0].update(quantity=0), "line_items[0].quantity: 0 is not a positive quantity"),
        (lambda p: p["line_items"][0].pop("id"), "line_items[0].id: missing"),
        (lambda p: p["line_items"][0].pop("subtotal"), "line_items[0].subtotal: missing"),
        (lambda p: p.update(line_items={"a": 1}), "line_items: a list was expected, not dict"),
        (lambda p: p.update(currency=""), "currency: missing"),
        (lambda p: p.update(date_modified_gmt="yesterday"), "date_modified_gmt: 'yesterday' is not a date and time"),
        (lambda p: p.update(billing="John"), "billing: an object was expected, not str"),
    ],
)
def test_a_bad_order_is_refused_naming_the_payload_and_field(change: Any, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        order_from_woocommerce(damaged(change), name="orders.retrieve")
    assert message in str(caught.value)
    assert caught.value.source == "orders.retrieve"


def test_a_lossy_parse_of_the_whole_fixture_is_refused_and_the_pipeline_name_is_the_same_function() -> None:
    lossy = json.loads((WOO / "orders.retrieve.response.json").read_text())  # plain json: no floats in this one
    assert order_from_woocommerce(lossy).total_amount == Decimal("29.35"), "string amounts are safe either way"
    with pytest.raises(DecodeError, match="order: an object was expected, not list"):
        order_from_woocommerce([], name="order")  # type: ignore[arg-type]
    assert woocommerce.order_from_payload is order_from_woocommerce


def fulfilment(status: str = "shipped", **changes: Any) -> Fulfilment:
    base = Fulfilment(
        channel="woocommerce",
        partner="shop",
        po_number="727",
        external_id="727",
        shipment_id="WH-1",
        ship_date=dt.date(2026, 11, 22),
        carrier_scac="UPSN",
        carrier_service="Ground",
        tracking_numbers=["1Z999AA10123456784"],
        order_status=status,  # type: ignore[arg-type]
        lines=[
            FulfilmentLine(line_number="315", quantity=Decimal(2)),
            FulfilmentLine(line_number="316", product_ids={"SK": "Bar3"}, quantity=Decimal("1.000")),
        ],
    )
    return base.model_copy(update=changes)


def partial() -> Fulfilment:
    return fulfilment(
        "partially shipped",
        shipment_id="WH-2",
        carrier_scac="OLDD",
        carrier_service=None,
        tracking_numbers=["OD-1", "OD-2", "OD-1"],
        lines=[FulfilmentLine(line_number="316", product_ids={"SK": "Bar3"}, quantity=Decimal(1))],
    )


def test_full_shipment_completes_the_order_with_a_customer_note_and_a_tracking_item() -> None:
    shipped = fulfilment()
    assert order_update(shipped) == {"status": "completed"}
    note = tracking_note(shipped)
    assert note == {
        "note": "Your order has shipped.\n"
        "Carrier: UPS, service Ground\n"
        "Tracking number: 1Z999AA10123456784\n"
        "Items: 2 × line 315; 1 × Bar3 (line 316)\n"
        "Shipment WH-1, shipped 2026-11-22.",
        "customer_note": True,
    }
    assert shipment_tracking(shipped) == [
        {"tracking_provider": "UPS", "tracking_number": "1Z999AA10123456784", "date_shipped": "2026-11-22"}
    ]
    assert shipment_tracking(fulfilment(carrier_scac="USPS", ship_date=None)) == [
        {"tracking_provider": "USPS", "tracking_number": "1Z999AA10123456784"}
    ], "no ship date: left out, the extension then uses today"


def test_partial_shipment_leaves_the_status_alone_and_the_golden_note() -> None:
    shipped = partial()
    assert order_update(shipped) == {}, "nothing to PUT: the order stays processing"
    note = tracking_note(shipped)
    assert note["customer_note"] is True and note["note"].startswith("Part of your order has shipped.")
    assert "Tracking numbers: OD-1, OD-2\n" in note["note"] and "line 315" not in note["note"]
    text = json.dumps(note, indent=2, ensure_ascii=False) + "\n"
    assert_golden(CASES / "channels" / "woocommerce" / "order_note.partial.json", text.encode())
    assert shipment_tracking(shipped) == [
        {"custom_tracking_provider": "OLDD", "tracking_number": "OD-1", "date_shipped": "2026-11-22"},
        {"custom_tracking_provider": "OLDD", "tracking_number": "OD-2", "date_shipped": "2026-11-22"},
    ], "a carrier the extension does not list is a custom provider; a repeated number is sent once"
    linked = shipment_tracking(shipped, links={"oldd": "https://odfl.example/track/%1$s"})
    assert linked[0]["custom_tracking_link"] == "https://odfl.example/track/%1$s"
    own = shipment_tracking(shipped, providers={"OLDD": "Old Dominion"})
    assert [b["tracking_provider"] for b in own] == ["Old Dominion", "Old Dominion"]
    assert shipment_tracking(fulfilment(carrier_scac=None)) == [], "no carrier: the note carries the number"


def test_the_note_has_the_shape_of_the_owners_note_example() -> None:
    request, response = load("order-notes.create.request.json"), load("order-notes.create.response.json")
    note = tracking_note(fulfilment())
    assert set(request) <= set(note) and set(note) <= set(response), "only fields the notes endpoint knows"
    assert type(note["customer_note"]) is type(response["customer_note"]) is bool
    assert isinstance(note["note"], str) and isinstance(request["note"], str)
    bare = tracking_note(fulfilment(carrier_scac=None, carrier_service=None, tracking_numbers=[], ship_date=None))
    assert bare["note"] == "Your order has shipped.\nItems: 2 × line 315; 1 × Bar3 (line 316)\nShipment WH-1."
