"""A BigCommerce order's life after it is placed: refunded units leave their lines (``quantity_refunded``, so 14
Partially Refunded is read line by line), digital products need no shipping, an order refunded in full is a
cancel; a fulfilment back is one shipment per package with its own tracking number. The order is our own
(tests/cases/channels/bigcommerce/, written from the documented v2 fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.mappings.bigcommerce import order_from_bigcommerce, shipment_requests
from tests.test_bigcommerce_mapping import multi, single


def with_products(payload: dict[str, Any], **changes: dict[str, Any]) -> dict[str, Any]:
    for product in payload["products"]:
        product.update(changes.get(f"p{product['id']}", {}))
    return payload


def quantities(order: Any) -> dict[str, Decimal]:
    return {line.line_number: line.quantity for line in order.lines}


def test_a_partially_refunded_order_takes_the_refunded_units_out_of_their_lines() -> None:
    payload = with_products(multi() | {"status_id": 14}, p503={"quantity_refunded": 2}, p502={"quantity_refunded": 1})
    order = order_from_bigcommerce(payload)
    assert quantities(order) == {"501": 2, "503": 1}
    assert order.lines[1].notes[-1] == "ordered 3, 2 refunded or removed"
    assert order.notes[-1].startswith("line 502 (") and order.notes[-1].endswith("): ordered 1, 1 refunded or removed")
    assert (order.purpose, order.awaiting) == ("00", None)


@pytest.mark.parametrize("status_id", [11, 14])
def test_every_unit_refunded_is_a_cancel(status_id: int) -> None:
    every = {f"p{n}": {"quantity_refunded": q} for n, q in ((501, 2), (502, 1), (503, 3))}
    assert order_from_bigcommerce(with_products(multi() | {"status_id": status_id}, **every)).purpose == "01"


@pytest.mark.parametrize("status_id", [4, 5])
def test_refunded_and_cancelled_orders_are_cancels(status_id: int) -> None:
    assert order_from_bigcommerce(multi() | {"status_id": status_id}).purpose == "01"


def test_a_digital_product_leaves_the_order_and_an_order_of_only_such_is_nothing_to_ship() -> None:
    order = order_from_bigcommerce(with_products(multi(), p502={"type": "digital"}))
    assert "502" not in quantities(order) and order.notes[-1].endswith("): needs no shipping")
    assert order.purpose == "00" and not order.already_shipped
    digital = {f"p{n}": {"type": "digital"} for n in (501, 502, 503)}
    only = order_from_bigcommerce(with_products(multi(), **digital))
    assert only.already_shipped and only.notes[-1] == "no line needs shipping"


def line(number: str, quantity: int) -> FulfilmentLine:
    return FulfilmentLine(line_number=number, quantity=Decimal(quantity))


def test_each_package_is_its_own_shipment_under_its_own_tracking_number() -> None:
    shipped = Fulfilment(
        channel="bigcommerce",
        po_number="2301",
        external_id="2301",
        shipment_id="WH-9",
        carrier_scac="UPSN",
        tracking_numbers=["1ZA", "1ZB"],
        lines=[line("501", 2), line("503", 1)],
        packages=[
            FulfilmentPackage(tracking_number="1ZA", lines=[line("501", 2)]),
            FulfilmentPackage(tracking_number="1ZB", lines=[line("503", 1)]),
        ],
    )
    bodies = shipment_requests(shipped, single()["products"])
    assert [(b["tracking_number"], b["items"]) for b in bodies] == [
        ("1ZA", [{"order_product_id": 501, "quantity": 2}]),
        ("1ZB", [{"order_product_id": 503, "quantity": 1}]),
    ]
    assert all("tracking numbers" not in b["comments"] for b in bodies)
