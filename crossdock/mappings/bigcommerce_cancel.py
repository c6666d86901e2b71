"""A canonical Cancellation of some lines -> BigCommerce's v3 refund of them. Pure: no I/O.

(channel-lifecycle.md §3.) BigCommerce cancels whole orders only (status 5); lines that will not ship are refunded
through the v3 payment actions, in two steps: ``POST /v3/orders/<id>/payment_actions/refund_quotes`` with the
items (``item_type`` PRODUCT, ``item_id`` the order product's id, ``quantity``, ``reason``) answers the ways the
money can go back (``refund_methods``: each a list of payments, ``provider_id``, ``amount``, ``offline``), then
``POST .../refunds`` takes the same items and the payments of one way. Crossdock takes the first way that pays
back through the order's own payment (no payment made offline, no store credit); a quote that offers none is a
permanent error naming the lines and amount for a person to refund in the control panel.

The API takes no idempotency key: each item's ``reason`` carries the cancellation's id, and the order's refunds
(``GET /v3/orders/payment_actions/refunds?order_id:in=<id>``) are read first, so a cancellation sent again that
finds its refund does nothing [unverified: that the refund listing echoes each item's reason].
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import REASON_WORDS, Cancellation

STORE_CREDIT = "storecredit"  # a refund method's provider id that pays back in store credit, not money
LONGEST_REASON = 255  # characters of an item's reason kept [unverified: BigCommerce's own limit]


def reason(cancellation: Cancellation) -> str:
    """What each refunded item says: why, and the cancellation's id (how a refund made already is found)."""
    tag = f" (crossdock {cancellation.cancellation_id})"
    return REASON_WORDS.get(cancellation.reason, "Cancelled")[: LONGEST_REASON - len(tag)] + tag


def refund_items(cancellation: Cancellation, products: list[Any], where: str) -> list[dict[str, Any]]:
    """The refund's items: each cancelled line as its order product (by id, else by SKU) and whole units."""
    by_id = {str(p.get("id")): p for p in products if isinstance(p, dict)}
    items: list[dict[str, Any]] = []
    for line in cancellation.lines:
        product = by_id.get(str(line.line_number or ""))
        sku = line.product_ids.get("SK")
        if product is None and sku:
            product = next((p for p in by_id.values() if str(p.get("sku") or "") == sku), None)
        if product is None or not str(product.get("id")).isdigit():
            raise PermanentError(f"{where}: line {line.line_number or sku} is not a product of the order")
        if line.quantity != line.quantity.to_integral_value() or line.quantity <= 0:
            raise PermanentError(f"{where}: line {line.line_number}: {line.quantity} is not a number of units")
        items.append(
            {
                "item_type": "PRODUCT",
                "item_id": int(str(product["id"])),
                "quantity": int(line.quantity),
                "reason": reason(cancellation),
            }
        )
    return items


def refunded_already(cancellation: Cancellation, listing: Any) -> bool:
    """Whether the order's refunds hold this cancellation's (an item whose reason names its id)."""
    refunds = listing.get("data") if isinstance(listing, Mapping) else listing
    mark = f"(crossdock {cancellation.cancellation_id})"
    return any(
        isinstance(item, Mapping) and mark in str(item.get("reason") or "")
        for refund in refunds or []
        if isinstance(refund, Mapping)
        for item in refund.get("items") or []
    )


def refund_body(items: list[dict[str, Any]], quote: Any, where: str) -> bytes:
    """The ``refunds`` body: the items and the payments of the quote's first way back through the order's own
    payment; the JSON's amounts are the quote's numbers exactly (never through float)."""
    data = quote.get("data") if isinstance(quote, Mapping) else None
    methods = data.get("refund_methods") if isinstance(data, Mapping) else None
    for method in methods or []:
        payments = method if isinstance(method, list) else [method]
        if payments and all(_paid_back(p) for p in payments):
            chosen = [
                {"provider_id": str(p["provider_id"]), "amount": Decimal(p["amount"]), "offline": False}
                for p in payments
            ]
            return _dumps({"items": items, "payments": chosen}).encode("utf-8")
    total = data.get("total_refund_amount") if isinstance(data, Mapping) else None
    lines = ", ".join(f"{item['item_id']} x{item['quantity']}" for item in items)
    raise PermanentError(
        f"{where}: BigCommerce offers no refund to the order's payment (only offline or store credit); refund "
        f"these lines in the control panel: {lines} ({total if total is not None else 'amount unknown'})"
    )


def _paid_back(payment: Any) -> bool:
    return (
        isinstance(payment, Mapping)
        and bool(payment.get("provider_id"))
        and str(payment.get("provider_id")) != STORE_CREDIT
        and not payment.get("offline")
        and isinstance(payment.get("amount"), int | Decimal)
        and not isinstance(payment.get("amount"), bool)
        and Decimal(payment["amount"]).is_finite()
        and Decimal(payment["amount"]) > 0
    )


def _dumps(value: Any) -> str:
    """JSON with each Decimal written as the number it is (``json`` writes no Decimal, and float would round)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dumps(v) for v in value) + "]"
    return json.dumps(value)
