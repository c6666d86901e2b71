"""The BigCommerce connector against a mocked API (respx): the window and pages it reads, the sub-resources it
merges, its checkpoint, the store-wide quota, how each answer maps to an outcome, webhooks, and shipments sent once.

The payloads are our own, written from the documented v2 fields: the owner publishes none under a licence."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors import bigcommerce
from crossdock.connectors.bigcommerce import BigCommerceSink, BigCommerceSource, verify_webhook, webhook_order_id
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.ports import Outbound
from tests.connectors.channels import as_outbound, assert_reads_back, read

API = "https://api.bigcommerce.test/stores/abc123/v2"
ORDERS = f"{API}/orders"
TOKEN = "tok-live-0123"


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> BigCommerceSourceConfig:
    monkeypatch.setenv("BC_TOKEN", TOKEN)
    monkeypatch.setenv("BC_HOOK", "hook-secret")
    return BigCommerceSourceConfig(
        type="bigcommerce",
        store_hash="abc123",
        api_url="https://api.bigcommerce.test/",
        access_token="${BC_TOKEN}",
        webhook_secret="${BC_HOOK}",
        limit=2,
    )


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(bigcommerce, "_sleep", slept.append)
    return slept


def order(order_id: int, modified: str, status_id: int = 11) -> dict[str, Any]:
    return {
        "id": order_id,
        "status_id": status_id,
        "date_modified": modified,
        "total_inc_tax": "12.5000",
        "products": {"url": f"{ORDERS}/{order_id}/products", "resource": f"/orders/{order_id}/products"},
        "shipping_addresses": {"url": f"{ORDERS}/{order_id}/shipping_addresses", "resource": "/x"},
    }


def product(product_id: int, address_id: int, sku: str = "SKU") -> dict[str, Any]:
    return {"id": product_id, "order_address_id": address_id, "sku": sku, "quantity": 1, "price_ex_tax": "1.0000"}


def paged(items: list[Any]) -> Any:
    """A v2 list endpoint that honours page and limit, and answers 204 past the end."""

    def answer(request: httpx.Request) -> httpx.Response:
        page, limit = int(request.url.params["page"]), int(request.url.params["limit"])
        found = items[(page - 1) * limit : page * limit]
        return httpx.Response(200, json=found) if found else httpx.Response(204)

    return answer


def test_pages_by_id_until_a_short_page_merging_each_orders_lines_and_addresses(
    config: BigCommerceSourceConfig,
) -> None:
    source = BigCommerceSource("store", config)
    source.since = "2026-11-20T10:00:00+00:00"
    pages = [
        httpx.Response(
            200,
            json=[
                order(1, "Sat, 21 Nov 2026 09:00:00 +0000"),
                order(2, "Sun, 22 Nov 2026 09:00:00 +0200"),
            ],
        ),
        httpx.Response(
            200,
            json=[order(3, "Sat, 21 Nov 2026 12:00:00 +0000")],
        ),
    ]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(side_effect=pages)
        for i in (1, 2, 3):
            mock.get(f"{ORDERS}/{i}/products").mock(return_value=httpx.Response(200, json=[product(i * 10, 7)]))
            mock.get(f"{ORDERS}/{i}/shipping_addresses").mock(
                return_value=httpx.Response(200, json=[{"id": 7, "cost_ex_tax": "1.5000"}])
            )
        items = read(source)
    first = route.calls[0].request
    assert first.url.params["min_date_modified"] == "2026-11-20T09:55:00+00:00", "since less the 5 minutes' overlap"
    assert b"min_date_modified=2026-11-20T09%3A55%3A00%2B00%3A00" in first.url.query, "the + survives the query"
    assert (first.url.params["sort"], first.url.params["limit"]) == ("id:asc", "2")
    assert [c.request.url.params["page"] for c in route.calls] == ["1", "2"], "page 2 is short: the last"
    assert first.headers["X-Auth-Token"] == TOKEN and first.headers["Accept"] == "application/json"
    assert [i.identity for i in items] == [
        "bigcommerce:1:2026-11-21T09:00:00+00:00",
        "bigcommerce:2:2026-11-22T07:00:00+00:00",
        "bigcommerce:3:2026-11-21T12:00:00+00:00",
    ]
    assert [i.checkpoint for i in items] == [None, None, "2026-11-22T07:00:00+00:00"], "the latest change, by time"
    merged = json.loads(items[0].data, parse_float=Decimal)
    assert merged["products"] == [product(10, 7)] and merged["shipping_addresses"][0]["cost_ex_tax"] == "1.5000"


def test_an_empty_page_or_204_ends_the_list_and_incomplete_orders_are_never_read(
    config: BigCommerceSourceConfig,
) -> None:
    source = BigCommerceSource("store", config)
    source.since = "2026-11-20T10:00:00+00:00"
    pages = [
        httpx.Response(
            200,
            json=[order(4, "Sat, 21 Nov 2026 09:00:00 +0000"), order(5, "Mon, 23 Nov 2026 09:00:00 +0000", 0)],
        ),
        httpx.Response(204),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(side_effect=pages)
        mock.get(f"{ORDERS}/4/products").mock(return_value=httpx.Response(200, json=[product(40, 0)]))
        mock.get(f"{ORDERS}/4/shipping_addresses").mock(return_value=httpx.Response(204))
        items = read(source)
        assert len(mock.calls) == 4, "an abandoned checkout's lines are not even read (respx refuses unknown calls)"
    assert [i.identity for i in items] == ["bigcommerce:4:2026-11-21T09:00:00+00:00"]
    assert items[0].checkpoint == "2026-11-23T09:00:00+00:00", "the skipped order's change is passed all the same"
    assert json.loads(items[0].data)["shipping_addresses"] == [], "204: no addresses (a digital order)"


def test_a_status_the_store_leaves_out_is_skipped(config: BigCommerceSourceConfig) -> None:
    source = BigCommerceSource("store", config.model_copy(update={"statuses": [9, 11]}))
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=httpx.Response(200, json=[order(6, "Sat, 21 Nov 2026 09:00:00 +0000", 2)]))
        assert read(source) == []


def test_a_page_that_repeats_the_one_before_ends_the_read_instead_of_looping(config: BigCommerceSourceConfig) -> None:
    same = [order(1, "Sat, 21 Nov 2026 09:00:00 +0000", 0), order(2, "Sat, 21 Nov 2026 09:00:00 +0000", 0)]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(return_value=httpx.Response(200, json=same))
        with pytest.raises(TransientError, match="page 2 repeats page 1"):
            read(BigCommerceSource("store", config))
    assert route.call_count == 2


def test_the_first_poll_reads_back_first_sync(config: BigCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(ORDERS).mock(return_value=httpx.Response(204))
        assert read(BigCommerceSource("store", config)) == []
    since = dt.datetime.fromisoformat(route.calls[0].request.url.params["min_date_modified"])
    assert_reads_back(since)


def test_with_the_quota_nearly_spent_the_next_call_waits_for_the_window(
    config: BigCommerceSourceConfig, waits: list[float]
) -> None:
    quota = {"X-Rate-Limit-Requests-Left": "10", "X-Rate-Limit-Time-Reset-Ms": "4200"}
    plenty = {"X-Rate-Limit-Requests-Left": "140", "X-Rate-Limit-Time-Reset-Ms": "9000"}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(
            return_value=httpx.Response(200, json=[order(7, "Sat, 21 Nov 2026 09:00:00 +0000")], headers=quota)
        )
        mock.get(f"{ORDERS}/7/products").mock(return_value=httpx.Response(200, json=[], headers=plenty))
        mock.get(f"{ORDERS}/7/shipping_addresses").mock(return_value=httpx.Response(200, json=[], headers=plenty))
        assert len(read(BigCommerceSource("store", config))) == 1
    assert waits == [4.2], "10 left is the reserve: one wait of the reset, then the quota is plentiful again"


def test_a_429_is_waited_out_within_the_budget_and_past_it_is_transient_with_the_windows_reset(
    config: BigCommerceSourceConfig, waits: list[float]
) -> None:
    headers = {"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "15000"}
    throttled = httpx.Response(429, json={"title": "Too many"}, headers=headers)
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(side_effect=[throttled, httpx.Response(204)])
        assert read(BigCommerceSource("store", config)) == []
    assert 15.0 in waits, "the poll waited for the window and went on"
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=throttled)
        with pytest.raises(TransientError) as caught:
            read(BigCommerceSource("store", config))
    assert caught.value.retry_after == 15.0 and "429" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "error", "said"),
    [
        (
            httpx.Response(401, json=[{"status": 401, "message": "You are not authorized."}]),
            PermanentError,
            "401 Unauthorized: You are not authorized.",
        ),
        (
            httpx.Response(403, json={"status": 403, "title": "You don't have a required scope"}),
            PermanentError,
            "403 Forbidden: You don't have a required scope",
        ),
        (httpx.Response(502, text="<html>bad gateway</html>"), TransientError, "502"),
        (httpx.Response(200, text="<html>maintenance</html>"), TransientError, "200, not JSON"),
        (httpx.Response(200, json={"not": "a list"}), TransientError, "page 1 is not a list"),
    ],
)
def test_answers_map_to_outcomes_and_the_token_never_shows(
    config: BigCommerceSourceConfig, answer: httpx.Response, error: type[Exception], said: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(ORDERS).mock(return_value=answer)
        with pytest.raises(error) as caught:
            read(BigCommerceSource("store", config))
    assert said in str(caught.value) and TOKEN not in str(caught.value)


def test_one_order_by_id_and_an_incomplete_one_refused(config: BigCommerceSourceConfig) -> None:
    source = BigCommerceSource("store", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/8").mock(return_value=httpx.Response(200, json=order(8, "Sat, 21 Nov 2026 09:00:00 GMT")))
        mock.get(f"{ORDERS}/8/products").mock(return_value=httpx.Response(200, json=[product(80, 1)]))
        mock.get(f"{ORDERS}/8/shipping_addresses").mock(return_value=httpx.Response(200, json=[{"id": 1}]))
        mock.get(f"{ORDERS}/9").mock(return_value=httpx.Response(200, json=order(9, "x", 0)))
        item = source.order("8")
        with pytest.raises(PermanentError, match=r"order 9 is status 0 \(Incomplete\), not imported"):
            source.order("9")
    assert item.identity == "bigcommerce:8:2026-11-21T09:00:00+00:00" and item.checkpoint is None
    assert json.loads(item.data)["products"][0]["id"] == 80
    with pytest.raises(PermanentError, match="is not an order id"):
        source.order("../8")


def test_webhooks_are_verified_by_the_secret_header_and_name_the_order() -> None:
    assert verify_webhook({"x-crossdock-webhook-secret": "hook-secret"}, "hook-secret")
    assert not verify_webhook({"x-crossdock-webhook-secret": "hook-secreT"}, "hook-secret")
    assert not verify_webhook({}, "hook-secret")
    assert not verify_webhook({"x-crossdock-webhook-secret": ""}, "")
    body = {"scope": "store/order/statusUpdated", "store_id": "1", "data": {"type": "order", "id": 272}}
    assert webhook_order_id(json.dumps(body).encode()) == "272"
    assert webhook_order_id(json.dumps(body | {"scope": "store/product/updated"}).encode()) is None
    assert webhook_order_id(json.dumps(body | {"data": {"type": "order"}}).encode()) is None
    assert webhook_order_id(b"not json") is None


def test_the_source_answers_webhooks_with_its_configured_secret(config: BigCommerceSourceConfig) -> None:
    source = BigCommerceSource("store", config)
    assert source.verify_webhook(b"{}", {"x-crossdock-webhook-secret": "hook-secret"})
    assert not source.verify_webhook(b"{}", {"x-crossdock-webhook-secret": "other"})


def shipment(**changes: Any) -> Outbound:
    data = Fulfilment(
        channel="bigcommerce",
        partner="store",
        po_number="2301",
        external_id="2301",
        shipment_id="WH-1",
        carrier_scac="UPSN",
        tracking_numbers=["1Z999AA10123456784"],
        lines=[
            FulfilmentLine(line_number="501", quantity=Decimal(2)),
            FulfilmentLine(line_number="502", quantity=Decimal(1)),
        ],
    ).model_copy(update=changes)
    return as_outbound(data)


def test_a_fulfilment_posts_one_shipment_per_address_once(config: BigCommerceSourceConfig) -> None:
    sink = BigCommerceSink("store", config)
    made: list[dict[str, Any]] = []

    def post(request: httpx.Request) -> httpx.Response:
        made.append({"id": len(made) + 1, **json.loads(request.content)})
        return httpx.Response(201, json=made[-1])

    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/2301/products").mock(side_effect=paged([product(501, 9001), product(502, 9002)]))
        mock.get(f"{ORDERS}/2301/shipments").mock(side_effect=paged(made))
        posted = mock.post(f"{ORDERS}/2301/shipments").mock(side_effect=post)
        assert sink.send(shipment()) == "bigcommerce order 2301: shipment WH-1 (shipments 1, 2)"
        assert sink.send(shipment()) == "bigcommerce order 2301: shipment WH-1 (already there)"
        made.pop()  # the first attempt stopped after one of its two shipments
        sink.send(shipment())
    assert posted.call_count == 3, "the repeat posts nothing; the interrupted one posts only what is missing"
    assert [(m["order_address_id"], m["items"]) for m in made] == [
        (9001, [{"order_product_id": 501, "quantity": 2}]),
        (9002, [{"order_product_id": 502, "quantity": 1}]),
    ]
    assert made[0]["tracking_number"] == "1Z999AA10123456784" and made[0]["shipping_provider"] == "ups"
    assert posted.calls[0].request.headers["X-Auth-Token"] == TOKEN


def test_without_tracking_a_repeat_is_known_by_its_comments(config: BigCommerceSourceConfig) -> None:
    sink = BigCommerceSink("store", config)
    earlier = {"id": 1, "order_address_id": 9001, "tracking_number": "", "comments": "Shipment WH-1; carrier OLDD"}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/2301/products").mock(return_value=httpx.Response(200, json=[product(501, 9001)]))
        mock.get(f"{ORDERS}/2301/shipments").mock(return_value=httpx.Response(200, json=[earlier]))
        lines = [FulfilmentLine(line_number="501", quantity=Decimal(2))]
        done = sink.send(shipment(tracking_numbers=[], carrier_scac="OLDD", lines=lines))
    assert done.endswith("(already there)")


def test_a_fulfilment_the_store_cannot_take_is_permanent(config: BigCommerceSourceConfig) -> None:
    sink = BigCommerceSink("store", config)
    with pytest.raises(PermanentError, match="has no order id"):
        sink.send(shipment(external_id=None))
    with pytest.raises(PermanentError, match="is not a Fulfilment"):
        sink.send(Outbound(name="x.json", data=b"{}", idempotency_key="k"))
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{ORDERS}/2301/products").mock(return_value=httpx.Response(200, json=[product(501, 9001)]))
        with pytest.raises(PermanentError, match="line 502 is none of the order's products"):
            sink.send(shipment())
        mock.get(f"{ORDERS}/2301/shipments").mock(return_value=httpx.Response(204))
        mock.post(f"{ORDERS}/2301/shipments").mock(
            return_value=httpx.Response(400, json=[{"status": 400, "message": "quantity exceeds"}])
        )
        with pytest.raises(PermanentError, match="400 Bad Request: quantity exceeds"):
            sink.send(shipment(lines=[FulfilmentLine(line_number="501", quantity=Decimal(9))]))
    sink.close()


def test_the_configuration_refuses_incomplete_orders_and_unknown_statuses() -> None:
    base = {"type": "bigcommerce", "store_hash": "abc123", "access_token": "${BC_TOKEN}"}
    with pytest.raises(ValueError, match="status 0 \\(Incomplete\\) is an abandoned checkout"):
        BigCommerceSourceConfig.model_validate(base | {"statuses": [0, 11]})
    with pytest.raises(ValueError, match="unknown status_id \\[15\\]"):
        BigCommerceSourceConfig.model_validate(base | {"statuses": [15]})
    assert BigCommerceSourceConfig.model_validate(base | {"statuses": [11, 9, 11]}).statuses == [9, 11]
    assert BigCommerceSourceConfig.model_validate(base).statuses == list(range(1, 15))
