"""Amazon Selling Partner API: merchant-fulfilled orders in (Orders 2026-01-01), shipments back (v0 confirmShipment).

What this relies on (``../shared/docs/channel-apis.md`` §1, from Amazon's specs ``orders_2026-01-01.json``,
``ordersV0.json`` and its SDKs):

- Auth: Login with Amazon. ``POST <token_url>`` with the form ``grant_type=refresh_token&refresh_token=…&
  client_id=…&client_secret=…`` answers ``access_token`` and ``expires_in``; the token goes in the
  ``x-amz-access-token`` header. It is cached per seller and app for the process (a source is built anew for
  each poll) and refreshed a minute before it expires, or at once when the API answers 401, or 403 saying the
  token expired. No AWS signature.
- Reads: ``GET /orders/2026-01-01/orders`` (``searchOrders``) with ``lastUpdatedAfter`` = the checkpoint less
  the overlap (an hour by default: Amazon reveals some changes late, see ``overlap``), ``lastUpdatedBefore`` two
  minutes back (Amazon's data settles that long [spec]), ``marketplaceIds``, ``fulfilledBy=MERCHANT`` and
  ``includedData`` = every dataset the mapping reads, so no order is fetched again one by one; arrays go
  comma-separated (Swagger 2.0's default ``collectionFormat``). Pages follow ``pagination.nextToken`` sent back
  as ``paginationToken`` with the same filters. ``GET /orders/2026-01-01/orders/{orderId}`` (``getOrder``)
  reads one order.
- Writes (``amazon_sink``): shipments by v0 ``confirmShipment``, cancellations by the order acknowledgement
  feed (Feeds API 2021-06-30).
- Usage plans are token buckets per operation (rate per second, burst) from the specs; the connector keeps
  the same bucket per seller, app and operation and waits for a token before each call. ``x-amzn-RateLimit-
  Limit`` (the rate actually applied, "when available") replaces the default rate. A 429 has no
  Retry-After: the bucket is emptied and the call waits one token's time and tries again, twice at most.
- No HTTP webhooks: ``ORDER_CHANGE`` notifications come through SQS or EventBridge, so there is no signature to
  check here; ``verify_webhook`` refuses everything and the poll is the only way in.
- FBA orders are Amazon's to ship: the search asks for merchant orders only, and an order that says
  ``fulfilledBy: AMAZON`` anyway is skipped (still counted for the checkpoint).

The client secret, refresh token and access token travel only in the token form and the header, and are
scrubbed from any error text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from decimal import Decimal
from itertools import chain
from typing import Any

import httpx

from crossdock import __version__
from crossdock.connectors import amazon_returns
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_returns import api_time, read_time
from crossdock.connectors.channel import ChannelSource, Expiring, order_inbound
from crossdock.connectors.http import check, read_json, request, scrub
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Inbound

ORDERS = "/orders/2026-01-01/orders"
CONFIRM = "/orders/v0/orders/{order_id}/shipmentConfirmation"
# Default usage plans [spec: each operation's description]: (requests per second, burst).
# createFeed is the feeds model's [spec feeds_2021-06-30.json, in channel-lifecycle.md §4]; createFeedDocument's
# 0.5/15 is [unverified] (the same model, not in the fact sheets).
USAGE_PLANS = {
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),  # [spec feeds_2021-06-30.json]
    "getFeedDocument": (0.0222, 10),  # [spec feeds_2021-06-30.json]
    "patchListingsItem": (5.0, 5),  # [spec listingsItems_2021-08-01.json]
    # The Reports API's (returns: amazon_returns) [unverified: reports_2021-06-30.json as recalled, not in the facts]
    "getReports": (0.0222, 10),
    "createReport": (0.0167, 15),
    "getReportDocument": (0.0167, 15),
}
# What the mapping reads: buyer, recipient, proceeds, promotions, cancellations, fulfilment status, tax model.
INCLUDED = ("BUYER", "RECIPIENT", "PROCEEDS", "PROMOTION", "CANCELLATION", "FULFILLMENT", "TAX")
MAX_WAIT = 300.0  # a longer wait for a token is not slept through: the call fails and is retried later
THROTTLED_TRIES = 3
TOKEN_MARGIN = 60.0
# searchOrders' lastUpdatedBefore must be at least two minutes before the request [spec]: Amazon's data settles
# that long, so a window never reads into it (what changes there is read by the next poll).
SETTLING = dt.timedelta(minutes=2, seconds=5)


def _clock() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class _Bucket:
    """One operation's usage plan, for one seller and app: ``rate`` tokens a second, at most ``burst`` saved."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), _clock()
        self.lock = threading.Lock()  # a poll and the outbox may call the same operation at once

    def take(self) -> float:
        """Reserve the next token; the seconds to wait before using it."""
        with self.lock:
            now = _clock()
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def give_back(self) -> None:
        with self.lock:
            self.tokens += 1

    def empty(self) -> None:
        """Amazon said 429: its bucket is empty, whatever this one counted."""
        with self.lock:
            self.tokens = min(self.tokens, 0.0)

    def observe(self, limit: str | None) -> None:
        """``x-amzn-RateLimit-Limit``: the rate Amazon applies to this seller and app."""
        try:
            rate = float(limit) if limit else 0.0
        except ValueError:
            return
        if 0 < rate < float("inf"):
            with self.lock:
                self.rate = rate


class _Shared:
    """Per process, like Amazon's own accounting: access tokens per seller and app, buckets per operation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: Expiring[str] = Expiring(lambda: _clock())  # until TOKEN_MARGIN before they expire
        self.buckets: dict[tuple[str, ...], _Bucket] = {}

    def bucket(self, key: tuple[str, ...], operation: str) -> _Bucket:
        with self.lock:
            found = self.buckets.get((*key, operation))
            if found is None:
                found = self.buckets[(*key, operation)] = _Bucket(*USAGE_PLANS[operation])
            return found

    def clear(self) -> None:
        self.tokens.clear()
        with self.lock:
            self.buckets.clear()


_SHARED = _Shared()


class _Api:
    """One seller account's SP-API: LWA tokens, the usage plans, answers classified, JSON read without float."""

    def __init__(self, who: str, config: AmazonSourceConfig, transport: httpx.BaseTransport | None) -> None:
        self.who = who
        self.config = config
        self.client_id = resolve_secret(config.client_id) or ""
        self.client_secret = resolve_secret(config.client_secret) or ""
        self.refresh_token = resolve_secret(config.refresh_token) or ""
        seller = hashlib.sha256(self.refresh_token.encode()).hexdigest()[:16]
        self.key = (config.endpoint.rstrip("/"), config.token_url, self.client_id, seller)
        self.client = httpx.Client(
            base_url=config.endpoint.rstrip("/"),
            timeout=config.timeout,
            transport=transport,
            headers={"user-agent": f"crossdock/{__version__} (Language=Python)"},
        )

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets())

    def _secrets(self) -> tuple[str, ...]:
        return (self.client_secret, self.refresh_token, _SHARED.tokens.get(self.key) or "")

    def token(self) -> str:
        found = _SHARED.tokens.get(self.key)
        if found is not None:
            return found
        where = f"amazon {self.who}: LWA token refresh"
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        response = self._send(where, "POST", self.config.token_url, data=form)
        body = self._json(where, response)
        if response.is_error:
            said = f"{body.get('error', '')}: {body.get('error_description', '')}" if isinstance(body, dict) else ""
            self._check(where, response, self.scrub(said.strip(": ")))
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise TransientError(f"{where}: the answer has no access_token")
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | Decimal) and lifetime > 0 else 3600.0
        _SHARED.tokens.put(self.key, value, seconds - TOKEN_MARGIN)
        return value

    def forget_token(self) -> None:
        _SHARED.tokens.drop(self.key)

    def call(
        self, operation: str, method: str, path: str, *, accept: tuple[int, ...] = (), **kwargs: Any
    ) -> tuple[int, Any]:
        """The answer's status and JSON body. A status in ``accept`` is returned, not raised."""
        where = f"amazon {self.who}: {operation} {method} {path}"
        bucket = _SHARED.bucket(self.key, operation)
        throttled = 0
        refreshed = False
        while True:
            wait = bucket.take()
            if wait > MAX_WAIT:
                bucket.give_back()
                raise TransientError(f"{where}: the usage plan allows the next call in {wait:.0f} s", retry_after=wait)
            if wait:
                _sleep(wait)
            token = self.token()
            now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            headers = {"x-amz-access-token": token, "x-amz-date": now}
            response = self._send(where, method, path, headers=headers, **kwargs)
            bucket.observe(response.headers.get("x-amzn-RateLimit-Limit"))
            body = self._json(where, response)
            said = self.scrub(_errors(body))
            if response.status_code == 429:
                throttled += 1
                bucket.empty()
                if throttled < THROTTLED_TRIES:
                    continue
                raise TransientError(f"{where}: 429 throttled {throttled} times: {said}", retry_after=1 / bucket.rate)
            expired = response.status_code == 401 or (response.status_code == 403 and "expired" in said.lower())
            if expired and not refreshed:
                self.forget_token()
                refreshed = True
                continue
            if response.status_code not in accept:
                self._check(where, response, said)
            return response.status_code, body

    def _send(self, where: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return request(self.client, method, url, where, secrets=self._secrets(), **kwargs)

    def _json(self, where: str, response: httpx.Response) -> Any:
        return read_json(response, where, not_json="but the body is not JSON", secrets=self._secrets())

    def _check(self, where: str, response: httpx.Response, said: str) -> None:
        check(response, where, said, self._secrets())

    def upload(self, url: str, content: bytes, content_type: str) -> None:
        """A feed document's bytes to the pre-signed URL ``createFeedDocument`` gave: no token goes there."""
        where = f"amazon {self.who}: feed document upload"
        response = self._send(where, "PUT", url, content=content, headers={"Content-Type": content_type})
        self._check(where, response, "")

    def close(self) -> None:
        self.client.close()


def _errors(body: Any) -> str:
    """Amazon's ``{"errors": [{"code", "message", "details"}]}`` as one line."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for error in errors:
        if isinstance(error, dict):
            details = f" ({error['details']})" if error.get("details") else ""
            parts.append(f"{error.get('code', '')}: {error.get('message', '')}{details}")
    return "; ".join(parts)


def _fulfilled_by(order: Mapping[str, Any]) -> str | None:
    fulfillment = order.get("fulfillment")
    by = fulfillment.get("fulfilledBy") if isinstance(fulfillment, Mapping) else None
    return by if isinstance(by, str) else None


class AmazonSource(ChannelSource[AmazonSourceConfig, _Api]):
    """Every merchant-fulfilled order updated since the last checkpoint (less the overlap), one document per
    order version."""

    def _connect(self) -> _Api:
        return _Api(self.name, self.config, self._transport)

    def order(self, order_id: str) -> Inbound:
        """One order read by id (``getOrder``), with the datasets the mapping reads."""
        with self._connected() as api:
            _, body = api.call("getOrder", "GET", f"{ORDERS}/{order_id}", params={"includedData": ",".join(INCLUDED)})
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            raise TransientError(f"amazon {self.name}: getOrder {order_id}: the answer has no order")
        if _fulfilled_by(order) not in (None, self.config.fulfilled_by):
            raise PermanentError(f"amazon {self.name}: order {order_id} is fulfilled by Amazon: not imported")
        return _inbound(order)

    def verify_webhook(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Always False: Amazon sends no HTTP webhooks (notifications go to SQS or EventBridge)."""
        return False

    def webhook_order_id(self, body: bytes, headers: Mapping[str, str]) -> str | None:
        return None

    def _orders(self, api: _Api) -> Iterator[Inbound]:
        """With ``returns: {read: true}``, the returns reports first (``amazon_returns``); the orders' last carries the
        checkpoint."""
        now = dt.datetime.now(dt.UTC)
        start = self._window_start(read_time(self.since) if self.since else None, now)
        returns = amazon_returns.read_returns(api, self.name, start, now) if self.config.returns.read else ()
        return chain(returns, super()._orders(api))

    def _read(self, api: _Api) -> Generator[Inbound, None, str | None]:
        high = read_time(self.since) if self.since else None
        now = dt.datetime.now(dt.UTC)
        start = self._window_start(high, now)
        params = {
            "lastUpdatedAfter": api_time(start),
            "lastUpdatedBefore": api_time(now - SETTLING),
            "marketplaceIds": ",".join(self.config.marketplace_ids),
            "fulfilledBy": self.config.fulfilled_by,
            "includedData": ",".join(INCLUDED),
            "maxResultsPerPage": str(self.config.page_size),
        }
        page_token: str | None = None
        while True:
            page = {**params, "paginationToken": page_token} if page_token else params
            _, body = api.call("searchOrders", "GET", ORDERS, params=page)
            found = body.get("orders") if isinstance(body, dict) else None
            if not isinstance(found, list):
                raise TransientError(f"amazon {self.name}: searchOrders: the answer has no list of orders")
            for order in found:
                if not isinstance(order, dict):
                    raise TransientError(f"amazon {self.name}: searchOrders: an order is not an object")
                updated = read_time(order.get("lastUpdatedTime"))
                if updated is not None and (high is None or updated > high):
                    high = updated
                if _fulfilled_by(order) not in (None, self.config.fulfilled_by):
                    continue
                yield _inbound(order)
            pagination = body.get("pagination")
            page_token = pagination.get("nextToken") if isinstance(pagination, dict) else None
            if not page_token:
                return api_time(high) if high is not None else None


def _inbound(order: dict[str, Any]) -> Inbound:
    return order_inbound("amazon", order.get("orderId"), order.get("lastUpdatedTime") or "", order)
