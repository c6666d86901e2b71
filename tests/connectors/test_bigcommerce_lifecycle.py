"""The BigCommerce connector's part of an order's life (respx): one order whose products cannot be read is left
for the next poll without stopping the rest, and crossdock's cancellation back is the order's status
Cancelled, once; single lines are refused with what to refund by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
import respx

from crossdock.connectors.base import Outbound
from crossdock.connectors.bigcommerce import BigCommerceSink, BigCommerceSource
from crossdock.core.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.channel_config.bigcommerce import BigCommerceSourceConfig
from crossdock.core.errors import PermanentError
from tests.connectors.channels import read
from tests.connectors.test_bigcommerce import ORDERS, TOKEN, order, paged, product


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> BigCommerceSourceConfig:
    monkeypatch.setenv("BC_TOKEN", TOKEN)
    return BigCommerceSourceConfig(
        type="bigcommerce", store_hash="abc123", api_url="https://api.bigcommerce.test/", access_token="${BC_TOKEN}"
    )


def test_an_order_whose_products_fail_is_left_for_the_next_poll_and_the_rest_goes_on(
    store: BigCommerceSourceConfig,
) -> None:
    source = BigCommerceSource("store", store)
    source.since = "2026-11-20T10:00:00+00:00"
    orders = [
        order(1, "Sat, 21 Nov 2026 09:00:00 +0000"),
        order(2, "Sat, 21 Nov 2026 10:00:00 +0000"),
        order(3, "Sun, 22 Nov 2026 07:00:00 +0000"),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(side_effect=paged(orders))
        for n in (1, 3):
            mock.get(f"{ORDERS}/{n}/products").mock(side_effect=paged([product(n * 10, 0)]))
            mock.get(f"{ORDERS}/{n}/shipping_addresses").mock(return_value=httpx.Response(204))
        mock.get(f"{ORDERS}/2/products").mock(return_value=httpx.Response(500, json={"title": "oops"}))
        items = read(source)
    assert [json.loads(i.data)["id"] for i in items] == [1, 3], "order 2 waits, not the poll"
    assert items[-1].checkpoint == "2026-11-21T09:59:59+00:00", "a second before the order left out"


def cancellation(whole: bool = True) -> Outbound:
    data = Cancellation(
        channel="bigcommerce",
        po_number="2301",
        external_id="2301",
        cancellation_id="c-3",
        whole_order=whole,
        lines=[] if whole else [CancelledLine(line_number="502", quantity=Decimal(1))],
    )
    body = json.dumps(data.model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=body, idempotency_key="k" * 20, purpose=CANCELLATION)


def test_a_whole_order_is_cancelled_once_and_single_lines_are_refused_with_what_to_do(
    store: BigCommerceSourceConfig,
) -> None:
    status = {"id": 2301, "status_id": 11}
    sink = BigCommerceSink("store", store)

    def put(request: httpx.Request) -> httpx.Response:
        status.update(json.loads(request.content))
        return httpx.Response(200, json=status)

    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/2301").mock(side_effect=lambda r: httpx.Response(200, json=status))
        changed = mock.put(f"{ORDERS}/2301").mock(side_effect=put)
        assert sink.send(cancellation()).endswith("order cancelled")
        assert sink.send(cancellation()).endswith("already made")
    assert changed.call_count == 1 and json.loads(changed.calls[0].request.content) == {"status_id": 5}
    with pytest.raises(
        PermanentError, match="cancels whole orders only; refund these lines in the control panel: 502 x1"
    ):
        sink.send(cancellation(whole=False))
