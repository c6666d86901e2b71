"""HTTP sink: a WMS, ERP or 3PL web hook takes each document as the body of one request (and ``fetch``, the
GET that reads a stock snapshot from a warehouse system's endpoint).

The delivery's stable key goes in the idempotency header, so a destination that honours it never creates an
order twice when the outbox sends again after a crash. The response decides what the outbox does next:
2xx is done; 408, 425, 429 and 5xx, a timeout or a dropped connection are worth retrying (Retry-After,
in seconds or as a date, is passed on); any other 4xx is permanent. The secret header's value never
appears in an error. ``X-Crossdock-Purpose`` says what the body is: ``order`` (a new order or a new revision of
one) or ``cancel`` (stop the order), for a destination whose mapped body does not carry ``purpose``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from crossdock.connectors.http_config import HttpSinkConfig
from crossdock.core.configuration.channels import MAX_ANSWER
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound

RETRYABLE = frozenset({408, 425, 429})
PURPOSE_HEADER = "X-Crossdock-Purpose"
ANSWER_LIMIT = "crossdock.answer_limit"  # the answer's extension that carries its source's max_answer
CONTENT_TYPES = {
    "json": "application/json",
    "mapped": "application/json",
    "csv": "text/csv",
    "x12-940": "application/edi-x12",
}


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):  # delta-seconds, also as some send them: "2.0"
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class HttpSink:
    def __init__(self, name: str, config: HttpSinkConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        headers = dict(config.headers)
        secret = resolve_secret(config.auth)
        if secret is not None:
            headers[config.auth_header] = secret
        self._client = httpx.Client(timeout=config.timeout, headers=headers, transport=transport)

    def send(self, document: Outbound) -> str:
        config = self.config
        headers = {
            config.idempotency_header: document.idempotency_key,
            "Content-Type": CONTENT_TYPES.get(config.format, document.content_type),
        }
        if document.purpose:
            headers[PURPOSE_HEADER] = document.purpose
        where = f"http {self.name}: {config.method} {config.url}"
        response = request(self._client, config.method, config.url, where, content=document.data, headers=headers)
        check(response, where)
        return response.headers.get("Location") or f"{config.url} {response.status_code}"

    def close(self) -> None:
        self._client.close()


def scrub(text: str, secrets: Collection[str] = ()) -> str:
    """The text with every secret replaced by ``***``: an error may quote a request or an answer that holds one."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def request(
    client: httpx.Client,
    method: str,
    url: str,
    where: str,
    *,
    secrets: Collection[str] = (),
    limit: int | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One request; a timeout or a dropped connection is transient (the peer may answer next time). An answer
    over ``limit`` bytes (as sent, before decompression) is refused as it arrives, never held whole: permanent,
    as the same page or order is as large next time. Without ``limit``, the one its transport gives
    (``AnswerLimit``: a channel source's ``max_answer``), else ``MAX_ANSWER``."""
    try:
        with client.stream(method, url, **kwargs) as response:
            if limit is None:
                limit = int(response.extensions.get(ANSWER_LIMIT, MAX_ANSWER))
            declared = response.headers.get("Content-Length", "")
            if declared.isdecimal() and int(declared) > limit:
                raise PermanentError(_too_large(where, f"{declared} bytes", limit))
            if response.is_stream_consumed:  # held already (a mock transport's answer): only its size to check
                if len(response.content) > limit:
                    raise PermanentError(_too_large(where, f"{len(response.content)} bytes", limit))
                return response
            body = bytearray()
            for piece in response.iter_raw():
                body += piece
                if len(body) > limit:
                    raise PermanentError(_too_large(where, f"over {limit} bytes", limit))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=bytes(body),
            request=response.request,
            extensions=response.extensions,
        )
    except httpx.TimeoutException:
        wait = client.timeout.read
        raise TransientError(f"{where}: no answer " + (f"within {wait:g} s" if wait else "in time")) from None
    except httpx.TransportError as exc:
        raise TransientError(scrub(f"{where}: {type(exc).__name__}: {exc}", secrets)) from None


class AnswerLimit(httpx.BaseTransport):
    """A transport that marks each answer with how large it may be, for ``request``: one client's bound set where
    the client is made, whoever calls it (``inner``: the transport it carries, httpx's own by default)."""

    def __init__(self, limit: int, inner: httpx.BaseTransport | None = None) -> None:
        self.limit = limit
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.extensions[ANSWER_LIMIT] = self.limit
        return response

    def close(self) -> None:
        self.inner.close()


def _too_large(where: str, size: str, limit: int) -> str:
    return f"{where}: the answer is {size}, more than the {limit} bytes one answer may be: refused"


def read_json(
    response: httpx.Response, where: str, *, not_json: str = "not JSON", secrets: Collection[str] = ()
) -> Any:
    """The answer's JSON, numbers as ``Decimal`` so money never passes through float. A failed answer whose body
    is not JSON gives None (its status says what happened); a successful one is transient: a cache, proxy or
    maintenance page answered in the API's place (``not_json`` words it, with the page's first words)."""
    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError):
        if response.is_error:
            return None
        page = scrub(excerpt(response), secrets)
        wait = retry_after(response.headers.get("Retry-After"))
        raise TransientError(f"{where}: {response.status_code}, {not_json}: {page}", retry_after=wait) from None


def excerpt(response: httpx.Response, said: str | None = None) -> str:
    """What a message quotes of an answer, on one line: the peer's own words read from its JSON, else the start
    of its body."""
    return (said or response.text)[:300].strip().replace("\n", " ")


def check(response: httpx.Response, where: str, said: str | None = None, secrets: Collection[str] = ()) -> None:
    """2xx passes; 408, 425, 429 and 5xx are transient (with the peer's Retry-After), other codes permanent.

    ``said`` is the peer's own error text read from its JSON, told in place of the raw body; ``secrets`` are
    scrubbed from the message."""
    code = response.status_code
    if 200 <= code < 300:
        return
    said = excerpt(response, said)
    message = scrub(f"{where}: {code} {response.reason_phrase}" + (f": {said}" if said else ""), secrets)
    if code in RETRYABLE or code >= 500:
        raise TransientError(message, retry_after=retry_after(response.headers.get("Retry-After")))
    raise PermanentError(message)


def fetch(url: str, *, headers: dict[str, str], timeout: float, transport: httpx.BaseTransport | None = None) -> bytes:
    """GET ``url`` and return the body; errors classified like a send, the secret header never in a message."""
    where = f"GET {url}"
    with httpx.Client(timeout=timeout, headers=headers, transport=transport) as client:
        response = request(client, "GET", url, where)
    check(response, where)
    return response.content


def probe(name: str, config: HttpSinkConfig, transport: httpx.BaseTransport | None = None) -> str:
    """``check --connect`` for an http sink: its URL answers a HEAD (nothing is posted, no secret is sent)."""
    return reachable(config.url, config.timeout, f"http {name}", transport)


def probe_api(name: str, config: Any, transport: httpx.BaseTransport | None = None) -> str:
    """``check --connect`` for an API connector: its base URL answers. It does not log in: a token exchange
    could spend or rotate the account's tokens, and no order is read."""
    url = next(v for k in ("api_url", "endpoint", "url") if isinstance(v := getattr(config, k, None), str))
    return reachable(url, config.timeout, f"{config.type} {name}", transport)


def reachable(url: str, timeout: float, head: str, transport: httpx.BaseTransport | None = None) -> str:
    """Whether ``url`` answers over HTTP(S): any answer below 500 is one (401 and 404 included)."""
    where = f"{head}: HEAD {url}"
    with httpx.Client(timeout=timeout, transport=transport) as client:
        response = request(client, "HEAD", url, where)
    if response.status_code >= 500:
        raise TransientError(f"{where}: {response.status_code} {response.reason_phrase}")
    return f"{url} answers ({response.status_code} {response.reason_phrase})"
