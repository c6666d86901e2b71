"""Shopify orders (REST fixtures and GraphQL nodes) into the canonical Order, and fulfilments back out."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.models import Order
from crossdock.mappings.shopify import order_from_shopify
from crossdock.mappings.shopify_fulfilment import fulfilment_request
from crossdock.mappings.shopify_graphql import FULFILLMENT_CREATE, ORDERS_QUERY, orders_query_variables
from tests.conftest import CASES, FIXTURES
from tests.golden import assert_golden

REST = FIXTURES / "shopify" / "rest"


def wire(data: Any) -> Any:
    """What a client reads off the wire: JSON text parsed without float."""
    return json.loads(json.dumps(data), parse_float=Decimal)


def rest_order() -> dict[str, Any]:
    order: dict[str, Any] = json.loads((REST / "order.json").read_text(), parse_float=Decimal)["order"]
    return order


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def address(**extra: Any) -> dict[str, Any]:
    base = {
        "name": "Bob Norman",
        "firstName": "Bob",
        "lastName": "Norman",
        "company": None,
        "address1": "Chestnut Street 92",
        "address2": "",
        "city": "Louisville",
        "provinceCode": "KY",
        "zip": "40202",
        "countryCodeV2": "US",
        "phone": "555-625-1199",
    }
    return base | extra


def gql_line(line_id: int, sku: str, variant_id: int, colour: str) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{line_id}",
        "sku": sku,
        "name": f"IPod Nano - 8gb - {colour}",
        "title": "IPod Nano - 8gb",
        "quantity": 1,
        "currentQuantity": 1,
        "requiresShipping": True,
        "variant": {"id": f"gid://shopify/ProductVariant/{variant_id}", "barcode": None},
        "originalUnitPriceSet": money("199.00"),
        "taxLines": [],
        "discountAllocations": [],
    }


# No owner-published GraphQL order payload exists (channel-apis.md, "Not covered / not found"). This node is
# written here from the documented Order fields, as ORDERS_QUERY selects them, and carries the same order as the
# owner's REST fixture order.json (times in UTC, as GraphQL sends them).
GRAPHQL_ORDER: dict[str, Any] = {
    "id": "gid://shopify/Order/450789469",
    "name": "#1001",
    "createdAt": "2008-01-10T16:00:00Z",
    "updatedAt": "2008-01-10T16:00:00Z",
    "cancelledAt": None,
    "displayFinancialStatus": "AUTHORIZED",
    "displayFulfillmentStatus": "UNFULFILLED",
    "currencyCode": "USD",
    "email": "bob.norman@hostmail.com",
    "phone": None,
    "totalPriceSet": money("409.94"),
    "shippingAddress": address(),
    "billingAddress": address(),
    "taxLines": [{"title": "State Tax", "rate": 0.06, "priceSet": money("11.94")}],
    "risk": {"assessments": [{"riskLevel": "LOW"}]},
    "fulfillmentOrders": {"nodes": [{"status": "OPEN", "fulfillBy": None}]},
    "lineItems": {
        "pageInfo": {"hasNextPage": False},
        "nodes": [
            gql_line(466157049, "IPOD2008GREEN", 39072856, "green"),
            gql_line(518995019, "IPOD2008RED", 49148385, "red"),
            gql_line(703073504, "IPOD2008BLACK", 457924702, "black"),
        ],
    },
    "shippingLines": {
        "pageInfo": {"hasNextPage": False},
        "nodes": [
            {
                "code": "Free Shipping",
                "title": "Free Shipping",
                "originalPriceSet": money("0.00"),
                "taxLines": [],
                "discountAllocations": [],
            }
        ],
    },
}


def rich_graphql_order() -> Any:
    """Also written here: a cancelled EUR order with barcodes, line and shipping taxes, discounts, edges."""
    vat = [{"title": "MwSt", "rate": 0.19, "priceSet": money("3.80", "EUR")}]
    lines = []
    for n, barcode in enumerate(["036000291452", "4006381333931", "10036000291459", "ABC-1", None], 1):
        line = gql_line(900 + n, f"SKU-{n}", 800 + n, "x")
        line.update(
            quantity=n, currentQuantity=n, originalUnitPriceSet=money("20.00", "EUR"), taxLines=vat if n == 1 else []
        )
        line["variant"]["barcode"] = barcode
        lines.append({"node": line})
    lines[0]["node"]["discountAllocations"] = [
        {"allocatedAmountSet": money("2.00", "EUR"), "discountApplication": {"code": "SPRING10"}},
        {"allocatedAmountSet": money("1.50", "EUR"), "discountApplication": {"title": "Loyalty"}},
    ]
    return wire(
        GRAPHQL_ORDER
        | {
            "id": "gid://shopify/Order/5550001",
            "name": "#2002",
            "createdAt": "2025-03-31T23:30:00Z",
            "updatedAt": "2025-04-02T08:15:00.123Z",
            "cancelledAt": "2025-04-02T08:15:00Z",
            "currencyCode": "EUR",
            "phone": " +49 30 1234567 ",
            "totalPriceSet": money("310.30", "EUR"),
            "shippingAddress": address(
                company=" Norman GmbH ", countryCodeV2="de", provinceCode=None, address2="2. OG"
            ),
            "billingAddress": None,
            "lineItems": {"edges": lines},
            "shippingLines": {
                "nodes": [
                    {
                        "code": "DHL",
                        "title": "DHL Paket",
                        "originalPriceSet": money("4.90", "EUR"),
                        "taxLines": [{"title": "MwSt", "rate": 0.19, "priceSet": money("0.93", "EUR")}],
                        "discountAllocations": [
                            {"allocatedAmountSet": money("4.90", "EUR"), "discountApplication": {"title": "Free ship"}}
                        ],
                    }
                ]
            },
        }
    )


# --- REST: the owner's fixtures, unchanged ---------------------------------------------------------------------


def test_rest_order_fixture_maps() -> None:
    order = order_from_shopify(rest_order(), name="order.json")
    assert (order.channel, order.po_number, order.external_id) == ("shopify", "#1001", "450789469")
    assert order.currency == "USD"
    assert order.order_date == dt.date(2008, 1, 10)
    assert order.updated_at == dt.datetime(2008, 1, 10, 16, 0, tzinfo=dt.UTC)
    assert order.updated_at.tzinfo is dt.UTC  # -05:00 in the fixture, UTC in the Order
    assert order.purpose == "00"
    assert [(x.line_number, x.product_ids, x.description) for x in order.lines] == [
        ("466157049", {"SK": "IPOD2008GREEN", "VARIANT": "39072856"}, "IPod Nano - 8gb - green"),
        ("518995019", {"SK": "IPOD2008RED", "VARIANT": "49148385"}, "IPod Nano - 8gb - red"),
        ("703073504", {"SK": "IPOD2008BLACK", "VARIANT": "457924702"}, "IPod Nano - 8gb - black"),
    ]
    assert {(x.quantity, x.uom, x.unit_price) for x in order.lines} == {(Decimal(1), "EA", Decimal("199.00"))}
    assert [x.position for x in order.lines] == [1, 2, 3]
    # the legacy shape has taxes and discount codes only at order level: kept there
    (tax,) = order.taxes
    assert (tax.title, tax.rate, tax.amount) == ("State Tax", Decimal("0.06"), Decimal("11.94"))
    assert [(d.code, d.amount) for d in order.discounts] == [("TENOFF", Decimal("10.00"))]
    (shipping,) = order.shipping_lines
    assert (shipping.code, shipping.title, shipping.amount) == ("Free Shipping", "Free Shipping", Decimal("0.00"))
    assert order.total_amount == Decimal("409.94")
    ship_to, bill_to = order.parties
    assert (ship_to.role, ship_to.name, bill_to.role) == ("ST", "Bob Norman", "BT")
    assert ship_to.address is not None
    assert ship_to.address.model_dump() == {
        "lines": ["Chestnut Street 92"],  # address2 "" dropped
        "city": "Louisville",
        "state": "KY",
        "postal_code": "40202",
        "country": "US",
    }
    assert [c.phone for c in ship_to.contacts] == ["555-625-1199"]
    assert [(c.email, c.phone) for c in order.contacts] == [("bob.norman@hostmail.com", None)]


def test_rest_money_is_decimal_from_the_fixture_text() -> None:
    order = order_from_shopify(rest_order())
    amounts = [order.total_amount, order.taxes[0].amount, order.taxes[0].rate, order.shipping_lines[0].amount]
    amounts += [line.unit_price for line in order.lines]
    assert all(type(x) is Decimal for x in amounts)
    assert [str(x) for x in amounts] == ["409.94", "11.94", "0.06", "0.00", "199.00", "199.00", "199.00"]


def test_rest_orders_list_fixture_maps_each_order() -> None:
    orders = json.loads((REST / "orders.json").read_text(), parse_float=Decimal)["orders"]
    mapped = [order_from_shopify(o, name="orders.json") for o in orders]
    assert len(mapped) == len(orders) == 1
    (order,) = mapped
    # this fixture lists no line items, tax lines or discount codes, and has *_set money bags
    assert (order.po_number, order.external_id, order.lines, order.taxes) == ("#1001", "450789469", [], [])
    assert order.total_amount == Decimal("598.94") and type(order.total_amount) is Decimal
    assert [(c.email, c.phone) for c in order.contacts] == [("bob.norman@hostmail.com", "+557734881234")]
    assert order.ship_to is not None and order.ship_to.address is not None
    assert (order.ship_to.address.state, order.ship_to.address.country) == ("KY", "US")


def test_a_set_bag_wins_over_the_plain_string_and_line_detail_replaces_order_level_sums() -> None:
    """A newer REST order (the fixture, extended here): price_set, line tax_lines, discount_allocations."""
    payload = rest_order()
    payload["total_price_set"] = {"shop_money": {"amount": "400.00", "currency_code": "USD"}}
    first = payload["line_items"][0]
    first["price_set"] = {"shop_money": {"amount": "189.00", "currency_code": "USD"}}
    first["tax_lines"] = [{"title": "State Tax", "rate": Decimal("0.06"), "price": "11.94"}]
    first["discount_allocations"] = [{"amount": "10.00", "discount_application_index": 0}]
    payload["discount_applications"] = [{"type": "discount_code", "code": "TENOFF", "value": "10.0"}]
    order = order_from_shopify(payload)
    assert order.total_amount == Decimal("400.00")
    assert order.lines[0].unit_price == Decimal("189.00") and order.lines[1].unit_price == Decimal("199.00")
    assert [(t.title, t.amount) for t in order.lines[0].taxes] == [("State Tax", Decimal("11.94"))]
    assert [(d.code, d.amount) for d in order.lines[0].discounts] == [("TENOFF", Decimal("10.00"))]
    assert order.taxes == [] and order.discounts == []  # the order-level lists are sums of the lines'


def test_cancelled_rest_order_has_purpose_01_and_dates_are_utc() -> None:
    payload = rest_order() | {"cancelled_at": "2008-01-11T09:00:00-05:00", "cancel_reason": "customer"}
    payload["created_at"] = "2008-01-10T21:30:00-05:00"  # 02:30 UTC the next day, as GraphQL would say it
    order = order_from_shopify(payload)
    assert (order.purpose, order.order_date) == ("01", dt.date(2008, 1, 11))


@pytest.mark.parametrize(("status", "awaiting"), [("pending", "payment"), ("authorized", None), ("paid", None)])
def test_an_unpaid_rest_order_awaits_payment(status: str, awaiting: str | None) -> None:
    assert order_from_shopify(rest_order() | {"financial_status": status}).awaiting == awaiting


def test_a_fulfilled_order_is_shipped_already_in_either_shape() -> None:
    assert order_from_shopify(rest_order() | {"fulfillment_status": "fulfilled"}).already_shipped
    assert not order_from_shopify(rest_order() | {"fulfillment_status": "partial"}).already_shipped
    assert order_from_shopify(wire(GRAPHQL_ORDER | {"displayFulfillmentStatus": "FULFILLED"})).already_shipped
    assert not order_from_shopify(wire(GRAPHQL_ORDER)).already_shipped


def test_an_unpaid_graphql_order_awaits_payment() -> None:
    assert order_from_shopify(wire(GRAPHQL_ORDER | {"displayFinancialStatus": "PENDING"})).awaiting == "payment"
    assert order_from_shopify(wire(GRAPHQL_ORDER)).awaiting is None


# --- GraphQL ----------------------------------------------------------------------------------------------------


def test_graphql_shape_of_the_same_order_gives_the_same_order() -> None:
    from_rest = order_from_shopify(rest_order(), name="order.json")
    from_graphql = order_from_shopify(wire(GRAPHQL_ORDER), name="graphql")
    assert from_graphql.external_id == from_rest.external_id == "450789469"
    assert [x.line_number for x in from_graphql.lines] == ["466157049", "518995019", "703073504"]
    assert type(from_graphql.taxes[0].rate) is Decimal and type(from_graphql.lines[0].unit_price) is Decimal
    # the only difference: REST's legacy discount_codes become an order-level discount; GraphQL discounts are
    # read from the lines' discountAllocations, and this order has none there
    assert from_graphql.discounts == [] and from_rest.discounts
    assert from_graphql.model_dump(exclude={"discounts"}) == from_rest.model_dump(exclude={"discounts"})


def test_rich_graphql_order_maps_barcodes_taxes_discounts_and_cancellation() -> None:
    order = order_from_shopify(rich_graphql_order())
    assert (order.external_id, order.po_number, order.currency, order.purpose) == ("5550001", "#2002", "EUR", "01")
    assert order.order_date == dt.date(2025, 3, 31)
    assert order.updated_at == dt.datetime(2025, 4, 2, 8, 15, 0, 123000, tzinfo=dt.UTC)
    assert [x.product_ids for x in order.lines] == [
        {"SK": "SKU-1", "UP": "036000291452", "VARIANT": "801"},
        {"SK": "SKU-2", "EN": "4006381333931", "VARIANT": "802"},
        {"SK": "SKU-3", "UK": "10036000291459", "VARIANT": "803"},
        {"SK": "SKU-4", "GTIN": "ABC-1", "VARIANT": "804"},
        {"SK": "SKU-5", "VARIANT": "805"},
    ]
    assert [x.quantity for x in order.lines] == [1, 2, 3, 4, 5]
    first = order.lines[0]
    assert [(t.title, t.rate, t.amount) for t in first.taxes] == [("MwSt", Decimal("0.19"), Decimal("3.80"))]
    assert [(d.code, d.description, d.amount) for d in first.discounts] == [
        ("SPRING10", None, Decimal("2.00")),
        (None, "Loyalty", Decimal("1.50")),
    ]
    (shipping,) = order.shipping_lines
    assert (shipping.code, shipping.amount, shipping.taxes[0].amount) == ("DHL", Decimal("4.90"), Decimal("0.93"))
    assert [(d.description, d.amount) for d in shipping.discounts] == [("Free ship", Decimal("4.90"))]
    assert order.taxes == []  # lines carry them: the order-level taxLines (their sum) are not added again
    (ship_to,) = order.parties  # no billing address
    assert ship_to.extra_names == ["Norman GmbH"] and ship_to.address is not None
    assert ship_to.address.lines == ["Chestnut Street 92", "2. OG"]
    assert (ship_to.address.state, ship_to.address.country) == (None, "DE")
    assert order.contacts[0].phone == "+49 30 1234567"
    assert order.total_amount == Decimal("310.30")


def test_orders_query_selects_exactly_the_fields_the_mapping_reads() -> None:
    selected = re.sub(r"\([^)]*\)|\.\.\. on \w+", " ", ORDERS_QUERY.split("{", 1)[1])
    fields = set(re.findall(r"[A-Za-z_]\w*", selected)) - {"orders", "nodes", "pageInfo", "hasNextPage", "endCursor"}

    def keys(data: Any) -> set[str]:
        if isinstance(data, list):
            return {k for v in data for k in keys(v)}
        if not isinstance(data, dict):
            return set()
        inner = {k for key, v in data.items() if key != "pageInfo" for k in keys(v)}
        return {k for k in data if k not in ("nodes", "edges", "node", "pageInfo")} | inner

    assert fields == keys(rich_graphql_order()) | keys(GRAPHQL_ORDER)
    assert ORDERS_QUERY.count("{") == ORDERS_QUERY.count("}")
    assert "sortKey: UPDATED_AT" in ORDERS_QUERY and "query: $query" in ORDERS_QUERY


def test_orders_query_variables_page_from_a_cursor() -> None:
    since = dt.datetime(2024, 5, 1, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert orders_query_variables(since, after="abc") == {
        "first": 10,
        "after": "abc",
        "query": "updated_at:>='2024-05-01T00:00:00Z'",
    }
    with pytest.raises(ValueError, match="aware"):
        orders_query_variables(dt.datetime(2024, 5, 1))


# --- refusals -------------------------------------------------------------------------------------------------


def _without_id(p: dict[str, Any]) -> None:
    del p["id"]


def _float_price(p: dict[str, Any]) -> None:
    p["line_items"][0]["price"] = 199.0


def _letters(p: dict[str, Any]) -> None:
    p["line_items"][2]["quantity"] = "x"


def _no_quantity(p: dict[str, Any]) -> None:
    del p["line_items"][1]["quantity"]


def _half(p: dict[str, Any]) -> None:
    p["line_items"][0]["quantity"] = Decimal("0.5")


def _naive(p: dict[str, Any]) -> None:
    p["updated_at"] = "2008-01-10T11:00:00"


def _other_currency(p: dict[str, Any]) -> None:
    p["total_price_set"] = {"shop_money": {"amount": "1.00", "currency_code": "CAD"}}


def _bad_line_id(p: dict[str, Any]) -> None:
    p["line_items"][0]["id"] = "gid://shopify/Order/1"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_without_id, "order.json: id: missing"),
        (_float_price, "order.json: line_items[0].price: 199.0 is a float: parse the JSON with parse_float=Decimal"),
        (_letters, "order.json: line_items[2].quantity: 'x' is not a number"),
        (_no_quantity, "order.json: line_items[1].quantity: missing"),
        (_half, "order.json: line_items[0].quantity: Decimal('0.5') is not a quantity"),
        (_naive, "order.json: updated_at: '2008-01-10T11:00:00' has no UTC offset"),
        (_other_currency, "order.json: total_price_set.shop_money.currency_code: 'CAD' is not the order's currency"),
        (_bad_line_id, "order.json: line_items[0].id: 'gid://shopify/Order/1' is not a LineItem id"),
    ],
)
def test_a_bad_rest_order_is_refused_with_the_field(damage: Any, message: str) -> None:
    payload = rest_order()
    damage(payload)
    with pytest.raises(DecodeError) as caught:
        order_from_shopify(payload, name="order.json")
    assert str(caught.value).startswith(message)


def test_json_parsed_with_floats_is_refused() -> None:
    lossy = json.loads((REST / "order.json").read_text())["order"]
    with pytest.raises(DecodeError, match=r"^order\.json: tax_lines\[0\]\.rate: 0\.06 is a float"):
        order_from_shopify(lossy, name="order.json")


def test_a_bad_graphql_order_is_refused_with_the_field() -> None:
    more = wire(GRAPHQL_ORDER)
    more["lineItems"]["pageInfo"]["hasNextPage"] = True
    with pytest.raises(DecodeError, match=r"^graphql: lineItems: more than one page"):
        order_from_shopify(more, name="graphql")
    no_price = wire(GRAPHQL_ORDER)
    del no_price["lineItems"]["nodes"][1]["originalUnitPriceSet"]
    with pytest.raises(DecodeError, match=r"^graphql: lineItems\.nodes\[1\]\.originalUnitPriceSet: missing"):
        order_from_shopify(no_price, name="graphql")
    no_name = wire(GRAPHQL_ORDER) | {"name": "  "}
    with pytest.raises(DecodeError, match=r"^graphql: name: missing"):
        order_from_shopify(no_name, name="graphql")


# --- fulfilment -------------------------------------------------------------------------------------------------

# Written here from channel-apis.md §4 (order.fulfillmentOrders: id, status, lineItems {id remainingQuantity
# lineItem {id}}): the open fulfillment order of order #1001, the red iPod ordered twice.
FULFILLMENT_ORDER: dict[str, Any] = {
    "id": "gid://shopify/FulfillmentOrder/1046000001",
    "status": "OPEN",
    "lineItems": {
        "nodes": [
            {"id": f"gid://shopify/FulfillmentOrderLineItem/{n}", "remainingQuantity": q, "lineItem": {"id": line}}
            for n, q, line in [
                (1047000001, 1, "gid://shopify/LineItem/466157049"),
                (1047000002, 2, "gid://shopify/LineItem/518995019"),
                (1047000003, 1, "gid://shopify/LineItem/703073504"),
            ]
        ]
    },
}


def fulfilment(order: Order, quantities: dict[str, int], **extra: Any) -> Fulfilment:
    lines = [
        FulfilmentLine(
            line_number=x.line_number, product_ids=x.product_ids, quantity=Decimal(quantities[x.line_number])
        )
        for x in order.lines
        if x.line_number in quantities
    ]
    base: dict[str, Any] = {
        "channel": "shopify",
        "po_number": order.po_number,
        "external_id": order.external_id,
        "shipment_id": "SHP-1",
        "carrier_scac": "UPSN",
        "tracking_numbers": ["1Z2345"],
        "lines": lines,
    }
    return Fulfilment(**(base | extra))


def test_full_shipment_request_matches_lines_by_the_order_line_id() -> None:
    order = order_from_shopify(rest_order())
    shipped = fulfilment(order, {"466157049": 1, "518995019": 2, "703073504": 1})
    request = fulfilment_request(
        shipped, wire(FULFILLMENT_ORDER), tracking_links={"upsn": "https://ups.example/{number}"}
    )
    (group,) = request["fulfillment"]["lineItemsByFulfillmentOrder"]
    assert group["fulfillmentOrderId"] == "gid://shopify/FulfillmentOrder/1046000001"
    assert group["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000001", "quantity": 1},
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 2},
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1},
    ]
    assert request["fulfillment"]["trackingInfo"] == {
        "company": "UPS",
        "number": "1Z2345",
        "url": "https://ups.example/1Z2345",
    }
    assert request["fulfillment"]["notifyCustomer"] is True
    assert "fulfillmentCreate(fulfillment: $fulfillment)" in FULFILLMENT_CREATE and "userErrors" in FULFILLMENT_CREATE


def test_partial_shipment_ships_only_its_lines_and_the_golden_request() -> None:
    order = order_from_shopify(rest_order())
    shipped = fulfilment(
        order,
        {"518995019": 1},
        order_status="partially shipped",
        tracking_numbers=["1Z2345", "1Z2346"],
        carrier_scac="ACME",
    )
    shipped.lines.append(FulfilmentLine(line_number="gid://shopify/LineItem/703073504", quantity=Decimal(1)))
    request = fulfilment_request(shipped, wire(FULFILLMENT_ORDER), notify_customer=False)
    items = request["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"]
    assert items == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 1},
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1},
    ]
    assert request["fulfillment"]["trackingInfo"] == {"company": "ACME", "numbers": ["1Z2345", "1Z2346"]}
    text = json.dumps(request, indent=2, sort_keys=True) + "\n"
    assert_golden(CASES / "channels" / "shopify" / "fulfillment_create.partial.json", text.encode())


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({"466157049": 2}, "line 466157049: 2 to ship but 1 remain"),
        ({"518995019": 3}, "line 518995019: 3 to ship but 2 remain"),
        ({}, "no lines to ship"),
    ],
)
def test_over_shipping_and_an_empty_shipment_are_refused(quantities: dict[str, int], message: str) -> None:
    order = order_from_shopify(rest_order())
    with pytest.raises(ValueError, match=re.escape(f"shopify fulfilment SHP-1 of order #1001: {message}")):
        fulfilment_request(fulfilment(order, quantities), wire(FULFILLMENT_ORDER))


def test_split_lines_are_summed_before_the_remaining_check() -> None:
    order = order_from_shopify(rest_order())
    shipped = fulfilment(order, {"466157049": 1})
    shipped.lines.append(FulfilmentLine(line_number="466157049", quantity=Decimal(1)))
    with pytest.raises(ValueError, match="line 466157049: 2 to ship but 1 remain"):
        fulfilment_request(shipped, wire(FULFILLMENT_ORDER))


def test_a_line_elsewhere_a_closed_order_or_a_bad_fulfillment_order_is_refused() -> None:
    order = order_from_shopify(rest_order())
    stranger = fulfilment(order, {}, lines=[FulfilmentLine(line_number="999", quantity=Decimal(1))])
    with pytest.raises(ValueError, match="line 999 is not on fulfillment order gid://shopify/FulfillmentOrder/1046"):
        fulfilment_request(stranger, wire(FULFILLMENT_ORDER))
    unnumbered = fulfilment(order, {}, lines=[FulfilmentLine(line_number="0001-A", quantity=Decimal(1))])
    with pytest.raises(ValueError, match="line 1: '0001-A' is not a Shopify line item id"):
        fulfilment_request(unnumbered, wire(FULFILLMENT_ORDER))
    shipped = fulfilment(order, {"466157049": 1})
    with pytest.raises(ValueError, match="is CLOSED, not open"):
        fulfilment_request(shipped, wire(FULFILLMENT_ORDER) | {"status": "CLOSED"})
    broken = copy.deepcopy(FULFILLMENT_ORDER)
    broken["lineItems"]["nodes"][1]["remainingQuantity"] = "two"
    with pytest.raises(DecodeError, match=r"lineItems\.nodes\[1\]\.remainingQuantity: 'two' is not a number"):
        fulfilment_request(shipped, broken)
    with pytest.raises(DecodeError, match="id: '1046000001' is not a FulfillmentOrder GID"):
        fulfilment_request(shipped, wire(FULFILLMENT_ORDER) | {"id": "1046000001"})


# --- one order, nested pages, fulfilments sent again ----------------------------------------------------------


def test_the_pipeline_name_and_order_gids() -> None:
    from crossdock.mappings.shopify import order_from_payload, order_gid

    assert order_from_payload is order_from_shopify
    assert order_gid("450789469") == order_gid(" gid://shopify/Order/450789469") == "gid://shopify/Order/450789469"
    for bad in ("gid://shopify/LineItem/1", "#1001", ""):
        with pytest.raises(ValueError, match="is not a Shopify order id"):
            order_gid(bad)


def test_one_order_and_the_nested_pages_select_what_the_orders_query_selects() -> None:
    from crossdock.mappings.shopify_graphql import NESTED_QUERIES, ORDER_QUERY

    def fields(text: str) -> set[str]:
        return set(re.findall(r"[A-Za-z_]\w*", re.sub(r"\([^)]*\)|\.\.\. on \w+", " ", text.split("{", 1)[1])))

    assert ORDER_QUERY.count("{") == ORDER_QUERY.count("}") and "order(id: $id)" in ORDER_QUERY
    assert fields(ORDER_QUERY) | {"orders"} == fields(ORDERS_QUERY) | {"order"}
    for key, must in (("lineItems", {"sku", "variant", "originalUnitPriceSet"}), ("shippingLines", {"code"})):
        text = NESTED_QUERIES[key]
        assert text.count("{") == text.count("}") and f"{key}(first: 50, after: $after)" in text
        assert must <= fields(text) <= fields(ORDERS_QUERY) | {"order"}
        assert "pageInfo { hasNextPage endCursor }" in text


def test_the_fulfilment_queries_page_and_their_next_pages_select_the_same_lines() -> None:
    from crossdock.mappings import shopify_graphql as shopify

    def fields(text: str) -> set[str]:
        return set(re.findall(r"[A-Za-z_]\w*", re.sub(r"\([^)]*\)", " ", text.split("nodes", 1)[1])))

    def lines(text: str, key: str) -> str:
        return text.split(f"{key}(", 1)[1]

    for text in (
        shopify.FULFILLMENT_ORDERS_QUERY,
        shopify.FULFILLMENT_ORDER_LINES_QUERY,
        shopify.FULFILLMENTS_QUERY,
        shopify.FULFILLMENT_LINES_QUERY,
    ):
        assert text.count("{") == text.count("}")
    for text in (
        shopify.FULFILLMENT_ORDERS_QUERY,
        shopify.FULFILLMENT_ORDER_LINES_QUERY,
        shopify.FULFILLMENT_LINES_QUERY,
    ):
        assert "$after: String" in text and "after: $after" in text
    assert "pageInfo { hasNextPage endCursor }" in lines(shopify.FULFILLMENT_ORDERS_QUERY, "lineItems")
    assert fields(lines(shopify.FULFILLMENT_ORDERS_QUERY, "lineItems")) == fields(shopify.FULFILLMENT_ORDER_LINES_QUERY)
    assert "pageInfo { hasNextPage endCursor }" in lines(shopify.FULFILLMENTS_QUERY, "fulfillmentLineItems")
    assert fields(lines(shopify.FULFILLMENTS_QUERY, "fulfillmentLineItems")) == fields(shopify.FULFILLMENT_LINES_QUERY)
    assert f"fulfillments(first: {shopify.FULFILLMENTS_READ})" in shopify.FULFILLMENTS_QUERY


def made(numbers: list[str], status: str = "SUCCESS", **lines: int) -> dict[str, Any]:
    """An existing fulfilment as FULFILLMENTS_QUERY selects it (written here from the documented fields)."""
    nodes = [{"quantity": q, "lineItem": {"id": f"gid://shopify/LineItem/{k[1:]}"}} for k, q in lines.items()]
    return {
        "status": status,
        "trackingInfo": [{"number": n} for n in numbers],
        "fulfillmentLineItems": {"pageInfo": {"hasNextPage": False}, "nodes": nodes},
    }


def two_locations() -> dict[str, Any]:
    """Order #1001's lines split over two open fulfillment orders (two locations)."""
    first, second = copy.deepcopy(FULFILLMENT_ORDER), copy.deepcopy(FULFILLMENT_ORDER)
    first["lineItems"]["nodes"] = first["lineItems"]["nodes"][:2]
    second["id"] = "gid://shopify/FulfillmentOrder/1046000002"
    second["lineItems"]["nodes"] = second["lineItems"]["nodes"][2:]
    closed = copy.deepcopy(FULFILLMENT_ORDER) | {"id": "gid://shopify/FulfillmentOrder/1046000009", "status": "CLOSED"}
    order: dict[str, Any] = wire(
        {"id": "gid://shopify/Order/450789469", "fulfillmentOrders": {"nodes": [closed, first, second]}}
    )
    return order


def test_a_shipment_over_two_locations_is_one_request_per_open_fulfillment_order() -> None:
    from crossdock.mappings.shopify_fulfilment import fulfilment_requests

    order = order_from_shopify(rest_order())
    shipped = fulfilment(order, {"518995019": 2, "703073504": 1})
    requests = fulfilment_requests(shipped, two_locations(), [], notify_customer=False).requests
    assert [
        [
            (g["fulfillmentOrderId"][-1], g["fulfillmentOrderLineItems"])
            for g in r["fulfillment"]["lineItemsByFulfillmentOrder"]
        ]
        for r in requests
    ] == [
        [("1", [{"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 2}])],
        [("2", [{"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1}])],
    ]
    assert all(r["fulfillment"]["trackingInfo"]["number"] == "1Z2345" for r in requests)


def test_what_already_shipped_under_the_tracking_is_not_shipped_again() -> None:
    from crossdock.mappings.shopify_fulfilment import fulfilment_requests

    order = order_from_shopify(rest_order())
    shipped = fulfilment(order, {"518995019": 2, "703073504": 1})
    half = [made(["1Z2345"], l518995019=2), made(["OTHER"], l703073504=1), made(["1Z2345"], "CANCELLED", l703073504=1)]
    (left,) = fulfilment_requests(shipped, two_locations(), wire(half)).requests
    assert left["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1}
    ], "another parcel's fulfilment and a cancelled one do not count"
    whole = [made(["X", "1Z2345"], l518995019=2, l703073504=1)]
    assert fulfilment_requests(shipped, two_locations(), wire(whole)).requests == []


def test_without_tracking_a_shipment_is_done_once_none_of_its_lines_remains_open() -> None:
    from crossdock.mappings.shopify_fulfilment import fulfilment_requests

    order = order_from_shopify(rest_order())
    shipped = fulfilment(order, {"466157049": 1}, tracking_numbers=[])
    assert len(fulfilment_requests(shipped, two_locations(), []).requests) == 1
    spent = two_locations()
    spent["fulfillmentOrders"]["nodes"][1]["lineItems"]["nodes"][0]["remainingQuantity"] = 0
    assert fulfilment_requests(shipped, spent, []).requests == []


def test_what_no_open_fulfillment_order_holds_is_left_out_and_the_rest_ships() -> None:
    from crossdock.mappings.shopify_fulfilment import fulfilment_requests

    order = order_from_shopify(rest_order())
    refunded = two_locations()  # line 518995019 refunded since: nothing remains of it on its fulfillment order
    refunded["fulfillmentOrders"]["nodes"][1]["lineItems"]["nodes"][1]["remainingQuantity"] = 0
    plan = fulfilment_requests(fulfilment(order, {"518995019": 2, "703073504": 2}), refunded, [])
    (request,) = plan.requests
    assert request["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"] == [
        {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1}
    ]
    assert plan.left_out == {"518995019": 2, "703073504": 1}


def test_a_line_on_no_fulfillment_order_or_a_bad_fulfilment_is_refused() -> None:
    from crossdock.mappings.shopify_fulfilment import fulfilment_requests

    order = order_from_shopify(rest_order())
    stranger = fulfilment(order, {}, lines=[FulfilmentLine(line_number="999", quantity=Decimal(1))])
    with pytest.raises(ValueError, match="line 999 is on none of the order's fulfillment orders"):
        fulfilment_requests(stranger, two_locations(), [])
    broken = [made(["1Z2345"], l518995019=2)]
    broken[0]["fulfillmentLineItems"]["nodes"][0]["quantity"] = "two"
    with pytest.raises(DecodeError, match=r"fulfillments\[0\]\.fulfillmentLineItems\.nodes\[0\]\.quantity: 'two'"):
        fulfilment_requests(fulfilment(order, {"518995019": 2}), two_locations(), broken)
