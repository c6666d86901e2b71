"""BigCommerce (REST Management API v2): orders in by modification time, fulfilments back as shipments.

What this relies on (``../shared/docs/channel-apis.md``, BigCommerce section, from the owner's reference):

- ``https://api.bigcommerce.com/stores/<hash>/v2/...`` with ``X-Auth-Token``. ``GET /v2/orders?min_date_modified=
  <ISO-8601>&sort=id:asc&page=…&limit=…`` pages by number with no metadata: the last page is the one shorter
  than ``limit``, or an empty one, or ``204 No Content``. Sorting by id rather than by modification keeps the
  pages still while orders change during the poll: an order modified meanwhile keeps its place (by date it would
  move to the end and shift the next order back onto a page already read, unseen).
- An order's lines and shipping addresses are links: ``/v2/orders/<id>/products`` (paged like orders) and
  ``/v2/orders/<id>/shipping_addresses`` are read and merged into the order (``mapping.merge``).
- ``status_id`` 0 (Incomplete) is an abandoned checkout: never stored; only the configured ``statuses`` are.
- ``date_modified`` is RFC 2822: the checkpoint is the latest one seen, as ISO-8601 UTC (RFC 2822 strings do not
  sort).
- One quota per store for every app, in 30-second windows: ``X-Rate-Limit-Requests-Left`` and
  ``X-Rate-Limit-Time-Reset-Ms`` on each answer. With ``quota_reserve`` or fewer requests left, the next call
  waits for the window to reset (pacing, so the store's other apps are not starved); a 429 is transient with the
  reset as ``retry_after``, which a poll waits out and goes on, up to ``throttle_wait`` seconds in all.
- Webhooks (``store/order/*``) carry only ``data.id``. BigCommerce sends the headers given when the hook was
  created: crossdock asks for ``X-Crossdock-Webhook-Secret: <webhook_secret>`` and compares it in constant time.
  BigCommerce also signs its webhooks the Standard Webhooks way (``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature``) with the app's client secret: with that as ``webhook_secret``, a signed webhook is
  verified too, and one signed more than five minutes from now is refused (``standard_webhooks.py``).
- An order whose products or addresses cannot be read is left for the next poll (the checkpoint stays before its
  modification), and the rest of the poll goes on.
- A cancellation back: the whole order is ``PUT /v2/orders/<id> {"status_id": 5}`` (done once: an order
  already Cancelled or Refunded is left as it is). BigCommerce has no cancel of single lines: they are refunded
  through the v3 payment actions, a quote then the refund (``mappings/bigcommerce_cancel.py``), once.
- ``POST /v2/orders/<id>/shipments`` has no idempotency key: the order's shipments are read first and a body
  whose address already has a shipment with the same tracking number (else the same comments, which name
  crossdock's shipment) is not posted again. ``GET .../shipments`` answers 204 when there are none.

The token travels only in its header and never appears in an error.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import time
from collections.abc import Generator, Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from crossdock.connectors import bigcommerce_returns, bigcommerce_stock, standard_webhooks
from crossdock.connectors.bigcommerce_config import STATUSES, BigCommerceSourceConfig
from crossdock.connectors.channel import ChannelSink, ChannelSource, order_inbound
from crossdock.connectors.http import check, read_json, request
from crossdock.connectors.throttle import Patience, Throttled
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.core.stock.models import StockPush
from crossdock.mappings import bigcommerce as mapping
from crossdock.mappings import bigcommerce_cancel as cancel_mapping

HOOK_HEADER = "x-crossdock-webhook-secret"
WINDOW = 30.0  # seconds: the quota's window when the store does not say (X-Rate-Limit-Time-Window-Ms)
_sleep = time.sleep  # the one place a poll waits: for the store's quota window (tests replace it)
DONE = frozenset({4, 5})  # Refunded, Cancelled: nothing left to cancel
log = logging.getLogger("crossdock.bigcommerce")


class _Store:
    """One store's API: the token on every call, the quota watched, answers classified, JSON read without float."""

    def __init__(
        self,
        who: str,
        config: BigCommerceSourceConfig,
        transport: httpx.BaseTransport | None,
        patience: float = 0.0,
    ) -> None:
        self.who = who
        self.patience = Patience(patience, lambda seconds: _sleep(seconds))
        self.limit = config.limit
        self.reserve = config.quota_reserve
        self.pause = 0.0
        self.client = httpx.Client(
            base_url=f"{config.api_url.rstrip('/')}/stores/{config.store_hash}",
            headers={"X-Auth-Token": resolve_secret(config.access_token) or "", "Accept": "application/json"},
            timeout=config.timeout,
            transport=transport,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON; None for 204 No Content (an empty list). A 429 waits for the quota window while the
        client's patience lasts (a poll's; a sink's is none: the outbox retries)."""
        return self.patience.call(lambda: self._call(method, path, **kwargs))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        where = f"bigcommerce {self.who}: {method} {path}"
        if self.pause:
            _sleep(self.pause)
            self.pause = 0.0
        response = request(self.client, method, path, where, **kwargs)
        reset = self._quota(response.headers)
        if response.status_code == 429:
            raise Throttled(f"{where}: 429: the store's API quota is used up", retry_after=reset)
        if response.status_code == 204:
            return None
        body = read_json(response, where)
        check(response, where, _said(body))
        return body

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[list[Any]]:
        """Every page of a v2 list, until one shorter than ``limit`` (or empty, or 204). A page that repeats the
        one before (``page`` ignored by a proxy or a cache) ends the read as an error, never an endless loop."""
        page, before = 1, None
        while True:
            body = self.call("GET", path, params={**(params or {}), "page": str(page), "limit": str(self.limit)})
            found = [] if body is None else body
            if not isinstance(found, list):
                raise TransientError(f"bigcommerce {self.who}: {path} page {page} is not a list")
            if found and found == before:
                raise TransientError(f"bigcommerce {self.who}: {path} page {page} repeats page {page - 1}")
            yield found
            if len(found) < self.limit:
                return
            page, before = page + 1, found

    def every(self, path: str) -> list[Any]:
        return [item for page in self.pages(path) for item in page]

    def _quota(self, headers: httpx.Headers) -> float | None:
        """Plan a pause when the quota runs low; return the window's reset in seconds (for a 429)."""
        left, reset = headers.get("X-Rate-Limit-Requests-Left"), headers.get("X-Rate-Limit-Time-Reset-Ms")
        window = headers.get("X-Rate-Limit-Time-Window-Ms")
        longest = int(window) / 1000 if window and window.isdecimal() else WINDOW
        seconds = min(int(reset) / 1000, longest) if reset and reset.isdecimal() else None
        if left is not None and left.strip().isdecimal() and int(left) <= self.reserve:
            self.pause = seconds if seconds is not None else longest
        return seconds

    def close(self) -> None:
        self.client.close()


def _said(body: Any) -> str | None:
    """The API's own words: v2 answers ``[{"status": 404, "message": …}]``, v3 ``{"title": …}``."""
    first = body[0] if isinstance(body, list) and body else body
    if isinstance(first, dict):
        said = first.get("message") or first.get("title")
        return str(said) if said else None
    return None


class BigCommerceSource(ChannelSource[BigCommerceSourceConfig, _Store]):
    """Every order changed since the last checkpoint (less the overlap), one document per order version."""

    def _connect(self) -> _Store:
        return _Store(self.name, self.config, self._transport, patience=self.config.throttle_wait)

    def order(self, order_id: str) -> Inbound:
        """One order read by id with its lines and addresses: what a webhook's hint turns into."""
        if not order_id.isdecimal():
            raise PermanentError(f"bigcommerce {self.name}: {order_id!r} is not an order id")
        with self._connected() as api:
            body = api.call("GET", f"/v2/orders/{order_id}")
            if not isinstance(body, dict):
                raise TransientError(f"bigcommerce {self.name}: order {order_id} is not an object")
            status = body.get("status_id")
            if status not in self.config.statuses:
                what = STATUSES.get(status, "unknown") if isinstance(status, int) else "unknown"
                raise PermanentError(
                    f"bigcommerce {self.name}: order {order_id} is status {status} ({what}), not imported"
                )
            return self._full(api, body)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The secret header crossdock asked for, or a Standard Webhooks signature made with the same secret (the
        app's client secret) at a time within its tolerance."""
        secret = resolve_secret(self.config.webhook_secret) or ""
        return verify_webhook(headers, secret) or standard_webhooks.verify(body, headers, secret.encode())

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body)

    def _read(self, api: _Store) -> Generator[Inbound, None, str | None]:
        high = dt.datetime.fromisoformat(self.since) if self.since else None
        start = self._window_start(high, dt.datetime.now(dt.UTC))
        params = {"min_date_modified": start.isoformat(timespec="seconds"), "sort": "id:asc"}
        since = high
        failed: list[dt.datetime] = []  # modification times of orders whose sub-resources could not be read
        for page in api.pages("/v2/orders", params):
            for order in page:
                if not isinstance(order, dict):
                    raise TransientError(f"bigcommerce {self.name}: an order in the list is not an object")
                modified = _modified(order)
                if modified is not None and (high is None or modified > high):
                    high = modified
                if order.get("status_id") not in self.config.statuses:
                    continue  # Incomplete (an abandoned checkout), or a status the store's settings leave out
                try:
                    full = self._full(api, order)
                    returned = (
                        bigcommerce_returns.return_inbounds(api, order, self.config.return_prefix)
                        if self.config.returns.read
                        else []
                    )
                except Throttled:
                    raise
                except (TransientError, PermanentError) as exc:
                    log.warning("bigcommerce %s: order %s left for the next poll: %s", self.name, order.get("id"), exc)
                    failed.append(modified or start)
                    continue
                yield full
                yield from returned  # refunds marked as returns: bigcommerce_returns
        if failed and high is not None:  # a second before the first order left out, never behind the last checkpoint
            high = min(high, min(failed) - dt.timedelta(seconds=1))
            high = max(high, since) if since is not None else high
        return high.isoformat() if high else None

    def _full(self, api: _Store, order: dict[str, Any]) -> Inbound:
        order_id = int(order["id"])
        products = api.every(f"/v2/orders/{order_id}/products")
        addresses = api.every(f"/v2/orders/{order_id}/shipping_addresses")
        return _inbound(mapping.merge(order, products, addresses))


def _modified(order: Mapping[str, Any]) -> dt.datetime | None:
    value = order.get("date_modified")
    try:
        stamp = parsedate_to_datetime(value) if isinstance(value, str) else None
    except (TypeError, ValueError):
        return None
    if stamp is None:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _inbound(order: dict[str, Any]) -> Inbound:
    order_id = order.get("id")
    modified = _modified(order)
    version = modified.isoformat() if modified else str(order.get("date_modified") or "")
    return order_inbound("bigcommerce", order_id, version, order)


def verify_webhook(headers: Mapping[str, str], secret: str) -> bool:
    """The secret header crossdock asked BigCommerce to send (header names lower-cased), in constant time."""
    given = headers.get(HOOK_HEADER)
    if not given or not secret:
        return False
    return hmac.compare_digest(given.strip().encode(), secret.encode())


def webhook_order_id(body: bytes) -> str | None:
    """``data.id`` of a ``store/order/*`` webhook; None for any other scope or a body without one."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict) or not str(parsed.get("scope", "")).startswith("store/order/"):
        return None
    data = parsed.get("data")
    found = data.get("id") if isinstance(data, dict) else None
    if isinstance(found, bool) or not (isinstance(found, int) or (isinstance(found, str) and found.isdecimal())):
        return None
    return str(found)


class BigCommerceSink(ChannelSink[BigCommerceSourceConfig, _Store]):
    """A Fulfilment back to the store: one shipment per shipping address its lines go to, each posted once."""

    channel = "bigcommerce"

    def _connect(self, transport: httpx.BaseTransport | None) -> _Store:
        return _Store(self.name, self.config, transport)

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        order_id = self._order_id(fulfilment, valid=str.isdigit)
        products = self._api.every(f"/v2/orders/{order_id}/products")
        bodies = mapping.shipment_requests(fulfilment, products)
        existing = self._api.every(f"/v2/orders/{order_id}/shipments")
        made = []
        for body in bodies:
            if any(_same(body, shipment) for shipment in existing):
                continue
            created = self._api.call("POST", f"/v2/orders/{order_id}/shipments", json=body)
            made.append(str(created.get("id")) if isinstance(created, dict) else "?")
        done = f"shipments {', '.join(made)}" if made else "already there"
        return f"bigcommerce order {order_id}: shipment {fulfilment.shipment_id} ({done})"

    def _stock(self, push: StockPush) -> str:
        return bigcommerce_stock.push(self._api, self.name, self.config, push)

    def _cancel(self, cancellation: Cancellation) -> str:
        order_id = cancellation.external_id or ""
        where = f"bigcommerce {self.name}: order {order_id} ({cancellation.po_number})"
        if not order_id.isdigit():
            raise PermanentError(f"{where}: no order id")
        said = f"bigcommerce order {order_id}: cancellation {cancellation.cancellation_id}"
        if not cancellation.whole_order:
            return self._refund_lines(order_id, cancellation, where, said)
        order = self._api.call("GET", f"/v2/orders/{order_id}")
        if isinstance(order, dict) and order.get("status_id") in DONE:
            return f"{said} already made"
        self._api.call("PUT", f"/v2/orders/{order_id}", json={"status_id": 5})
        return f"{said}: order cancelled"

    def _refund(self, refund: Refund) -> str:
        return bigcommerce_returns.send_refund(self._api, self.name, refund)

    def _refund_lines(self, order_id: str, cancellation: Cancellation, where: str, said: str) -> str:
        """Lines that will not ship, refunded (``bigcommerce_cancel``): the order's refunds read first, a quote
        for the lines, then the refund by the quote's way back to the order's payment."""
        listing = self._api.call("GET", "/v3/orders/payment_actions/refunds", params={"order_id:in": order_id})
        if cancel_mapping.refunded_already(cancellation, listing):
            return f"{said} already made"
        products = self._api.every(f"/v2/orders/{order_id}/products")
        items = cancel_mapping.refund_items(cancellation, products, where)
        actions = f"/v3/orders/{order_id}/payment_actions"
        quote = self._api.call("POST", f"{actions}/refund_quotes", json={"items": items})
        body = cancel_mapping.refund_body(items, quote, where)
        self._api.call("POST", f"{actions}/refunds", content=body, headers={"Content-Type": "application/json"})
        return f"{said}: {len(items)} line(s) refunded"


def _same(body: Mapping[str, Any], shipment: Any) -> bool:
    """Whether an existing shipment is this body sent before: same address and tracking number (or comments)."""
    if not isinstance(shipment, dict) or str(shipment.get("order_address_id")) != str(body["order_address_id"]):
        return False
    if body.get("tracking_number"):
        return str(shipment.get("tracking_number") or "") == str(body["tracking_number"])
    return str(shipment.get("comments") or "") == str(body["comments"])
