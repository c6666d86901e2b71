"""Asynchronous MDNs an AS2 source sends: the outbox's sink ``as2-mdn:<source>`` that posts them, and the rule for
where one may go.

A sender names the URL for its asynchronous MDN (Receipt-Delivery-Option), and anyone can send a message: posting
wherever it says would make crossdock a relay for whoever signs nothing. So an MDN goes only to the source's
``partner_mdn_url`` or a URL of the same origin (scheme, host and port), and that is checked again at the send.
The MDN is stored as the request it becomes (``POST <url>``, its headers, a blank line, its body): what is sent is
what was stored, and a retry sends the same bytes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from crossdock.connectors.as2_config import As2SourceConfig
from crossdock.connectors.http import check, request
from crossdock.core.errors import PermanentError
from crossdock.core.ports import Outbound

PREFIX = "as2-mdn:"
MAX_URL = 1000


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port


def mdn_url_allowed(asked: str, configured: str | None) -> str | None:
    """Why an asynchronous MDN may not go to ``asked`` (None: it may): only the partner's URL or its origin."""
    if configured is None:
        return "the source has no partner_mdn_url: asynchronous MDNs go nowhere"
    if len(asked) > MAX_URL or any(c in asked for c in "\r\n \t"):
        return "the URL asked for is not a plain URL"
    if _origin(asked) is None or _origin(asked) != _origin(configured):
        return f"{asked[:200]!r} is not on the partner's origin ({configured})"
    return None


def mdn_request(url: str, headers: dict[str, str], body: bytes) -> bytes:
    """An MDN as stored for the outbox: the request it becomes."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST {url}\r\n{head}\r\n".encode() + body


def _read_request(data: bytes) -> tuple[str, dict[str, str], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    first, *lines = head.decode("utf-8", "replace").split("\r\n")
    if not sep or not first.startswith("POST "):
        raise PermanentError("an asynchronous MDN stored in another form than crossdock writes")
    headers = dict(line.split(": ", 1) for line in lines if ": " in line)
    return first[5:], headers, body


class As2MdnSink:
    """Posts a source's asynchronous MDNs (sink name ``as2-mdn:<source>``), each to its checked URL."""

    def __init__(self, name: str, source: As2SourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.source = source
        self._client = httpx.Client(timeout=60.0, transport=transport)

    def send(self, document: Outbound) -> str:
        url, headers, body = _read_request(document.data)
        why = mdn_url_allowed(url, self.source.partner_mdn_url)
        if why is not None:
            raise PermanentError(f"as2 {self.name}: MDN not sent: {why}")
        where = f"as2 {self.name}: POST {url}"
        response = request(self._client, "POST", url, where, content=body, headers=headers, limit=100_000)
        check(response, where)
        return f"MDN posted to {url}: {response.status_code}"

    def close(self) -> None:
        self._client.close()
