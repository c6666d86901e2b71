"""What a channel is told of a shipment: the lines, every tracking number, and each tracked package with what is
in it, so a channel that takes one tracking number per call can be told package by package."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.fulfilment.answers import Answer, fulfilment_for
from crossdock.core.fulfilment.models import Package, Pallet, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Order, OrderLine


def line(number: str, quantity: int) -> ShipmentLine:
    return ShipmentLine(line_number=number, quantity=Decimal(quantity), uom="EA", product_ids={"SK": f"SKU-{number}"})


def ordered(*lines: tuple[str, int]) -> Order:
    """An eBay order of ``lines`` (line number, quantity still to ship in the stored revision)."""
    return Order(
        channel="ebay",
        po_number="1001",
        external_id="1001",
        lines=[
            OrderLine(position=i, line_number=n, quantity=Decimal(q), uom="EA", product_ids={"SK": f"SKU-{n}"})
            for i, (n, q) in enumerate(lines, 1)
        ],
    )


def test_packed_lines_become_packages_with_their_tracking_and_loose_tracking_is_kept() -> None:
    shipped = ShipmentOrder(
        po_number="1001",
        packages=[Package(tracking_number="T-1", lines=[line("11", 2)]), Package(lines=[line("13", 1)])],
        pallets=[Pallet(packages=[Package(tracking_number="T-2", lines=[line("12", 1)])])],
    )
    shipment = Shipment(shipment_id="S-1", tracking_numbers=["T-0"], orders=[shipped])
    order = ordered(("11", 2), ("12", 1), ("13", 1))
    answer = Answer(1, order, shipment, None, "shipped", {1: Decimal(2), 2: Decimal(1), 3: Decimal(1)}, False, "shop")
    fulfilment = fulfilment_for(answer)
    assert fulfilment.tracking_numbers == ["T-0", "T-1", "T-2"]
    assert [(p.tracking_number, [(x.line_number, x.quantity) for x in p.lines]) for p in fulfilment.packages] == [
        ("T-1", [("11", Decimal(2))]),
        ("T-2", [("12", Decimal(1))]),
    ], "an untracked package is not a package to report; its lines are still in lines"
    assert sorted(x.line_number or "" for x in fulfilment.lines) == ["11", "12", "13"]


def test_loose_lines_under_the_shipments_one_tracking_number_are_one_package() -> None:
    shipment = Shipment(
        shipment_id="S-1", tracking_numbers=["T-9"], orders=[ShipmentOrder(po_number="1001", lines=[line("11", 1)])]
    )
    answer = Answer(1, ordered(("11", 1)), shipment, None, "shipped", {1: Decimal(1)}, False, "s")
    (package,) = fulfilment_for(answer).packages
    assert package.tracking_number == "T-9" and [(x.line_number, x.quantity) for x in package.lines] == [
        ("11", Decimal(1))
    ]


def test_a_line_refunded_or_needing_no_shipping_is_left_out_and_a_line_is_fulfilled_only_up_to_what_is_left() -> None:
    """Line 12 was refunded (quantity 0 in the stored revision); line 11 was cut from 3 to 2, and 1 of it was
    fulfilled by an earlier shipment: of the 2 the warehouse shipped now, 1 is left to fulfil."""
    shipped = ShipmentOrder(
        po_number="1001",
        packages=[
            Package(tracking_number="T-1", lines=[line("11", 2)]),
            Package(tracking_number="T-2", lines=[line("12", 1)]),
        ],
    )
    shipment = Shipment(shipment_id="S-2", orders=[shipped])
    answer = Answer(
        1, ordered(("11", 2), ("12", 0)), shipment, None, "shipped", {1: Decimal(3), 2: Decimal(1)}, False, "s"
    )
    fulfilment = fulfilment_for(answer)
    assert [(x.line_number, x.quantity) for x in fulfilment.lines] == [("11", Decimal(1))]
    assert [(p.tracking_number, [(x.line_number, x.quantity) for x in p.lines]) for p in fulfilment.packages] == [
        ("T-1", [("11", Decimal(1))])
    ], "the package of nothing left to fulfil is not reported"
