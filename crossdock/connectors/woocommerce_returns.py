"""WooCommerce returns: refunds marked as returns read in the order poll, and refunds (or closes) sent back.

Core WooCommerce has no return object (channel-lifecycle.md §2): a return is a refund of the lines coming back
whose ``reason`` starts with the source's ``return_prefix``. The poll already reads an order's refunds
(``GET /orders/<id>/refunds``) when the order lists any, and a new refund changes the order's
``date_modified_gmt`` [unverified: WooCommerce saves the order with its refund], so with ``returns: {read: true}``
each such refund of an order the poll reads becomes one document of kind ``return``
(``mappings/woocommerce_returns.py`` reads it), its identity the refund's id: a refund is never edited, so it is
stored once.

A Refund back reads the order and its refunds first: a part already made (found by its ``crossdock_refund``
meta) is not made again, so a send repeated after a crash refunds nothing twice. A ``close`` is a private note,
posted once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.mappings import woocommerce_returns as mapping

if TYPE_CHECKING:
    from crossdock.connectors.woocommerce import _Store

API = "/wp-json/wc/v3/"
_LINE_KEYS = ("id", "sku", "product_id", "variation_id", "quantity")


def return_inbounds(order: Mapping[str, Any], prefix: str) -> Iterator[Inbound]:
    """A document for each refund of ``order`` (merged with its refunds' records) marked as a return."""
    refunds = order.get("refunds")
    marked = prefix.strip().casefold()
    for refund in refunds if isinstance(refunds, list) else []:
        if not isinstance(refund, dict) or not refund.get("line_items") or mapping.is_ours(refund):
            continue  # crossdock's own refund for a return is not another return
        said = refund.get("reason")
        if not isinstance(said, str) or not said.strip().casefold().startswith(marked):
            continue
        lines = order.get("line_items")
        document = {
            "order": {
                "id": order.get("id"),
                "number": order.get("number"),
                "currency": order.get("currency"),
                "line_items": [
                    {k: line.get(k) for k in _LINE_KEYS if k in line}
                    for line in (lines if isinstance(lines, list) else [])
                    if isinstance(line, dict)
                ],
            },
            "refund": refund,
        }
        data = json.dumps(document, default=str, separators=(",", ":")).encode("utf-8")
        refund_id = refund.get("id")
        yield Inbound(
            name=f"woocommerce-return-{refund_id}.json",
            data=data,
            identity=f"woocommerce:return:{order.get('id')}:{refund_id}",
            kind="return",
        )


def send_refund(api: _Store, who: str, refund: Refund, *, api_refund: bool) -> str:
    """The Refund made on WooCommerce (each part once), or the return closed by a note; what was done."""
    order_id = refund.external_id or ""
    where = f"woocommerce {who}: order {order_id} ({refund.po_number}), refund {refund.refund_id}"
    if not order_id.isdecimal():
        raise PermanentError(f"{where}: no WooCommerce order id")
    said = f"woocommerce order {order_id}: return {refund.return_id}"
    if refund.action == "close":
        note = mapping.close_note(refund)
        notes, _ = api.call("GET", f"{API}orders/{order_id}/notes")
        if any(isinstance(n, dict) and n.get("note") == note["note"] for n in notes or []):
            return f"{said} already closed"
        api.call("POST", f"{API}orders/{order_id}/notes", json=note)
        return f"{said} closed"
    order, _ = api.call("GET", f"{API}orders/{order_id}")
    refunds, _ = api.call("GET", f"{API}orders/{order_id}/refunds", params={"per_page": "100"})
    if not isinstance(order, dict) or not isinstance(refunds, list):
        raise TransientError(f"{where}: the order or its refunds are not what the API gives")
    try:
        bodies = mapping.refund_bodies(refund, order, api_refund=api_refund)
    except DecodeError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    paid = mapping.paid_when_recorded(refund, refunds)
    if paid is not None:
        return f"{said}: refunded already ({paid}) by the refund that recorded the return"
    made = mapping.already_made(refund, refunds)
    done = []
    for marker, body in bodies:
        if marker in made:
            done.append(f"{marker} already made")
            continue
        answer, _ = api.call("POST", f"{API}orders/{order_id}/refunds", json=body)
        done.append(f"refund {answer.get('id') if isinstance(answer, dict) else '?'} of {body['amount']}")
    return f"{said}: {', '.join(done) or 'nothing to refund'}"
