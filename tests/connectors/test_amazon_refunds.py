"""Refunds to Amazon (respx): a return's refund as a ``POST_PAYMENT_ADJUSTMENT_DATA`` feed (a document made, its XML
uploaded to the pre-signed URL, the feed created), then its ``refund-check``: ``getFeed`` until DONE, the XML
processing report read, a failed feed sent once more. The Feeds API's requests and answers are checked against the
owner's spec (``feeds_2021-06-30.json``); the XML processing report is our own, shaped as MWS documents it."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import respx

from crossdock.connectors import amazon
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.core.errors import PermanentError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, REFUND_CHECK, Refund, RefundCheck, RefundLine, RefundSent
from tests.connectors.test_amazon import HOST, LWA, token_answer
from tests.connectors.test_amazon_sink import config
from tests.connectors.test_amazon_stock import checked
from tests.test_amazon_adjustments import report, result

__all__ = ["config"]  # the fixture, shared with test_amazon_sink

SPEC = "feeds_2021-06-30.json"
DOCUMENTS = f"{HOST}/feeds/2021-06-30/documents"
FEEDS = f"{HOST}/feeds/2021-06-30/feeds"
UPLOAD = "https://tortuga-prod-na.s3.example.test/feed-doc-1?X-Amz-Signature=abc"
REPORT_DOCUMENT = f"{HOST}/feeds/2021-06-30/documents/amzn1.tortuga.4.na.result-1"
REPORT_URL = "https://tortuga-prod-na.s3.example.test/result-1?X-Amz-Signature=abc"
ORDER_ID = "113-0000001-0000001"


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    amazon._SHARED.clear()
    monkeypatch.setattr(amazon, "_sleep", lambda _s: None)
    yield
    amazon._SHARED.clear()


MUG = RefundLine(sku="SKU-MUG", quantity=Decimal(1), amount=Decimal("10.70"), tax=Decimal("0.70"), order_line="11111")


def a_refund(*lines: RefundLine) -> Refund:
    return Refund(
        channel="az",
        refund_id="DqNcXwPkRRMA-0123456789ab",
        return_id="DqNcXwPkRRMA",
        po_number=ORDER_ID,
        external_id=ORDER_ID,
        currency="USD",
        lines=list(lines) or [MUG],
    )


def outbound(purpose: str, made: Refund | RefundCheck) -> Outbound:
    data = json.dumps(made.model_dump(mode="json")).encode()
    return Outbound(name="r.json", data=data, idempotency_key="k" * 20, purpose=purpose)


def submitting(mock: respx.MockRouter, uploaded: list[bytes], created: list[dict[str, object]]) -> None:
    """createFeedDocument, the upload and createFeed, each feed created numbered from 60001."""

    def feed(request: httpx.Request) -> httpx.Response:
        created.append(json.loads(request.content))
        return checked(SPEC, request, 202, {"feedId": f"6000{len(created)}"})

    def upload(request: httpx.Request) -> httpx.Response:
        uploaded.append(request.content)
        return httpx.Response(200)

    answer = {"feedDocumentId": "amzn1.tortuga.4.na.doc-1", "url": UPLOAD}
    mock.post(DOCUMENTS).mock(side_effect=lambda r: checked(SPEC, r, 201, answer))
    mock.put(UPLOAD).mock(side_effect=upload)
    mock.post(FEEDS).mock(side_effect=feed)


def test_a_refund_is_submitted_as_an_order_adjustment_feed(config: AmazonSourceConfig) -> None:
    uploaded: list[bytes] = []
    created: list[dict[str, object]] = []
    with respx.mock(assert_all_called=True) as mock:
        mock.post(LWA).mock(return_value=token_answer())
        submitting(mock, uploaded, created)
        said = AmazonSink("az", config).send(outbound(REFUND, a_refund()))
    assert isinstance(said, RefundSent) and said.feeds == ["60001"] and said.refused is None
    assert created == [
        {
            "feedType": "POST_PAYMENT_ADJUSTMENT_DATA",
            "marketplaceIds": ["ATVPDKIKX0DER"],
            "inputFeedDocumentId": "amzn1.tortuga.4.na.doc-1",
        }
    ]
    (xml,) = uploaded
    item = ET.fromstring(xml).find("Message/OrderAdjustment/AdjustedItem")
    assert item is not None and item.findtext("AmazonOrderItemCode") == "11111"
    assert [(c.findtext("Type"), c.findtext("Amount")) for c in item.iter("Component")] == [
        ("Principal", "10.00"),
        ("Tax", "0.70"),
    ]


def test_a_sku_the_order_does_not_hold_is_refused_naming_it_and_nothing_is_sent(config: AmazonSourceConfig) -> None:
    ghost = RefundLine(sku="SKU-GHOST", quantity=Decimal(1), amount=Decimal("5.00"))
    refused = pytest.raises(PermanentError, match="SKU 'SKU-GHOST' is not an item of the order")
    with respx.mock(assert_all_called=False) as mock, refused:
        AmazonSink("az", config).send(outbound(REFUND, a_refund(ghost)))
    assert not mock.calls


def test_without_a_merchant_id_a_refund_is_refused_saying_what_to_set(config: AmazonSourceConfig) -> None:
    sink = AmazonSink("az", config.model_copy(update={"merchant_id": None}))
    with respx.mock(assert_all_called=False), pytest.raises(PermanentError, match="set merchant_id"):
        sink.send(outbound(REFUND, a_refund()))


def check(again: bool = False) -> Outbound:
    made = RefundCheck(channel="az", feed_id="50001", delivery_id=7, refund=a_refund(), again=again)
    return outbound(REFUND_CHECK, made)


def looked_at(mock: respx.MockRouter, status: str, body: bytes | None = None) -> None:
    """getFeed answering ``status``; with ``body``, its GZIP processing report behind getFeedDocument."""
    mock.post(LWA).mock(return_value=token_answer())
    found = {
        "feedId": "50001",
        "feedType": "POST_PAYMENT_ADJUSTMENT_DATA",
        "createdTime": "2026-12-07T10:00:00Z",
        "processingStatus": status,
    }
    if body is not None:
        found["resultFeedDocumentId"] = "amzn1.tortuga.4.na.result-1"
        answer = {"feedDocumentId": "amzn1.tortuga.4.na.result-1", "url": REPORT_URL, "compressionAlgorithm": "GZIP"}
        mock.get(REPORT_DOCUMENT).mock(side_effect=lambda r: checked(SPEC, r, 200, answer))
        mock.get(REPORT_URL).mock(return_value=httpx.Response(200, content=gzip.compress(body)))
    mock.get(f"{FEEDS}/50001").mock(side_effect=lambda r: checked(SPEC, r, 200, found))


def test_a_feed_still_processing_is_looked_at_again(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        looked_at(mock, "IN_QUEUE")
        said = AmazonSink("az", config).send(check())
    assert isinstance(said, RefundSent) and said.feeds == ["50001"] and not said.done and said.refused is None


def test_a_clean_report_means_refunded(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        looked_at(mock, "DONE", report(result("Warning", "5001", "rounded")))
        said = AmazonSink("az", config).send(check())
    assert isinstance(said, RefundSent) and said.done and said.refused is None and said.feeds == []


def test_an_error_for_the_refund_refuses_it_with_amazon_s_words_masked(
    config: AmazonSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_SECRET", "amzn1.oa2-cs.v1.s3cret")  # the fixture's one-letter secret would mask every s
    words = "The adjustment exceeds what was charged; token Atzr|r was seen"  # a secret in Amazon's words
    with respx.mock(assert_all_called=True) as mock:
        looked_at(mock, "DONE", report(result("Error", "18028", words), errors=1))
        said = AmazonSink("az", config).send(check())
    assert isinstance(said, RefundSent) and not said.done and said.refused is not None
    assert said.refused.startswith("Amazon refused the refund: 18028: The adjustment exceeds what was charged")
    assert "Atzr|r" not in said.refused


def test_a_fatal_feed_is_sent_once_more_as_a_new_feed_with_the_same_adjustment_ids(config: AmazonSourceConfig) -> None:
    uploaded: list[bytes] = []
    created: list[dict[str, object]] = []
    with respx.mock(assert_all_called=True) as mock:
        looked_at(mock, "FATAL", report(result("Error", "4000", "the feed does not parse"), errors=1))
        submitting(mock, uploaded, created)
        said = AmazonSink("az", config).send(check())
    assert isinstance(said, RefundSent) and said.feeds == ["60001"] and said.refused is None
    assert len(created) == 1 and b"<MerchantAdjustmentItemID>cd-" in uploaded[0]


def test_a_cancelled_second_feed_refuses_the_refund(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        looked_at(mock, "CANCELLED")
        said = AmazonSink("az", config).send(check(again=True))
    assert isinstance(said, RefundSent) and said.refused == "the feed was CANCELLED twice"


def test_a_report_that_does_not_read_is_a_permanent_error(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        looked_at(mock, "DONE", b"<html>not a report</html>")
        with pytest.raises(PermanentError, match="processing report does not read"):
            AmazonSink("az", config).send(check())
