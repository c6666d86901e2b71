"""ShipBob's API as the ShipBob sink, source and stock reads call it: the token and channel headers on every
call, answers worth retrying raised as TransientError with ShipBob's wait, its validation messages said in its
own words, and next-page links kept on ShipBob's own host. Apart from ``shipbob`` (what is sent and read)
because it is about the API, not about orders or shipments."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from crossdock.connectors.http import request, retry_after
from crossdock.connectors.shipbob_config import ShipBobSinkConfig, ShipBobSourceConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError

RETRYABLE = frozenset({408, 425, 429})


class Api:
    """ShipBob over HTTP: the token and channel headers on every call, retryable answers as TransientError."""

    def __init__(
        self,
        who: str,
        config: ShipBobSinkConfig | ShipBobSourceConfig,
        channel_id: str | None,
        transport: httpx.BaseTransport | None,
    ) -> None:
        headers = {"Authorization": f"Bearer {resolve_secret(config.token)}", "Accept": "application/json"}
        if channel_id:
            headers["shipbob_channel_id"] = channel_id
        self.who = who
        self.base = f"{config.url.rstrip('/')}/{config.api_version}"
        self.client = httpx.Client(timeout=config.timeout, headers=headers, transport=transport)

    def call(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None) -> httpx.Response:
        """One request; 2xx and 4xx answers are returned, a timeout, 408, 425, 429 or 5xx raises TransientError."""
        url = self.base + path + ("?" + urlencode(query, safe=":,", quote_via=quote) if query else "")
        where = f"{self.who}: {method} {self.base}{path}"
        try:
            response = request(self.client, method, url, where, json=body)  # bounded: http.MAX_ANSWER
        except httpx.HTTPError as exc:  # a refused or dropped connection, a body that would not decode
            raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from None
        code = response.status_code
        if code in RETRYABLE or code >= 500:
            wait = retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = retry_after(response.headers.get("x-retry-after"))  # ShipBob's own rate-limit header
            raise TransientError(self.refused(response), retry_after=wait)
        return response

    def refused(self, response: httpx.Response) -> str:
        """What went wrong, in ShipBob's words: its validation messages rather than the raw body."""
        request, said = response.request, _said(response)
        return (
            f"{self.who}: {request.method} {request.url.copy_with(query=None)}: "
            f"{response.status_code} {response.reason_phrase}" + (f": {said}" if said else "")
        )

    def close(self) -> None:
        self.client.close()


def _said(response: httpx.Response) -> str:
    """ShipBob's error body: ``{field: [messages]}``, a ProblemDetails ``errors`` map, or a ``message``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip().replace("\n", " ")
    if isinstance(body, dict) and isinstance(body.get("errors"), dict):
        body = body["errors"]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:500]
    if isinstance(body, dict):
        parts = [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items()]
        return " | ".join(parts)[:500]
    return json.dumps(body)[:300]


def next_path(link: str, api: Api) -> str:
    """A next-page link as a path under the API's version: never another host."""
    if link.startswith(("http://", "https://")):
        if not link.startswith(api.base.rsplit("/", 1)[0] + "/"):
            raise PermanentError(f"{api.who}: a next page on another host refused: {link[:200]}")
        link = link[len(api.base.rsplit("/", 1)[0]) :]
    version = "/" + api.base.rsplit("/", 1)[1]
    return link[len(version) :] if link.startswith(version + "/") else link
