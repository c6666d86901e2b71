"""Stock to Amazon (respx): a few SKUs by ``patchListingsItem`` (paced to its usage plan, 5 a second with a burst
of 5), many by one ``JSON_LISTINGS_FEED``; a 429 mid-push waited out (three tries), then the push raises; a SKU
Amazon refuses in its answer named. Every request and answer is checked against the owner's specs
(``listingsItems_2021-08-01.json``, ``feeds_2021-06-30.json``, ``listings-feed-schema-v2.json``, copied into
tests/data/fixtures/specs/amazon-sp-api)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from jsonschema import Draft7Validator

from crossdock.connectors import amazon
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.stock.models import StockLevel, StockSent
from tests.connectors.stock import as_push, levels
from tests.connectors.test_amazon import HOST, LWA, token_answer
from tests.openapi import AMAZON, Spec
from tests.openapi import amazon as spec

LISTINGS = f"{HOST}/listings/2021-08-01/items/A2MERCHANT7/"
DOCUMENTS = f"{HOST}/feeds/2021-06-30/documents"
FEEDS = f"{HOST}/feeds/2021-06-30/feeds"
UPLOAD = "https://tortuga-prod-na.s3.example.test/feed-doc-7?X-Amz-Signature=abc"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    amazon._SHARED.clear()  # tokens and usage plans are per process: each test starts afresh
    yield
    amazon._SHARED.clear()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Amazon's buckets on a clock that moves only when the connector sleeps; the sleeps, recorded."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(amazon, "_clock", lambda: now[0])
    monkeypatch.setattr(amazon, "_sleep", sleep)
    return slept


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> AmazonSourceConfig:
    for var, value in (("SP_CLIENT_ID", "amzn1.application-oa2-client.abc"), ("SP_SECRET", "s"), ("SP_R", "Atzr|r")):
        monkeypatch.setenv(var, value)
    return AmazonSourceConfig(
        type="amazon",
        marketplace_ids=["ATVPDKIKX0DER"],
        client_id="${SP_CLIENT_ID}",
        client_secret="${SP_SECRET}",
        refresh_token="${SP_R}",
        merchant_id="A2MERCHANT7",
    )


def checked(file: str, request: httpx.Request, status: int, body: Any) -> httpx.Response:
    """The answer, once the owner's spec allows it and the request too."""
    found: Spec = spec(file)
    query = urllib.parse.parse_qs(request.url.query.decode(), keep_blank_values=True)
    sent = json.loads(request.content) if request.content else None
    path = request.url.raw_path.split(b"?")[0].decode()  # as sent: a SKU's slash stays escaped
    assert found.request_errors(request.method, path, query, sent) == []
    assert found.response_errors(request.method, path, status, body) == []
    return httpx.Response(status, json=body)


def patched(request: httpx.Request, refuse: frozenset[str] = frozenset()) -> httpx.Response:
    sku = urllib.parse.unquote(request.url.raw_path.split(b"?")[0].decode().rsplit("/", 1)[1])
    body: dict[str, Any] = {"sku": sku, "status": "ACCEPTED", "submissionId": f"sub-{sku}", "issues": []}
    if sku in refuse:
        issue = {"code": "90220", "message": "'fulfillment_availability' is not valid", "severity": "ERROR"}
        issue["categories"] = ["INVALID_ATTRIBUTE"]
        body.update(status="INVALID", issues=[issue])
    return checked("listingsItems_2021-08-01.json", request, 200, body)


def test_a_few_skus_are_patched_one_by_one_within_the_usage_plan(
    config: AmazonSourceConfig, clock: list[float]
) -> None:
    found = [*levels(6), StockLevel(sku="SHOE 1/2", available=3, ids={"product_type": "SHOES"})]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.patch(url__startswith=LISTINGS).mock(side_effect=patched)
        said = AmazonSink("amz", config).send(as_push("amz", found))
    assert route.call_count == 7
    first = json.loads(route.calls[0].request.content)
    assert first == {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}],
            }
        ],
    }
    assert route.calls[6].request.url.raw_path.split(b"?")[0].endswith(b"/SHOE%201%2F2")
    assert json.loads(route.calls[6].request.content)["productType"] == "SHOES"
    assert clock == [0.2, 0.2]  # a burst of 5, then one token every fifth of a second
    assert "7 of 7 levels set" in said


def test_a_429_mid_push_waits_a_token_and_goes_on(config: AmazonSourceConfig, clock: list[float]) -> None:
    throttled = httpx.Response(429, json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]})
    with respx.mock() as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.patch(url__startswith=LISTINGS)
        route.side_effect = [patched, throttled, patched, patched]
        said = AmazonSink("amz", config).send(as_push("amz", levels(3)))
    assert route.call_count == 4 and "3 of 3 levels set" in said
    assert clock == [0.2, 0.2]  # the 429 emptied the bucket: the retry and the next SKU each wait a token


def test_a_throttle_that_lasts_raises_transient_naming_how_far_it_got(
    config: AmazonSourceConfig, clock: list[float]
) -> None:
    throttled = httpx.Response(429, json={"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]})
    with respx.mock() as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.patch(url__startswith=LISTINGS).side_effect = [patched, throttled, throttled, throttled]
        with pytest.raises(TransientError, match="stopped after 1 of 3 levels"):
            AmazonSink("amz", config).send(as_push("amz", levels(3)))


def test_a_sku_amazon_refuses_is_named_and_the_rest_are_set(config: AmazonSourceConfig, clock: list[float]) -> None:
    bad = {"errors": [{"code": "BAD_REQUEST", "message": "Invalid input", "details": "Invalid input"}]}
    with respx.mock() as mock:
        mock.post(LWA).mock(return_value=token_answer())
        route = mock.patch(url__startswith=LISTINGS)
        route.side_effect = [
            lambda r: patched(r, refuse=frozenset({"SKU-0001"})),
            lambda r: checked("listingsItems_2021-08-01.json", r, 400, bad),
            patched,
        ]
        said = AmazonSink("amz", config).send(as_push("amz", levels(3)))
    assert isinstance(said, StockSent) and sorted(said.refused) == ["SKU-0001", "SKU-0002"]  # done: core records them
    assert "1 of 3 levels set" in said
    assert "SKU-0001: submission INVALID: 90220: 'fulfillment_availability' is not valid" in said
    assert "SKU-0002: BAD_REQUEST: Invalid input" in said


def test_many_skus_go_as_one_listings_feed(config: AmazonSourceConfig, clock: list[float]) -> None:
    config = config.model_copy(update={"stock_feed_threshold": 2})
    feeds = "feeds_2021-06-30.json"
    uploaded: list[bytes] = []
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        mock.post(DOCUMENTS).mock(
            side_effect=lambda r: checked(feeds, r, 201, {"feedDocumentId": "doc-7", "url": UPLOAD})
        )
        mock.put(UPLOAD).mock(side_effect=lambda r: uploaded.append(r.content) or httpx.Response(200))
        created = mock.post(FEEDS).mock(side_effect=lambda r: checked(feeds, r, 202, {"feedId": "feed-42"}))
        said = AmazonSink("amz", config).send(as_push("amz", levels(3)))
    feed = json.loads(uploaded[0])
    schema = json.loads((AMAZON / "listings-feed-schema-v2.json").read_text())
    assert list(Draft7Validator(schema).iter_errors(feed)) == []
    assert feed["header"] == {"sellerId": "A2MERCHANT7", "version": "2.0", "issueLocale": "en_US"}
    assert [(m["messageId"], m["sku"], m["patches"][0]["value"][0]["quantity"]) for m in feed["messages"]] == [
        (1, "SKU-0001", 1),
        (2, "SKU-0002", 2),
        (3, "SKU-0003", 3),
    ]
    assert json.loads(created.calls[0].request.content)["feedType"] == "JSON_LISTINGS_FEED"
    assert "feed feed-42" in said and "3 of 3 levels submitted" in said
    assert isinstance(said, StockSent) and said.feeds == ["feed-42"]  # core reads its report later


def test_no_seller_id_is_a_permanent_error(config: AmazonSourceConfig) -> None:
    config = config.model_copy(update={"merchant_id": None})
    with pytest.raises(PermanentError, match="set merchant_id"):
        AmazonSink("amz", config).send(as_push("amz", levels(1)))
