"""How large one answer of a channel's API and one order may be are settings of every channel source
(``max_answer``, ``max_order``), with the bounds they replace as defaults (issue 17)."""

from __future__ import annotations

import httpx
import pytest
import respx

from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.http import AnswerLimit
from crossdock.connectors.shopify_config import ShopifySourceConfig
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.woocommerce import WooCommerceSink, WooCommerceSource
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.errors import PermanentError
from tests.connectors.channels import read

SITE = "https://shop.example.test"
ORDERS = f"{SITE}/wp-json/wc/v3/orders"


def config(monkeypatch: pytest.MonkeyPatch, **limits: object) -> WooCommerceSourceConfig:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    block = {"type": "woocommerce", "url": SITE, "consumer_key": "${WOO_KEY}", "consumer_secret": "${WOO_SECRET}"}
    return WooCommerceSourceConfig.model_validate(block | limits)


def page(notes: int) -> httpx.Response:
    order = {"id": 1, "number": "1", "date_modified_gmt": "2026-11-21T09:00:00", "customer_note": "n" * notes}
    return httpx.Response(200, json=[order], headers={"X-WP-TotalPages": "1"})


def test_every_channel_source_has_both_settings_with_the_old_bounds_as_defaults() -> None:
    models = (
        AmazonSourceConfig,
        BigCommerceSourceConfig,
        EbaySourceConfig,
        ShopifySourceConfig,
        WalmartSourceConfig,
        WooCommerceSourceConfig,
    )
    for model in models:
        fields = model.model_fields
        assert (fields["max_answer"].default, fields["max_order"].default) == (100_000_000, 5_000_000), model


def test_max_answer_bounds_a_poll_and_a_sink_and_a_larger_one_lets_it_through(monkeypatch: pytest.MonkeyPatch) -> None:
    small = config(monkeypatch, max_answer="2kB")
    assert small.max_answer == 2000
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=page(3000))
        with pytest.raises(PermanentError, match="more than the 2000 bytes one answer may be"):
            read(WooCommerceSource("shop", small))
        assert len(read(WooCommerceSource("shop", config(monkeypatch, max_answer=4000)))) == 1
    sink = WooCommerceSink("shop", small)
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/1").mock(return_value=httpx.Response(200, json={"id": 1, "note": "n" * 3000}))
        with pytest.raises(PermanentError, match="more than the 2000 bytes one answer may be"):
            sink._api.call("GET", "/wp-json/wc/v3/orders/1")


def test_max_order_quarantines_a_larger_order_and_the_default_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=page(3000))
        (kept,) = read(WooCommerceSource("shop", config(monkeypatch, max_order="2KiB")))
        (read_as_before,) = read(WooCommerceSource("shop", config(monkeypatch)))
    assert kept.quarantine is not None and "more than the 2048 bytes one order may be (max_order)" in kept.quarantine
    assert read_as_before.quarantine is None


def test_each_api_client_gets_its_own_transport_since_closing_a_client_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = WooCommerceSource("shop", config(monkeypatch))
    first, second = source._transport, source._transport
    assert isinstance(first, AnswerLimit) and isinstance(second, AnswerLimit)
    assert first.inner is not second.inner and first.limit == 100_000_000
