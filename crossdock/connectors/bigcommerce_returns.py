"""BigCommerce returns: refunds marked as returns read in the order poll, and refunds sent back by the v3
payment actions (a quote, then the refund).

BigCommerce has no return object crossdock relies on (channel-lifecycle.md §3): with ``returns: {read: true}``, an order
the poll reads that shows money refunded (``refunded_amount`` above zero) has its refunds read (``GET
/v3/orders/<id>/payment_actions/refunds``), and each whose ``reason`` starts with ``return_prefix`` becomes one
document of kind ``return`` (``mappings/bigcommerce_returns.py``), its identity the refund's id. A refund
changes the order (its status and ``refunded_amount``), so the order's new version brings the poll to it
[unverified: that it moves ``date_modified``].

A Refund back reads the order's refunds first: one whose reason carries crossdock's refund id is done, so a
refund sent again pays nothing twice; a return whose own refund paid money when it was recorded is refunded
already. Then a quote, and the refund with the first refund method that pays back
online. A ``close`` changes nothing at BigCommerce: there is no return to close.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.mappings import bigcommerce_returns as mapping

if TYPE_CHECKING:
    from crossdock.connectors.bigcommerce import _Store

REFUNDS = "/v3/orders/{order_id}/payment_actions/refunds"
QUOTES = "/v3/orders/{order_id}/payment_actions/refund_quotes"


def return_inbounds(api: _Store, order: dict[str, Any], prefix: str) -> list[Inbound]:
    """A document for each refund of ``order`` marked as a return; none when the order shows nothing refunded."""
    try:
        refunded = Decimal(str(order.get("refunded_amount") or "0"))
    except InvalidOperation:
        refunded = Decimal(0)
    if refunded <= 0:
        return []
    order_id = int(order["id"])
    answer = api.call("GET", REFUNDS.format(order_id=order_id))
    found = answer.get("data") if isinstance(answer, dict) else None
    marked = prefix.strip().casefold()
    currency = order.get("default_currency_code") or order.get("currency_code")
    documents = []
    for refund in found if isinstance(found, list) else []:
        said = refund.get("reason") if isinstance(refund, dict) else None
        if not isinstance(said, str) or not said.strip().casefold().startswith(marked) or mapping.is_ours(refund):
            continue  # not marked as a return, or crossdock's own refund for one
        document = {"order": {"id": order_id, "currency": currency}, "refund": refund}
        data = json.dumps(document, default=str, separators=(",", ":")).encode("utf-8")
        documents.append(
            Inbound(
                name=f"bigcommerce-return-{refund.get('id')}.json",
                data=data,
                identity=f"bigcommerce:return:{order_id}:{refund.get('id')}",
                kind="return",
            )
        )
    return documents


def send_refund(api: _Store, who: str, refund: Refund) -> str:
    """The refund made once (quote, then refund); what was done."""
    order_id = refund.external_id or refund.po_number
    where = f"bigcommerce {who}: order {order_id}, refund {refund.refund_id}"
    if not order_id.isdigit():
        raise PermanentError(f"{where}: no BigCommerce order id")
    said = f"bigcommerce order {order_id}: return {refund.return_id}"
    if refund.action == "close":
        return f"{said}: nothing to close at BigCommerce (no return object)"
    refunds = api.call("GET", REFUNDS.format(order_id=order_id))
    if mapping.already_made(refund, refunds):
        return f"{said}: refund already made"
    paid = mapping.paid_when_recorded(refund, refunds)
    if paid is not None:
        return f"{said}: refunded already ({paid}) by the refund that recorded the return"
    try:
        quote = api.call("POST", QUOTES.format(order_id=order_id), json=mapping.quote_request(refund))
        body = mapping.refund_request(refund, quote)
    except DecodeError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    made = api.call("POST", REFUNDS.format(order_id=order_id), json=body)
    data = made.get("data") if isinstance(made, dict) else None
    refund_id = data.get("id") if isinstance(data, dict) else "?"
    total = sum((Decimal(p["amount"]) for p in body["payments"]), Decimal(0))
    return f"{said}: refund {refund_id} of {total} ({', '.join(p['provider_id'] for p in body['payments'])})"
