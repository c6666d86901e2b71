"""The WooCommerce connector against a mocked REST API (respx): the window it reads, its checkpoint, how each
answer maps to an outcome, webhook signatures, and fulfilments sent once."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.woocommerce as connector
from crossdock.connectors.woocommerce import WooCommerceSink, WooCommerceSource, verify_webhook, webhook_order_id
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.ports import Outbound
from tests.connectors.channels import as_outbound, assert_reads_back, read

SITE = "https://shop.example.test"
ORDERS = f"{SITE}/wp-json/wc/v3/orders"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A throttled call's waits recorded, not slept."""
    waits: list[float] = []
    monkeypatch.setattr(connector, "_sleep", waits.append)
    return waits


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WooCommerceSourceConfig:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    return WooCommerceSourceConfig(
        type="woocommerce", url=SITE, consumer_key="${WOO_KEY}", consumer_secret="${WOO_SECRET}", per_page=2
    )


def order(order_id: int, modified: str) -> dict[str, Any]:
    return {"id": order_id, "number": str(order_id), "date_modified_gmt": modified, "total": "12.50", "price": 3.1}


def test_every_page_of_the_window_is_read_and_only_the_last_order_carries_the_checkpoint(
    config: WooCommerceSourceConfig,
) -> None:
    source = WooCommerceSource("shop", config)
    source.since = "2026-11-20T10:00:00"
    pages = [
        httpx.Response(
            200,
            json=[order(1, "2026-11-21T09:00:00"), order(2, "2026-11-22T07:00:00")],
            headers={"X-WP-TotalPages": "2"},
        ),
        httpx.Response(200, json=[order(3, "2026-11-21T12:00:00")], headers={"X-WP-TotalPages": "2"}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(side_effect=pages)
        items = read(source)
    first = route.calls[0].request.url.params
    assert first["modified_after"] == "2026-11-20T09:55:00" and first["dates_are_gmt"] == "true"
    assert [c.request.url.params["page"] for c in route.calls] == ["1", "2"]
    assert route.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert [i.identity for i in items] == [
        "woocommerce:1:2026-11-21T09:00:00",
        "woocommerce:2:2026-11-22T07:00:00",
        "woocommerce:3:2026-11-21T12:00:00",
    ]
    assert [i.checkpoint for i in items] == [None, None, "2026-11-22T07:00:00"], "the window's latest change"
    assert json.loads(items[0].data)["price"] == "3.1", "a JSON number is kept as its text, never a float"


def test_the_first_poll_reads_back_first_sync(config: WooCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(return_value=httpx.Response(200, json=[], headers={"X-WP-TotalPages": "0"}))
        assert read(WooCommerceSource("shop", config)) == []
    since = dt.datetime.fromisoformat(route.calls[0].request.url.params["modified_after"])
    assert_reads_back(since)


@pytest.mark.parametrize(
    ("answer", "error", "said"),
    [
        (
            httpx.Response(503, text="<html>maintenance</html>", headers={"Retry-After": "7"}),
            TransientError,
            "not JSON",
        ),
        (httpx.Response(403, text="<html>blocked by WAF</html>"), TransientError, "not JSON"),
        (httpx.Response(200, text="<html>cached page</html>"), TransientError, "not JSON"),
        (
            httpx.Response(401, json={"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list."}),
            PermanentError,
            "401 Unauthorized: woocommerce_rest_cannot_view Sorry, you cannot list.",
        ),
        (
            httpx.Response(429, json={"code": "too_many", "message": "slow"}, headers={"Retry-After": "7"}),
            TransientError,
            "429",
        ),
    ],
)
def test_answers_map_to_outcomes_and_the_keys_never_show(
    config: WooCommerceSourceConfig, answer: httpx.Response, error: type[Exception], said: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=answer)
        with pytest.raises(error) as caught:
            read(WooCommerceSource("shop", config))
    assert said in str(caught.value)
    assert "ck_live_key" not in str(caught.value) and "cs_live_secret" not in str(caught.value)
    if answer.headers.get("Retry-After"):
        assert getattr(caught.value, "retry_after", None) == 7.0


def test_webhook_signatures_and_pings() -> None:
    body = b'{"id": 727, "status": "processing"}'
    good = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert verify_webhook(body, {"x-wc-webhook-signature": good}, "s3cret")
    assert not verify_webhook(body + b" ", {"x-wc-webhook-signature": good}, "s3cret")
    assert not verify_webhook(body, {"x-wc-webhook-signature": good}, "other")
    assert not verify_webhook(body, {}, "s3cret")
    assert webhook_order_id(body) == "727"
    assert webhook_order_id(b"webhook_id=12") is None


def fulfilment(status: str = "shipped") -> Outbound:
    data = Fulfilment(
        channel="woocommerce",
        partner="shop",
        po_number="727",
        external_id="727",
        shipment_id="WH-1",
        ship_date=dt.date(2026, 11, 22),
        carrier_scac="UPSN",
        tracking_numbers=["1Z999AA10123456784"],
        order_status=status,  # type: ignore[arg-type]
        lines=[FulfilmentLine(line_number="315", quantity=Decimal(2))],
    )
    return as_outbound(data, "abcdef0123456789xyz")


def test_a_fulfilment_is_a_customer_note_once_and_completes_a_shipped_order(config: WooCommerceSourceConfig) -> None:
    sink = WooCommerceSink("shop", config)
    notes: list[dict[str, Any]] = []
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/727/notes").mock(side_effect=lambda request: httpx.Response(200, json=notes))

        def post(request: httpx.Request) -> httpx.Response:
            notes.append(json.loads(request.content))
            return httpx.Response(201, json={"id": len(notes)})

        posted = mock.post(f"{ORDERS}/727/notes").mock(side_effect=post)
        put = mock.put(f"{ORDERS}/727").mock(return_value=httpx.Response(200, json={"id": 727}))
        assert sink.send(fulfilment()) == "woocommerce order 727: shipment WH-1"
        sink.send(fulfilment())
    assert posted.call_count == 1, "the repeated send finds its note and does not post it again"
    assert "1Z999AA10123456784" in notes[0]["note"] and "crossdock" not in notes[0]["note"], "no marker for the buyer"
    assert json.loads(put.calls[0].request.content) == {"status": "completed"}
