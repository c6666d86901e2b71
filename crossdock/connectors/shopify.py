"""Shopify (Admin GraphQL API): orders in by update time, fulfilments back through the order's fulfillment orders.

What this relies on (``../shared/docs/channel-apis.md`` §4, from Shopify's docs; [unverified] where it says so):

- ``POST <shop>/admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token``. Orders come from
  ``orders(sortKey: UPDATED_AT, query: "updated_at:>='…'")`` with Relay cursors; an order's lineItems (and
  shippingLines) page separately, so an order with more is completed before it is stored.
- Rate limits are a leaky bucket of query cost: every answer's ``extensions.cost.throttleStatus`` says what is
  left (``currentlyAvailable``) and how fast it comes back (``restoreRate``). The next query waits until the bucket
  holds what the last one of its kind asked for, so a poll slows down instead of running dry. A throttled query
  (``errors[].extensions.code == "THROTTLED"``, HTTP 200 or 429) is transient, with the wait the bucket implies
  (both in ``shopify_client.py``).
- Expiring offline tokens last an hour and come with a refresh token that rotates on every refresh
  (``shopify_tokens.py``); a 401 refreshes once and the call is made again.
- Webhooks carry ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(client secret, raw body)) and the topic in
  ``X-Shopify-Topic``; Shopify's Ruby library also accepts both names without ``X-``.
- ``fulfillmentCreate`` takes no idempotency key (its ``@idempotent`` directive covers other mutations) and HTTP
  200 does not mean success: ``userErrors`` are permanent and said as Shopify said them.
- A throttled poll waits for the bucket and goes on, up to ``throttle_wait`` seconds in all (``throttle.py``);
  a sink's throttled call is left to the outbox's retry.
- A cancellation back (``shopify_cancel``) reads the order's cancel state first (``cancelledAt``, its refunds'
  notes) so that one sent twice is made once: ``orderCancel`` for the whole order, else ``refundCreate`` for the
  lines with the transactions of the order's ``suggestedRefund`` (``cancel_refund``), restocked or not
  (``cancel_restock``).
- A fulfilment reads every page of the order's fulfillment orders, of their lineItems and of each existing
  fulfilment's fulfillmentLineItems. ``Order.fulfillments`` is a list cut at ``first``, not a connection: an order
  with as many as one read returns is refused, since what already shipped could be on the part not returned.

Tokens and secrets travel only in headers and the token request's body, and never appear in an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from crossdock.connectors import shopify_returns
from crossdock.connectors.channel import ChannelSink, ChannelSource, order_inbound
from crossdock.connectors.shopify_client import Shop
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.connectors.shopify_stock import push_stock
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.core.stock.models import StockPush
from crossdock.mappings import shopify as mapping
from crossdock.mappings import shopify_cancel as cancelling
from crossdock.mappings import shopify_fulfilment as fulfilling
from crossdock.mappings import shopify_graphql as graphql

# the webhook topics that name an order, and the key of their body that holds its id
ORDER_TOPICS = {"orders/create": "id", "orders/updated": "id", "orders/cancelled": "id", "refunds/create": "order_id"}


class ShopifySource(ChannelSource[ShopifySourceConfig, Shop]):
    """Every order updated since the last checkpoint (less the overlap), one document per order version."""

    def _connect(self) -> Shop:
        return Shop(self.name, self.config, self._transport, patience=self.config.throttle_wait)

    def order(self, order_id: str) -> Inbound:
        """One order read by id (numeric or GID): what a webhook's hint turns into."""
        try:
            gid = mapping.order_gid(order_id)
        except ValueError as exc:
            raise PermanentError(f"shopify {self.name}: {exc}") from None
        with self._connected() as shop:
            found = shop.query("Order", graphql.ORDER_QUERY, {"id": gid}).get("order")
            if not isinstance(found, dict):
                raise PermanentError(f"shopify {self.name}: order {order_id} not found")
            return _inbound(_complete(shop, found))

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return verify_webhook(body, headers, resolve_secret(self.config.webhook_secret) or "")

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body, headers)

    def _orders(self, shop: Shop) -> Iterator[Inbound]:
        high = _instant(self.since) if self.since else None
        start = self._window_start(high, dt.datetime.now(dt.UTC))
        after: str | None = None
        while True:
            variables = graphql.orders_query_variables(start, after=after, first=self.config.page_size)
            reading = self.config.returns.read  # returns too: the query asks each order's returnStatus
            data = shop.query("Orders", shopify_returns.ORDERS_QUERY if reading else graphql.ORDERS_QUERY, variables)
            orders = data.get("orders")
            if not isinstance(orders, dict) or not isinstance(orders.get("nodes"), list):
                raise TransientError(f"shopify {self.name}: Orders: the answer has no orders.nodes")
            items = []
            for node in orders["nodes"]:
                if not isinstance(node, dict):
                    raise TransientError(f"shopify {self.name}: Orders: an order that is not an object")
                items.append(_inbound(_complete(shop, node)))
                if reading:
                    items.extend(shopify_returns.return_inbounds(shop, node))
                stamp = node.get("updatedAt")
                if isinstance(stamp, str):
                    changed = _instant(stamp)
                    high = changed if high is None else max(high, changed)
            if items and high is not None:  # sorted by update time: nothing older is still to come
                items[-1].checkpoint = high.isoformat().replace("+00:00", "Z")
            yield from items
            page = orders.get("pageInfo") or {}
            after = page.get("endCursor") if isinstance(page, dict) else None
            if not (isinstance(page, dict) and page.get("hasNextPage")) or not isinstance(after, str):
                break


def _instant(stamp: str) -> dt.datetime:
    """An aware UTC time from an ISO stamp (Shopify's ``…Z``; an unmarked one is taken as UTC)."""
    when = dt.datetime.fromisoformat(stamp)
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _complete(shop: Shop, order: dict[str, Any]) -> dict[str, Any]:
    """The order with every page of its lineItems and shippingLines, so the mapping sees all of them."""
    for key, text in graphql.NESTED_QUERIES.items():
        _all_pages(shop, order, key, "order", text)
    return order


def _all_pages(shop: Shop, owner: dict[str, Any], key: str, root: str, text: str) -> None:
    """Replace the connection ``owner[key]`` by one page holding the nodes of all its pages, so a mapping that
    refuses a next page sees them all. ``text`` reads the page after a cursor (variables ``id``: the owner's,
    ``after``) as ``<root>(id:) { <key>(after:) }``."""
    connection = owner.get(key)
    if not isinstance(connection, dict):
        return
    where = f"shopify {shop.who}: {root} {owner.get('id')}: {key}"
    page = connection.get("pageInfo") or {}
    nodes = list(connection.get("nodes") or [])
    while isinstance(page, dict) and page.get("hasNextPage"):
        after = page.get("endCursor")
        if not isinstance(after, str):
            raise TransientError(f"{where} has a next page, no cursor")
        operation = f"{root[0].upper()}{root[1:]} {key}"
        found = shop.query(operation, text, {"id": owner.get("id"), "after": after}).get(root)
        more = found.get(key) if isinstance(found, dict) else None
        if not isinstance(more, dict):
            raise TransientError(f"{where} page not read")
        nodes.extend(more.get("nodes") or [])
        page = more.get("pageInfo") or {}
    owner[key] = {"pageInfo": {"hasNextPage": False}, "nodes": nodes}


def _nodes(owner: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The objects of a connection read whole (``_all_pages``); anything else is left to the mapping to refuse."""
    connection = owner.get(key)
    found = connection.get("nodes") if isinstance(connection, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def _inbound(order: dict[str, Any]) -> Inbound:
    gid = str(order.get("id") or "")
    return order_inbound("shopify", gid.rsplit("/", 1)[-1], order.get("updatedAt") or "", order)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A Shopify header by its lower-cased name, with or without the ``x-`` prefix."""
    return headers.get(f"x-{name}") or headers.get(name)


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(client secret, raw body)), compared in constant time."""
    signature = _header(headers, "shopify-hmac-sha256")
    if not signature or not secret:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).digest(), given)


def webhook_order_id(body: bytes, headers: Mapping[str, str]) -> str | None:
    """The order an ``orders/create``, ``orders/updated`` or ``orders/cancelled`` webhook is about (its body is
    the REST order: ``id``), or a ``refunds/create`` one (the REST refund: ``order_id``); None for any other
    topic."""
    key = ORDER_TOPICS.get((_header(headers, "shopify-topic") or "").strip().lower())
    if key is None:
        return None
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    found = parsed.get(key) if isinstance(parsed, dict) else None
    if isinstance(found, bool) or not isinstance(found, int | str) or not str(found).strip():
        return None
    return str(found).strip()


class ShopifySink(ChannelSink[ShopifySourceConfig, Shop]):
    """A Fulfilment back to the shop: ``fulfillmentCreate`` on the order's open fulfillment orders, with tracking,
    never twice (what already shipped under the shipment's tracking is left out)."""

    channel = "shopify"

    def _connect(self, transport: httpx.BaseTransport | None) -> Shop:
        return Shop(self.name, self.config, transport)

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        where = f"shopify {self.name}: order {fulfilment.external_id} ({fulfilment.po_number})"
        try:
            gid = mapping.order_gid(fulfilment.external_id or "")
        except ValueError as exc:
            raise PermanentError(f"{where}: {exc}") from None
        order, fulfillments = self._read(where, gid)
        try:
            plan = fulfilling.fulfilment_requests(
                fulfilment,
                order,
                fulfillments,
                notify_customer=self.config.notify_customer,
                tracking_links=self.config.tracking_urls,
            )
        except (ValueError, DecodeError) as exc:
            raise PermanentError(f"{where}: {exc}") from None
        made = []
        for variables in plan.requests:
            data = self._api.query("FulfillmentCreate", graphql.FULFILLMENT_CREATE, variables)
            answer = data.get("fulfillmentCreate") or {}
            _refused(where, "fulfillmentCreate", answer.get("userErrors"))
            created = answer.get("fulfillment") or {}
            made.append(str(created.get("id") or "?"))
        done = f"as {', '.join(made)}" if made else "already fulfilled"
        left = ", ".join(f"line {k} x{v}" for k, v in plan.left_out.items())
        told = f"; not open on Shopify (refunded, removed, on hold or closed), not fulfilled: {left}" if left else ""
        return f"shopify order {fulfilment.external_id}: shipment {fulfilment.shipment_id} {done}{told}"

    def _cancel(self, cancellation: Cancellation) -> str:
        """The whole order cancelled (``orderCancel``), or some lines refunded with restock (``refundCreate``),
        each once: what Shopify shows already (the order cancelled, a refund with the cancellation's marker)
        is not done again."""
        where = f"shopify {self.name}: order {cancellation.external_id} ({cancellation.po_number})"
        try:
            gid = mapping.order_gid(cancellation.external_id or "")
        except ValueError as exc:
            raise PermanentError(f"{where}: {exc}") from None
        state = self._api.query("OrderCancelState", graphql.CANCEL_STATE_QUERY, {"id": gid}).get("order")
        if not isinstance(state, dict):
            raise PermanentError(f"{where}: no such order")
        said = f"shopify order {cancellation.external_id}: cancellation {cancellation.cancellation_id}"
        try:
            if cancelling.already_done(cancellation, state):
                return f"{said} already made"
            if cancellation.whole_order:
                variables = cancelling.order_cancel(
                    cancellation,
                    refund=self.config.cancel_refund,
                    restock=self.config.cancel_restock,
                    notify_customer=self.config.notify_customer,
                )
                answer = self._api.query("OrderCancel", graphql.ORDER_CANCEL, variables).get("orderCancel") or {}
                _refused(where, "orderCancel", answer.get("orderCancelUserErrors"))
                return f"{said}: order cancelled (job {(answer.get('job') or {}).get('id', '?')})"
            lines = cancelling.refund_lines(cancellation, restock=self.config.cancel_restock)
            transactions = self._transactions(gid, lines) if self.config.cancel_refund else []
            variables = cancelling.refund_create(cancellation, lines, transactions, notify=self.config.notify_customer)
        except (ValueError, DecodeError) as exc:
            raise PermanentError(f"{where}: {exc}") from None
        answer = self._api.query("RefundCreate", graphql.REFUND_CREATE, variables).get("refundCreate") or {}
        _refused(where, "refundCreate", answer.get("userErrors"))
        return f"{said}: {len(lines)} line(s) refunded as {(answer.get('refund') or {}).get('id', '?')}"

    def _stock(self, push: StockPush) -> str:
        """Available-to-sell levels set with ``inventorySetQuantities`` (``shopify_stock.py``)."""
        return push_stock(self._api, self.name, self.config, push)

    def _refund(self, refund: Refund) -> str:
        where = f"shopify {self.name}: order {refund.external_id} ({refund.po_number})"
        return shopify_returns.send_refund(self._api, where, refund, notify=self.config.notify_customer)

    def _transactions(self, gid: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = self._api.query("OrderSuggestedRefund", graphql.SUGGESTED_REFUND_QUERY, {"id": gid, "lines": lines})
        suggested = (found.get("order") or {}).get("suggestedRefund")
        return cancelling.refund_transactions(gid, suggested) if isinstance(suggested, dict) else []

    def _read(self, where: str, gid: str) -> tuple[dict[str, Any], Any]:
        """The order's fulfillment orders and its fulfilments with every page of their lines read, so that a large
        order is fulfilled whole and nothing already shipped is missed."""
        orders = self._api.query("OrderFulfillmentOrders", graphql.FULFILLMENT_ORDERS_QUERY, {"id": gid})
        done = self._api.query("OrderFulfillments", graphql.FULFILLMENTS_QUERY, {"id": gid})
        order = orders.get("order")
        if not isinstance(order, dict) or not isinstance(done.get("order"), dict):
            raise PermanentError(f"{where}: no such order")
        _all_pages(self._api, order, "fulfillmentOrders", "order", graphql.FULFILLMENT_ORDERS_QUERY)
        for fo in _nodes(order, "fulfillmentOrders"):
            _all_pages(self._api, fo, "lineItems", "fulfillmentOrder", graphql.FULFILLMENT_ORDER_LINES_QUERY)
        fulfillments = done["order"].get("fulfillments")
        if isinstance(fulfillments, list):
            if len(fulfillments) >= graphql.FULFILLMENTS_READ:  # the list may be cut: what shipped is not known
                raise PermanentError(
                    f"{where}: {len(fulfillments)} fulfilments or more, all that one read returns: what already "
                    "shipped cannot be told, so nothing is sent (fulfil this order in Shopify)"
                )
            for made in fulfillments:
                if isinstance(made, dict):
                    _all_pages(self._api, made, "fulfillmentLineItems", "fulfillment", graphql.FULFILLMENT_LINES_QUERY)
        return order, fulfillments


def _refused(where: str, mutation: str, errors: Any) -> None:
    """A mutation's ``userErrors`` (HTTP 200 does not mean success) as a permanent error in Shopify's words."""
    problems = [e for e in errors or [] if isinstance(e, dict)]
    if problems:
        said = "; ".join(
            f"{'.'.join(str(x) for x in e.get('field') or [])}: {e.get('message')}".lstrip(": ") for e in problems
        )
        raise PermanentError(f"{where}: {mutation} refused: {said}")
