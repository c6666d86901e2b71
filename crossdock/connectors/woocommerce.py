"""WooCommerce (REST API v3): orders in by modification time, fulfilments back as a note, tracking, completion.

What this relies on (``../shared/docs/channel-apis.md``, WooCommerce section, from the owner's REST API docs):

- ``GET <site>/wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&per_page=…&page=…`` with HTTP Basic
  (consumer key and secret), or with ``auth: query`` the keys as ``consumer_key``/``consumer_secret`` in the
  query string over HTTPS (for hosts that strip ``Authorization``). ``orderby`` has no "modified", so every
  page of the window is read; the page count comes in ``X-WP-TotalPages``. ``GET /orders/<id>`` reads one
  order (a webhook's hint).
- Dates without ``_gmt`` are the site's local time: the window and the checkpoint use ``date_modified_gmt``.
- No tracking object in core: ``POST /orders/<id>/notes`` with ``customer_note: true``; with the Shipment
  Tracking extension, ``POST /wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings``;
  ``PUT /orders/<id>`` ``{"status": "completed"}`` when everything shipped.
- An order with refunds is completed with their own records (``GET /orders/<id>/refunds``: which lines, how
  many) and each line with its product's ``virtual`` flag (``GET /products/<id>`` or its variation's, each
  product once a poll; a product deleted since counts as shipping): ``mapping.merge``. One order whose reads
  fail is left for the next poll (the checkpoint stays before it), not the whole poll.
- A 429 waits its ``Retry-After`` and goes on, up to ``throttle_wait`` seconds a poll (``throttle.py``).
- Webhooks carry ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, raw body)). The ping WooCommerce sends
  when a webhook is saved is an unsigned form post ``webhook_id=<id>`` that must be answered exactly 200: it is
  let through and answered so, reading nothing.
- Hosts, caches and security plugins answer 429, 403 or 503 with HTML: a body that is not JSON is transient.

The API has no idempotency key, so a repeated send checks first: a shipment's note is not posted again when the
order has a note with its text already (the text names the shipment; no marker is added to what the buyer
reads), and a tracking number already on the order is not added twice. A cancellation back is
``woocommerce_cancel``. The keys never appear in an error.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from crossdock.connectors import woocommerce_returns, woocommerce_stock
from crossdock.connectors.channel import ChannelSink, ChannelSource, order_inbound
from crossdock.connectors.http import check, excerpt, read_json, request, retry_after
from crossdock.connectors.throttle import Patience, Throttled
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.core.stock.models import StockPush
from crossdock.mappings import woocommerce as mapping
from crossdock.mappings import woocommerce_cancel as cancelling

API = "/wp-json/wc/v3/"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3/"
PING = re.compile(rb"webhook_id=\d{1,20}")  # the form body of the ping sent when a webhook is saved
log = logging.getLogger("crossdock.woocommerce")
_sleep = time.sleep  # the one place a poll waits: a 429's Retry-After (tests replace it)


class _Store:
    """One store's REST API: Basic auth on every call, answers classified, JSON bodies read without float."""

    def __init__(
        self,
        who: str,
        config: WooCommerceSourceConfig,
        transport: httpx.BaseTransport | None,
        patience: float = 0.0,
    ) -> None:
        self.who = who
        key, secret = resolve_secret(config.consumer_key) or "", resolve_secret(config.consumer_secret) or ""
        self.secrets = (key, secret)
        self.patience = Patience(patience, lambda seconds: _sleep(seconds))
        self.client = httpx.Client(
            base_url=config.url.rstrip("/"),
            auth=(key, secret) if config.auth == "basic" else None,
            params={"consumer_key": key, "consumer_secret": secret} if config.auth == "query" else None,
            timeout=config.timeout,
            transport=transport,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        """The answer's JSON and headers; a 429 waits its Retry-After while the client's patience lasts."""
        return self.patience.call(lambda: self._call(method, path, **kwargs))

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        where = f"woocommerce {self.who}: {method} {path}"
        response = request(self.client, method, path, where, secrets=self.secrets, **kwargs)
        hint = "not JSON (a cache or security plugin?)"
        body = read_json(response, where, not_json=hint, secrets=self.secrets)
        wait = retry_after(response.headers.get("Retry-After"))
        if response.status_code == 429:
            raise Throttled(f"{where}: 429 Too Many Requests", retry_after=wait)
        if body is None and response.is_error and response.status_code not in (400, 401, 404):
            said = excerpt(response)  # a 403 or 503 page from a host or plugin
            raise TransientError(f"{where}: {response.status_code}, {hint}: {said}", retry_after=wait)
        check(response, where, _said(body), secrets=self.secrets)
        return body, response.headers

    def close(self) -> None:
        self.client.close()


def _said(body: Any) -> str | None:
    """WooCommerce's own words: ``{"code": …, "message": …}``."""
    if isinstance(body, dict) and body.get("message"):
        return f"{body.get('code', '')} {body['message']}".strip()
    return None


class WooCommerceSource(ChannelSource[WooCommerceSourceConfig, _Store]):
    """Every order changed since the last checkpoint (less the overlap), one document per order version."""

    def __init__(
        self, name: str, config: WooCommerceSourceConfig, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(name, config, transport)
        self._virtual: dict[str, bool] = {}  # product key -> its virtual flag, read once a poll

    def _connect(self) -> _Store:
        return _Store(self.name, self.config, self._transport, patience=self.config.throttle_wait)

    def order(self, order_id: str) -> Inbound:
        """One order read by id with its refunds and its products' flags: what a webhook's hint turns into."""
        if not order_id.isdecimal():
            raise PermanentError(f"woocommerce {self.name}: {order_id!r} is not an order id")
        with self._connected() as api:
            body, _ = api.call("GET", f"{API}orders/{order_id}")
            if not isinstance(body, dict):
                raise TransientError(f"woocommerce {self.name}: order {order_id} is not an object")
            return _inbound(self._full(api, body))

    def _full(self, api: _Store, order: dict[str, Any]) -> dict[str, Any]:
        """The order with its refunds' records and its lines' ``virtual`` flags (``mapping.merge``)."""
        order_id = order.get("id")
        refunds = None
        if order.get("refunds"):
            refunds, _ = api.call("GET", f"{API}orders/{order_id}/refunds", params={"per_page": "100"})
            if not isinstance(refunds, list):
                raise TransientError(f"woocommerce {self.name}: order {order_id}'s refunds are not a list")
        virtual: dict[str, bool] = {}
        for line in order.get("line_items") or [] if self.config.check_virtual else []:
            key = mapping.product_key(line) if isinstance(line, dict) else None
            if key is not None:
                virtual[key] = self._is_virtual(api, key)
        return mapping.merge(order, refunds, virtual)

    def _is_virtual(self, api: _Store, key: str) -> bool:
        if key not in self._virtual:
            product, _, variation = key.partition("/")
            path = f"{API}products/{product}" + (f"/variations/{variation}" if variation else "")
            try:
                found, _ = api.call("GET", path)
            except PermanentError:  # deleted since the order (404): nothing says it needs no shipping
                found = None
            self._virtual[key] = isinstance(found, dict) and found.get("virtual") is True
        return self._virtual[key]

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """A signed webhook, or the unsigned ping a saved webhook sends (answered 200, nothing read)."""
        return is_ping(body, headers) or verify_webhook(body, headers, resolve_secret(self.config.webhook_secret) or "")

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body)

    def _read(self, api: _Store) -> Generator[Inbound, None, str | None]:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        start = self._window_start(dt.datetime.fromisoformat(self.since) if self.since else None, now)
        params = {
            "modified_after": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "per_page": str(self.config.per_page),
            "orderby": "date",
            "order": "asc",
        }
        high = self.since or ""
        failed: list[str] = []  # the modification times of orders whose reads failed: the checkpoint stays before
        page = 1
        while True:
            body, headers = api.call("GET", f"{API}orders", params={**params, "page": str(page)})
            if not isinstance(body, list):
                raise TransientError(f"woocommerce {self.name}: orders page {page} is not a list")
            for order in body:
                if not isinstance(order, dict):
                    raise TransientError(f"woocommerce {self.name}: an order in the list is not an object")
                modified = str(order.get("date_modified_gmt") or "")
                high = max(high, modified)
                try:
                    full = self._full(api, order)
                except Throttled:
                    raise
                except (TransientError, PermanentError) as exc:
                    log.warning("woocommerce %s: order %s left for the next poll: %s", self.name, order.get("id"), exc)
                    failed.append(modified)
                    continue
                yield _inbound(full)
                if self.config.returns.read:  # refunds marked as returns: woocommerce_returns
                    yield from woocommerce_returns.return_inbounds(full, self.config.return_prefix)
            pages = headers.get("X-WP-TotalPages", "")
            if not body or not pages.isdecimal() or page >= int(pages):
                return _before(high, min(failed), self.since) if failed else high or None
            page += 1


def _before(high: str, failed: str, since: str | None) -> str | None:
    """The checkpoint when an order modified at ``failed`` was not read: a second before it (so the next poll's
    window holds it), never behind the last checkpoint (whose window less the overlap held it too)."""
    try:
        stamp = (dt.datetime.fromisoformat(failed) - dt.timedelta(seconds=1)).isoformat(timespec="seconds")
    except ValueError:
        return since
    return max(min(high, stamp), since or "") or None


def _inbound(order: dict[str, Any]) -> Inbound:
    return order_inbound("woocommerce", order.get("id"), order.get("date_modified_gmt") or "", order)


def verify_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """``X-WC-Webhook-Signature`` (header names lower-cased): base64(HMAC-SHA256(secret, raw body)), compared in
    constant time."""
    signature = headers.get("x-wc-webhook-signature")
    if not signature or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def is_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether this is the activation ping: the form body ``webhook_id=<id>`` and no signature."""
    return not headers.get("x-wc-webhook-signature") and PING.fullmatch(body.strip()) is not None


def webhook_order_id(body: bytes) -> str | None:
    """The order a webhook is about (its body is the order); None for the ping sent when a webhook is made."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    found = parsed.get("id") if isinstance(parsed, dict) else None
    return str(found) if found is not None else None


class WooCommerceSink(ChannelSink[WooCommerceSourceConfig, _Store]):
    """A Fulfilment back to the store: the tracking as a customer note (and the Shipment Tracking extension's
    record when configured), and the order completed once everything shipped."""

    channel = "woocommerce"

    def _connect(self, transport: httpx.BaseTransport | None) -> _Store:
        return _Store(self.name, self.config, transport)

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        order_id = self._order_id(fulfilment, valid=str.isdecimal)
        note = mapping.tracking_note(fulfilment)
        notes, _ = self._api.call("GET", f"{API}orders/{order_id}/notes")
        if not any(str(n.get("note", "")).startswith(note["note"]) for n in notes or [] if isinstance(n, dict)):
            self._api.call("POST", f"{API}orders/{order_id}/notes", json=note)
        if self.config.tracking == "shipment-tracking":
            self._track(order_id, fulfilment)
        update = mapping.order_update(fulfilment)
        if update:
            self._api.call("PUT", f"{API}orders/{order_id}", json=update)
        return f"woocommerce order {order_id}: shipment {fulfilment.shipment_id}"

    def _stock(self, push: StockPush) -> str:
        return woocommerce_stock.push(self._api, self.name, self.config, push)

    def _cancel(self, cancellation: Cancellation) -> str:
        """A refund of the cancelled lines (money back and restock as configured), or for the whole order a
        refund of what is left and the status ``cancelled``; each once."""
        order_id = cancellation.external_id or ""
        where = f"woocommerce {self.name}: order {order_id} ({cancellation.po_number})"
        if not order_id.isdecimal():
            raise PermanentError(f"{where}: no order id")
        order, _ = self._api.call("GET", f"{API}orders/{order_id}")
        refunds, _ = self._api.call("GET", f"{API}orders/{order_id}/refunds", params={"per_page": "100"})
        if not isinstance(order, dict) or not isinstance(refunds, list):
            raise TransientError(f"{where}: the order or its refunds are not what the API gives")
        said = f"woocommerce order {order_id}: cancellation {cancellation.cancellation_id}"
        if cancelling.already_done(cancellation, order, refunds):
            return f"{said} already made"
        merged = mapping.merge(order, refunds)
        done = []
        try:
            refund = None
            if not cancellation.whole_order or self.config.cancel_refund:
                refund = cancelling.refund_body(
                    cancellation,
                    merged,
                    api_refund=self.config.cancel_refund,
                    api_restock=self.config.cancel_restock,
                )
        except (ValueError, DecodeError) as exc:
            raise PermanentError(f"{where}: {exc}") from None
        ours = cancelling.already_done(cancellation.model_copy(update={"whole_order": False}), order, refunds)
        if refund is not None and not ours:
            made, _ = self._api.call("POST", f"{API}orders/{order_id}/refunds", json=refund)
            done.append(f"refund {made.get('id') if isinstance(made, dict) else '?'}")
        if cancellation.whole_order:
            self._api.call("PUT", f"{API}orders/{order_id}", json={"status": "cancelled"})
            done.append("order cancelled")
        return f"{said}: {', '.join(done) or 'nothing left to cancel'}"

    def _refund(self, refund: Refund) -> str:
        return woocommerce_returns.send_refund(self._api, self.name, refund, api_refund=self.config.return_refund)

    def _track(self, order_id: str, fulfilment: Fulfilment) -> None:
        path = f"{TRACKING_API}orders/{order_id}/shipment-trackings"
        try:
            existing, _ = self._api.call("GET", path)
        except PermanentError as exc:
            raise PermanentError(f"{exc} (is the Shipment Tracking extension installed? else tracking: note)") from None
        known = {str(t.get("tracking_number")) for t in existing or []}
        for body in mapping.shipment_tracking(fulfilment):
            if str(body.get("tracking_number")) not in known:
                self._api.call("POST", path, json=body)
