"""eBay: a Post-Order return (``GET /post-order/v2/return/search`` member) -> a canonical Return, and a canonical
Refund -> the body of ``POST /post-order/v2/return/{returnId}/issue_refund``. Pure: no I/O.

What it relies on (channel-lifecycle.md §5; eBay's Post-Order reference, ``ReturnSummaryType`` and
``ReturnCreationInfoType`` [field names as recalled from the reference, unverified against a live answer]):

- A return is one line: ``returnId``, ``orderId``, ``state`` (RETURN_REQUESTED, ITEM_SHIPPED, ITEM_DELIVERED,
  CLOSED …), ``currentType`` (MONEY_BACK, REPLACEMENT …), ``creationInfo{item{itemId, transactionId,
  returnQuantity}, reason, comments{content}, creationDate{value}}`` and ``sellerTotalRefund
  {estimatedRefundAmount{value, currency}}``.
- The order's line is named by ``transactionId`` [unverified: the Fulfillment API's ``lineItemId`` is the same
  number]; ``<itemId>-<transactionId>`` is kept as the channel's line id.
- The state says the status: requested (the seller is to decide), open (accepted, on its way), received
  (``ITEM_DELIVERED``), closed, cancelled.
- A refund is the Refund's line amounts (or, without them, eBay's own estimate) as the purchase price:
  ``{"refundDetail": {"itemizedRefundDetail": [{"refundAmount": {value, currency}, "refundFeeType":
  "PURCHASE_PRICE"}], "totalAmount": {value, currency}}, "comments": {"content": …}}`` [unverified shape].
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Refund, Return, ReturnLine, Status
from crossdock.mappings.ebay import _Node
from crossdock.mappings.jsonnode import OrderCurrency
from crossdock.mappings.returns_json import cut, load, reason

DONE = frozenset({"CLOSED", "REFUND_ISSUED", "REFUND_INITIATED", "AUTO_REFUND_INITIATED"})  # nothing left to refund
RECEIVED = frozenset({"ITEM_DELIVERED", "CLOSED"})  # the seller has the item (or the return is over)
_CENTS = Decimal("0.01")


def returns_from_json(data: bytes, name: str) -> list[Return]:
    node = _Node(load(data, name), "", name, OrderCurrency())
    return_id = node.need_text("returnId")
    info = node.child("creationInfo") or node.fail("creationInfo", "missing")
    item = info.child("item") or info.fail("item", "missing")
    quantity = item.quantity("returnQuantity")
    transaction = item.text("transactionId")
    item_id = item.text("itemId")
    comments = info.child("comments")
    said = comments.text("content") if comments is not None else None
    code = info.text("reason")
    created = info.child("creationDate")
    refund = node.child("sellerTotalRefund")
    estimate = refund.money("estimatedRefundAmount") if refund is not None else None
    notes = [f"eBay return {return_id}: {node.text('currentType') or 'return'}, state {node.text('state') or '?'}"]
    if said:
        notes.append(f"buyer: {cut(said)}")
    return [
        Return(
            channel="ebay",
            return_id=return_id,
            po_number=node.need_text("orderId"),
            external_id=node.need_text("orderId"),
            status=_status(node.text("state") or ""),
            created=created.timestamp("value") if created is not None else None,
            currency=node.currency.code,
            lines=[
                ReturnLine(
                    line_number=transaction,
                    quantity=quantity,
                    reason=reason(code, said),
                    reason_text=cut(code),
                    channel_line_id=f"{item_id}-{transaction}" if item_id and transaction else None,
                    unit_price=(estimate / quantity).quantize(_CENTS, rounding=ROUND_HALF_UP) if estimate else None,
                )
            ],
            notes=notes,
        )
    ]


def _status(state: str) -> Status:
    state = state.upper()
    if "CANCEL" in state:
        return "cancelled"
    if state in DONE or "CLOSED" in state:
        return "closed"
    if state in RECEIVED:
        return "received"
    if "REQUEST" in state or state in ("INITIAL", "RETURN_STARTED", ""):
        return "requested"
    return "open"


def state_of(answer: Any, return_id: str) -> tuple[str, dict[str, str] | None]:
    """The state of a return as ``GET /post-order/v2/return/{id}`` answers (``summary``; ``REFUND_ISSUED`` when it
    shows an ``actualRefundAmount``), and eBay's estimate of its refund (``{value, currency}``) when it gives one."""
    node = _Node(answer, "", f"eBay return {return_id}", OrderCurrency())
    summary = node.child("summary") or node
    refund = summary.child("sellerTotalRefund")
    estimate = refund.child("estimatedRefundAmount") if refund is not None else None
    amount = None
    if estimate is not None:
        amount = {"value": str(estimate.need_decimal("value")), "currency": estimate.need_text("currency").upper()}
    actual = refund.child("actualRefundAmount") if refund is not None else None
    if actual is not None and (actual.decimal("value") or 0) > 0:
        return "REFUND_ISSUED", amount  # money went back already, whatever the state says
    return (summary.text("state") or "").upper(), amount


def refund_request(refund: Refund, estimate: dict[str, str] | None) -> dict[str, Any]:
    """The ``issue_refund`` body: the lines' amounts when every line has one, else eBay's estimate."""
    where = f"refund {refund.refund_id} of eBay return {refund.return_id}"
    amounts = [line.amount for line in refund.lines]
    if amounts and all(a is not None for a in amounts):
        total = sum((a for a in amounts if a is not None), Decimal(0)).quantize(_CENTS, rounding=ROUND_HALF_UP)
        currency = (refund.currency or (estimate or {}).get("currency") or "").upper()
    elif estimate is not None:
        total, currency = Decimal(estimate["value"]), estimate["currency"]
    else:
        raise DecodeError("no amount on the refund's lines and no estimate from eBay", source=where)
    if not currency or total <= 0:
        raise DecodeError(f"{total} {currency or '(no currency)'} is not an amount to refund", source=where)
    money = {"value": str(total), "currency": currency}
    body: dict[str, Any] = {
        "refundDetail": {
            "itemizedRefundDetail": [{"refundAmount": money, "refundFeeType": "PURCHASE_PRICE"}],
            "totalAmount": money,
        }
    }
    if refund.note:
        body["comments"] = {"content": cut(refund.note)}
    return body
