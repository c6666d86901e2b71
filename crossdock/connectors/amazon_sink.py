"""Amazon Selling Partner API: what crossdock sends back to a seller account: shipments (v0 ``confirmShipment``),
cancellations (the order acknowledgement feed) and refunds (the order adjustment feed, ``amazon_feeds``).

- ``POST /orders/v0/orders/{orderId}/shipmentConfirmation`` (2026-01-01 has none), 204 and no body, one call per
  package with that package's lines. Sending the same ``packageReferenceId`` again edits that package [docs
  confirm-the-shipment-status], and the mapping derives it from the shipment id, so a repeated send is safe.
  When Amazon refuses the call (400), the order is read: shipped already, or carrying this tracking number,
  counts as done; otherwise Amazon's own error stands.
- A cancellation: the 2026-01-01 model has no cancel operation, so it is a ``POST_ORDER_ACKNOWLEDGEMENT_DATA``
  feed with ``StatusCode`` ``Failure`` [docs order-feed-type-values, channel-lifecycle.md §4]: ``POST
  /feeds/2021-06-30/documents`` gives a pre-signed URL, the XML goes there by PUT, and ``POST
  /feeds/2021-06-30/feeds`` submits it (processed later, asynchronously). The order is read first: an order
  Amazon shows cancelled, or items it shows cancelled, are not sent again; nothing is cancelled once any item of
  the order shipped (never send Failure after a shipment [unverified]: it is refused, naming the items); the feed
  cancels whole items. Part of an item, or units not shipped of an order partly shipped, are cancelled by the
  order adjustment feed instead (``POST_PAYMENT_ADJUSTMENT_DATA``, ``QuantityCancelled``), which takes only a
  stock-out (``NoInventory``) or the buyer's request (``BuyerCanceled``) [third-party descriptions, unverified];
  any other reason is refused, naming the item. A cancellation this sink submitted (its ``cancellation_id``) is
  not submitted again while the process runs; neither feed's processing report is read back.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import httpx

from crossdock.connectors import amazon_feeds as feeds
from crossdock.connectors import amazon_stock
from crossdock.connectors.amazon import ORDERS, _Api, _errors
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.channel import ChannelSink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.returns.models import Refund, RefundCheck
from crossdock.core.stock.models import FeedCheck, StockPush
from crossdock.mappings import amazon_adjustments as adjustments
from crossdock.mappings import amazon_requests as requests

CONFIRM = "/orders/v0/orders/{order_id}/shipmentConfirmation"


class AmazonSink(ChannelSink[AmazonSourceConfig, _Api]):
    """A Fulfilment back to Amazon: one ``confirmShipment`` per package; a Cancellation: one acknowledgement feed; a
    Refund: one order adjustment feed, read back by its ``refund-check``."""

    channel = "amazon"

    def __init__(self, name: str, config: AmazonSourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(name, config, transport)
        self._made: dict[str, str] = {}  # cancellation id -> feed id, while this process runs
        self._lock = threading.Lock()

    def _connect(self, transport: httpx.BaseTransport | None) -> _Api:
        return _Api(self.name, self.config, transport)

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        order_id = self._order_id(fulfilment)
        marketplace = self._marketplace(order_id)
        try:
            bodies = requests.confirm_shipment_requests(fulfilment, marketplace_id=marketplace)
        except ValueError as exc:
            raise PermanentError(f"amazon {self.name}: {exc}") from None
        return "; ".join(self._confirm(order_id, body) for body in bodies)

    def _stock(self, push: StockPush) -> str:
        return amazon_stock.push(self._api, self.name, self.config, push)

    def _stock_check(self, check: FeedCheck) -> str:
        return amazon_stock.check(self._api, self.name, self.config, check)

    def _cancel(self, cancellation: Cancellation) -> str:
        where = f"amazon {self.name}"
        order_id = cancellation.external_id or cancellation.po_number
        with self._lock:
            made = self._made.get(cancellation.cancellation_id)
        if made is not None:
            return f"amazon order {order_id}: cancellation already submitted (feed {made})"
        if not self.config.merchant_id:
            raise PermanentError(f"{where}: set merchant_id to cancel on Amazon; cancel order {order_id} there by hand")
        order = self._order(order_id, "FULFILLMENT,CANCELLATION")
        fulfillment = order.get("fulfillment")
        state = fulfillment.get("fulfillmentStatus") if isinstance(fulfillment, dict) else None
        if state == "CANCELLED":
            return f"amazon order {order_id}: already cancelled"
        items = {str(i.get("orderItemId")): i for i in order.get("orderItems") or [] if isinstance(i, dict)}
        problems: list[str] = []
        asked: dict[str, int | None] = {}
        if cancellation.whole_order:
            asked = dict.fromkeys(items)
        else:
            for line in cancellation.lines:
                item_id = line.line_number or _by_sku(items, line.product_ids.get("SK"))
                if item_id not in items:
                    problems.append(f"{line.line_number or line.product_ids.get('SK') or 'a line'} is not an item")
                    continue
                asked[item_id] = int(line.quantity)
        wanted: list[str] = []
        part: dict[str, int] = {}  # item -> units not shipped to cancel by the order adjustment feed
        shipped = [i for i, item in items.items() if _count(item.get("fulfillment"), "quantityFulfilled")]
        after = bool(shipped) or state in ("PARTIALLY_SHIPPED", "SHIPPED")
        parts = cancellation.reason in adjustments.CANCEL_REASONS
        for item_id, quantity in asked.items():
            item = items[item_id]
            if _cancelled(item):
                continue
            ordered = _count(item, "quantityOrdered")
            left = ordered - _count(item.get("fulfillment"), "quantityFulfilled")
            if (quantity is None or quantity >= ordered) and not after:
                wanted.append(item_id)
            elif parts and quantity is not None and 0 < quantity <= left:
                part[item_id] = quantity
            elif quantity is None or quantity >= ordered:
                problems.append(
                    f"item {item_id}: Amazon takes no cancel of a whole item once an item of the order shipped; "
                    "cancel its units not shipped (for a stock-out or the buyer's request) or refund on Amazon"
                )
            else:
                problems.append(
                    f"item {item_id}: {quantity} of {ordered} units ({left} not shipped): Amazon cancels part of an "
                    "item only for a stock-out or the buyer's request, and only units not shipped; ship the rest "
                    f"and refund those {quantity} on Amazon, or cancel the whole item there"
                )
        if after and cancellation.whole_order:
            problems = [
                f"item(s) {', '.join(shipped) or 'of it'} shipped: Amazon takes no cancel of an order once an "
                "item shipped; refund the rest on Amazon"
            ]
        if problems:
            raise PermanentError(
                f"{where}: order {order_id}, cancellation {cancellation.cancellation_id}: " + "; ".join(problems)
            )
        said: list[str] = []
        feeds_made: list[str] = []
        if wanted:
            feeds_made.append(self._submit(order_id, wanted, cancellation))
            said.append(f"feed {feeds_made[-1]} cancels item(s) {', '.join(wanted)}")
        if part:
            feeds_made.append(self._part(order_id, {i: (q, items[i]) for i, q in part.items()}, cancellation))
            units = ", ".join(f"{q} unit(s) of item {i}" for i, q in part.items())
            said.append(f"feed {feeds_made[-1]} cancels {units}")
        if feeds_made:
            with self._lock:
                self._made[cancellation.cancellation_id] = ", ".join(feeds_made)
        return f"amazon order {order_id}: {'; '.join(said) or 'nothing left to cancel'}"

    def _part(self, order_id: str, units: dict[str, tuple[int, dict[str, Any]]], cancellation: Cancellation) -> str:
        """The order adjustment feed cancelling units not shipped: ``QuantityCancelled`` per item, with the price of
        those units (``product.price.unitPrice``) as its ``Principal``."""
        priced: dict[str, tuple[int, Decimal, Decimal]] = {}
        currencies = set()
        for item_id, (quantity, item) in units.items():
            product = item.get("product")
            price = product.get("price") if isinstance(product, dict) else None
            unit = price.get("unitPrice") if isinstance(price, dict) else None
            amount = unit.get("amount") if isinstance(unit, dict) else None
            try:
                each = Decimal(str(amount))
                if not each.is_finite() or each <= 0:
                    raise ArithmeticError
            except ArithmeticError:
                raise PermanentError(
                    f"amazon {self.name}: order {order_id}, item {item_id}: no unit price to cancel part of it by"
                ) from None
            currencies.add(str(unit.get("currencyCode") or "") if isinstance(unit, dict) else "")
            priced[item_id] = (quantity, (each * quantity).quantize(Decimal("0.01")), Decimal(0))
        try:
            content = adjustments.cancel_feed(
                order_id, priced, cancellation.reason, cancellation_id=cancellation.cancellation_id,
                currency=currencies.pop() if len(currencies) == 1 else "", merchant_id=self.config.merchant_id or "",
            )  # fmt: skip
        except ValueError as exc:
            raise PermanentError(f"amazon {self.name}: {exc}") from None
        where = f"amazon {self.name}: order {order_id}"
        return feeds.submit(self._api, where, adjustments.ADJUSTMENT_FEED, content, adjustments.FEED_CONTENT_TYPE,
                            self._marketplace(order_id))  # fmt: skip

    def _refund(self, refund: Refund) -> str:
        """A refund: one ``POST_PAYMENT_ADJUSTMENT_DATA`` feed (``amazon_feeds``), its report read back later by a
        ``refund-check``. Once the outbox records it, the feed id is on the delivery (its remote reference) and
        the delivery is not sent again; sent again after a crash before that, the feed carries the same
        ``MerchantAdjustmentItemID``s. A close has nothing to do at Amazon: a return closes there once refunded."""
        order_id = refund.external_id or refund.po_number
        if refund.action == "close":
            return f"amazon order {order_id}: return {refund.return_id}: nothing to close"
        content = feeds.refund_content(self.name, self.config, refund)
        return feeds.refund(self._api, self.name, content, refund, self._marketplace(order_id))

    def _refund_check(self, check: RefundCheck) -> str:
        order_id = check.refund.external_id or check.refund.po_number
        return feeds.check(self._api, self.name, self.config, check, lambda: self._marketplace(order_id))

    def _submit(self, order_id: str, items: list[str], cancellation: Cancellation) -> str:
        """The acknowledgement feed: a document made, its XML uploaded, the feed created; its id."""
        try:
            content = requests.cancel_feed(
                order_id, items, cancellation.reason, merchant_id=self.config.merchant_id or ""
            )
        except ValueError as exc:
            raise PermanentError(f"amazon {self.name}: {exc}") from None
        where = f"amazon {self.name}: order {order_id}"
        marketplace = self._marketplace(order_id)
        return feeds.submit(self._api, where, requests.ACKNOWLEDGEMENT_FEED, content, requests.FEED_CONTENT_TYPE,
                            marketplace)  # fmt: skip

    def _confirm(self, order_id: str, body: dict[str, Any]) -> str:
        """One package confirmed; sent again, Amazon edits the same package (its reference is stable)."""
        package = body["packageDetail"]
        path = CONFIRM.format(order_id=order_id)
        status, answer = self._api.call("confirmShipment", "POST", path, json=body, accept=(400,))
        done = f"amazon order {order_id}: package {package['packageReferenceId']} ({package['trackingNumber']})"
        if status != 400:
            return done
        refused = (
            f"amazon {self.name}: confirmShipment POST {path}: 400 {self._api.scrub(_errors(answer)) or 'refused'}"
        )
        order = self._order(order_id)
        fulfillment = order.get("fulfillment")
        state = fulfillment.get("fulfillmentStatus") if isinstance(fulfillment, dict) else None
        packages = order.get("packages")
        tracked = (
            [p.get("trackingNumber") for p in packages if isinstance(p, dict)] if isinstance(packages, list) else []
        )
        if package["trackingNumber"] in tracked:
            return f"{done}: already confirmed"
        if state == "SHIPPED":
            return f"{done}: the order was already shipped"
        raise PermanentError(f"{refused} (the order is {state or 'in an unknown state'})")

    def _marketplace(self, order_id: str) -> str:
        """The one configured marketplace, or the order's own when there are several."""
        if len(self.config.marketplace_ids) == 1:
            return self.config.marketplace_ids[0]
        channel = self._order(order_id).get("salesChannel")
        marketplace = channel.get("marketplaceId") if isinstance(channel, dict) else None
        if not isinstance(marketplace, str):
            raise PermanentError(f"amazon {self.name}: order {order_id} names no marketplace")
        return marketplace

    def _order(self, order_id: str, included: str = "FULFILLMENT,PACKAGES") -> dict[str, Any]:
        _, body = self._api.call("getOrder", "GET", f"{ORDERS}/{order_id}", params={"includedData": included})
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            raise TransientError(f"amazon {self.name}: getOrder {order_id}: the answer has no order")
        return order


def _by_sku(items: dict[str, dict[str, Any]], sku: str | None) -> str:
    for item_id, item in items.items():
        product = item.get("product")
        if sku and isinstance(product, dict) and product.get("sellerSku") == sku:
            return item_id
    return ""


def _cancelled(item: dict[str, Any]) -> bool:
    cancellation = item.get("cancellation")
    return isinstance(cancellation, dict) and isinstance(cancellation.get("cancellationExecution"), dict)


def _count(node: Any, key: str) -> int:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
