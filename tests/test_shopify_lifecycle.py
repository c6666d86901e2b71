"""A Shopify order's life after it is placed, read on every poll: refunds and edits take units out of a line, lines
with nothing left to ship leave the order (named in its notes), an order paid back in full is a cancel, holds and
risk make it wait, and a fulfilment back ships each package's lines under that package's tracking number."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.core.models import DateRef
from crossdock.mappings.shopify import order_from_shopify
from crossdock.mappings.shopify_fulfilment import fulfilment_requests
from tests.test_shopify_mapping import FULFILLMENT_ORDER, GRAPHQL_ORDER, REST, rest_order, wire


def graphql(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = wire(copy.deepcopy(GRAPHQL_ORDER) | changes)
    return order


def with_lines(order: dict[str, Any], **lines: dict[str, Any]) -> dict[str, Any]:
    for node in order["lineItems"]["nodes"]:
        node.update(lines.get("l" + node["id"].rsplit("/", 1)[-1], {}))
    return order


def quantities(order: Any) -> dict[str, Decimal]:
    return {line.line_number: line.quantity for line in order.lines}


def test_refunded_and_removed_units_leave_the_line_and_stay_visible_in_its_notes() -> None:
    order = order_from_shopify(
        with_lines(
            graphql(displayFinancialStatus="PARTIALLY_REFUNDED"), l518995019={"quantity": 3, "currentQuantity": 1}
        )
    )
    assert quantities(order) == {"466157049": 1, "518995019": 1, "703073504": 1}
    assert order.lines[1].notes == ["ordered 3, 2 refunded or removed"]
    assert order.purpose == "00" and order.awaiting is None


def test_the_owners_rest_refund_takes_its_lines_out_and_a_refund_of_every_line_is_a_cancel() -> None:
    refund = json.loads((REST / "refund.json").read_text(), parse_float=Decimal)["refund"]
    partly = rest_order() | {"refunds": [refund]}  # the fixture refunds 703073504 and 466157049
    order = order_from_shopify(partly, name="order.json")
    assert quantities(order) == {"518995019": 1}, "the lines with nothing left leave the order"
    assert order.notes == [
        "line 466157049 (IPOD2008GREEN): ordered 1, 1 refunded or removed",
        "line 703073504 (IPOD2008BLACK): ordered 1, 1 refunded or removed",
    ]
    assert [line.position for line in order.lines] == [2] and order.purpose == "00"
    every = copy.deepcopy(refund)
    every["refund_line_items"].append({"id": 1, "quantity": 1, "line_item_id": 518995019})
    assert order_from_shopify(rest_order() | {"refunds": [every]}).purpose == "01"


@pytest.mark.parametrize("status", ["REFUNDED", "VOIDED"])
def test_an_order_paid_back_in_full_is_a_cancel(status: str) -> None:
    assert order_from_shopify(graphql(displayFinancialStatus=status)).purpose == "01"


def test_a_line_that_needs_no_shipping_leaves_the_order_and_an_order_of_only_such_lines_is_nothing_to_ship() -> None:
    ebook = with_lines(graphql(), l703073504={"requiresShipping": False})
    order = order_from_shopify(ebook)
    assert set(quantities(order)) == {"466157049", "518995019"}
    assert order.notes == ["line 703073504 (IPOD2008BLACK): needs no shipping"]
    assert order.purpose == "00" and not order.already_shipped
    digital = with_lines(graphql(), **{f"l{n}": {"requiresShipping": False} for n in (466157049, 518995019, 703073504)})
    only = order_from_shopify(digital)
    assert only.already_shipped and only.purpose == "00" and only.notes == ["no line needs shipping"]


@pytest.mark.parametrize(
    ("status", "awaiting"), [("ON_HOLD", "fulfillment hold"), ("SCHEDULED", "scheduled"), ("OPEN", None)]
)
def test_a_fulfillment_order_on_hold_or_scheduled_holds_the_order_and_its_fulfill_by_is_the_ship_by(
    status: str, awaiting: str | None
) -> None:
    orders = {
        "nodes": [
            {"status": "CLOSED", "fulfillBy": "2026-12-01T00:00:00Z"},
            {"status": status, "fulfillBy": "2026-12-09T22:00:00-05:00"},
        ]
    }
    order = order_from_shopify(graphql(fulfillmentOrders=orders))
    assert order.awaiting == awaiting
    assert order.dates == [DateRef(qualifier="038", date=dt.date(2026, 12, 10))]


def test_risk_at_or_above_the_configured_level_holds_and_a_later_read_without_it_releases() -> None:
    risky = graphql(risk={"assessments": [{"riskLevel": "MEDIUM"}, {"riskLevel": "HIGH"}]})
    assert order_from_shopify(risky).awaiting == "risk HIGH"
    assert order_from_shopify(risky, hold_risk=None).awaiting is None
    medium = graphql(risk={"assessments": [{"riskLevel": "MEDIUM"}, {"riskLevel": "PENDING"}]})
    assert order_from_shopify(medium).awaiting is None
    assert order_from_shopify(medium, hold_risk="MEDIUM").awaiting == "risk MEDIUM"
    assert order_from_shopify(graphql()).awaiting is None  # GRAPHQL_ORDER: LOW


# --- fulfilment back ----------------------------------------------------------------------------------------------


def two_packages() -> Fulfilment:
    """2 units of line 518995019 in one package; 1 more of it and line 703073504 in the second."""
    return Fulfilment(
        channel="shopify",
        po_number="#1001",
        external_id="450789469",
        shipment_id="WH-9",
        carrier_scac="UPSN",
        tracking_numbers=["1ZA", "1ZB"],
        lines=[
            FulfilmentLine(line_number="518995019", quantity=Decimal(3)),
            FulfilmentLine(line_number="703073504", quantity=Decimal(1)),
        ],
        packages=[
            FulfilmentPackage(
                tracking_number="1ZA", lines=[FulfilmentLine(line_number="518995019", quantity=Decimal(2))]
            ),
            FulfilmentPackage(
                tracking_number="1ZB",
                lines=[
                    FulfilmentLine(line_number="518995019", quantity=Decimal(1)),
                    FulfilmentLine(line_number="703073504", quantity=Decimal(1)),
                ],
            ),
        ],
    )


def test_each_package_is_fulfilled_with_its_own_lines_under_its_own_tracking_number() -> None:
    fo = copy.deepcopy(FULFILLMENT_ORDER)
    fo["lineItems"]["nodes"][1]["remainingQuantity"] = 3
    plan = fulfilment_requests(two_packages(), wire({"fulfillmentOrders": {"nodes": [fo]}}), [])
    sent = [
        (
            r["fulfillment"]["trackingInfo"]["number"],
            r["fulfillment"]["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderLineItems"],
        )
        for r in plan.requests
    ]
    assert sent == [
        ("1ZA", [{"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 2}]),
        (
            "1ZB",
            [
                {"id": "gid://shopify/FulfillmentOrderLineItem/1047000002", "quantity": 1},
                {"id": "gid://shopify/FulfillmentOrderLineItem/1047000003", "quantity": 1},
            ],
        ),
    ]
    assert plan.left_out == {}
