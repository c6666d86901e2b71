"""BigCommerce: a refund marked as a return -> a canonical Return; a canonical Refund -> the v3 payment actions'
refund quote and refund bodies. Pure: no I/O.

BigCommerce has no return object in its REST API that crossdock relies on [unverified; channel-lifecycle.md §3]:
the merchant records a return as a refund (``POST /v3/orders/<id>/payment_actions/refunds``) of the products
coming back, its ``reason`` starting with the source's ``return_prefix``. The source stores each such refund as
``{"order": {id, currency}, "refund": <GET /v3/orders/<id>/payment_actions/refunds record>}``; a refund record
has ``id``, ``order_id``, ``created``, ``reason``, ``total_amount`` and ``items [{item_type, item_id, quantity,
requested_amount, reason}]`` (field names from the Orders v3 model as BigCommerce's generated SDKs document it).
A ``PRODUCT`` item's ``item_id`` is the order product's id: crossdock's line number. Refunds are never edited:
the refund's id is the return's id and identity.

Back: a quote (``POST .../refund_quotes`` with ``items [{item_type: PRODUCT, item_id, quantity}]``, or
``amount`` for a line with one) gives ``refund_methods``, each a list of payment options; the first whose options
are all online and none store credit (the money goes back to the buyer's payment) is used, whole (``payments
[{provider_id, amount, offline}]``), in ``POST .../refunds`` with the same items and a ``reason`` naming the
return and crossdock's refund id ("Refund for return 7 (crossdock …)"), which is how a refund sent again finds
itself made (the API takes no idempotency key) and how a poll knows crossdock's own refund is no new return. A
refund that could only be made offline or in store credit is refused: the merchant chooses how to pay back.
BigCommerce's refund does not restock: the stock comes back by crossdock's stock push, as the warehouse reports
it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Refund, RefundLine, Return, ReturnLine
from crossdock.mappings.bigcommerce import _At
from crossdock.mappings.returns_json import MAX_LINES, cut, load, reason

_CENTS = Decimal("0.01")
STORE_CREDIT = "storecredit"  # a refund method that pays back in store credit, not to the buyer's payment


def returns_from_json(data: bytes, name: str) -> list[Return]:
    node = _At(load(data, name), "", name)
    order = node.child("order") or node.fail("order", "missing")
    refund = node.child("refund") or node.fail("refund", "missing")
    items = [item for item in refund.children("items") if (item.text("item_type") or "").upper() == "PRODUCT"]
    if len(items) > MAX_LINES:
        refund.fail("items", f"{len(items)} items, more than {MAX_LINES}")
    said = refund.text("reason")
    refund_id = refund.need_id("id")
    total = refund.decimal("total_amount")
    notes = [f"BigCommerce refund {refund_id}: {cut(said) or 'no reason given'}"]
    if total:
        notes.append(f"{total} refunded already by that refund")
    order_id = order.need_id("id")
    return [
        Return(
            channel="bigcommerce",
            return_id=refund_id,
            po_number=order_id,
            external_id=order_id,
            status="open",
            created=refund.timestamp("created"),
            currency=(order.text("currency") or "").upper() or None,
            lines=[_line(item, said) for item in items],
            notes=notes,
        )
    ]


def _line(item: _At, said: str | None) -> ReturnLine:
    quantity = item.quantity("quantity")
    if quantity == 0:
        item.fail("quantity", "no units coming back")
    amount = item.decimal("requested_amount")
    why = item.text("reason") or said
    return ReturnLine(
        line_number=item.need_id("item_id"),
        quantity=quantity,
        reason=reason(why),
        reason_text=cut(why),
        unit_price=(amount / quantity).quantize(_CENTS, rounding=ROUND_HALF_UP) if amount else None,
    )


def marker(refund: Refund) -> str:
    """What the refund's ``reason`` carries so that it is found again: crossdock's refund id."""
    return f"(crossdock {refund.refund_id})"


def is_ours(found: Any) -> bool:
    """Whether a BigCommerce refund is one crossdock made (its reason carries a ``marker``): never a return."""
    return isinstance(found, dict) and "(crossdock " in str(found.get("reason") or "")


def already_made(refund: Refund, refunds: Any) -> bool:
    """Whether ``GET .../payment_actions/refunds`` (its ``data``) shows this refund made."""
    found = refunds.get("data") if isinstance(refunds, dict) else refunds
    for made in found if isinstance(found, list) else []:
        items = made.get("items") if isinstance(made, dict) else None
        reasons = [made.get("reason")] + [i.get("reason") for i in items or [] if isinstance(i, dict)]
        if any(marker(refund) in str(r or "") for r in reasons):
            return True
    return False


def paid_when_recorded(refund: Refund, refunds: Any) -> str | None:
    """What the return's own refund (the one marked as a return) paid back already, when it paid anything."""
    found = refunds.get("data") if isinstance(refunds, dict) else refunds
    for made in found if isinstance(found, list) else []:
        if isinstance(made, dict) and str(made.get("id")) == refund.return_id:
            try:
                amount = Decimal(str(made.get("total_amount") or "0"))
            except ArithmeticError:
                return None
            return str(amount) if amount > 0 else None
    return None


def quote_request(refund: Refund) -> dict[str, Any]:
    """The refund quote's body: each line's product by quantity (or by its amount when it has one)."""
    return {"items": [_item(line, i) for i, line in enumerate(refund.lines, 1)]}


def _item(line: RefundLine, i: int) -> dict[str, Any]:
    key = (line.line_number or "").strip()
    if not key.isdecimal():
        raise DecodeError(f"line {i}: {line.line_number!r} is not a BigCommerce order product id", source="refund")
    if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
        raise DecodeError(f"line {i}: {line.quantity} is not a whole quantity", source="refund")
    if line.amount is not None:
        return {"item_type": "PRODUCT", "item_id": int(key), "amount": str(line.amount.quantize(_CENTS))}
    return {"item_type": "PRODUCT", "item_id": int(key), "quantity": int(line.quantity)}


def refund_request(refund: Refund, quote: Any) -> dict[str, Any]:
    """The refund's body from the quote (``data``): its items, the first all-online refund method, the reason."""
    node = _At(quote.get("data") if isinstance(quote, dict) else quote, "data", "refund quote")
    methods = node.raw("refund_methods")
    chosen = None
    for method in methods if isinstance(methods, list) else []:
        options = method if isinstance(method, list) else []
        if options and all(
            isinstance(o, dict) and o.get("offline") is False and o.get("provider_id") != STORE_CREDIT for o in options
        ):
            chosen = options
            break
    if chosen is None:
        offered = [o.get("provider_id") for m in methods or [] for o in (m if isinstance(m, list) else [])]
        raise DecodeError(
            f"no refund method that pays back online to the buyer's payment (offered: {offered or 'none'}): refund it "
            "in the control panel",
            source="refund quote",
        )
    payments = [
        {
            "provider_id": str(o.get("provider_id")),
            "amount": str(_At(o, "", "refund method").need_decimal("amount")),
            "offline": False,
        }
        for o in chosen
    ]
    said = f"Refund for return {refund.return_id} {marker(refund)}"
    body = {**quote_request(refund), "payments": payments, "reason": said}
    body["items"] = [{**item, "reason": said} for item in body["items"]]
    return body
