"""Amazon's order adjustment feed (a refund) written from a canonical Refund, and its XML processing report read.
The shape is third parties' description of ``OrderAdjustment.xsd`` (see the mapping's docstring), so the golden
file pins what crossdock writes, not what Amazon accepts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.models import Discount, Order, OrderLine, TaxLine
from crossdock.core.returns.models import ReceivedLine, Refund, RefundLine, Return, ReturnLine, ReturnReceipt
from crossdock.core.returns.refunds import refund_for
from crossdock.mappings.amazon_adjustments import adjustment_item_id, cancel_feed, refund_feed, report_errors
from tests.conftest import CASES
from tests.golden import assert_golden


def refund(*lines: RefundLine, currency: str | None = "USD", order: str = "113-0000001-0000001") -> Refund:
    return Refund(
        channel="amz",
        refund_id="DqNcXwPkRRMA-0123456789ab",
        return_id="DqNcXwPkRRMA",
        po_number=order,
        external_id=order,
        currency=currency,
        lines=list(lines),
    )


def line(sku: str, item: str | None, amount: str | None, tax: str | None = None, quantity: int = 1) -> RefundLine:
    return RefundLine(
        sku=sku,
        quantity=Decimal(quantity),
        amount=None if amount is None else Decimal(amount),
        tax=None if tax is None else Decimal(tax),
        order_line=item,
    )


def test_a_refund_is_one_adjusted_item_per_order_item_with_principal_and_tax() -> None:
    made = refund_feed(
        refund(
            line("MUG", "11111", "21.40", "1.40"), line("CUP", "22222", "9.00"), line("MUG", "11111", "10.70", "0.70")
        ),
        merchant_id="A2MERCHANT7",
    )
    assert_golden(CASES / "channels" / "amazon" / "refund_adjustment_feed.xml", made)
    root = ET.fromstring(made)
    items = root.findall("Message/OrderAdjustment/AdjustedItem")
    assert [i.findtext("AmazonOrderItemCode") for i in items] == ["11111", "22222"], "the two MUG lines are one item"
    mug = {c.findtext("Type"): c.findtext("Amount") for c in items[0].iter("Component")}
    assert mug == {"Principal": "30.00", "Tax": "2.10"}
    assert items[0].findtext("MerchantAdjustmentItemID") == adjustment_item_id("DqNcXwPkRRMA-0123456789ab", "11111")
    assert all(i.findtext("AdjustmentReason") == "CustomerReturn" for i in items)
    assert {a.get("currency") for a in root.iter("Amount")} == {"USD"}


def test_the_adjustment_item_id_is_stable_per_refund_and_item() -> None:
    assert adjustment_item_id("R-1", "11111") == adjustment_item_id("R-1", "11111")
    assert adjustment_item_id("R-1", "11111") != adjustment_item_id("R-2", "11111")
    assert adjustment_item_id("R-1", "11111") != adjustment_item_id("R-1", "22222")


@pytest.mark.parametrize(
    ("made", "said"),
    [
        (refund(line("GHOST", None, "5.00")), "SKU 'GHOST' is not an item of the order"),
        (refund(line("MUG", "11111", None)), "no price is known for SKU 'MUG'"),
        (refund(line("MUG", "11111", "5.00"), currency=None), "currency None is not an ISO code"),
        (refund(line("MUG", "11111", "0.00")), "nothing to credit"),
        (refund(line("MUG", "11111", "-3.00")), "nothing to credit"),
        (refund(line("MUG", "bad\x01code", "3.00")), "cannot be an Amazon id"),
    ],
)
def test_what_cannot_be_a_refund_is_refused_naming_it(made: Refund, said: str) -> None:
    with pytest.raises(ValueError, match="refund DqNcXwPkRRMA-0123456789ab") as caught:
        refund_feed(made, merchant_id="A2MERCHANT7")
    assert said in str(caught.value)


ids = st.text(min_size=1, max_size=40)
money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=150, deadline=None)
@given(
    order=ids,
    merchant=ids,
    items=st.lists(st.tuples(ids, ids, money, money), min_size=1, max_size=5),
)
def test_the_feed_is_well_formed_escaped_and_never_credits_more_than_the_refund(
    order: str, merchant: str, items: list[tuple[str, str, Decimal, Decimal]]
) -> None:
    lines = [line(sku, code, str(amount), str(tax)) for sku, code, amount, tax in items]
    try:
        made = refund_feed(refund(*lines, order=order), merchant_id=merchant)
    except ValueError as exc:
        assert "refund DqNcXwPkRRMA-0123456789ab" in str(exc)
        return
    root = ET.fromstring(made)  # well-formed, whatever the ids held
    assert root.findtext("Message/OrderAdjustment/AmazonOrderID") == order.strip()
    assert root.findtext("Header/MerchantIdentifier") == merchant.strip()
    codes = {code.strip() for _, code, _, _ in items}
    credited = Decimal(0)
    for item in root.iter("AdjustedItem"):
        assert item.findtext("AmazonOrderItemCode") in codes
        for component in item.iter("Component"):
            amount = Decimal(component.findtext("Amount") or "")
            assert amount > 0, "every component is a credit to the buyer"
            credited += amount
    assert credited == sum((amount for _, _, amount, _ in items), Decimal(0)), "no more than the refund, no less"


def report(*results: str, errors: int = 0) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><AmazonEnvelope><Header><DocumentVersion>1.02</DocumentVersion>'
        "<MerchantIdentifier>A2MERCHANT7</MerchantIdentifier></Header><MessageType>ProcessingReport</MessageType>"
        "<Message><MessageID>1</MessageID><ProcessingReport><DocumentTransactionID>50001</DocumentTransactionID>"
        "<StatusCode>Complete</StatusCode><ProcessingSummary><MessagesProcessed>1</MessagesProcessed>"
        f"<MessagesSuccessful>{1 - errors}</MessagesSuccessful><MessagesWithError>{errors}</MessagesWithError>"
        f"<MessagesWithWarning>0</MessagesWithWarning></ProcessingSummary>{''.join(results)}</ProcessingReport>"
        "</Message></AmazonEnvelope>"
    ).encode()


def result(code: str, number: str, said: str, message: str = "1") -> str:
    return (
        f"<Result><MessageID>{message}</MessageID><ResultCode>{code}</ResultCode>"
        f"<ResultMessageCode>{number}</ResultMessageCode><ResultDescription>{said}</ResultDescription></Result>"
    )


def test_the_report_s_errors_for_the_message_are_read_and_warnings_are_not() -> None:
    found = report(
        result("Error", "18028", "The adjustment exceeds the amount  charged"),
        result("Warning", "5001", "rounded"),
        result("Error", "99", "another message", message="2"),
        errors=1,
    )
    assert report_errors(found) == (["18028: The adjustment exceeds the amount charged"], 1)
    assert report_errors(report()) == ([], 0)


@pytest.mark.parametrize(
    "content",
    [b"not xml", b"<AmazonEnvelope/>", b'<!DOCTYPE x [<!ENTITY a "b">]><AmazonEnvelope>&a;</AmazonEnvelope>'],
)
def test_what_is_no_processing_report_does_not_read(content: bytes) -> None:
    with pytest.raises(ValueError, match="processing report"):
        report_errors(content)


def test_units_not_shipped_are_cancelled_with_their_quantity_and_price() -> None:
    made = cancel_feed(
        "113-0000001-0000001",
        {"11111": (2, Decimal("59.98"), Decimal(0))},
        "out_of_stock",
        cancellation_id="C-9",
        currency="GBP",
        merchant_id="A2MERCHANT7",
    )
    assert_golden(CASES / "channels" / "amazon" / "cancel_adjustment_feed.xml", made)
    (item,) = ET.fromstring(made).iter("AdjustedItem")
    assert [(e.tag, e.text) for e in item if e.tag != "ItemPriceAdjustments"] == [
        ("AmazonOrderItemCode", "11111"),
        ("MerchantAdjustmentItemID", adjustment_item_id("C-9", "11111")),
        ("AdjustmentReason", "NoInventory"),
        ("QuantityCancelled", "2"),
    ]


@pytest.mark.parametrize(
    ("units", "reason", "said"),
    [
        ({"11111": (1, Decimal("5.00"), Decimal(0))}, "merchant", "only for a stock-out or the buyer's request"),
        ({"11111": (0, Decimal("5.00"), Decimal(0))}, "buyer_request", "no units to cancel"),
        ({"11111": (1, Decimal("0.00"), Decimal(0))}, "buyer_request", "a unit without a price"),
        ({}, "buyer_request", "no units to cancel"),
    ],
)
def test_a_part_cancel_the_feed_cannot_carry_is_refused(
    units: dict[str, tuple[int, Decimal, Decimal]], reason: Any, said: str
) -> None:
    with pytest.raises(ValueError, match="cancellation C-9 of order 113") as caught:
        cancel_feed("113", units, reason, cancellation_id="C-9", currency="USD", merchant_id="A2MERCHANT7")
    assert said in str(caught.value)


@settings(max_examples=150, deadline=None)
@given(
    ordered=st.integers(min_value=1, max_value=20),
    price=money,
    tax=money,
    off=money,
    returned=st.integers(min_value=1, max_value=25),
    received=st.integers(min_value=1, max_value=30),
)
def test_a_return_s_feed_never_credits_more_than_was_paid_for_the_units_received(
    ordered: int, price: Decimal, tax: Decimal, off: Decimal, returned: int, received: int
) -> None:
    line = OrderLine(
        position=1, line_number="11111", quantity=Decimal(ordered), uom="EA", unit_price=price,
        product_ids={"SK": "MUG"}, taxes=[TaxLine(amount=tax)], discounts=[Discount(amount=off)],
    )  # fmt: skip
    order = Order(po_number="113", currency="USD", lines=[line])
    back = [ReturnLine(sku="MUG", quantity=Decimal(returned))]
    ret = Return(channel="amz", return_id="R", po_number="113", lines=back)
    got = ReturnReceipt(warehouse="wh", rma_number="R", lines=[ReceivedLine(sku="MUG", quantity=Decimal(received))])
    made = refund_for(ret, got, order, "k" * 40, ReturnsPolicy())
    units = min(returned, received)
    assert [x.quantity for x in made.lines] == [Decimal(units)], "never more units than returned and received"
    try:
        feed = refund_feed(made, merchant_id="A2MERCHANT7")
    except ValueError as exc:
        assert "nothing to credit" in str(exc)
        return
    credited = sum((Decimal(a.text or "") for a in ET.fromstring(feed).iter("Amount")), Decimal(0))
    paid = max(price * ordered + tax - off, Decimal(0)) * units / ordered
    assert credited <= paid + Decimal("0.005"), "no more than was paid for those units (to the cent)"
