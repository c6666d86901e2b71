"""Walmart Marketplace (US Orders API v3): purchase orders in by modification time, each acknowledged once
stored, shipments back as Shipped lines with tracking.

What this relies on (``../shared/docs/channel-apis.md`` §3, from Walmart's spec and docs):

- ``POST /v3/token`` (``grant_type=client_credentials``, the client id and secret as HTTP Basic [unverified
  header detail]) gives a token for **15 minutes** (``expires_in``). It is kept, fetched again a minute before it
  runs out, and once more when a call answers 401 (revoked early). Every call sends ``WM_SEC.ACCESS_TOKEN``, a
  fresh ``WM_QOS.CORRELATION_ID``, ``WM_SVC.NAME``, ``Accept: application/json`` and, for solution providers,
  ``WM_CONSUMER.CHANNEL.TYPE``.
- ``GET /v3/orders?lastModifiedStartDate=…&createdStartDate=…&limit=…``: every order changed in the window,
  not only the released (Created) ones, so cancellations come in too. ``createdStartDate`` defaults to seven
  days ago at Walmart, which would hide an older order changed today: it is sent as 179 days ago (Walmart keeps
  180). Pages follow ``list.meta.nextCursor``, a query string appended to ``/v3/orders`` as it is.
- The orders carry no modification time: the checkpoint is when the poll started (less the overlap next time),
  and an order's version is the mapping's ``version``: its ``updated_at`` (its date, or the latest cancellation)
  with a digest of its content, so any change Walmart makes (a new ship-to address) is a new version.
- Walmart wants an order acknowledged (``POST /v3/orders/{id}/acknowledge``) before it ships, and within
  four hours. Each order with a line still Created is acknowledged in ``imported``: only once crossdock
  processed it (an order that failed to import, a price of "abc", is not acknowledged: Walmart would take it
  as accepted). Acknowledging again is allowed; an order already past Created is not acknowledged (Walmart says
  not to acknowledge shipped or cancelled ones). A failed acknowledgement is logged by the poller and tried on
  the next poll; the sink acknowledges too before it ships.
- 429 when throttled; the wait comes from ``Retry-After`` or ``x-next-replenish-time`` [unverified name], read
  defensively, and the call waits that long and tries again within ``throttle``'s budget.
- Webhooks (``PO_CREATED``, ``PO_LINE_AUTOCANCELLED``, or ``ORDER_UPDATES`` with the order under
  ``payload.order``) are subscribed with ``authMethod: BASIC_AUTH``: Walmart then sends the Base64 of
  ``userName:password`` in the ``authHeaderName`` header [docs createsubscription]. That shared secret is what
  is checked (HMAC's canonical string is unverified). The body is only a hint: the order is read again.

The sink (``walmart_sink``) ships and cancels lines. Secrets and tokens never appear in an error.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import time
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping
from decimal import Decimal
from itertools import chain
from typing import Any

import httpx

from crossdock.connectors import walmart_returns
from crossdock.connectors.channel import ChannelSource, Expiring, order_inbound
from crossdock.connectors.http import check, read_json, request, retry_after
from crossdock.connectors.throttle import Patience
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.mappings import walmart as mapping
from crossdock.mappings import walmart_requests as requests

ORDERS = "/v3/orders"
CREATED_WINDOW = dt.timedelta(days=179)  # Walmart serves 180 days; a day's margin for clocks
ORDER_EVENTS = frozenset({"PO_CREATED", "PO_LINE_AUTOCANCELLED", "ORDER_UPDATES"})
TOKEN = "access"  # the one token a seller account's cache holds
_clock: Callable[[], float] = time.monotonic  # seconds, for the token's lifetime (tests move it)


def _tokens() -> Expiring[str]:
    """Where a source or sink keeps its access token across polls and sends (on the module's clock)."""
    return Expiring(lambda: _clock())


class _Api:
    """One seller account's API: the token fetched when needed, the WM_* headers on every call, the answers
    classified, JSON read without float."""

    def __init__(
        self, who: str, config: WalmartSourceConfig, transport: httpx.BaseTransport | None, tokens: Expiring[str]
    ) -> None:
        self.who = who
        self.config = config
        self.tokens = tokens
        self.client = httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout, transport=transport)

    def _headers(self) -> dict[str, str]:
        headers = {
            "WM_SVC.NAME": self.config.service_name,
            "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
            "Accept": "application/json",
        }
        if self.config.channel_type:
            headers["WM_CONSUMER.CHANNEL.TYPE"] = self.config.channel_type
        return headers

    def _access_token(self) -> str:
        cached = self.tokens.get(TOKEN)
        if cached is not None:
            return cached
        client_id = resolve_secret(self.config.client_id) or ""
        secret = resolve_secret(self.config.client_secret) or ""
        started = _clock()
        patience = Patience()
        while True:
            response = self._send(
                "POST",
                "/v3/token",
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret),
                headers={**self._headers(), "Content-Type": "application/x-www-form-urlencoded"},
            )
            if response.status_code != 429 or not patience.wait(_wait(response)):
                break
        body = self._read("POST", "/v3/token", response)
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | Decimal | str):
            raise TransientError(f"walmart {self.who}: POST /v3/token: no access_token and expires_in in the answer")
        seconds = float(lifetime)
        self.tokens.put(TOKEN, token, started + seconds - min(60.0, seconds / 10) - _clock())
        return token

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; a 401 fetches a new token and tries once more (a token revoked before its time); a 429
        waits as long as Walmart says and tries again, within ``throttle``'s budget."""
        refreshed = False
        patience = Patience()
        while True:
            headers = {**self._headers(), "WM_SEC.ACCESS_TOKEN": self._access_token()}
            response = self._send(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and not refreshed:
                self.tokens.drop(TOKEN)
                refreshed = True
                continue
            if response.status_code == 429 and patience.wait(_wait(response)):
                continue
            return self._read(method, path, response)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return request(self.client, method, path, _where(self.who, method, path), **kwargs)

    def _read(self, method: str, path: str, response: httpx.Response) -> Any:
        where = _where(self.who, method, path)
        body = read_json(response, where)
        said = _errors(body)
        if response.status_code == 429:
            raise TransientError(f"{where}: 429 throttled" + (f": {said}" if said else ""), retry_after=_wait(response))
        check(response, where, said)
        return body

    def close(self) -> None:
        self.client.close()


def _where(who: str, method: str, path: str) -> str:
    """What a message names: the call without its query (a cursor says nothing to a reader)."""
    return f"walmart {who}: {method} {path.split('?')[0]}"


def _errors(body: Any) -> str:
    """Walmart's error list (``{"errors": {"error": [{code, description, info}]}}`` or a plain list) as text."""
    found = body.get("errors") if isinstance(body, dict) else None
    if isinstance(found, dict):
        found = found.get("error")
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        return ""
    parts = []
    for error in found:
        if isinstance(error, dict):
            text = " ".join(str(error[k]) for k in ("code", "description", "info") if error.get(k))
            parts.append(text)
    return "; ".join(p for p in parts if p)


def _wait(response: httpx.Response) -> float | None:
    """Seconds until Walmart lets the call through again: Retry-After, else the replenishment time (epoch ms
    or seconds from now, whichever it reads as)."""
    said = retry_after(response.headers.get("Retry-After"))
    if said is not None:
        return said
    value = (response.headers.get("x-next-replenish-time") or "").strip()
    if not value.isdecimal():
        return None
    number = int(value)
    if number > 10**11:  # an epoch in milliseconds
        return max(0.0, number / 1000 - time.time())
    return float(number)


class WalmartSource(ChannelSource[WalmartSourceConfig, _Api]):
    """Every order changed since the last poll began (less the overlap), one document per order version."""

    def __init__(self, name: str, config: WalmartSourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(name, config, transport)
        self._tokens = _tokens()

    def _connect(self) -> _Api:
        return _Api(self.name, self.config, self._transport, self._tokens)

    def order(self, order_id: str) -> Inbound:
        """One purchase order read by id: what a webhook's hint turns into (acknowledged by the next poll)."""
        if not _safe_id(order_id):
            raise PermanentError(f"walmart {self.name}: {order_id!r} is not a purchase order id")
        with self._connected() as api:
            body = api.call("GET", f"{ORDERS}/{order_id}")
        found = body.get("order") if isinstance(body, dict) else None
        if not isinstance(found, dict):
            raise TransientError(f"walmart {self.name}: order {order_id}: the answer holds no order")
        return self._inbound(found, None)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return verify_webhook(
            headers, resolve_secret(self.config.webhook_secret) or "", self.config.webhook_header.lower()
        )

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return webhook_order_id(body)

    def _orders(self, api: _Api) -> Iterator[Inbound]:
        """With ``returns: {read: true}``, the window's return orders first (``walmart_returns``); the orders' last
        carries the checkpoint."""
        start = self._window_start(
            dt.datetime.fromisoformat(self.since) if self.since else None, dt.datetime.now(dt.UTC)
        )
        returns = walmart_returns.read_returns(api, self.name, start) if self.config.returns.read else iter(())
        return chain(returns, super()._orders(api))

    def _read(self, api: _Api) -> Generator[Inbound, None, str | None]:
        now = dt.datetime.now(dt.UTC)
        start = self._window_start(dt.datetime.fromisoformat(self.since) if self.since else None, now)
        params = {
            "lastModifiedStartDate": _stamp(start),
            "createdStartDate": _stamp(min(start, now - CREATED_WINDOW)),
            "limit": str(self.config.limit),
        }
        path: str = ORDERS
        query: dict[str, str] | None = params
        seen: set[str] = set()
        while True:
            body = api.call("GET", path, params=query)
            listing = body.get("list") if isinstance(body, dict) else None
            if not isinstance(listing, dict):
                raise TransientError(f"walmart {self.name}: GET {ORDERS}: the answer holds no list")
            elements = listing.get("elements") or {}
            found = elements.get("order") if isinstance(elements, dict) else None
            for order in found or []:
                yield self._inbound(order, api)
            meta = listing.get("meta")
            cursor = str(meta.get("nextCursor") or "").strip() if isinstance(meta, dict) else ""
            if not cursor or not found:
                return _stamp(now)  # the orders carry no modification time: the poll's start is the mark
            if cursor in seen:
                raise TransientError(f"walmart {self.name}: GET {ORDERS}: the same nextCursor came back twice")
            seen.add(cursor)
            path, query = f"{ORDERS}{cursor if cursor.startswith('?') else '?' + cursor}", None

    def _inbound(self, order: Any, api: _Api | None) -> Inbound:
        """The order as one document; ``imported`` acknowledges it once crossdock processed it, while a line is
        still Created (an order that failed to import is never acknowledged: Walmart would take it as accepted)."""
        where = f"walmart {self.name}"
        if not isinstance(order, dict):
            raise TransientError(f"{where}: an order in the answer is not an object")
        po = str(order.get("purchaseOrderId") or "")
        try:
            version = mapping.version(order, name=f"{where} order {po}")
            due = mapping.needs_acknowledgement(order)
        except DecodeError:
            version, due = "0", False  # stored all the same: decoding marks it failed with the reason
        inbound = order_inbound("walmart", po, version, order)
        if api is not None and due and _safe_id(po):
            inbound.imported = lambda: self._acknowledge(api, po)
        return inbound

    def _acknowledge(self, api: _Api, po: str) -> None:
        method, path = requests.acknowledge_request(po)
        api.call(method, path)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _safe_id(value: str) -> bool:
    """A purchase order id fit for a path (digits at Walmart; letters and dashes allowed, nothing else)."""
    return bool(value) and len(value) <= 64 and value.replace("-", "").isalnum() and value.isascii()


def verify_webhook(headers: Mapping[str, str], secret: str, header: str = "authorization") -> bool:
    """BASIC_AUTH: the ``header`` (lower-cased) holds Base64 of ``userName:password``, with or without the
    ``Basic`` scheme; compared in constant time. No secret configured: nothing is verified."""
    given = (headers.get(header) or "").strip()
    if not given or not secret:
        return False
    scheme, _, rest = given.partition(" ")
    if rest and scheme.lower() == "basic":
        given = rest.strip()
    expected = base64.b64encode(secret.encode()).decode()
    return hmac.compare_digest(expected.encode(), given.encode())


def webhook_order_id(body: bytes) -> str | None:
    """The purchase order an order event is about (``payload.purchaseOrderId``, or ``payload.order``'s for
    ORDER_UPDATES); None for any other event (a test notification, an item event)."""
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    source, payload = parsed.get("source"), parsed.get("payload")
    if not isinstance(source, dict) or not isinstance(payload, dict) or source.get("eventType") not in ORDER_EVENTS:
        return None
    inner = payload.get("order")
    found = str((inner if isinstance(inner, dict) else payload).get("purchaseOrderId") or "").strip()
    return found if _safe_id(found) else None
