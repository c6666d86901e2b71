"""WooCommerce (REST API v3): orders in by modification time, fulfilments back as a note, tracking, completion.

What this relies on (``../shared/docs/channel-apis.md``, WooCommerce section, from the owner's REST API docs):

- ``GET <site>/wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&per_page=…&page=…`` with HTTP Basic
  (consumer key and secret). ``orderby`` has no "modified", so every page of the window is read; the page
  count comes in ``X-WP-TotalPages``. ``GET /orders/<id>`` reads one order (a webhook's hint).
- Dates without ``_gmt`` are the site's local time: the window and the checkpoint use ``date_modified_gmt``.
- No tracking object in core: ``POST /orders/<id>/notes`` with ``customer_note: true``; with the Shipment
  Tracking extension, ``POST /wp-json/wc-shipment-tracking/v3/orders/<id>/shipment-trackings``;
  ``PUT /orders/<id>`` ``{"status": "completed"}`` when everything shipped.
- Webhooks carry ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, raw body)).
- Hosts, caches and security plugins answer 429, 403 or 503 with HTML: a body that is not JSON is transient.

The API has no idempotency key, so a repeated send checks first: a note carries a marker made from the
delivery's key and is not posted again when a note with it is there, and a tracking number already on the
order is not added twice. The keys travel only in the Authorization header and never appear in an error.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from crossdock.connectors.base import Inbound, Outbound
from crossdock.connectors.channel import ChannelSink, ChannelSource, order_inbound
from crossdock.connectors.http import check, excerpt, read_json, request, retry_after
from crossdock.core.channel_config.woocommerce import WooCommerceSourceConfig
from crossdock.core.config_types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.models import Fulfilment
from crossdock.mappings import woocommerce as mapping

API = "/wp-json/wc/v3/"
TRACKING_API = "/wp-json/wc-shipment-tracking/v3/"


class _Store:
    """One store's REST API: Basic auth on every call, answers classified, JSON bodies read without float."""

    def __init__(self, who: str, config: WooCommerceSourceConfig, transport: httpx.BaseTransport | None) -> None:
        self.who = who
        auth = (resolve_secret(config.consumer_key) or "", resolve_secret(config.consumer_secret) or "")
        self.client = httpx.Client(
            base_url=config.url.rstrip("/"), auth=auth, timeout=config.timeout, transport=transport
        )

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        where = f"woocommerce {self.who}: {method} {path}"
        response = request(self.client, method, path, where, **kwargs)
        hint = "not JSON (a cache or security plugin?)"
        body = read_json(response, where, not_json=hint)
        if body is None and response.is_error and response.status_code not in (400, 401, 404):
            wait = retry_after(response.headers.get("Retry-After"))  # a 403 or 503 page from a host or plugin
            raise TransientError(f"{where}: {response.status_code}, {hint}: {excerpt(response)}", retry_after=wait)
        check(response, where, _said(body))
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

    def _connect(self) -> _Store:
        return _Store(self.name, self.config, self._transport)

    def order(self, order_id: str) -> Inbound:
        """One order read by id: what a webhook's hint turns into."""
        with self._connected() as api:
            body, _ = api.call("GET", f"{API}orders/{order_id}")
        if not isinstance(body, dict):
            raise TransientError(f"woocommerce {self.name}: order {order_id} is not an object")
        return _inbound(body)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return verify_webhook(body, headers, resolve_secret(self.config.webhook_secret) or "")

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
        page = 1
        while True:
            body, headers = api.call("GET", f"{API}orders", params={**params, "page": str(page)})
            if not isinstance(body, list):
                raise TransientError(f"woocommerce {self.name}: orders page {page} is not a list")
            for order in body:
                high = max(high, str(order.get("date_modified_gmt") or ""))
                yield _inbound(order)
            pages = headers.get("X-WP-TotalPages", "")
            if not body or not pages.isdecimal() or page >= int(pages):
                return high or None
            page += 1


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

    def send(self, document: Outbound) -> str:
        fulfilment = self._fulfilment(document)
        order_id = self._order_id(fulfilment)
        marker = f"[crossdock {document.idempotency_key[:16]}]"
        notes, _ = self._api.call("GET", f"{API}orders/{order_id}/notes")
        if not any(marker in str(note.get("note", "")) for note in notes or []):
            note = mapping.tracking_note(fulfilment)
            note["note"] = f"{note['note']}\n{marker}"
            self._api.call("POST", f"{API}orders/{order_id}/notes", json=note)
        if self.config.tracking == "shipment-tracking":
            self._track(order_id, fulfilment)
        update = mapping.order_update(fulfilment)
        if update:
            self._api.call("PUT", f"{API}orders/{order_id}", json=update)
        return f"woocommerce order {order_id}: shipment {fulfilment.shipment_id}"

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
