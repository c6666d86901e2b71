"""The Amazon SP-API connector against a mocked API (respx): the LWA token and when it is refreshed, the search
window and its pages, the usage plans and 429s, how each answer maps to an outcome, and confirmShipment.

Every mocked answer is one the owner's spec allows (``tests/openapi.py`` checks each before it is served) and
every request the connector makes is checked against the spec too; the orders are the owner's fixtures.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors import amazon
from crossdock.connectors.amazon import AmazonSource
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.ports import Outbound
from tests.conftest import FIXTURES
from tests.connectors.channels import as_outbound, assert_reads_back, read
from tests.openapi import amazon_spec_for

HOST = "https://sellingpartnerapi-na.amazon.com"
LWA = "https://api.amazon.com/auth/o2/token"
SEARCH = f"{HOST}/orders/2026-01-01/orders"
SAVED = FIXTURES / "amazon-sp-api"
CLIENT_ID, CLIENT_SECRET, REFRESH = "amzn1.application-oa2-client.abc", "amzn1.oa2-cs.v1.s3cret", "Atzr|refresh-me"


def saved(file: str) -> Any:
    """A saved answer: an example is the body, a sandbox file a request/response pair."""
    body = json.loads((SAVED / file).read_text())
    return body.get("response", body) if "request" in body else body


def answer(request: httpx.Request, status: int, body: Any = None, **headers: str) -> httpx.Response:
    """The answer, once the spec allows it (status, body and headers) and the request (query, body) too."""
    spec = amazon_spec_for(request.url.path)
    query = urllib.parse.parse_qs(request.url.query.decode(), keep_blank_values=True)
    sent = json.loads(request.content) if request.content else None
    assert spec.request_errors(request.method, request.url.path, query, sent) == []
    assert spec.response_errors(request.method, request.url.path, status, body, headers) == []
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status)


def serve(*answers: tuple[int, Any, dict[str, str]]) -> Any:
    """A respx side effect answering the calls in turn, each checked against the spec."""
    queue = list(answers)

    def side_effect(request: httpx.Request) -> httpx.Response:
        status, body, headers = queue.pop(0)
        return answer(request, status, body, **headers)

    return side_effect


def token_answer(token: str = "Atza|first", expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": token, "token_type": "bearer", "expires_in": expires_in, "refresh_token": REFRESH}
    )


@dataclass
class Clock:
    """The connector's clock: it moves only when the connector sleeps (or a test moves it)."""

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    amazon._SHARED.clear()  # tokens and buckets are per process: each test starts afresh
    fake = Clock()
    monkeypatch.setattr(amazon, "_clock", lambda: fake.now)
    monkeypatch.setattr(amazon, "_sleep", fake.sleep)
    yield fake
    amazon._SHARED.clear()


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> AmazonSourceConfig:
    monkeypatch.setenv("SP_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SP_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SP_REFRESH", REFRESH)
    return AmazonSourceConfig(
        type="amazon",
        marketplace_ids=["ATVPDKIKX0DER", "A1F83G8C2ARO7P"],
        client_id="${SP_CLIENT_ID}",
        client_secret="${SP_CLIENT_SECRET}",
        refresh_token="${SP_REFRESH}",
        page_size=2,
    )


def one_marketplace(config: AmazonSourceConfig) -> AmazonSourceConfig:
    return config.model_copy(update={"marketplace_ids": ["ATVPDKIKX0DER"]})


LIMIT = {"x-amzn-RateLimit-Limit": "0.0056", "x-amzn-RequestId": "req-1"}


def test_every_page_is_read_with_the_same_filters_fba_is_skipped_and_the_last_order_carries_the_checkpoint(
    config: AmazonSourceConfig,
) -> None:
    source = AmazonSource("amz", config)
    source.since = "2024-12-24T10:00:00Z"
    pages = serve(
        (200, saved("orders-2026-01-01/searchOrders.200.example.json"), LIMIT),  # merchant order, a nextToken
        (200, saved("orders-2026-01-01/searchOrders.200.sandbox-1.json"), LIMIT),  # an FBA order, a nextToken
        (200, saved("orders-2026-01-01/searchOrders.200.sandbox-2.json"), LIMIT),  # merchant order, last page
    )
    with respx.mock(assert_all_called=True) as mock:
        lwa = mock.post(LWA).mock(return_value=token_answer())
        route = mock.get(SEARCH).mock(side_effect=pages)
        items = read(source)
    first = route.calls[0].request.url.params
    before = dt.datetime.fromisoformat(first["lastUpdatedBefore"])
    assert dt.timedelta(minutes=2) < dt.datetime.now(dt.UTC) - before < dt.timedelta(minutes=30), (
        "at least two minutes before the request, as the spec asks: never into data still settling"
    )
    assert {k: v for k, v in first.items() if k != "lastUpdatedBefore"} == {
        "lastUpdatedAfter": "2024-12-24T09:00:00Z",  # the checkpoint less an hour's overlap (Amazon is late)
        "marketplaceIds": "ATVPDKIKX0DER,A1F83G8C2ARO7P",
        "fulfilledBy": "MERCHANT",
        "includedData": "BUYER,RECIPIENT,PROCEEDS,PROMOTION,CANCELLATION,FULFILLMENT,TAX",
        "maxResultsPerPage": "2",
    }
    for call in route.calls[1:]:
        params = dict(call.request.url.params)
        assert params.pop("paginationToken") == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
        assert params == dict(first), "a next page is asked with the same filters"
    assert {c.request.headers["x-amz-access-token"] for c in route.calls} == {"Atza|first"}
    assert route.calls[0].request.headers["user-agent"].startswith("crossdock/")
    assert "authorization" not in route.calls[0].request.headers, "no AWS signature, only the LWA token"
    assert lwa.call_count == 1, "one token for the whole poll"
    form = urllib.parse.parse_qs(lwa.calls[0].request.content.decode())
    assert form == {
        "grant_type": ["refresh_token"],
        "refresh_token": [REFRESH],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }
    assert [i.identity for i in items] == [
        "amazon:123-4567890-1234567:2024-12-25T14:45:00Z",
        "amazon:202-7654321-1098765:2024-12-24T18:45:00Z",
    ], "the FBA order 250-1234567-8901234 is Amazon's to ship: not imported"
    assert [i.checkpoint for i in items] == [None, "2024-12-25T14:45:00Z"]
    assert json.loads(items[0].data)["orderId"] == "123-4567890-1234567"
    assert items[0].name == "amazon-order-123-4567890-1234567.json"


def test_a_skipped_fba_order_still_moves_the_checkpoint(config: AmazonSourceConfig) -> None:
    fba = saved("orders-2026-01-01/searchOrders.200.sandbox-1.json")
    del fba["pagination"]
    fba["orders"][0]["lastUpdatedTime"] = "2024-12-26T08:00:00Z"  # our change: the FBA order is the latest
    page = saved("orders-2026-01-01/searchOrders.200.sandbox-2.json")
    page["orders"] += fba["orders"]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.get(SEARCH).mock(side_effect=serve((200, page, LIMIT)))
        (item,) = read(AmazonSource("amz", config))
    assert item.identity == "amazon:202-7654321-1098765:2024-12-24T18:45:00Z"
    assert item.checkpoint == "2024-12-26T08:00:00Z"


def test_the_first_poll_reads_back_first_sync_and_an_empty_window_yields_nothing(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.get(SEARCH).mock(side_effect=serve((200, {"orders": []}, LIMIT)))
        assert read(AmazonSource("amz", config)) == []
    since = dt.datetime.fromisoformat(route.calls[0].request.url.params["lastUpdatedAfter"])
    assert_reads_back(since)


def test_the_token_is_kept_between_polls_and_refreshed_a_minute_before_it_expires(
    config: AmazonSourceConfig, clock: Clock
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        lwa = mock.post(LWA).mock(side_effect=[token_answer("Atza|one"), token_answer("Atza|two")])
        route = mock.get(SEARCH).mock(side_effect=serve(*[(200, {"orders": []}, LIMIT)] * 3))
        read(AmazonSource("amz", config))
        clock.now += 3600 - 61
        read(AmazonSource("amz", config))  # a new source each poll, the same token
        clock.now += 2
        read(AmazonSource("amz", config))
    assert lwa.call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in route.calls] == ["Atza|one", "Atza|one", "Atza|two"]


EXPIRED = {
    "errors": [
        {
            "code": "Unauthorized",
            "message": "Access to requested resource is denied.",
            "details": "The access token you provided has expired.",
        }
    ]
}


def test_an_expired_token_is_refreshed_once(config: AmazonSourceConfig) -> None:
    """Orders 2026-01-01 declares no 401: an expired token is a 403 that says so [spec: 403 description]."""
    with respx.mock(assert_all_called=True) as mock:
        lwa = mock.post(LWA).mock(side_effect=[token_answer("Atza|old"), token_answer("Atza|new")])
        route = mock.get(SEARCH).mock(
            side_effect=serve((403, EXPIRED, {"x-amzn-RequestId": "r"}), (200, {"orders": []}, LIMIT))
        )
        assert read(AmazonSource("amz", config)) == []
    assert lwa.call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in route.calls] == ["Atza|old", "Atza|new"]


def test_a_token_refused_twice_and_a_forbidden_call_are_permanent_and_show_no_secret(
    config: AmazonSourceConfig,
) -> None:
    expired = copy.deepcopy(EXPIRED)
    expired["errors"][0]["details"] = "The access token Atza|t1 has expired."
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(side_effect=[token_answer("Atza|t1"), token_answer("Atza|t1")])
        mock.get(SEARCH).mock(side_effect=serve(*[(403, expired, {"x-amzn-RequestId": "r"})] * 2))
        with pytest.raises(PermanentError) as caught:
            read(AmazonSource("amz", config))
    said = str(caught.value)
    assert said.startswith("amazon amz: searchOrders GET /orders/2026-01-01/orders: 403 Forbidden: Unauthorized:")
    assert "Atza|t1" not in said and "The access token *** has expired" in said
    denied = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
    with respx.mock(assert_all_called=True) as mock:  # no LWA route: a call to it would fail the test
        route = mock.get(SEARCH).mock(side_effect=serve((403, denied, {"x-amzn-RequestId": "r"})))
        with pytest.raises(PermanentError, match="403 Forbidden: Unauthorized: Access to requested resource"):
            read(AmazonSource("amz", config))
    assert route.call_count == 1, "a 403 that is not about expiry is not retried with a new token"


@pytest.mark.parametrize(
    ("status", "body", "error", "said"),
    [
        (400, {"error": "invalid_grant", "error_description": f"The refresh token {REFRESH} is revoked"},
         PermanentError, "400 Bad Request: invalid_grant: The refresh token *** is revoked"),
        (401, {"error": "invalid_client", "error_description": "Client authentication failed"},
         PermanentError, "401 Unauthorized: invalid_client: Client authentication failed"),
        (500, None, TransientError, "500 Internal Server Error"),
        (200, {"token_type": "bearer"}, TransientError, "the answer has no access_token"),
    ],
)  # fmt: skip
def test_lwa_refusals_map_to_outcomes_without_secrets(
    config: AmazonSourceConfig, status: int, body: Any, error: type[Exception], said: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=httpx.Response(status, json=body))
        with pytest.raises(error) as caught:
            read(AmazonSource("amz", config))
    assert str(caught.value).startswith("amazon amz: LWA token refresh") and said in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value) and REFRESH not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body", "error", "said"),
    [
        (400, saved("orders-2026-01-01/searchOrders.400.sandbox-1.json"), PermanentError,
         "400 Bad Request: InvalidInput: Invalid Input"),
        (503, {"errors": [{"code": "ServiceUnavailable", "message": "try later"}]}, TransientError,
         "503 Service Unavailable: ServiceUnavailable: try later"),
    ],
)  # fmt: skip
def test_answers_map_to_outcomes(
    config: AmazonSourceConfig, status: int, body: Any, error: type[Exception], said: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.get(SEARCH).mock(side_effect=serve((status, body, {"x-amzn-RequestId": "r"})))
        with pytest.raises(error, match=said):
            read(AmazonSource("amz", config))


def test_a_body_that_is_not_json_is_transient(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.get(SEARCH).mock(return_value=httpx.Response(200, text="<html>gateway</html>"))
        with pytest.raises(TransientError, match="200, but the body is not JSON"):
            read(AmazonSource("amz", config))


def test_the_usage_plan_spaces_calls_once_the_burst_is_spent(clock: Clock) -> None:
    bucket = amazon._Bucket(*amazon.USAGE_PLANS["searchOrders"])
    assert [bucket.take() for _ in range(20)] == [0.0] * 20, "the burst: 20 at once"
    assert bucket.take() == pytest.approx(1 / 0.0056), "then one per ~3 minutes"
    bucket = amazon._Bucket(2.0, 10)
    for _ in range(10):
        bucket.take()
    bucket.observe("5.0")  # x-amzn-RateLimit-Limit: this seller's plan is faster
    assert bucket.take() == pytest.approx(0.2)
    bucket.observe("not a number")
    assert bucket.rate == 5.0


def test_a_429_empties_the_bucket_and_waits_one_token_at_the_rate_amazon_said(
    config: AmazonSourceConfig, clock: Clock
) -> None:
    throttled = {
        "errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]
    }
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.get(SEARCH).mock(
            side_effect=serve(
                (200, {"orders": []}, {"x-amzn-RateLimit-Limit": "0.5"}),  # the rate applied to this seller
                (429, throttled, {"x-amzn-RequestId": "r"}),
                (200, {"orders": []}, {"x-amzn-RateLimit-Limit": "0.5"}),
            )
        )
        read(AmazonSource("amz", config))
        read(AmazonSource("amz", config))
    assert route.call_count == 3
    assert clock.waits == [pytest.approx(2.0)], "no Retry-After on a 429: one token's time at 0.5 per second"


def test_three_429s_in_a_row_give_up_with_the_wait(config: AmazonSourceConfig, clock: Clock) -> None:
    throttled = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.get(SEARCH).mock(side_effect=serve(*[(429, throttled, {"x-amzn-RequestId": "r"})] * 3))
        with pytest.raises(TransientError, match="429 throttled 3 times: QuotaExceeded") as caught:
            read(AmazonSource("amz", config))
    assert caught.value.retry_after == pytest.approx(1 / 0.0056)
    assert clock.waits == [pytest.approx(1 / 0.0056)] * 2, "the default plan's rate, when Amazon never said its own"


def test_a_wait_longer_than_five_minutes_is_not_slept_through(config: AmazonSourceConfig, clock: Clock) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.get(SEARCH).mock(side_effect=serve((200, {"orders": []}, {"x-amzn-RateLimit-Limit": "0.001"})))
        read(AmazonSource("amz", config))
        for _ in range(19):  # the rest of the burst
            amazon._SHARED.bucket(amazon._Api("amz", config, None).key, "searchOrders").take()
        with pytest.raises(TransientError, match="the usage plan allows the next call in 1000 s") as caught:
            read(AmazonSource("amz", config))
    assert route.call_count == 1 and clock.waits == []
    assert caught.value.retry_after == pytest.approx(1000)


def test_one_order_by_id_and_an_fba_order_is_refused(config: AmazonSourceConfig) -> None:
    path = "/orders/2026-01-01/orders/114-9876543-1234567"
    fba = copy.deepcopy(saved("orders-2026-01-01/getOrder.200.sandbox-3.json"))
    fba["order"]["fulfillment"]["fulfilledBy"] = "AMAZON"  # our change
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.get(f"{HOST}{path}").mock(
            side_effect=serve((200, saved("orders-2026-01-01/getOrder.200.sandbox-3.json"), LIMIT), (200, fba, LIMIT))
        )
        item = AmazonSource("amz", config).order("114-9876543-1234567")
        with pytest.raises(PermanentError, match="is fulfilled by Amazon: not imported"):
            AmazonSource("amz", config).order("114-9876543-1234567")
    assert item.identity == "amazon:114-9876543-1234567:2025-03-10T14:30:00Z" and item.checkpoint is None
    assert route.calls[0].request.url.params["includedData"].split(",")[0] == "BUYER"


def test_there_are_no_http_webhooks(config: AmazonSourceConfig) -> None:
    source = AmazonSource("amz", config)
    notification = (SAVED / "notifications" / "ORDER_CHANGE.example-1.json").read_bytes()
    assert source.verify_webhook(notification, {"content-type": "application/json"}) is False
    assert source.webhook_order_id(notification, {}) is None


def test_the_config_has_no_webhook_secret_and_reads_merchant_orders_only(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"type": "amazon", "marketplace_ids": ["X"], "client_id": "${A}", "client_secret": "${B}"}
    base["refresh_token"] = "${C}"
    with pytest.raises(ValueError, match="webhook_secret"):
        AmazonSourceConfig.model_validate({**base, "webhook_secret": "${D}"})
    with pytest.raises(ValueError, match="fulfilled_by"):
        AmazonSourceConfig.model_validate({**base, "fulfilled_by": "AMAZON"})
    with pytest.raises(ValueError, match="marketplace_ids"):
        AmazonSourceConfig.model_validate({**base, "marketplace_ids": []})
    with pytest.raises(ValueError, match="environment reference"):
        AmazonSourceConfig.model_validate({**base, "client_secret": "amzn1.oa2-cs.v1.plain"})


# --- confirmShipment -------------------------------------------------------------------------------------------

ORDER_ID = "123-4567890-1234567"
CONFIRM = f"{HOST}/orders/v0/orders/{ORDER_ID}/shipmentConfirmation"
GET_ORDER = f"{HOST}/orders/2026-01-01/orders/{ORDER_ID}"


def fulfilment(**changes: Any) -> Outbound:
    fields: dict[str, Any] = {
        "channel": "amazon",
        "partner": "amz",
        "po_number": ORDER_ID,
        "external_id": ORDER_ID,
        "shipment_id": "7001",
        "ship_date": dt.date(2024, 12, 26),
        "carrier_scac": "UPSN",
        "carrier_service": "UPS Ground",
        "tracking_numbers": ["1Z999AA1234567999"],
        "lines": [FulfilmentLine(line_number="12345678901234", quantity=Decimal(2))],
    }
    return as_outbound(Fulfilment(**(fields | changes)))


def order_answer(status: str = "UNSHIPPED", packages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The owner's example order (searchOrders' first), with the state a test needs (our change)."""
    order = saved("orders-2026-01-01/searchOrders.200.example.json")["orders"][0]
    order["fulfillment"]["fulfillmentStatus"] = status
    order["packages"] = packages or []
    return {"order": order}


def test_a_package_is_confirmed_with_the_one_marketplace_and_a_resend_edits_the_same_package(
    config: AmazonSourceConfig,
) -> None:
    sink = AmazonSink("amz", one_marketplace(config))
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.post(CONFIRM).mock(side_effect=serve(*[(204, None, {"x-amzn-RequestId": "r"})] * 2))
        said = sink.send(fulfilment())
        sink.send(fulfilment())
    assert said == f"amazon order {ORDER_ID}: package 7001 (1Z999AA1234567999)"
    first, second = (json.loads(c.request.content) for c in route.calls)
    assert first == second, "the same packageReferenceId: Amazon edits the package instead of adding one"
    assert first == {
        "marketplaceId": "ATVPDKIKX0DER",
        "packageDetail": {
            "packageReferenceId": "7001",
            "carrierCode": "UPS",
            "shippingMethod": "UPS Ground",
            "trackingNumber": "1Z999AA1234567999",
            "shipDate": "2024-12-26T00:00:00Z",
            "orderItems": [{"orderItemId": "12345678901234", "quantity": 2}],
        },
    }
    assert route.calls[0].request.headers["x-amz-access-token"] == "Atza|first"


def test_with_several_marketplaces_the_order_says_which(config: AmazonSourceConfig) -> None:
    sink = AmazonSink("amz", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        got = mock.get(GET_ORDER).mock(side_effect=serve((200, order_answer(), LIMIT)))
        route = mock.post(CONFIRM).mock(side_effect=serve((204, None, {})))
        sink.send(fulfilment())
    assert json.loads(route.calls[0].request.content)["marketplaceId"] == "ATVPDKIKX0DER"
    assert got.calls[0].request.url.params["includedData"] == "FULFILLMENT,PACKAGES"


REFUSED = saved("orders-v0/confirmShipment.400.sandbox-1.json")


@pytest.mark.parametrize(
    ("order", "said"),
    [
        (order_answer("SHIPPED"), "the order was already shipped"),
        (
            order_answer("PARTIALLY_SHIPPED", [{"packageReferenceId": "7001", "trackingNumber": "1Z999AA1234567999"}]),
            "already confirmed",
        ),
    ],
)
def test_a_refused_confirmation_of_an_order_already_shipped_is_done(
    config: AmazonSourceConfig, order: dict[str, Any], said: str
) -> None:
    sink = AmazonSink("amz", one_marketplace(config))
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.post(CONFIRM).mock(side_effect=serve((400, REFUSED, LIMIT)))
        mock.get(GET_ORDER).mock(side_effect=serve((200, order, LIMIT)))
        assert sink.send(fulfilment()).endswith(said)


def test_a_refused_confirmation_of_an_open_order_keeps_amazons_reason(config: AmazonSourceConfig) -> None:
    sink = AmazonSink("amz", one_marketplace(config))
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.post(CONFIRM).mock(side_effect=serve((400, REFUSED, LIMIT)))
        mock.get(GET_ORDER).mock(side_effect=serve((200, order_answer("CANCELLED"), LIMIT)))
        with pytest.raises(PermanentError) as caught:
            sink.send(fulfilment())
    assert str(caught.value) == (
        f"amazon amz: confirmShipment POST /orders/v0/orders/{ORDER_ID}/shipmentConfirmation: "
        "400 Invalid Input: Invalid Input (the order is CANCELLED)"
    )


def test_a_throttled_confirmation_is_retried_and_a_failing_one_is_transient(
    config: AmazonSourceConfig, clock: Clock
) -> None:
    sink = AmazonSink("amz", one_marketplace(config))
    throttled = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota."}]}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.post(CONFIRM).mock(
            side_effect=serve((429, throttled, {}), (204, None, {}), (500, {"errors": []}, {}))
        )
        sink.send(fulfilment())
        with pytest.raises(TransientError, match="500 Internal Server Error"):
            sink.send(fulfilment())
    assert route.call_count == 3
    assert clock.waits == [pytest.approx(0.5)] * 2, "after a 429 the bucket refills at confirmShipment's 2 a second"


def test_a_401_on_confirm_shipment_refreshes_the_token(config: AmazonSourceConfig) -> None:
    """v0 declares 401 for a token that is not valid: refreshed once, then sent again."""
    sink = AmazonSink("amz", one_marketplace(config))
    invalid = {"errors": [{"code": "Unauthorized", "message": "The access token is not valid."}]}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(side_effect=[token_answer("Atza|old"), token_answer("Atza|new")])
        route = mock.post(CONFIRM).mock(side_effect=serve((401, invalid, {}), (204, None, {})))
        sink.send(fulfilment())
    assert [c.request.headers["x-amz-access-token"] for c in route.calls] == ["Atza|old", "Atza|new"]


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"external_id": None}, "fulfilment of 123-4567890-1234567 has no order id"),
        ({"tracking_numbers": ["A1", "A2"]}, "2 tracking numbers: confirm one package per call"),
        ({"carrier_scac": None}, "no carrier"),
    ],
)
def test_what_cannot_be_confirmed_is_permanent_and_sends_nothing(
    config: AmazonSourceConfig, changes: dict[str, Any], said: str
) -> None:
    sink = AmazonSink("amz", one_marketplace(config))
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CONFIRM).mock(return_value=httpx.Response(204))
        with pytest.raises(PermanentError, match=said):
            sink.send(fulfilment(**changes))
    assert route.call_count == 0
    with pytest.raises(PermanentError, match=r"f\.json is not a Fulfilment"):
        sink.send(Outbound(name="f.json", data=b"{}", idempotency_key="k"))
    sink.close()
