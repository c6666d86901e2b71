"""A canonical Cancellation of some lines -> the body of eBay's ``POST /sell/fulfillment/v1/order/{orderId}/
issue_refund``, given the order as ``GET /order/{orderId}`` shows it. Pure: no I/O.

eBay cancels whole orders only (Post-Order API); lines that will not ship are refunded instead, per line item:
``{"reasonForRefund", "comment" (at most 100 characters), "refundItems": [{"lineItemId", "refundAmount": {value,
currency}}]}``, one reason for every line [docs sell/fulfillment issueRefund, IssueRefundRequest,
ReasonForRefundEnum]. The call takes no idempotency key and is processed asynchronously, so what is refunded
already is read from the order first: each line item's ``refunds[].amount`` (eBay lists a refund there, with its
``refundId``, from when it is pending), less those ``paymentSummary.refunds[]`` shows ``refundStatus`` FAILED.

The Cancellation says how many units of each line are still wanted once it is made (``left``), so a line is owed
what the buyer paid for ``quantity - left`` units (``discountedLineItemCost``, else ``lineItemCost``, times those
units over ``quantity``), rounded up to the cent and never past what was paid; it is refunded what its refunds so
far fall short of that. A cancellation sent again, after a crash or a lost answer, finds its refund and refunds
nothing twice; cancellations sent out of order, or an earlier refund rounded down elsewhere, still end with the
line refunded for every unit not left, and the eBay order mapping, which takes out the units a line's refunds
pay for in full, reads them all back.

[unverified] The line refunds eBay shows are the seller's net: eBay-collected sales tax is refunded by eBay on its
own account and never shown there; that a pending refund is listed at once under the line item is from eBay's
``LineItemRefund.refundId`` description ("returned ... for pending and completed refunds"), not seen in a sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import REASON_WORDS, Cancellation, CancelledLine, Reason

CENT = Decimal("0.01")
LONGEST_COMMENT = 100  # IssueRefundRequest.comment
LARGEST = Decimal("1e12")  # an amount eBay shows at or above this is taken for no amount
# Cancellation reason -> ReasonForRefundEnum: the buyer's own cancel, else the seller's
REFUND_REASONS: dict[Reason, str] = {
    "buyer_request": "BUYER_CANCEL",
    "out_of_stock": "SELLER_CANCEL",
    "merchant": "SELLER_CANCEL",
    "address": "SELLER_CANCEL",
    "fraud": "SELLER_CANCEL",
    "other": "SELLER_CANCEL",
}


def refund_request(order: Mapping[str, Any], cancellation: Cancellation, where: str) -> dict[str, Any] | None:
    """The ``issue_refund`` body for what of the cancelled lines is not refunded yet; None when it all is."""
    items = [i for i in order.get("lineItems") or [] if isinstance(i, Mapping)]
    failed = _failed(order)
    refunds: list[dict[str, Any]] = []
    for line in cancellation.lines:
        item = _item(items, line, where)
        amount = _due(item, line, failed, where)
        if amount is not None:
            refunds.append({"lineItemId": str(item["lineItemId"]), "refundAmount": amount})
    if not refunds:
        return None
    comment = REASON_WORDS.get(cancellation.reason, "Cancelled")[:LONGEST_COMMENT]
    return {"reasonForRefund": REFUND_REASONS[cancellation.reason], "comment": comment, "refundItems": refunds}


def _item(items: list[Mapping[str, Any]], line: CancelledLine, where: str) -> Mapping[str, Any]:
    """The order's line item the cancelled line is: by ``lineItemId`` (the mapping's line number), else by SKU."""
    found = next((i for i in items if str(i.get("lineItemId")) == (line.line_number or "")), None)
    sku = line.product_ids.get("SK")
    if found is None and sku:
        found = next((i for i in items if str(i.get("sku") or "") == sku), None)
    if found is None or not found.get("lineItemId"):
        raise PermanentError(f"{where}: line {line.line_number or sku} is not a line item of the order")
    return found


def _due(item: Mapping[str, Any], line: CancelledLine, failed: set[str], where: str) -> dict[str, str] | None:
    """The refund still due on one line item, as ``{value, currency}``; None when nothing is."""
    name = f"line {item.get('lineItemId')}"
    if line.left is None:
        raise PermanentError(f"{where}: {name}: the cancellation does not say how many units are left: refund on eBay")
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise PermanentError(f"{where}: {name}: eBay gives no quantity for it")
    paid, currency = _money(item.get("discountedLineItemCost")) or _money(item.get("lineItemCost")) or (None, "")
    if paid is None or paid <= 0:
        raise PermanentError(f"{where}: {name}: eBay gives no price paid for it: refund it on eBay")
    refunded = Decimal(0)
    for refund in item.get("refunds") or []:
        if isinstance(refund, Mapping) and str(refund.get("refundId") or "") not in failed:
            money = _money(refund.get("amount"))
            refunded += money[0] if money else Decimal(0)
    wanted = min(quantity, max(0, quantity - int(line.left)))  # units refunded once this cancellation is
    owed = min(paid, (paid * wanted / quantity).quantize(CENT, rounding=ROUND_CEILING))
    amount = owed - refunded
    if wanted == 0 or amount <= 0:
        return None
    return {"value": format(amount, "f"), "currency": currency}


def _failed(order: Mapping[str, Any]) -> set[str]:
    """The ids of the order's refunds eBay shows FAILED: they paid nothing back."""
    summary = order.get("paymentSummary")
    refunds = summary.get("refunds") if isinstance(summary, Mapping) else None
    return {
        str(r.get("refundId"))
        for r in refunds or []
        if isinstance(r, Mapping) and r.get("refundStatus") == "FAILED" and r.get("refundId")
    }


def _money(value: Any) -> tuple[Decimal, str] | None:
    """``{"value": "12.34", "currency": "USD"}`` as a Decimal and its currency; None when it is not one."""
    if not isinstance(value, Mapping) or not isinstance(value.get("value"), str | int):
        return None
    try:
        amount = Decimal(str(value["value"]))
    except InvalidOperation:
        return None
    sane = amount.is_finite() and abs(amount) < LARGEST  # past it is no price: rounding would fail, not refund
    return (amount, str(value.get("currency") or "")[:3]) if sane else None
