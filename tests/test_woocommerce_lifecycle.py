"""A WooCommerce order's life after it is placed: refunds take units out of their lines (the refund's own
records, merged in by the connector), virtual products need no shipping, an order refunded in full is a cancel;
and crossdock's cancellations back as refund bodies.

The order is the owner's example (orders.retrieve.response.json); a refund's record is the owner's example refund
(order-refunds.retrieve.response.json) with ``line_items`` written here in the shape WooCommerce documents for a
refund line (negative ``quantity``; the ``_refunded_item_id`` meta [unverified])."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.lifecycle.cancellations import Cancellation, CancelledLine
from crossdock.mappings.woocommerce import merge, order_from_woocommerce
from crossdock.mappings.woocommerce_cancel import already_done, refund_body
from tests.conftest import FIXTURES

WOO = FIXTURES / "woocommerce"


def example() -> dict[str, Any]:
    order: dict[str, Any] = json.loads((WOO / "orders.retrieve.response.json").read_text(), parse_float=Decimal)
    return order


def refund(*lines: tuple[int, int, int, int], named: bool = True) -> dict[str, Any]:
    """The owner's example refund with refunded lines (order line id, product, variation, units)."""
    record: dict[str, Any] = json.loads((WOO / "order-refunds.retrieve.response.json").read_text())
    record["line_items"] = [
        {
            "id": 900 + i,
            "product_id": product,
            "variation_id": variation,
            "quantity": -units,
            "meta_data": [{"id": 1, "key": "_refunded_item_id", "value": str(line)}] if named else [],
        }
        for i, (line, product, variation, units) in enumerate(lines)
    ]
    return record


def quantities(order: Any) -> dict[str, Decimal]:
    return {line.line_number: line.quantity for line in order.lines}


def test_a_partial_refund_takes_its_units_out_of_the_line_and_keeps_them_in_its_notes() -> None:
    order = order_from_woocommerce(merge(example(), [refund((315, 93, 0, 1))]))
    assert quantities(order) == {"315": 1, "316": 1}
    assert order.lines[0].notes[-1] == "ordered 2, 1 refunded or removed"
    assert order.purpose == "00"
    by_product = order_from_woocommerce(merge(example(), [refund((316, 22, 23, 1), named=False)]))
    assert quantities(by_product) == {"315": 2}, "no meta: the one line with that product and variation"
    assert by_product.notes[-1] == "line 316 (Bar3): ordered 1, 1 refunded or removed"


def test_every_unit_refunded_is_a_cancel() -> None:
    refunds = [refund((315, 93, 0, 1)), refund((315, 93, 0, 1), (316, 22, 23, 1))]
    order = order_from_woocommerce(merge(example(), refunds))
    assert quantities(order) == {"315": 0, "316": 0} and order.purpose == "01"


def test_a_virtual_line_leaves_the_order_and_an_order_of_only_such_lines_is_nothing_to_ship() -> None:
    order = order_from_woocommerce(merge(example(), None, {"22/23": True, "93": False}))
    assert quantities(order) == {"315": 2} and order.notes[-1] == "line 316 (Bar3): needs no shipping"
    assert order.purpose == "00" and not order.already_shipped
    only = order_from_woocommerce(merge(example(), None, {"22/23": True, "93": True}))
    assert only.already_shipped and only.purpose == "00" and only.notes == ["no line needs shipping"]


def test_a_refund_line_that_names_no_line_of_the_order_is_refused() -> None:
    from crossdock.core.errors import DecodeError

    with pytest.raises(DecodeError, match=r"refunds\[0\]\.line_items\[0\]\.meta_data"):
        order_from_woocommerce(merge(example(), [refund((999, 5, 0, 1), named=False)]))


def cancellation(whole: bool = False, **lines: int) -> Cancellation:
    return Cancellation(
        channel="woocommerce",
        po_number="727",
        external_id="727",
        cancellation_id="c-1",
        reason="out_of_stock",
        whole_order=whole,
        lines=[CancelledLine(line_number=k.removeprefix("l"), quantity=Decimal(v)) for k, v in lines.items()],
    )


def test_cancelled_lines_become_a_refund_of_their_share_with_the_id_in_meta_not_in_the_reason() -> None:
    body = refund_body(cancellation(l315=1), example(), api_refund=True, api_restock=False)
    assert body == {
        "amount": "3.23",
        "reason": "Out of stock",
        "api_refund": True,
        "api_restock": False,
        "line_items": [
            {"id": 315, "quantity": 1, "refund_total": "3.00", "refund_tax": [{"id": 75, "refund_total": "0.23"}]}
        ],
        "meta_data": [{"key": "crossdock_cancellation", "value": "c-1"}],
    }
    with pytest.raises(ValueError, match="'999' is no line of the order"):
        refund_body(cancellation(l999=1), example(), api_refund=True, api_restock=True)


def test_a_whole_order_refunds_what_is_left_and_is_done_once_cancelled_or_refunded() -> None:
    partly = merge(example(), [refund((315, 93, 0, 1))])
    body = refund_body(cancellation(whole=True), partly, api_refund=True, api_restock=True)
    assert body is not None
    assert [(x["id"], x["quantity"]) for x in body["line_items"]] == [(315, 1), (316, 1)]
    assert body["amount"] == "16.13"
    assert not already_done(cancellation(whole=True), example(), [])
    assert already_done(cancellation(whole=True), example() | {"status": "cancelled"}, [])
    ours = copy.deepcopy(refund((315, 93, 0, 1))) | {"meta_data": body["meta_data"]}
    assert already_done(cancellation(l315=1), example(), [ours])
    assert not already_done(cancellation(l315=1), example(), [refund((315, 93, 0, 1))])


def test_a_note_names_each_package_with_its_own_lines() -> None:
    from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
    from crossdock.mappings.woocommerce import tracking_note

    def line(n: str, q: int) -> FulfilmentLine:
        return FulfilmentLine(line_number=n, quantity=Decimal(q))

    shipped = Fulfilment(
        channel="woocommerce",
        po_number="727",
        external_id="727",
        shipment_id="WH-9",
        tracking_numbers=["1ZA", "1ZB"],
        lines=[line("315", 3), line("316", 1)],
        packages=[
            FulfilmentPackage(tracking_number="1ZA", lines=[line("315", 2)]),
            FulfilmentPackage(tracking_number="1ZB", lines=[line("315", 1), line("316", 1)]),
        ],
    )
    note = tracking_note(shipped)["note"]
    assert "Package 1ZA: 2 × line 315\nPackage 1ZB: 1 × line 315; 1 × line 316" in note
