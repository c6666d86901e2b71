"""Stock feeds read back (respx): Amazon's listings feed by ``getFeed`` until it is ``DONE``, then its processing
report (``getFeedDocument``, the GZIP document at its pre-signed URL), every request and answer checked against
the owner's specs (``feeds_2021-06-30.json``, ``listings-feed-processing-report-schema-v2.json``); Walmart's
inventory feed by its status with item details, page by page. Walmart's feeds spec is not among the fixtures:
its answer follows the fields its SDKs document (``feedStatus``, ``itemDetails.itemIngestionStatus``) [unverified]."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from jsonschema import Draft7Validator

from crossdock.connectors import amazon
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.walmart_sink import WalmartSink
from crossdock.core.errors import PermanentError
from crossdock.core.stock.models import StockSent
from tests.connectors.stock import as_check
from tests.connectors.test_amazon import HOST, LWA, token_answer
from tests.connectors.test_amazon_stock import checked
from tests.connectors.test_amazon_stock import config as amazon_config  # noqa: F401  (a fixture)
from tests.connectors.test_walmart_stock import API, token
from tests.connectors.test_walmart_stock import config as walmart_config  # noqa: F401  (a fixture)
from tests.openapi import AMAZON

FEEDS = "feeds_2021-06-30.json"
FEED = f"{HOST}/feeds/2021-06-30/feeds/feed-42"
DOCUMENT = f"{HOST}/feeds/2021-06-30/documents/amzn1.tortuga.4.na.report-9"
REPORT_URL = "https://tortuga-prod-na.s3.example.test/report-9?X-Amz-Signature=abc"
FIGURES = {"SKU-0001": 1, "SKU-0002": 2, "SKU-0003": 3}


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    amazon._SHARED.clear()
    yield
    amazon._SHARED.clear()


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(amazon, "_sleep", lambda _s: None)


def feed(status: str, document: str | None = None) -> dict[str, Any]:
    found = {
        "feedId": "feed-42",
        "feedType": "JSON_LISTINGS_FEED",
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "createdTime": "2026-12-07T10:00:00Z",
        "processingStatus": status,
    }
    return found | ({"resultFeedDocumentId": document} if document else {})


def report(*issues: dict[str, Any]) -> dict[str, Any]:
    """A processing report, valid by the owner's schema."""
    body = {
        "header": {"sellerId": "A2MERCHANT7", "version": "2.0", "feedId": "feed-42"},
        "issues": list(issues),
        "summary": {"errors": 1, "warnings": 1, "messagesProcessed": 3, "messagesAccepted": 2, "messagesInvalid": 1},
    }
    schema = json.loads((AMAZON / "listings-feed-processing-report-schema-v2.json").read_text())
    assert list(Draft7Validator(schema).iter_errors(body)) == []
    return body


def amazon_routes(mock: respx.MockRouter, status: str, body: dict[str, Any] | None = None) -> None:
    mock.post(LWA).mock(return_value=token_answer())
    document = "amzn1.tortuga.4.na.report-9" if body is not None else None
    mock.get(FEED).mock(side_effect=lambda r: checked(FEEDS, r, 200, feed(status, document)))
    if body is not None:
        answer = {"feedDocumentId": document, "url": REPORT_URL, "compressionAlgorithm": "GZIP"}
        mock.get(DOCUMENT).mock(side_effect=lambda r: checked(FEEDS, r, 200, answer))
        mock.get(REPORT_URL).mock(return_value=httpx.Response(200, content=gzip.compress(json.dumps(body).encode())))


def test_the_example_report_of_the_owner_is_valid_by_its_schema() -> None:
    example = json.loads((AMAZON / "listings-feed-processing-report-schema-v2.example.json").read_text())
    schema = json.loads((AMAZON / "listings-feed-processing-report-schema-v2.json").read_text())
    assert list(Draft7Validator(schema).iter_errors(example)) == []


def test_an_amazon_feed_still_processing_is_looked_at_again(amazon_config: AmazonSourceConfig) -> None:  # noqa: F811
    with respx.mock(assert_all_called=True) as mock:
        amazon_routes(mock, "IN_PROGRESS")
        said = AmazonSink("amz", amazon_config).send(as_check("amz", "feed-42", FIGURES))
    assert isinstance(said, StockSent) and said.feeds == ["feed-42"] and said.refused == {}


def test_an_amazon_report_s_errors_refuse_their_skus_and_warnings_do_not(
    amazon_config: AmazonSourceConfig,  # noqa: F811
) -> None:
    body = report(
        {"messageId": 2, "sku": "SKU-0002", "code": "90220", "severity": "ERROR", "message": "not listed"},
        {"messageId": 3, "sku": "SKU-0003", "code": "18448", "severity": "WARNING", "message": "images"},
        {"messageId": 9, "sku": "OTHER", "code": "1", "severity": "ERROR", "message": "not in this feed"},
    )
    with respx.mock(assert_all_called=True) as mock:
        amazon_routes(mock, "DONE", body)
        said = AmazonSink("amz", amazon_config).send(as_check("amz", "feed-42", FIGURES))
    assert isinstance(said, StockSent) and said.feeds == []
    assert said.refused == {"SKU-0002": "90220: not listed"}
    assert "DONE, 1 of 3 SKUs refused" in said


def test_a_fatal_amazon_feed_refuses_all_its_skus_with_the_feed_s_errors(
    amazon_config: AmazonSourceConfig,  # noqa: F811
) -> None:
    body = report({"code": "4000", "severity": "ERROR", "message": "the feed is not valid JSON"})
    with respx.mock(assert_all_called=True) as mock:
        amazon_routes(mock, "FATAL", body)
        said = AmazonSink("amz", amazon_config).send(as_check("amz", "feed-42", FIGURES))
    assert isinstance(said, StockSent) and sorted(said.refused) == sorted(FIGURES)
    assert said.refused["SKU-0001"] == "the feed was FATAL: 4000: the feed is not valid JSON"


def test_a_cancelled_amazon_feed_has_its_skus_pushed_again(amazon_config: AmazonSourceConfig) -> None:  # noqa: F811
    with respx.mock(assert_all_called=True) as mock:
        amazon_routes(mock, "CANCELLED")
        said = AmazonSink("amz", amazon_config).send(as_check("amz", "feed-42", FIGURES))
    assert isinstance(said, StockSent) and said.refused == {} and sorted(said.retry) == sorted(FIGURES)


def test_a_report_that_does_not_read_is_a_permanent_error(amazon_config: AmazonSourceConfig) -> None:  # noqa: F811
    with respx.mock() as mock:
        amazon_routes(mock, "DONE", {"header": {}})
        with pytest.raises(PermanentError, match="processing report does not read"):
            AmazonSink("amz", amazon_config).send(as_check("amz", "feed-42", FIGURES))


def walmart_item(sku: str, status: str, *errors: tuple[str, str]) -> dict[str, Any]:
    listed = [{"type": "DATA_ERROR", "code": code, "description": said} for code, said in errors]
    return {
        "martId": 0,
        "sku": sku,
        "index": 0,
        "ingestionStatus": status,
        "ingestionErrors": {"ingestionError": listed},
    }


def walmart_status(status: str, items: list[dict[str, Any]], received: int, offset: int) -> dict[str, Any]:
    return {
        "feedId": "wf-1",
        "feedStatus": status,
        "itemsReceived": received,
        "itemsSucceeded": received - len(items),
        "itemsFailed": len(items),
        "itemsProcessing": 0,
        "offset": offset,
        "limit": 1000,
        "itemDetails": {"itemIngestionStatus": items},
    }


def test_a_walmart_feed_in_progress_is_looked_at_again(walmart_config: WalmartSourceConfig) -> None:  # noqa: F811
    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        mock.get(f"{API}/v3/feeds/wf-1").mock(
            return_value=httpx.Response(200, json=walmart_status("INPROGRESS", [], 3, 0))
        )
        said = WalmartSink("wm", walmart_config).send(as_check("wm", "wf-1", FIGURES))
    assert isinstance(said, StockSent) and said.feeds == ["wf-1"]


def test_walmart_item_statuses_are_read_page_by_page(walmart_config: WalmartSourceConfig) -> None:  # noqa: F811
    figures = {f"SKU-{n:04d}": n for n in range(1, 1502)}
    pages = {
        "0": [walmart_item("SKU-0002", "DATA_ERROR", ("ERR_EXT_DATA_0101", "SKU not found"))],
        "1000": [walmart_item("SKU-1400", "SYSTEM_ERROR"), walmart_item("SKU-1401", "SUCCESS")],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["includeDetails"] == "true" and request.url.params["limit"] == "1000"
        offset = request.url.params["offset"]
        return httpx.Response(200, json=walmart_status("PROCESSED", pages[offset], 1501, int(offset)))

    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        route = mock.get(f"{API}/v3/feeds/wf-1").mock(side_effect=answer)
        said = WalmartSink("wm", walmart_config).send(as_check("wm", "wf-1", figures))
    assert route.call_count == 2
    assert isinstance(said, StockSent) and said.refused == {"SKU-0002": "DATA_ERROR: ERR_EXT_DATA_0101: SKU not found"}
    assert said.retry == ["SKU-1400"]  # Walmart's own failure: pushed again
