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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx

from crossdock.connectors.base import Inbound, Outbound
from crossdock.connectors.http import check, retry_after
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
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise TransientError(f"{where}: no answer in time") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from None
        try:
            body = json.loads(response.content or b"null", parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError):
            said = response.text[:200].strip().replace("\n", " ")
            if response.status_code in (400, 401, 404):
                check(response, where)
            wait = retry_after(response.headers.get("Retry-After"))
            raise TransientError(
                f"{where}: {response.status_code}, not JSON (a cache or security plugin?): {said}", retry_after=wait
            ) from None
        if response.is_error and isinstance(body, dict) and body.get("message"):
            said = f"{body.get('code', '')} {body['message']}".strip()
            response = httpx.Response(response.status_code, text=said, headers=response.headers)
        check(response, where)
        return body, response.headers

    def close(self) -> None:
        self.client.close()


class WooCommerceSource:
    """Every order changed since the last checkpoint (less the overlap), one document per order version."""

    def __init__(
        self, name: str, config: WooCommerceSourceConfig, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.name = name
        self.config = config
        self.since: str | None = None
        self._transport = transport

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        api = _Store(self.name, self.config, self._transport)
        try:
            yield self._orders(api)
        finally:
            api.close()

    def order(self, order_id: str) -> Inbound:
        """One order read by id: what a webhook's hint turns into."""
        api = _Store(self.name, self.config, self._transport)
        try:
            body, _ = api.call("GET", f"{API}orders/{order_id}")
        finally:
            api.close()
        if not isinstance(body, dict):
            raise TransientError(f"woocommerce {self.name}: order {order_id} is not an object")
        return _inbound(body)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return verify_webhook(body, headers, resolve_secret(self.config.webhook_secret) or "")

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body)

    def _orders(self, api: _Store) -> Iterator[Inbound]:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        start = (
            dt.datetime.fromisoformat(self.since) - dt.timedelta(seconds=self.config.overlap)
            if self.since
            else now - dt.timedelta(seconds=self.config.first_sync)
        )
        params = {
            "modified_after": start.strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "per_page": str(self.config.per_page),
            "orderby": "date",
            "order": "asc",
        }
        high = self.since or ""
        held: Inbound | None = None  # the last order waits, so it can carry the window's checkpoint
        page = 1
        while True:
            body, headers = api.call("GET", f"{API}orders", params={**params, "page": str(page)})
            if not isinstance(body, list):
                raise TransientError(f"woocommerce {self.name}: orders page {page} is not a list")
            for order in body:
                item = _inbound(order)
                high = max(high, str(order.get("date_modified_gmt") or ""))
                if held is not None:
                    yield held
                held = item
            pages = headers.get("X-WP-TotalPages", "")
            if not body or not pages.isdigit() or page >= int(pages):
                break
            page += 1
        if held is not None:
            held.checkpoint = high or None
            yield held


def _inbound(order: dict[str, Any]) -> Inbound:
    order_id = order.get("id")
    modified = order.get("date_modified_gmt") or ""
    return Inbound(
        name=f"woocommerce-order-{order_id}.json",
        data=json.dumps(order, default=str, separators=(",", ":")).encode("utf-8"),
        identity=f"woocommerce:{order_id}:{modified}",
    )


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


class WooCommerceSink:
    """A Fulfilment back to the store: the tracking as a customer note (and the Shipment Tracking extension's
    record when configured), and the order completed once everything shipped."""

    def __init__(
        self, name: str, config: WooCommerceSourceConfig, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._api = _Store(name, config, transport)

    def send(self, document: Outbound) -> str:
        try:
            fulfilment = Fulfilment.model_validate_json(document.data)
        except ValueError as exc:
            raise PermanentError(f"woocommerce {self.name}: {document.name} is not a Fulfilment: {exc}") from None
        order_id = fulfilment.external_id
        if not order_id:
            raise PermanentError(f"woocommerce {self.name}: fulfilment of {fulfilment.po_number} has no order id")
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

    def close(self) -> None:
        self._api.close()
