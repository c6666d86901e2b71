"""The refund of cancelled eBay lines (``mappings/ebay_cancel.py``): whatever a line cost and however much of it
was refunded before, the refund brings it to exactly the units the cancellation leaves, never past what was paid,
and once eBay shows it, the same cancellation asks for nothing more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import Cancellation, CancelledLine
from crossdock.mappings.ebay_cancel import refund_request


def order(quantity: int, paid: Decimal, refunds: list[Decimal]) -> dict[str, Any]:
    item = {
        "lineItemId": "L1",
        "sku": "MUG-BLUE",
        "quantity": quantity,
        "lineItemCost": {"value": str(paid), "currency": "USD"},
        "refunds": [
            {"refundId": f"R{i}", "amount": {"value": str(a), "currency": "USD"}} for i, a in enumerate(refunds)
        ],
    }
    return {"orderId": "12-1", "lineItems": [item]}


def cancellation(cut: int, left: int, line: str = "L1") -> Cancellation:
    lines = [CancelledLine(line_number=line, quantity=Decimal(cut), left=Decimal(left))]
    return Cancellation(channel="ebay", po_number="12-1", cancellation_id="C-1", lines=lines)


def units(paid: Decimal, quantity: int, refunded: Decimal) -> int:
    """The units a line's refunds pay for in full, as the eBay mapping reads them back."""
    return min(quantity, int(refunded * quantity // paid))


@example(quantity=14, cents=24, before=2, cut=1)  # an earlier refund rounded down: the resend refunded again
@given(
    quantity=st.integers(min_value=1, max_value=50),
    cents=st.integers(min_value=1, max_value=10_000_000),
    before=st.integers(min_value=0, max_value=50),
    cut=st.integers(min_value=1, max_value=50),
)
def test_a_refund_reaches_the_units_left_and_a_resend_asks_nothing(
    quantity: int, cents: int, before: int, cut: int
) -> None:
    paid = Decimal(cents) / 100
    before = min(before, quantity - 1)  # units refunded already (another cancellation, say)
    cut = min(cut, quantity - before)
    left = quantity - before - cut
    earlier = [(paid * before / quantity).quantize(Decimal("0.01"))] if before else []
    refunded_before = sum(earlier, Decimal(0))
    shown = order(quantity, paid, earlier)
    body = refund_request(shown, cancellation(cut, left), "test")
    if units(paid, quantity, refunded_before) >= quantity - left:
        assert body is None
        return
    assert body is not None
    (item,) = body["refundItems"]
    amount = Decimal(item["refundAmount"]["value"])
    assert Decimal(0) < amount <= paid - refunded_before
    shown["lineItems"][0]["refunds"].append({"refundId": "NEW", "amount": item["refundAmount"]})
    reached = min(quantity - left, units(paid, quantity, refunded_before) + cut)  # never more than the cut
    assert units(paid, quantity, refunded_before + amount) >= reached, "the refund pays for every unit cut"
    assert refund_request(shown, cancellation(cut, left), "test") is None, "sent again: nothing more"


def test_a_line_found_by_sku_and_a_cancellation_without_what_is_left_is_refused() -> None:
    by_sku = CancelledLine(line_number="other", product_ids={"SK": "MUG-BLUE"}, quantity=Decimal(1), left=Decimal(1))
    asked = Cancellation(channel="ebay", po_number="12-1", cancellation_id="C-1", lines=[by_sku])
    body = refund_request(order(2, Decimal("30.00"), []), asked, "test")
    assert body is not None and body["refundItems"] == [
        {"lineItemId": "L1", "refundAmount": {"value": "15.00", "currency": "USD"}}
    ]
    unknown = CancelledLine(line_number="L1", quantity=Decimal(1))
    asked = Cancellation(channel="ebay", po_number="12-1", cancellation_id="C-1", lines=[unknown])
    with pytest.raises(PermanentError, match="does not say how many units are left"):
        refund_request(order(2, Decimal("30.00"), []), asked, "test")


def test_cancellations_sent_out_of_order_end_with_every_unit_not_left_refunded() -> None:
    """The second cancellation (3 more units, 5 left) reaches eBay before the first (2 units, 8 left): the line
    ends refunded for the 5 units, and the first, sent last, asks for nothing more."""
    shown = order(10, Decimal("100.00"), [])
    second = refund_request(shown, cancellation(3, 5), "test")
    assert second is not None
    assert second["refundItems"][0]["refundAmount"]["value"] == "50.00"
    shown["lineItems"][0]["refunds"].append({"refundId": "R2", "amount": second["refundItems"][0]["refundAmount"]})
    assert refund_request(shown, cancellation(2, 8), "test") is None
