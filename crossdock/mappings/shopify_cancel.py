"""A canonical Cancellation -> the Shopify mutations that carry it out. Pure: no I/O.

- The whole order: ``orderCancel(orderId, reason, restock, notifyCustomer, staffNote, refundMethod)``
  (channel-lifecycle.md §1). Since 2025-07 ``refundMethod {originalPaymentMethodsRefund}`` replaces the boolean
  ``refund``; without it nothing is refunded. It is done already when the order shows ``cancelledAt``.
- Some lines: ``refundCreate(input)`` with ``refundLineItems [{lineItemId, quantity, restockType}]`` (CANCEL
  restocks an unfulfilled line, NO_RESTOCK does not [unverified names]). Money moves only with ``transactions``,
  which come from the order's ``suggestedRefund`` for those lines (``refund_transactions``). The refund's
  ``note`` carries the cancellation's marker, so a cancellation sent again finds its refund and does nothing.
  The marker goes only into the refund's note and the cancel's ``staffNote``: staff see them, the buyer does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.mappings.shopify import _GID, _Node, order_gid

# Cancellation.reason -> OrderCancelReason (CUSTOMER, DECLINED, FRAUD, INVENTORY, STAFF, OTHER).
REASONS = {
    "out_of_stock": "INVENTORY",
    "buyer_request": "CUSTOMER",
    "merchant": "STAFF",
    "fraud": "FRAUD",
    "address": "OTHER",
    "other": "OTHER",
}


def marker(cancellation: Cancellation) -> str:
    """What marks Shopify's record of this cancellation (a refund's note, a cancel's staff note)."""
    return f"[crossdock cancellation {cancellation.cancellation_id}]"


def staff_note(cancellation: Cancellation) -> str:
    note = " ".join(cancellation.note.split())[:200]
    return f"{note} {marker(cancellation)}".strip()


def order_cancel(cancellation: Cancellation, *, refund: bool, restock: bool, notify_customer: bool) -> dict[str, Any]:
    """The variables of ``ORDER_CANCEL`` for the whole order."""
    variables: dict[str, Any] = {
        "orderId": order_gid(cancellation.external_id or ""),
        "reason": REASONS[cancellation.reason],
        "restock": restock,
        "notifyCustomer": notify_customer,
        "staffNote": staff_note(cancellation),
    }
    if refund:
        variables["refundMethod"] = {"originalPaymentMethodsRefund": True}
    return variables


def refund_lines(cancellation: Cancellation, *, restock: bool) -> list[dict[str, Any]]:
    """``RefundLineItemInput`` for each cancelled line (by its Shopify line item id), whole quantities."""
    where = f"shopify cancellation {cancellation.cancellation_id} of order {cancellation.po_number}"
    out: dict[str, int] = {}
    for i, line in enumerate(cancellation.lines, 1):
        match = _GID.fullmatch(line.line_number or "")
        key = match.group(2) if match else (line.line_number or "").strip()
        if not key.isdecimal():
            raise ValueError(f"{where}: line {i}: {line.line_number!r} is not a Shopify line item id")
        if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
            raise ValueError(f"{where}: line {key}: {line.quantity} is not a whole quantity to cancel")
        out[key] = out.get(key, 0) + int(line.quantity)
    if not out:
        raise ValueError(f"{where}: no lines to cancel and not the whole order")
    restock_type = "CANCEL" if restock else "NO_RESTOCK"
    return [
        {"lineItemId": f"gid://shopify/LineItem/{key}", "quantity": quantity, "restockType": restock_type}
        for key, quantity in out.items()
    ]


def refund_transactions(order_id: str, suggested: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``OrderTransactionInput`` from ``order.suggestedRefund`` (``SUGGESTED_REFUND_QUERY``): kind REFUND, each
    against its parent transaction, the amount in the shop's currency as Shopify suggests it."""
    node = _Node(suggested, "suggestedRefund", f"suggested refund of order {order_id}", False)
    out = []
    for t in node.children("suggestedTransactions"):
        amount = t.child("amountSet") or t.fail("amountSet", "missing")
        shop = amount.child("shopMoney") or amount.fail("shopMoney", "missing")
        value = shop.need_decimal("amount")
        if value <= Decimal(0):
            continue
        parent = t.child("parentTransaction")
        out.append(
            {
                "orderId": order_id,
                "parentId": parent.need_text("id") if parent else None,
                "amount": str(value),
                "gateway": t.need_text("gateway"),
                "kind": "REFUND",
            }
        )
    return out


def refund_create(
    cancellation: Cancellation, lines: list[dict[str, Any]], transactions: list[dict[str, Any]], *, notify: bool
) -> dict[str, Any]:
    """The variables of ``REFUND_CREATE`` for some lines."""
    refund: dict[str, Any] = {
        "orderId": order_gid(cancellation.external_id or ""),
        "note": staff_note(cancellation),
        "notify": notify,
        "refundLineItems": lines,
    }
    if transactions:
        refund["transactions"] = transactions
    return {"input": refund}


def already_done(cancellation: Cancellation, state: Mapping[str, Any]) -> bool:
    """Whether the order (``CANCEL_STATE_QUERY``'s ``order``) shows this cancellation made already: cancelled when
    the whole order is, or a refund with its marker."""
    node = _Node(state, "order", f"order {cancellation.external_id}", False)
    if cancellation.whole_order:
        return node.raw("cancelledAt") is not None
    mark = marker(cancellation)
    return any(mark in (r.text("note") or "") for r in node.children("refunds"))
