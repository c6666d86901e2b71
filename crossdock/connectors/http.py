"""HTTP sink: a WMS, ERP or 3PL web hook takes each document as the body of one request (and ``fetch``, the
GET that reads a stock snapshot from a warehouse system's endpoint).

The delivery's stable key goes in the idempotency header, so a destination that honours it never creates an
order twice when the outbox sends again after a crash. The response decides what the outbox does next:
2xx is done; 408, 425, 429 and 5xx, a timeout or a dropped connection are worth retrying (Retry-After,
in seconds or as a date, is passed on); any other 4xx is permanent. The secret header's value never
appears in an error.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime

import httpx

from crossdock.connectors.base import Outbound
from crossdock.core.config_types import resolve_secret
from crossdock.core.connector_config import HttpSinkConfig
from crossdock.core.errors import PermanentError, TransientError

RETRYABLE = frozenset({408, 425, 429})
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
    if value.isdigit():
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
        where = f"http {self.name}: {config.method} {config.url}"
        try:
            response = self._client.request(config.method, config.url, content=document.data, headers=headers)
        except httpx.TimeoutException:
            raise TransientError(f"{where}: no answer within {config.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from None
        check(response, where)
        return response.headers.get("Location") or f"{config.url} {response.status_code}"

    def close(self) -> None:
        self._client.close()


def check(response: httpx.Response, where: str) -> None:
    """2xx passes; 408, 425, 429 and 5xx are transient (with the peer's Retry-After), other codes permanent."""
    code = response.status_code
    if 200 <= code < 300:
        return
    said = response.text[:300].strip().replace("\n", " ")
    message = f"{where}: {code} {response.reason_phrase}" + (f": {said}" if said else "")
    if code in RETRYABLE or code >= 500:
        raise TransientError(message, retry_after=retry_after(response.headers.get("Retry-After")))
    raise PermanentError(message)


def fetch(url: str, *, headers: dict[str, str], timeout: float, transport: httpx.BaseTransport | None = None) -> bytes:
    """GET ``url`` and return the body; errors classified like a send, the secret header never in a message."""
    where = f"GET {url}"
    try:
        with httpx.Client(timeout=timeout, headers=headers, transport=transport) as client:
            response = client.get(url)
    except httpx.TimeoutException:
        raise TransientError(f"{where}: no answer within {timeout:g} s") from None
    except httpx.TransportError as exc:
        raise TransientError(f"{where}: {type(exc).__name__}: {exc}") from None
    check(response, where)
    return response.content
