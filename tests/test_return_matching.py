"""What a receipt must fit: its lines against what the return still expects, a line named only by its order line
number given the return line's SKU, and a refund bounded by the units returned and what was paid."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.models import Discount, Order, OrderLine, TaxLine
from crossdock.core.returns.models import ReceivedLine, Return, ReturnLine, ReturnReceipt
from crossdock.core.returns.receipts import differences, with_skus
from crossdock.core.returns.refunds import refund_for


def a_return() -> Return:
    lines = [
        ReturnLine(line_number="1", sku="A", quantity=Decimal(2), unit_price=Decimal("10.00")),
        ReturnLine(line_number="2", sku="B", quantity=Decimal(1)),
    ]
    return Return(channel="shop", return_id="R", po_number="P", lines=lines)


def receipt(*lines: ReceivedLine) -> ReturnReceipt:
    return ReturnReceipt(warehouse="wh", rma_number="R", lines=list(lines))


def test_a_line_named_by_its_order_line_number_takes_the_return_lines_sku() -> None:
    got = with_skus(receipt(ReceivedLine(line_number="2", quantity=Decimal(1))), a_return())
    assert [(x.sku, x.line_number) for x in got.lines] == [("B", "2")]
    assert differences(a_return(), [], got) == []


def test_differences_name_other_skus_and_more_than_is_still_expected() -> None:
    before = [{"sku": "A", "line_number": "1", "quantity": "1"}]
    got = receipt(ReceivedLine(sku="A", quantity=Decimal(2)), ReceivedLine(sku="Z", quantity=Decimal(1)))
    assert differences(a_return(), before, got) == [
        "SKU A: 2 received, 1 still expected",
        "SKU Z is not in the return (1 received)",
    ]


def test_a_refund_covers_what_was_received_at_what_was_paid_and_no_more_units_than_returned() -> None:
    got = receipt(
        ReceivedLine(sku="A", quantity=Decimal(1)),
        ReceivedLine(sku="A", quantity=Decimal(1), condition="damaged"),
        ReceivedLine(sku="B", quantity=Decimal(1)),
    )
    made = refund_for(a_return(), got, None, "k" * 40, ReturnsPolicy(restock=True))
    assert [(x.sku, x.quantity, x.amount, x.restock) for x in made.lines] == [
        ("A", Decimal(2), Decimal("20.00"), True),
        ("B", Decimal(1), None, True),
    ], "B's price is not known: no amount, and the channel's own figure is bounded by nothing crossdock knows"
    assert made.refund_id == "R-kkkkkkkkkkkk"


def test_a_refund_gives_back_the_sellers_tax_and_keeps_the_discount_per_unit() -> None:
    ordered = OrderLine(
        position=1,
        line_number="1",
        quantity=Decimal(4),
        uom="EA",
        unit_price=Decimal("10.00"),
        product_ids={"SK": "A"},
        taxes=[TaxLine(amount=Decimal("3.20")), TaxLine(amount=Decimal("2.00"), collected_by="marketplace")],
        discounts=[Discount(amount=Decimal("4.00"))],
    )
    order = Order(po_number="P", lines=[ordered])
    returned = Return(
        channel="shop", return_id="R", po_number="P", lines=[ReturnLine(line_number="1", sku="A", quantity=Decimal(2))]
    )
    made = refund_for(returned, receipt(ReceivedLine(sku="A", quantity=Decimal(2))), order, "k" * 40, ReturnsPolicy())
    (line,) = made.lines
    assert line.amount == Decimal("19.60"), (
        "2 x (10.00 - 1.00 discount + 0.80 seller's tax); the marketplace's is its own"
    )
    assert line.tax == Decimal("1.60") and line.order_line == "1", "the seller's tax apart, and the line it came from"


def test_a_refund_line_named_by_sku_only_finds_its_order_line_and_an_unknown_sku_none() -> None:
    ordered = OrderLine(
        position=1, line_number="ITEM-7", quantity=Decimal(1), uom="EA", unit_price=Decimal("5.00"),
        product_ids={"SK": "A"},
    )  # fmt: skip
    returned = Return(
        channel="amz",
        return_id="R",
        po_number="P",
        lines=[ReturnLine(sku="A", quantity=Decimal(1)), ReturnLine(sku="Z", quantity=Decimal(1))],
    )
    got = receipt(ReceivedLine(sku="A", quantity=Decimal(1)), ReceivedLine(sku="Z", quantity=Decimal(1)))
    made = refund_for(returned, got, Order(po_number="P", lines=[ordered]), "k" * 40, ReturnsPolicy())
    assert [(x.sku, x.order_line, x.amount, x.tax) for x in made.lines] == [
        ("A", "ITEM-7", Decimal("5.00"), Decimal("0.00")),
        ("Z", None, None, None),
    ]
