"""The BigCommerce connector's part of an order's life (respx): one order whose products cannot be read is left
for the next poll without stopping the rest, and crossdock's cancellation back is the order's status
Cancelled, once; single lines are refunded (a quote, then the refund by the way back to the order's payment),
once."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest
import respx

from crossdock.connectors.bigcommerce import BigCommerceSink, BigCommerceSource
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
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


def test_a_whole_order_is_cancelled_once(store: BigCommerceSourceConfig) -> None:
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


V3 = ORDERS.replace("/v2/", "/v3/")
QUOTE = {
    "data": {
        "order_id": 2301,
        "total_refund_amount": 12.35,
        "refund_methods": [
            [{"provider_id": "storecredit", "provider_description": "Store Credit", "amount": 12.35, "offline": False}],
            [{"provider_id": "custom", "provider_description": "Cash", "amount": 12.35, "offline": True}],
            [{"provider_id": "braintree", "provider_description": "Braintree", "amount": 12.35, "offline": False}],
        ],
    },
    "meta": {},
}


def test_single_lines_are_refunded_by_a_quote_then_a_refund_once(store: BigCommerceSourceConfig) -> None:
    made: list[dict[str, object]] = []
    sink = BigCommerceSink("store", store)

    def refund(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content, parse_float=Decimal)
        made.append({"id": 77, "order_id": 2301, "items": body["items"]})
        return httpx.Response(201, json={"data": made[-1]})

    with respx.mock(assert_all_called=True) as mock:
        listed = mock.get(f"{V3}/payment_actions/refunds").mock(
            side_effect=lambda r: httpx.Response(200, json={"data": made})
        )
        mock.get(f"{ORDERS}/2301/products").mock(side_effect=paged([product(501, 1), product(502, 1, "KTL")]))
        quote = mock.post(f"{V3}/2301/payment_actions/refund_quotes").mock(return_value=httpx.Response(201, json=QUOTE))
        refunds = mock.post(f"{V3}/2301/payment_actions/refunds").mock(side_effect=refund)
        assert sink.send(cancellation(whole=False)).endswith("1 line(s) refunded")
        assert sink.send(cancellation(whole=False)).endswith("already made"), "the refund is found by its reason"
    assert listed.calls[0].request.url.params["order_id:in"] == "2301"
    items = [{"item_type": "PRODUCT", "item_id": 502, "quantity": 1, "reason": "Cancelled (crossdock c-3)"}]
    assert json.loads(quote.calls[0].request.content) == {"items": items}
    assert refunds.call_count == 1
    sent = json.loads(refunds.calls[0].request.content, parse_float=Decimal)
    assert sent == {
        "items": items,
        "payments": [{"provider_id": "braintree", "amount": Decimal("12.35"), "offline": False}],
    }
    assert b'"amount": 12.35' in refunds.calls[0].request.content, "the quote's number exactly, never a float's"


def test_a_quote_with_no_way_back_to_the_payment_is_left_to_a_person(store: BigCommerceSourceConfig) -> None:
    only_credit = {"data": {"total_refund_amount": 12.35, "refund_methods": QUOTE["data"]["refund_methods"][:2]}}
    sink = BigCommerceSink("store", store)
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{V3}/payment_actions/refunds").mock(return_value=httpx.Response(200, json={"data": []}))
        mock.get(f"{ORDERS}/2301/products").mock(side_effect=paged([product(502, 1)]))
        mock.post(f"{V3}/2301/payment_actions/refund_quotes").mock(return_value=httpx.Response(201, json=only_credit))
        with pytest.raises(PermanentError, match=r"refund these lines in the control panel: 502 x1 \(12.35\)"):
            sink.send(cancellation(whole=False))  # no refund posted: respx refuses any call not mocked


def test_a_line_not_on_the_order_is_refused_before_any_refund(store: BigCommerceSourceConfig) -> None:
    sink = BigCommerceSink("store", store)
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{V3}/payment_actions/refunds").mock(return_value=httpx.Response(204))
        mock.get(f"{ORDERS}/2301/products").mock(side_effect=paged([product(501, 1)]))
        with pytest.raises(PermanentError, match="line 502 is not a product of the order"):
            sink.send(cancellation(whole=False))
