"""eBay: what crossdock sends back to a seller account: shipping fulfilments (Sell Fulfillment API), order
cancellations (Post-Order API) and refunds of cancelled lines (Sell Fulfillment API).

- ``POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment`` (201, ``Location`` ending in the fulfilment
  id, which is the tracking number when one was sent), one per package with that package's lines. No idempotency
  key: ``GET /order/{orderId}/shipping_fulfillment`` first, and a package already there is not sent again.
- A cancellation reads the order first (``GET /order/{orderId}``, the only call that fills
  ``cancelStatus.cancelRequests``): eBay shows it cancelled, or a seller's cancellation under way: done. A buyer's
  request waiting for the seller is approved (``POST /post-order/v2/cancellation/{cancelId}/approve``); otherwise
  ``POST /post-order/v2/cancellation`` with ``legacyOrderId``, ``cancelReason``, ``buyerPaid`` and
  ``buyerPaidDate`` [docs post-order_v2_cancellation__post]. eBay cancels whole orders only [docs
  post-order cancellation check_eligibility]: a cancellation of some lines refunds them instead (``POST
  /sell/fulfillment/v1/order/{orderId}/issue_refund`` with line-item amounts, ``mappings/ebay_cancel.py``), only
  what the order just read does not show refunded already, so a resend refunds nothing twice; a refund eBay
  refuses is permanent, with eBay's words. A whole-order cancellation of an order with a shipment is refused. A
  cancellation made by this sink (its ``cancellation_id``) is not made again while the process runs; once made
  eBay shows it under way, so a later send finds it done.

The Post-Order API takes the OAuth user token as ``Authorization: IAF <token>`` and the marketplace in
``X-EBAY-C-MARKETPLACE-ID`` [unverified: the header scheme, and the seller cancel reasons below, are from eBay's
Post-Order reference as recalled; its pages in the index name the call, the body fields and the marketplace
header only].
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

import httpx

from crossdock.connectors import ebay_returns, ebay_stock
from crossdock.connectors.channel import ChannelSink
from crossdock.connectors.ebay import FULFILLMENT
from crossdock.connectors.ebay_client import Api
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Cancellation, Reason
from crossdock.core.returns.models import Refund
from crossdock.core.stock.models import StockPush
from crossdock.mappings import ebay as mapping
from crossdock.mappings import ebay_cancel as cancel_mapping

CANCELLATION = "/post-order/v2/cancellation"
# Cancellation reason -> Post-Order CancelReasonEnum, the seller's values [unverified]
CANCEL_REASONS: dict[Reason, str] = {
    "out_of_stock": "OUT_OF_STOCK_OR_CANNOT_FULFILL",
    "buyer_request": "BUYER_ASKED_CANCEL",
    "address": "ADDRESS_ISSUES",
    "fraud": "OUT_OF_STOCK_OR_CANNOT_FULFILL",
    "merchant": "OUT_OF_STOCK_OR_CANNOT_FULFILL",
    "other": "OUT_OF_STOCK_OR_CANNOT_FULFILL",
}
PAID = frozenset({"PAID", "PARTIALLY_REFUNDED"})


class EbaySink(ChannelSink[EbaySourceConfig, Api]):
    """Fulfilments (one shipping fulfilment per package, each sent once), whole-order cancellations, and refunds of
    cancelled lines."""

    channel = "ebay"

    def __init__(self, name: str, config: EbaySourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(name, config, transport)
        self._made: dict[str, str] = {}  # cancellation id -> eBay's cancelId, while this process runs
        self._lock = threading.Lock()

    def _connect(self, transport: httpx.BaseTransport | None) -> Api:
        return Api(self.name, self.config, transport)

    def _stock(self, push: StockPush) -> str:
        return ebay_stock.push(self._api, self.name, self.config, push)

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        order_id = self._order_id(fulfilment, "eBay order id")
        try:
            bodies = mapping.shipping_fulfillments(fulfilment)
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        path = f"{FULFILLMENT}/order/{urllib.parse.quote(order_id, safe='')}/shipping_fulfillment"
        existing, _ = self._api.call("GET", path)
        said = []
        for body in bodies:  # a package already there (an earlier, interrupted send) is not posted again
            done = _already(existing, body)
            if done is not None:
                said.append(f"{done} (already there)")
                continue
            _, headers = self._api.call("POST", path, json=body)
            made = (headers.get("Location") or "").rstrip("/").rsplit("/", 1)[-1]
            said.append(made or str(body.get("trackingNumber") or "created"))
        return f"ebay order {order_id}: fulfillment {', '.join(said)}"

    def _cancel(self, cancellation: Cancellation) -> str:
        where = f"ebay {self.name}"
        order_id = cancellation.external_id or cancellation.po_number
        with self._lock:
            made = self._made.get(cancellation.cancellation_id)
        if made is not None:
            return f"ebay order {order_id}: cancellation {made} already made"
        body, _ = self._api.call("GET", f"{FULFILLMENT}/order/{urllib.parse.quote(order_id, safe='')}")
        if not isinstance(body, dict) or not body.get("orderId"):
            raise TransientError(f"{where}: order {order_id} is not an order object")
        found = body.get("cancelStatus")
        status: dict[str, Any] = found if isinstance(found, dict) else {}
        state = status.get("cancelState")
        requests = [r for r in status.get("cancelRequests") or [] if isinstance(r, dict)]
        if state == "CANCELED":
            return f"ebay order {order_id}: already cancelled"
        waiting = [r for r in requests if r.get("cancelRequestState") == "REQUESTED" and r.get("cancelRequestId")]
        if state == "IN_PROGRESS" and not waiting:
            return f"ebay order {order_id}: a cancellation is already under way"
        if not _whole(cancellation, body):
            return self._refund_lines(order_id, body, cancellation)
        if body.get("orderFulfillmentStatus") in ("IN_PROGRESS", "FULFILLED"):
            raise PermanentError(f"{where}: order {order_id} has a shipment: eBay takes no cancellation now")
        headers = {"X-EBAY-C-MARKETPLACE-ID": self.config.marketplace_id}
        if waiting:
            cancel_id = str(waiting[0]["cancelRequestId"])
            path = f"{CANCELLATION}/{urllib.parse.quote(cancel_id, safe='')}/approve"
            self._api.call("POST", path, scheme="IAF", headers=headers)
            said = f"the buyer's cancellation {cancel_id} approved"
        else:
            answer, _ = self._api.call(
                "POST", CANCELLATION, scheme="IAF", headers=headers, json=_request(body, cancellation)
            )
            cancel_id = str(answer.get("cancelId") or "") if isinstance(answer, dict) else ""
            if not cancel_id:
                raise PermanentError(f"{where}: order {order_id}: eBay made no cancellation: {answer!r:.300}")
            said = f"cancellation {cancel_id} made"
        with self._lock:
            self._made[cancellation.cancellation_id] = cancel_id
        return f"ebay order {order_id}: {said}"

    def _refund(self, refund: Refund) -> str:
        return ebay_returns.send_refund(self._api, self.name, self.config.marketplace_id, refund)

    def _refund_lines(self, order_id: str, order: Mapping[str, Any], cancellation: Cancellation) -> str:
        """Lines that will not ship, refunded (eBay cancels whole orders only): what the order (just read) shows
        refunded of them is not refunded again (``mappings/ebay_cancel.py``), then one ``issue_refund``."""
        where = f"ebay {self.name}: order {order_id}: cancellation {cancellation.cancellation_id}"
        body = cancel_mapping.refund_request(order, cancellation, where)
        if body is None:
            return f"ebay order {order_id}: the cancelled lines are refunded already"
        path = f"{FULFILLMENT}/order/{urllib.parse.quote(order_id, safe='')}/issue_refund"
        made, _ = self._api.call("POST", path, json=body)
        status = made.get("refundStatus") if isinstance(made, dict) else None
        if status == "FAILED" or not isinstance(made, dict) or not made.get("refundId"):
            raise PermanentError(f"{where}: eBay refused the refund ({str(made)[:300]}): refund the lines on eBay")
        said = ", ".join(f"{i['lineItemId']} {i['refundAmount']['value']}" for i in body["refundItems"])
        return f"ebay order {order_id}: refund {made['refundId']} {str(status or 'issued').lower()} ({said})"


def _whole(cancellation: Cancellation, order: Mapping[str, Any]) -> bool:
    """Whether the cancellation takes the whole order: said so, or every line item at its whole quantity."""
    if cancellation.whole_order:
        return True
    asked: dict[str, int] = {}
    for line in cancellation.lines:
        asked[line.line_number or ""] = asked.get(line.line_number or "", 0) + int(line.quantity)
    items = [i for i in order.get("lineItems") or [] if isinstance(i, dict)]
    return bool(items) and all(asked.get(str(i.get("lineItemId")), 0) >= int(i.get("quantity") or 0) for i in items)


def _request(order: Mapping[str, Any], cancellation: Cancellation) -> dict[str, Any]:
    """The Post-Order ``CreateCancelRequest``: the legacy order id, the reason, and whether (and when) the buyer
    paid, so eBay refunds what was paid."""
    body: dict[str, Any] = {
        "legacyOrderId": order.get("legacyOrderId") or order.get("orderId"),
        "cancelReason": CANCEL_REASONS[cancellation.reason],
        "buyerPaid": order.get("orderPaymentStatus") in PAID,
    }
    summary = order.get("paymentSummary")
    payments = summary.get("payments") if isinstance(summary, dict) else None
    paid_at = next((p.get("paymentDate") for p in payments or [] if isinstance(p, dict) and p.get("paymentDate")), None)
    if body["buyerPaid"] and isinstance(paid_at, str):
        body["buyerPaidDate"] = {"value": paid_at}
    return body


def _already(existing: Any, body: Mapping[str, Any]) -> str | None:
    """The id of a fulfilment already on the order for this package: the same tracking number, or, without one,
    the same line items and quantities with no tracking either."""
    found = existing.get("fulfillments") if isinstance(existing, dict) else None
    lines = sorted((str(x["lineItemId"]), str(x["quantity"])) for x in body["lineItems"])
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, dict):
            continue
        number = item.get("shipmentTrackingNumber")
        fid = str(item.get("fulfillmentId") or number or "")
        if "trackingNumber" in body:
            if body["trackingNumber"] in (number, item.get("fulfillmentId")):
                return fid
            continue
        theirs = item.get("lineItems")
        if not number and isinstance(theirs, list):
            pairs = sorted((str(x.get("lineItemId")), str(x.get("quantity"))) for x in theirs if isinstance(x, dict))
            if pairs == lines:
                return fid
    return None
