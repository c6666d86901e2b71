"""Shopify returns in and refunds out, for the Shopify source and sink (``connectors/shopify.py`` calls these).

In (``returns: {read: true}``): an order the poll reads whose ``returnStatus`` is not ``NO_RETURN`` has its
returns read (``RETURNS_QUERY``) and stored as one document of kind ``return`` (``mappings/shopify_returns.py``
reads it); its identity is the order with a digest of its returns, so each new state of them is stored once.
Out: a ``Refund`` is ``refundCreate`` for the received units with the transactions Shopify suggests (never more
than was paid for them), or, with ``returns: {action: close}``, ``returnClose``; both done once (the refund's
marker in its note, a return closed).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.mappings import shopify_cancel as cancelling
from crossdock.mappings import shopify_graphql as graphql
from crossdock.mappings import shopify_returns as mapping

NO_RETURN = (None, "NO_RETURN")
ORDERS_QUERY = graphql.ORDERS_QUERY.replace("displayFulfillmentStatus", "displayFulfillmentStatus returnStatus", 1)
"""The poll's orders query with each order's ``returnStatus``, for a source with ``returns: {read: true}`` (the
app needs the ``read_returns`` scope for it, which an app set up for orders alone may not have)."""

_MONEY = "shopMoney { amount currencyCode }"
RETURNS_QUERY = f"""query OrderReturns($id: ID!) {{
  order(id: $id) {{
    id name currencyCode
    returns(first: {mapping.MAX_RETURNS}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{
      id name status
      returnLineItems(first: 50) {{ pageInfo {{ hasNextPage endCursor }} nodes {{
        ... on ReturnLineItem {{
          id quantity returnReason returnReasonNote customerNote
          fulfillmentLineItem {{ lineItem {{ id sku originalUnitPriceSet {{ {_MONEY} }} }} }}
        }}
      }} }}
    }} }}
  }}
}}"""
"""An order's returns with their lines (the line item each comes from, its SKU and price); ``order`` is null
when unknown. More than one page of either is refused by the mapping, not cut."""

RETURN_CLOSE = """mutation ReturnClose($id: ID!) {
  returnClose(id: $id) {
    return { id status }
    userErrors { field message }
  }
}"""


class Api(Protocol):
    def query(self, operation: str, text: str, variables: dict[str, Any]) -> dict[str, Any]: ...


def return_inbounds(shop: Api, order: dict[str, Any]) -> list[Inbound]:
    """The order's returns as one ``return`` document, when the order says it has any."""
    if order.get("returnStatus") in NO_RETURN or not isinstance(order.get("id"), str):
        return []
    found = shop.query("OrderReturns", RETURNS_QUERY, {"id": order["id"]}).get("order")
    if not isinstance(found, dict):
        return []
    returns = found.pop("returns", None)
    document = {"order": found, "returns": returns}
    data = json.dumps(document, default=str, separators=(",", ":")).encode("utf-8")
    order_id = str(order["id"]).rsplit("/", 1)[-1]
    digest = hashlib.sha256(data).hexdigest()[:16]
    return [
        Inbound(
            name=f"shopify-order-{order_id}-returns.json",
            data=data,
            identity=f"shopify:returns:{order_id}:{digest}",
            kind="return",
        )
    ]


def send_refund(api: Api, where: str, refund: Refund, *, notify: bool) -> str:
    """Tell the shop: refund the received units, or close the return; what it did, in a line."""
    said = f"shopify order {refund.external_id}: {refund.action} {refund.refund_id}"
    try:
        if refund.action == "close":
            answer = api.query("ReturnClose", RETURN_CLOSE, {"id": mapping.return_gid(refund)}).get("returnClose")
            answer = answer or {}
            _refused(where, "returnClose", answer.get("userErrors"))
            return f"{said}: return closed"
        gid = f"gid://shopify/Order/{refund.external_id}"
        state = api.query("OrderCancelState", graphql.CANCEL_STATE_QUERY, {"id": gid}).get("order")
        if not isinstance(state, dict):
            raise PermanentError(f"{where}: no such order")
        if mapping.already_done(refund, state):
            return f"{said} already made"
        lines = mapping.refund_lines(refund)
        found = api.query("OrderSuggestedRefund", graphql.SUGGESTED_REFUND_QUERY, {"id": gid, "lines": lines})
        suggested = (found.get("order") or {}).get("suggestedRefund")
        transactions = cancelling.refund_transactions(gid, suggested) if isinstance(suggested, dict) else []
        variables = mapping.refund_create(refund, lines, mapping.bounded(refund, transactions), notify=notify)
    except (ValueError, DecodeError) as exc:
        raise PermanentError(f"{where}: {exc}") from None
    answer = api.query("RefundCreate", graphql.REFUND_CREATE, variables).get("refundCreate") or {}
    _refused(where, "refundCreate", answer.get("userErrors"))
    return f"{said}: {len(lines)} line(s) refunded as {(answer.get('refund') or {}).get('id', '?')}"


def _refused(where: str, mutation: str, errors: Any) -> None:
    problems = [e for e in errors or [] if isinstance(e, dict)]
    if problems:
        said = "; ".join(
            f"{'.'.join(str(x) for x in e.get('field') or [])}: {e.get('message')}".lstrip(": ") for e in problems
        )
        raise PermanentError(f"{where}: {mutation} refused: {said}")
