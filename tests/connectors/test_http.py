"""The HTTP sink against mocked web hooks (respx): what is sent, and how each answer maps to an outcome."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import respx

from crossdock.connectors.http import HttpSink, fetch, retry_after
from crossdock.connectors.http_config import HttpSinkConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound

URL = "https://wms.example.test/api/orders"


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> HttpSink:
    monkeypatch.setenv("WMS_TOKEN", "Bearer s3cret-token")
    config = HttpSinkConfig(type="http", url=URL, auth="${WMS_TOKEN}", headers={"X-Tenant": "acme"}, timeout=2)
    return HttpSink("wms", config)


def doc() -> Outbound:
    return Outbound(name="northwind-PO-1-r1.json", data=b'{"po_number":"PO-1"}', idempotency_key="key-123")


def test_a_document_is_posted_with_its_key_and_the_secret_header(sink: HttpSink) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(URL).mock(return_value=httpx.Response(201, headers={"Location": "/api/orders/77"}))
        assert sink.send(doc()) == "/api/orders/77"
    request = route.calls.last.request
    assert request.content == b'{"po_number":"PO-1"}'
    assert request.headers["Idempotency-Key"] == "key-123"
    assert request.headers["Authorization"] == "Bearer s3cret-token"
    assert request.headers["X-Tenant"] == "acme" and request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("purpose", ["order", "cancel"])
def test_the_purpose_travels_in_a_header_so_a_mapped_cancel_is_told_from_an_order(sink: HttpSink, purpose: str) -> None:
    sent = Outbound(name="northwind-PO-1-cancelled.json", data=b"{}", idempotency_key="key-9", purpose=purpose)
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(URL).mock(return_value=httpx.Response(200))
        sink.send(sent)
    assert route.calls.last.request.headers["X-Crossdock-Purpose"] == purpose


@pytest.mark.parametrize(
    ("response", "error", "after"),
    [
        (httpx.Response(500, text="database down"), TransientError, None),
        (httpx.Response(503, headers={"Retry-After": "120"}), TransientError, 120.0),
        (httpx.Response(429, headers={"Retry-After": "7"}), TransientError, 7.0),
        (httpx.Response(408), TransientError, None),
        (httpx.Response(400, text="sku unknown"), PermanentError, None),
        (httpx.Response(401), PermanentError, None),
        (httpx.Response(409, text="duplicate"), PermanentError, None),
    ],
)
@respx.mock
def test_answers_map_to_transient_or_permanent(
    sink: HttpSink, response: httpx.Response, error: type[Exception], after: float | None
) -> None:
    respx.post(URL).mock(return_value=response)
    with pytest.raises(error) as caught:
        sink.send(doc())
    assert f"{response.status_code}" in str(caught.value) and URL in str(caught.value)
    assert "s3cret" not in str(caught.value)
    if isinstance(caught.value, TransientError):
        assert caught.value.retry_after == after


@respx.mock
def test_a_timeout_and_a_refused_connection_are_transient(sink: HttpSink) -> None:
    respx.post(URL).mock(side_effect=[httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
    with pytest.raises(TransientError, match="no answer within 2 s"):
        sink.send(doc())
    with pytest.raises(TransientError, match="ConnectError"):
        sink.send(doc())


def test_retry_after_reads_seconds_and_dates() -> None:
    now = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after("30") == 30.0
    assert retry_after("Sun, 22 Nov 2026 12:01:30 GMT", now) == 90.0
    assert retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
    assert retry_after("\u00b2") is None, "a superscript two is a digit to str.isdigit, not a number"


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (httpx.Response(401, text="bad token"), PermanentError, "GET https://wms.example.test/stock: 401 Unauthorized"),
        (httpx.Response(429, headers={"Retry-After": "9"}), TransientError, "429 Too Many Requests"),
        (httpx.ConnectTimeout("slow"), TransientError, "no answer within 2 s"),
    ],
)
def test_fetch_classifies_what_a_snapshot_endpoint_answers(
    answer: httpx.Response | Exception, error: type[Exception], message: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get("https://wms.example.test/stock")
        if isinstance(answer, Exception):
            route.mock(side_effect=answer)
        else:
            route.mock(return_value=answer)
        with pytest.raises(error, match=message) as caught:
            fetch("https://wms.example.test/stock", headers={"Authorization": "Bearer s3cret"}, timeout=2)
    assert "s3cret" not in str(caught.value)
    if isinstance(caught.value, TransientError) and isinstance(answer, httpx.Response):
        assert caught.value.retry_after == 9.0


def test_fetch_returns_the_body() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://wms.example.test/stock").mock(return_value=httpx.Response(200, content=b"sku,qty\n"))
        assert fetch("https://wms.example.test/stock", headers={}, timeout=2) == b"sku,qty\n"
