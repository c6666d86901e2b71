"""What a channel is told of a shipment: the lines, every tracking number, and each tracked package with what is
in it, so a channel that takes one tracking number per call can be told package by package."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.answers import Answer, fulfilment_for
from crossdock.core.models import Order, Package, Pallet, Shipment, ShipmentLine, ShipmentOrder


def line(number: str, quantity: int) -> ShipmentLine:
    return ShipmentLine(line_number=number, quantity=Decimal(quantity), uom="EA", product_ids={"SK": f"SKU-{number}"})


def test_packed_lines_become_packages_with_their_tracking_and_loose_tracking_is_kept() -> None:
    shipped = ShipmentOrder(
        po_number="1001",
        packages=[Package(tracking_number="T-1", lines=[line("11", 2)]), Package(lines=[line("13", 1)])],
        pallets=[Pallet(packages=[Package(tracking_number="T-2", lines=[line("12", 1)])])],
    )
    shipment = Shipment(shipment_id="S-1", tracking_numbers=["T-0"], orders=[shipped])
    order = Order(channel="ebay", po_number="1001", external_id="1001")
    answer = Answer(1, order, shipment, None, "shipped", {}, False, "shop")
    fulfilment = fulfilment_for(answer)
    assert fulfilment.tracking_numbers == ["T-0", "T-1", "T-2"]
    assert [(p.tracking_number, [(x.line_number, x.quantity) for x in p.lines]) for p in fulfilment.packages] == [
        ("T-1", [("11", Decimal(2))]),
        ("T-2", [("12", Decimal(1))]),
    ], "an untracked package is not a package to report; its lines are still in lines"
    assert sorted(x.line_number or "" for x in fulfilment.lines) == ["11", "12", "13"]
