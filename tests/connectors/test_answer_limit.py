"""One API answer is bounded (issue 17): a page or an order over the limit is refused as it arrives, with the
place named, and a compressed answer under it still reads as before."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import httpx
import pytest

from crossdock.connectors.http import request
from crossdock.core.errors import PermanentError

WHERE = "shopify shop: GET /orders/42.json"


def _client(handler: httpx.MockTransport) -> httpx.Client:
    return httpx.Client(transport=handler, base_url="https://shop.test")


def test_an_answer_declared_larger_than_the_limit_is_refused_naming_the_request() -> None:
    client = _client(httpx.MockTransport(lambda req: httpx.Response(200, content=b"x" * 2000)))
    with pytest.raises(PermanentError, match=r"GET /orders/42.json: the answer is 2000 bytes, more than the 1000"):
        request(client, "GET", "/orders/42.json", WHERE, limit=1000)


def test_an_answer_streamed_past_the_limit_is_refused_before_the_rest_is_read() -> None:
    pieces: list[int] = []

    def endless() -> Iterator[bytes]:
        for n in range(1000):
            pieces.append(n)
            yield b"y" * 100

    client = _client(httpx.MockTransport(lambda req: httpx.Response(200, content=endless())))
    with pytest.raises(PermanentError, match="over 1000 bytes"):
        request(client, "GET", "/orders.json", WHERE, limit=1000)
    assert len(pieces) < 20, "refused as it arrived, not read to the end"


def test_a_compressed_answer_under_the_limit_reads_as_before() -> None:
    body = b'{"orders": []}' * 100
    packed = gzip.compress(body)
    headers = {"Content-Encoding": "gzip", "X-Page": "2"}
    client = _client(httpx.MockTransport(lambda req: httpx.Response(200, content=iter([packed]), headers=headers)))
    response = request(client, "GET", "/orders.json", WHERE, limit=len(packed) + 1)
    assert response.content == body and response.headers["X-Page"] == "2" and response.status_code == 200
