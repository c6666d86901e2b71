"""Shopify returns -> canonical ``Return``s, and a ``Refund`` -> the mutations that tell the shop. Pure: no I/O.

The document read is what ``connectors/shopify_returns.py`` stores for an order whose ``returnStatus`` says it has
returns: ``{"order": {id, name, currencyCode}, "returns": [Return ...]}`` (``RETURNS_QUERY``). Each Shopify Return
(channel-lifecycle.md §1: ``returnRequest`` makes one REQUESTED, ``returnApproveRequest`` or ``returnCreate`` one
OPEN) becomes a ``Return``: its numeric id the return id, its ``name`` the RMA number, the order's id and name the
external id and PO number. Each ``ReturnLineItem`` is a line: the order line item's id its line number (as the
order's lines have it), the return line item's id its ``channel_line_id``, the order line's original unit price
its ``unit_price`` (the bound of a refund), the return reason mapped to crossdock's.

A refund is ``refundCreate`` (``refundLineItems [{lineItemId, quantity, restockType}]``, RETURN restocks on Shopify,
NO_RESTOCK does not [unverified names]) with the transactions ``suggestedRefund`` gives for those lines; its note
carries crossdock's marker, so a refund sent again finds it made and does nothing. ``close`` is ``returnClose``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Reason, Refund, Return, ReturnLine, Status
from crossdock.mappings.shopify import _GID, _Node

MAX_RETURNS = 50  # one order's returns in one document
REASON_TEXT = 500

STATUSES: dict[str, Status] = {
    "REQUESTED": "requested",
    "OPEN": "open",
    "CLOSED": "closed",
    "CANCELED": "cancelled",
    "DECLINED": "cancelled",
}
REASONS: dict[str, Reason] = {
    "DEFECTIVE": "defective",
    "NOT_AS_DESCRIBED": "not_as_described",
    "WRONG_ITEM": "wrong_item",
    "UNWANTED": "unwanted",
    "SIZE_TOO_LARGE": "size_or_fit",
    "SIZE_TOO_SMALL": "size_or_fit",
    "STYLE": "unwanted",
    "COLOR": "unwanted",
    "OTHER": "other",
    "UNKNOWN": "other",
}


def returns_from_json(data: bytes, name: str) -> list[Return]:
    try:
        parsed = json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    if not isinstance(parsed, dict):
        raise DecodeError(f"{name}: not an object with order and returns")
    top = _Node(parsed, "", name, False)
    order = top.child("order") or top.fail("order", "missing")
    top.currency = order.currency = order.text("currencyCode")  # every price in the returns must be in it
    order_id = order.need_numeric_id("id", "Order")
    po = order.need_text("name")
    found = top.children("returns", required=True)
    if len(found) > MAX_RETURNS:
        top.fail("returns", f"{len(found)} returns, more than {MAX_RETURNS} for one order")
    return [_return(node, order_id, po, order.currency) for node in found]


def _return(node: _Node, order_id: str, po: str, currency: str | None) -> Return:
    status = node.need_text("status")
    lines = [_line(line) for line in node.children("returnLineItems", required=True)]
    if not lines:
        node.fail("returnLineItems", "no lines")
    return Return(
        channel="",
        return_id=node.need_numeric_id("id", "Return"),
        rma_number=node.text("name"),
        po_number=po,
        external_id=order_id,
        status=STATUSES.get(status) or node.fail("status", f"{status!r} is not a return status crossdock knows"),
        currency=currency,
        lines=lines,
    )


def _line(node: _Node) -> ReturnLine:
    fulfilled = node.child("fulfillmentLineItem") or node.fail("fulfillmentLineItem", "missing")
    item = fulfilled.child("lineItem") or fulfilled.fail("lineItem", "missing")
    quantity = node.quantity("quantity")
    if quantity <= 0:
        node.fail("quantity", f"{quantity}: not above 0")
    words = " ".join(t for t in (node.text("returnReasonNote"), node.text("customerNote")) if t)
    return ReturnLine(
        line_number=item.need_numeric_id("id", "LineItem"),
        sku=item.text("sku"),
        quantity=quantity,
        reason=REASONS.get(node.text("returnReason") or "", "other"),
        reason_text=words[:REASON_TEXT] or None,
        channel_line_id=node.need_text("id"),
        unit_price=item.money("originalUnitPriceSet", "", ""),
    )


def marker(refund: Refund) -> str:
    """What marks Shopify's record of this refund: the refund's note."""
    return f"[crossdock refund {refund.refund_id}]"


def already_done(refund: Refund, state: Mapping[str, Any]) -> bool:
    """Whether the order (``CANCEL_STATE_QUERY``'s ``order``) shows this refund made: a refund with its marker."""
    node = _Node(state, "order", f"order {refund.external_id}", False)
    return any(marker(refund) in (r.text("note") or "") for r in node.children("refunds"))


def refund_lines(refund: Refund) -> list[dict[str, Any]]:
    """``RefundLineItemInput`` for each refunded line, by its Shopify line item id, in whole units."""
    where = f"shopify refund {refund.refund_id} of order {refund.po_number}"
    out = []
    for line in refund.lines:
        match = _GID.fullmatch(line.line_number or "")
        key = match.group(2) if match else (line.line_number or "").strip()
        if not key.isdecimal():
            raise ValueError(f"{where}: {line.line_number!r} is not a Shopify line item id")
        if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
            raise ValueError(f"{where}: line {key}: {line.quantity} is not a whole quantity")
        restock = "RETURN" if line.restock else "NO_RESTOCK"
        out.append(
            {"lineItemId": f"gid://shopify/LineItem/{key}", "quantity": int(line.quantity), "restockType": restock}
        )
    if not out:
        raise ValueError(f"{where}: no lines")
    return out


def bounded(refund: Refund, transactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The suggested transactions, refused when they pay back more than the refund's lines were paid: Shopify's
    suggestion may hold shipping or duties crossdock was not asked to refund."""
    if any(line.amount is None for line in refund.lines):
        return transactions
    most = sum((line.amount or Decimal(0) for line in refund.lines), Decimal(0))
    total = sum((Decimal(t["amount"]) for t in transactions), Decimal(0))
    if total > most:
        raise ValueError(
            f"shopify refund {refund.refund_id}: Shopify suggests {total}, more than the {most} paid for the "
            "returned units: refund it in Shopify"
        )
    return transactions


def refund_create(
    refund: Refund, lines: list[dict[str, Any]], transactions: list[dict[str, Any]], *, notify: bool
) -> dict[str, Any]:
    """The variables of ``REFUND_CREATE``."""
    note = f"{refund.note or ''} {marker(refund)}".strip()
    made: dict[str, Any] = {
        "orderId": f"gid://shopify/Order/{refund.external_id}",
        "note": note,
        "notify": notify,
        "refundLineItems": lines,
    }
    if transactions:
        made["transactions"] = transactions
    return {"input": made}


def return_gid(refund: Refund) -> str:
    if not refund.return_id.isdecimal():
        raise ValueError(f"shopify refund {refund.refund_id}: {refund.return_id!r} is not a Shopify return id")
    return f"gid://shopify/Return/{refund.return_id}"
