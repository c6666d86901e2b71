"""One eBay seller's REST API as the eBay source, sink, returns and stock pushes call it: a bearer token (user or
application grant) cached process-wide and renewed once on a 401, a 429 waited out within its budget, and eBay's
error bodies said in its own words. Apart from ``ebay`` (orders in, notifications) because every eBay module
shares it and none of them needs the others to reach the API."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

import httpx

from crossdock.connectors.channel import Expiring
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.http import check, excerpt, read_json, request, retry_after
from crossdock.connectors.throttle import Patience
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError

APP_SCOPE = "https://api.ebay.com/oauth/api_scope"


TOKEN_MARGIN = 60.0  # a token is renewed this long before eBay says it expires


TOKENS: Expiring[str] = Expiring()


Grant = Literal["user", "app"]


class Api:
    """One seller's REST API: a cached bearer token on every call (renewed once on 401), answers classified,
    JSON read without float."""

    def __init__(self, who: str, config: EbaySourceConfig, transport: httpx.BaseTransport | None) -> None:
        self.who = who
        self.config = config
        self.client = httpx.Client(base_url=config.url.rstrip("/"), timeout=config.timeout, transport=transport)
        self._client_id = resolve_secret(config.client_id) or ""
        self._basic = base64.b64encode(f"{self._client_id}:{resolve_secret(config.client_secret)}".encode()).decode()
        self._refresh = resolve_secret(config.refresh_token) or ""

    def _grant(self, grant: Grant) -> tuple[str, dict[str, str]]:
        if grant == "user":
            scope = " ".join(self.config.scopes)
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh, "scope": scope}
        else:
            form = {"grant_type": "client_credentials", "scope": APP_SCOPE}
        parts = (self.config.token_url, self._client_id, grant, self._refresh if grant == "user" else "", form["scope"])
        return hashlib.sha256("\n".join(parts).encode()).hexdigest(), form

    def token(self, grant: Grant) -> str:
        key, form = self._grant(grant)
        cached = TOKENS.get(key)
        if cached:
            return cached
        where = f"ebay {self.who}: {grant} token from {self.config.token_url}"
        headers = {"Authorization": f"Basic {self._basic}"}
        body, _ = self._send("POST", self.config.token_url, where, data=form, headers=headers)
        token = body.get("access_token") if isinstance(body, dict) else None
        expires = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(expires, int | Decimal):
            raise TransientError(f"{where}: the answer has no access_token and expires_in")
        TOKENS.put(key, token, max(0.0, float(expires) - TOKEN_MARGIN))
        return token

    def call(
        self,
        method: str,
        path: str,
        *,
        grant: Grant = "user",
        scheme: str = "Bearer",
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, httpx.Headers]:
        """One call with the grant's token under ``scheme`` (the Post-Order API's is ``IAF``), renewed once on 401."""
        where = f"ebay {self.who}: {method} {path}"
        extra = dict(headers or {})
        for attempt in (1, 2):
            sent = {"Authorization": f"{scheme} {self.token(grant)}", "Accept": "application/json", **extra}
            try:
                return self._send(method, path, where, headers=sent, **kwargs)
            except _Unauthorized as exc:
                TOKENS.drop(self._grant(grant)[0])
                if attempt == 2:
                    raise PermanentError(str(exc)) from None
        raise AssertionError("unreachable")

    def _send(self, method: str, url: str, where: str, **kwargs: Any) -> tuple[Any, httpx.Headers]:
        patience = Patience()  # a 429 waits as long as eBay says (if it says), within the budget, and again
        response = request(self.client, method, url, where, **kwargs)
        while response.status_code == 429 and patience.wait(retry_after(response.headers.get("Retry-After"))):
            response = request(self.client, method, url, where, **kwargs)
        body = read_json(response, where)
        said = _error_text(body)
        if response.status_code == 401 and url != self.config.token_url:
            raise _Unauthorized(f"{where}: 401 Unauthorized: {excerpt(response, said)}")
        if response.status_code == 404:
            raise NotFound(f"{where}: 404 Not Found: {excerpt(response, said)}")
        check(response, where, said)
        return body, response.headers

    def close(self) -> None:
        self.client.close()


class _Unauthorized(Exception):
    """A 401 from the API (not the token endpoint): the token is renewed once and the call made again."""


class NotFound(PermanentError):
    """A 404: no such order, or no such notification key (a forged signature header)."""


def _error_text(body: Any) -> str:
    """eBay's own words from an error body, REST (``errors[]``) or OAuth (``error``, ``error_description``)."""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("errors"), list):
        parts = [
            f"{e.get('errorId', '')} {e.get('longMessage') or e.get('message') or ''}".strip()
            for e in body["errors"]
            if isinstance(e, dict)
        ]
        return "; ".join(p for p in parts if p)
    if body.get("error"):
        return f"{body['error']} {body.get('error_description') or ''}".strip()
    return ""
