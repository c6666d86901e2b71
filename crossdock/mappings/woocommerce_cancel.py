"""A canonical Cancellation -> the WooCommerce REST v3 bodies that carry it out. Pure: no I/O.

(channel-lifecycle.md §2, from the owner's REST docs.) Some lines: ``POST /orders/<id>/refunds`` with
``line_items [{id, quantity, refund_total, refund_tax [{id, refund_total}]}]`` and ``amount`` their sum;
``api_refund`` sends the money back through the payment gateway and ``api_restock`` puts the units back in stock
(both from the sink's configuration). A line's share is its ``total`` (after discounts) and each of its
``taxes[].total`` per unit ordered, times the units cancelled, rounded half-up to the store's cents
[unverified: a store with another ``dp`` rounds its own way]. The whole order: the rest refunded the same way
(when configured), then ``PUT /orders/<id> {"status": "cancelled"}``.

The API takes no idempotency key: the refund carries the cancellation's id in its ``meta_data``
(``crossdock_cancellation``), never in its ``reason`` (a buyer may see that), and a cancellation sent again that
finds its refund, or the order cancelled already, does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core.lifecycle.cancellations import REASON_WORDS, Cancellation
from crossdock.mappings.woocommerce import _At, order_from_woocommerce

META = "crossdock_cancellation"
DONE = frozenset({"cancelled", "refunded", "trash"})  # statuses of an order with nothing left to cancel
_CENTS = Decimal("0.01")


def already_done(cancellation: Cancellation, order: Mapping[str, Any], refunds: list[Any]) -> bool:
    """Whether WooCommerce shows this cancellation made: its refund (by meta), or for the whole order its status."""
    if cancellation.whole_order and str(order.get("status") or "") in DONE:
        return True
    if cancellation.whole_order:
        return False
    return any(
        isinstance(m, dict) and m.get("key") == META and str(m.get("value")) == cancellation.cancellation_id
        for refund in refunds
        if isinstance(refund, dict)
        for m in refund.get("meta_data") or []
    )


def refund_body(
    cancellation: Cancellation, order: Mapping[str, Any], *, api_refund: bool, api_restock: bool
) -> dict[str, Any] | None:
    """The ``POST /orders/<id>/refunds`` body for the cancelled lines, or for the whole order every unit still
    left (``order`` is the order merged with its refunds: ``woocommerce.merge``); None when nothing is left."""
    where = f"woocommerce cancellation {cancellation.cancellation_id} of order {cancellation.po_number}"
    node = _At(order, "", f"order {order.get('id')}")
    items = {item.need_id("id"): item for item in node.children("line_items")}
    if cancellation.whole_order:
        left = {line.line_number or "": line.quantity for line in order_from_woocommerce(order).lines}
        wanted = {k: v for k, v in left.items() if v > 0}
    else:
        wanted = {}
        for i, line in enumerate(cancellation.lines, 1):
            key = (line.line_number or "").strip()
            if key not in items:
                raise ValueError(f"{where}: line {i}: {line.line_number!r} is no line of the order")
            if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
                raise ValueError(f"{where}: line {key}: {line.quantity} is not a whole quantity to cancel")
            wanted[key] = wanted.get(key, Decimal(0)) + line.quantity
    if not wanted:
        return None
    lines, amount = [], Decimal(0)
    for key, quantity in wanted.items():
        item = items[key]
        ordered = item.need_decimal("quantity")
        total = _share(item.decimal("total") or Decimal(0), ordered, quantity)
        shares = [
            (int(tax.need_id("id")), _share(tax.decimal("total") or Decimal(0), ordered, quantity))
            for tax in item.children("taxes")
        ]
        amount += total + sum((share for _, share in shares), Decimal(0))
        taxes = [{"id": tax_id, "refund_total": str(share)} for tax_id, share in shares]
        lines.append({"id": int(key), "quantity": int(quantity), "refund_total": str(total), "refund_tax": taxes})
    return {
        "amount": str(amount),
        "reason": REASON_WORDS[cancellation.reason],
        "api_refund": api_refund,
        "api_restock": api_restock,
        "line_items": lines,
        "meta_data": [{"key": META, "value": cancellation.cancellation_id}],
    }


def _share(amount: Decimal, ordered: Decimal, quantity: Decimal) -> Decimal:
    return (amount / ordered * quantity).quantize(_CENTS, rounding=ROUND_HALF_UP)
