"""One shop's Admin GraphQL endpoint as the Shopify source and sink call it: the token on every call (refreshed
once on a 401), the query-cost bucket shared by every client of the shop in this process, and each answer
classified as data, a throttle, a transient or a permanent error. Apart from ``shopify`` (what the source and
sink do with orders) because the pacing is about Shopify's API, not about any document."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Any

import httpx

from crossdock.connectors.http import check, read_json, request, retry_after
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.connectors.shopify_tokens import Tokens
from crossdock.connectors.throttle import Patience, Throttled
from crossdock.core.errors import PermanentError, TransientError

FIRST_COST = 50.0  # what a query not seen yet is taken to cost: more than the small reads and a mutation's 10


_BUCKETS: dict[str, _Bucket] = {}  # a shop's cost bucket, by its url


_LOCKS_GUARD = threading.Lock()


def sleep(seconds: float) -> None:
    """Wait for the cost bucket (a module function, so tests can count the waits instead of sleeping)."""
    time.sleep(seconds)


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


class Shop:
    """One shop's GraphQL endpoint: the token on every call, the cost bucket respected, answers classified."""

    def __init__(
        self, who: str, config: ShopifySourceConfig, transport: httpx.BaseTransport | None, patience: float = 0.0
    ) -> None:
        self.who = who
        self.patience = Patience(patience, lambda seconds: sleep(seconds))
        self.client = httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout, transport=transport)
        self.endpoint = f"/admin/api/{config.api_version}/graphql.json"
        self.tokens = Tokens(who, config, self.client)
        with _LOCKS_GUARD:
            self.bucket = _BUCKETS.setdefault(config.url.rstrip("/").lower(), _Bucket())

    def query(self, operation: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of one GraphQL call; errors raised as Transient or Permanent with Shopify's words. A
        throttled call waits and is made again while the client's patience lasts (a poll's; a sink has none:
        the outbox retries)."""
        return self.patience.call(lambda: self._query(operation, text, variables))

    def _query(self, operation: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
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
            raise Throttled(f"{where}: throttled: {said or 'Too Many Requests'}", retry_after=wait)
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
