"""Shopify (Admin GraphQL API): orders in by update time, fulfilments back through the order's fulfillment orders.

What this relies on (``../shared/docs/channel-apis.md`` §4, from Shopify's docs; [unverified] where it says so):

- ``POST <shop>/admin/api/<version>/graphql.json`` with ``X-Shopify-Access-Token``. Orders come from
  ``orders(sortKey: UPDATED_AT, query: "updated_at:>='…'")`` with Relay cursors; an order's lineItems (and
  shippingLines) page separately, so an order with more is completed before it is stored.
- Rate limits are a leaky bucket of query cost: every answer's ``extensions.cost.throttleStatus`` says what is
  left (``currentlyAvailable``) and how fast it comes back (``restoreRate``). The next query waits until the bucket
  holds what the last one of its kind asked for, so a poll slows down instead of running dry. A throttled query
  (``errors[].extensions.code == "THROTTLED"``, HTTP 200 or 429) is transient, with the wait the bucket implies.
- Expiring offline tokens last an hour and come with a refresh token that rotates on every refresh: it is
  exchanged at ``POST <shop>/admin/oauth/access_token`` (``grant_type=refresh_token``, client id and secret; the
  shape of Shopify's own ``@shopify/shopify-api`` library), a few minutes before expiry and on a 401, under a
  lock, and the new pair is written to ``token_file`` atomically before it is used.
- Webhooks carry ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(client secret, raw body)) and the topic in
  ``X-Shopify-Topic``; Shopify's Ruby library also accepts both names without ``X-``.
- ``fulfillmentCreate`` takes no idempotency key (its ``@idempotent`` directive covers other mutations) and HTTP
  200 does not mean success: ``userErrors`` are permanent and said as Shopify said them.
- A fulfilment reads every page of the order's fulfillment orders, of their lineItems and of each existing
  fulfilment's fulfillmentLineItems. ``Order.fulfillments`` is a list cut at ``first``, not a connection: an order
  with as many as one read returns is refused, since what already shipped could be on the part not returned.

Tokens and secrets travel only in headers and the token request's body, and never appear in an error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import math
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from crossdock.connectors.base import Inbound, Outbound
from crossdock.connectors.channel import ChannelSink, ChannelSource, order_inbound
from crossdock.connectors.http import check, read_json, request, retry_after
from crossdock.core.channel_config.shopify import ShopifySourceConfig
from crossdock.core.config_types import resolve_secret
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.models import Fulfilment
from crossdock.mappings import shopify as mapping
from crossdock.mappings import shopify_graphql as graphql

REFRESH_BEFORE = 300.0  # seconds before an expiring token's end when it is renewed ("a few minutes" in the docs)
FIRST_COST = 50.0  # what a query not seen yet is taken to cost: more than the small reads and a mutation's 10
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})
_LOCKS: dict[str, threading.Lock] = {}  # a token file's refresh lock
_BUCKETS: dict[str, _Bucket] = {}  # a shop's cost bucket, by its url
_LOCKS_GUARD = threading.Lock()


def sleep(seconds: float) -> None:
    """Wait for the cost bucket (a module function, so tests can count the waits instead of sleeping)."""
    time.sleep(seconds)


class _Tokens:
    """The access token for every call: the configured one, or the expiring one kept in ``token_file``.

    The file holds the access token, its end, the current refresh token and a digest of the environment's
    refresh token it descends from: a new grant put in the environment replaces what the file holds.
    """

    def __init__(self, who: str, config: ShopifySourceConfig, client: httpx.Client) -> None:
        self.who = who
        self.config = config
        self.client = client
        self.static = resolve_secret(config.access_token)
        self.path = Path(config.token_file) if config.token_file else None

    @property
    def refreshes(self) -> bool:
        return self.static is None

    def current(self) -> str:
        if self.static is not None:
            return self.static
        state = self._read()
        if state and float(state.get("expires_at", 0)) - REFRESH_BEFORE > time.time():
            return str(state["access_token"])
        return self.refresh(stale=str(state["access_token"]) if state else None)

    def refresh(self, stale: str | None) -> str:
        """A new access token, unless another caller (thread or process) already replaced ``stale``."""
        assert self.path is not None
        with self._locked():
            state = self._read()
            if state and state.get("access_token") != stale and float(state.get("expires_at", 0)) > time.time():
                return str(state["access_token"])
            seed = resolve_secret(self.config.refresh_token) or ""
            refresh_token = str(state["refresh_token"]) if state else seed
            body = {
                "client_id": resolve_secret(self.config.client_id),
                "client_secret": resolve_secret(self.config.client_secret),
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
            answer = self._post_token(body)
            token, rotated = answer.get("access_token"), answer.get("refresh_token")
            if not isinstance(token, str) or not token:
                raise TransientError(f"shopify {self.who}: the token answer has no access_token")
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | Decimal) else 3600.0
            self._write(
                {
                    "access_token": token,
                    "expires_at": time.time() + lifetime,
                    "refresh_token": rotated if isinstance(rotated, str) and rotated else refresh_token,
                    "seed": _digest(seed),
                }
            )
            return token

    def _post_token(self, body: dict[str, Any]) -> dict[str, Any]:
        where = f"shopify {self.who}: POST /admin/oauth/access_token (refresh)"
        response = request(self.client, "POST", "/admin/oauth/access_token", where, json=body)
        answer = read_json(response, where, not_json="the answer is not a JSON object")
        if response.status_code in (400, 401) and isinstance(answer, dict):
            said = " ".join(str(answer[k]) for k in ("error", "error_description") if answer.get(k))
            raise PermanentError(
                f"{where}: {response.status_code}: {said or 'refused'}: check client_id and client_secret, or "
                "authorise the app again, put the new refresh token in the environment and delete token_file"
            )
        check(response, where)
        if not isinstance(answer, dict):
            raise TransientError(f"{where}: {response.status_code}, the answer is not a JSON object")
        return answer

    def _read(self) -> dict[str, Any] | None:
        assert self.path is not None
        try:
            state = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PermanentError(f"shopify {self.who}: token_file {self.path} cannot be read: {exc}") from None
        if not isinstance(state, dict) or state.get("seed") != _digest(resolve_secret(self.config.refresh_token)):
            return None  # another grant's tokens: start again from the environment's refresh token
        return state

    def _write(self, state: dict[str, Any]) -> None:
        """Atomically: a crash leaves the old pair or the new one, never half a file."""
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(state, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One refresh at a time: a thread lock for this process, a file lock for other processes."""
        assert self.path is not None
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(str(self.path), threading.Lock())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with lock, open(self.path.with_name(self.path.name + ".lock"), "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)


def _digest(secret: str | None) -> str:
    return hashlib.sha256((secret or "").encode()).hexdigest()[:16]


class _Bucket:
    """A shop's query-cost bucket as Shopify last reported it, shared by the shop's source and sink in this
    process (the limit is per app and store), and what each query asked for last time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.available: float | None = None
        self.restore = 0.0
        self.seen = 0.0
        self.costs: dict[str, float] = {}

    def account(self, operation: str, cost: dict[str, Any]) -> None:
        status = cost.get("throttleStatus") or {}
        with self.lock:
            with contextlib.suppress(TypeError, ValueError, KeyError):
                self.available = float(status["currentlyAvailable"])
                self.restore = float(status["restoreRate"])
                self.seen = time.monotonic()
            with contextlib.suppress(TypeError, ValueError, KeyError):
                self.costs[operation] = float(cost["requestedQueryCost"])

    def wait(self, wanted: float) -> float | None:
        """Seconds until the bucket, refilling since it was last reported, holds ``wanted``; None when unknown."""
        with self.lock:
            if self.available is None or self.restore <= 0:
                return None
            now = self.available + (time.monotonic() - self.seen) * self.restore
            return max(0.0, math.ceil((wanted - now) / self.restore * 10) / 10)  # in tenths, rounded up


class _Shop:
    """One shop's GraphQL endpoint: the token on every call, the cost bucket respected, answers classified."""

    def __init__(self, who: str, config: ShopifySourceConfig, transport: httpx.BaseTransport | None) -> None:
        self.who = who
        self.client = httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout, transport=transport)
        self.endpoint = f"/admin/api/{config.api_version}/graphql.json"
        self.tokens = _Tokens(who, config, self.client)
        with _LOCKS_GUARD:
            self.bucket = _BUCKETS.setdefault(config.url.rstrip("/").lower(), _Bucket())

    def query(self, operation: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of one GraphQL call; errors raised as Transient or Permanent with Shopify's words."""
        where = f"shopify {self.who}: {operation}"
        self._pace(operation)
        token = self.tokens.current()
        response = self._post(where, token, text, variables)
        if response.status_code == 401 and self.tokens.refreshes:
            response = self._post(where, self.tokens.refresh(stale=token), text, variables)
        body = read_json(response, where, not_json="not a JSON object")
        if not isinstance(body, dict):
            check(response, where)
            raise TransientError(f"{where}: {response.status_code}, not a JSON object")
        cost = self._account(operation, body)
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if isinstance(body.get("errors"), str):  # REST-style {"errors": "..."} on a 401 or 402
            errors = [{"message": body["errors"]}]
        codes = {str((e.get("extensions") or {}).get("code", "")) for e in errors}
        said = "; ".join(str(e.get("message", "")).strip() for e in errors)[:300]
        if "THROTTLED" in codes or response.status_code == 429:
            wait = retry_after(response.headers.get("Retry-After")) or self._wait(cost)
            raise TransientError(f"{where}: throttled: {said or 'Too Many Requests'}", retry_after=wait)
        check(response, where, said)
        if errors:
            if codes & {"INTERNAL_SERVER_ERROR", "TIMEOUT"}:
                raise TransientError(f"{where}: {said}")
            named = f" ({', '.join(sorted(codes - {''}))})" if codes - {""} else ""
            hint = ": lower page_size" if "MAX_COST_EXCEEDED" in codes else ""
            raise PermanentError(f"{where}: {said}{named}{hint}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransientError(f"{where}: the answer has no data")
        return data

    def _post(self, where: str, token: str, text: str, variables: dict[str, Any]) -> httpx.Response:
        body = {"query": text, "variables": variables}
        return request(self.client, "POST", self.endpoint, where, json=body, headers={"X-Shopify-Access-Token": token})

    def _account(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        cost = (body.get("extensions") or {}).get("cost")
        if not isinstance(cost, dict):
            return {}
        self.bucket.account(operation, cost)
        return cost

    def _wait(self, cost: dict[str, Any]) -> float | None:
        """Seconds until the bucket holds what a throttled query asked for."""
        try:
            wanted = float(cost["requestedQueryCost"])
        except (TypeError, ValueError, KeyError):
            return None
        return self.bucket.wait(wanted)

    def _pace(self, operation: str) -> None:
        """Wait until the bucket holds what this query asked for last time (``FIRST_COST`` the first time), so
        it is not throttled."""
        wait = self.bucket.wait(self.bucket.costs.get(operation, FIRST_COST))
        if wait:
            sleep(wait)

    def close(self) -> None:
        self.client.close()


class ShopifySource(ChannelSource[ShopifySourceConfig, _Shop]):
    """Every order updated since the last checkpoint (less the overlap), one document per order version."""

    def _connect(self) -> _Shop:
        return _Shop(self.name, self.config, self._transport)

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

    def _orders(self, shop: _Shop) -> Iterator[Inbound]:
        high = _instant(self.since) if self.since else None
        start = self._window_start(high, dt.datetime.now(dt.UTC))
        after: str | None = None
        while True:
            variables = graphql.orders_query_variables(start, after=after, first=self.config.page_size)
            data = shop.query("Orders", graphql.ORDERS_QUERY, variables)
            orders = data.get("orders")
            if not isinstance(orders, dict) or not isinstance(orders.get("nodes"), list):
                raise TransientError(f"shopify {self.name}: Orders: the answer has no orders.nodes")
            items = []
            for node in orders["nodes"]:
                if not isinstance(node, dict):
                    raise TransientError(f"shopify {self.name}: Orders: an order that is not an object")
                items.append(_inbound(_complete(shop, node)))
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


def _complete(shop: _Shop, order: dict[str, Any]) -> dict[str, Any]:
    """The order with every page of its lineItems and shippingLines, so the mapping sees all of them."""
    for key, text in graphql.NESTED_QUERIES.items():
        _all_pages(shop, order, key, "order", text)
    return order


def _all_pages(shop: _Shop, owner: dict[str, Any], key: str, root: str, text: str) -> None:
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
    the REST order: ``id``); None for any other topic."""
    if (_header(headers, "shopify-topic") or "").strip().lower() not in ORDER_TOPICS:
        return None
    try:
        parsed = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    found = parsed.get("id") if isinstance(parsed, dict) else None
    if isinstance(found, bool) or not isinstance(found, int | str) or not str(found).strip():
        return None
    return str(found).strip()


class ShopifySink(ChannelSink[ShopifySourceConfig, _Shop]):
    """A Fulfilment back to the shop: ``fulfillmentCreate`` on the order's open fulfillment orders, with tracking,
    never twice (what already shipped under the shipment's tracking is left out)."""

    channel = "shopify"

    def _connect(self, transport: httpx.BaseTransport | None) -> _Shop:
        return _Shop(self.name, self.config, transport)

    def send(self, document: Outbound) -> str:
        fulfilment = self._fulfilment(document)
        where = f"shopify {self.name}: order {fulfilment.external_id} ({fulfilment.po_number})"
        try:
            gid = mapping.order_gid(fulfilment.external_id or "")
        except ValueError as exc:
            raise PermanentError(f"{where}: {exc}") from None
        order, fulfillments = self._read(where, gid)
        try:
            requests = mapping.fulfilment_requests(
                fulfilment,
                order,
                fulfillments,
                notify_customer=self.config.notify_customer,
                tracking_url=self._tracking_url(fulfilment),
            )
        except (ValueError, DecodeError) as exc:
            raise PermanentError(f"{where}: {exc}") from None
        made = []
        for variables in requests:
            data = self._api.query("FulfillmentCreate", graphql.FULFILLMENT_CREATE, variables)
            answer = data.get("fulfillmentCreate") or {}
            problems = [e for e in answer.get("userErrors") or [] if isinstance(e, dict)]
            if problems:
                said = "; ".join(
                    f"{'.'.join(str(x) for x in e.get('field') or [])}: {e.get('message')}".lstrip(": ")
                    for e in problems
                )
                raise PermanentError(f"{where}: fulfillmentCreate refused: {said}")
            created = answer.get("fulfillment") or {}
            made.append(str(created.get("id") or "?"))
        if not made:
            return f"shopify order {fulfilment.external_id}: shipment {fulfilment.shipment_id} already fulfilled"
        return f"shopify order {fulfilment.external_id}: shipment {fulfilment.shipment_id} as {', '.join(made)}"

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

    def _tracking_url(self, fulfilment: Fulfilment) -> str | None:
        numbers = [n.strip() for n in fulfilment.tracking_numbers if n.strip()]
        links = {scac.upper(): link for scac, link in self.config.tracking_urls.items()}
        link = links.get((fulfilment.carrier_scac or "").upper())
        return link.replace("{number}", quote(numbers[0], safe="")) if link and len(numbers) == 1 else None
