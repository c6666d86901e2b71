"""Amazon returns against a mocked SP-API (respx): the flat-file returns report asked for when one is due, each
finished report read once it is in the poll's window, one document per RMA; a close, which has nothing to do on
Amazon. Amazon publishes no returns report sample among the owner fixtures: the report is our own, with the
columns Amazon's "Returns reports attributes" page lists (tests/cases/channels/amazon/returns-report.tsv)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal
from typing import Any

import httpx
import respx

from crossdock.connectors.amazon import AmazonSource
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, Refund, RefundLine
from crossdock.mappings.amazon_returns import returns_from_json
from tests.conftest import CASES
from tests.connectors.channels import read
from tests.connectors.test_amazon import HOST, LWA, SEARCH, clock, config, token_answer

__all__ = ["clock", "config"]  # the fixtures, shared with test_amazon

REPORTS = f"{HOST}/reports/2021-06-30/reports"
DOCUMENT = f"{HOST}/reports/2021-06-30/documents/amzn1.spdoc.1.4.na.abc"
DOWNLOAD = "https://tortuga-prod-na.s3.example.test/report.gz?X-Amz-Signature=x"
REPORT = (CASES / "channels" / "amazon" / "returns-report.tsv").read_bytes()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def report(status: str, ended: dt.datetime, finished: dt.datetime | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "reportId": "5012",
        "reportType": "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
        "dataStartTime": (ended - dt.timedelta(days=2)).isoformat(),
        "dataEndTime": ended.isoformat(),
        "createdTime": ended.isoformat(),
        "processingStatus": status,
    }
    if status == "DONE":
        found["reportDocumentId"] = "amzn1.spdoc.1.4.na.abc"
        found["processingEndTime"] = (finished or ended).isoformat()
    return found


def serve(mock: respx.MockRouter, reports: list[dict[str, Any]]) -> respx.Route:
    mock.post(LWA).mock(return_value=token_answer())
    mock.get(REPORTS).mock(return_value=httpx.Response(200, json={"reports": reports}))
    mock.get(SEARCH).mock(return_value=httpx.Response(200, json={"orders": []}))
    return mock.post(REPORTS).mock(return_value=httpx.Response(202, json={"reportId": "5013"}))


def test_a_finished_report_is_read_one_document_per_rma(config: AmazonSourceConfig) -> None:
    source = AmazonSource("az", config.model_copy(update={"returns": ReturnsPolicy(read=True)}))
    source.since = (now() - dt.timedelta(minutes=30)).isoformat()
    fresh = report("DONE", now() - dt.timedelta(minutes=10))
    old = {**report("DONE", now() - dt.timedelta(days=3)), "reportDocumentId": "never.read"}
    with respx.mock(assert_all_called=False) as mock:
        created = serve(mock, [fresh, old])
        mock.get(DOCUMENT).mock(
            return_value=httpx.Response(200, json={"url": DOWNLOAD, "compressionAlgorithm": "GZIP"})
        )
        download = mock.get(DOWNLOAD).mock(return_value=httpx.Response(200, content=gzip.compress(REPORT)))
        items = read(source)
    assert created.call_count == 0, "the newest report ended within returns_every: none asked for"
    assert "x-amz-access-token" not in download.calls[0].request.headers, "no token goes to the pre-signed URL"
    assert [i.kind for i in items] == ["return", "return"]
    assert [i.identity.rsplit(":", 1)[0] for i in items] == [
        "amazon:return:113-0000001-0000001:DqNcXwPkRRMA",
        "amazon:return:114-0000002-0000002:Dx7QbRMA2",
    ]
    (first,) = returns_from_json(items[0].data, items[0].name)
    assert (first.return_id, first.rma_number, first.po_number, first.currency, first.status) == (
        "DqNcXwPkRRMA",
        "DqNcXwPkRRMA",
        "113-0000001-0000001",
        "USD",
        "open",
    )
    assert [(x.sku, x.product_ids.get("ASIN"), x.quantity, x.reason, x.unit_price) for x in first.lines] == [
        ("SKU-RED-M", "B00EXAMPLE", Decimal(1), "size_or_fit", Decimal("19.99")),
        ("SKU-MUG", "B00EXAMPL2", Decimal(1), "not_as_described", Decimal("9.50")),
    ]
    assert returns_from_json(items[1].data, items[1].name)[0].status == "received", "it has a delivery date"


def test_a_report_is_asked_for_from_a_day_before_the_last_one_ended(config: AmazonSourceConfig) -> None:
    ended = now() - dt.timedelta(hours=3)
    with respx.mock(assert_all_called=False) as mock:
        created = serve(mock, [report("DONE", ended, finished=ended)])
        source = AmazonSource("az", config.model_copy(update={"returns": ReturnsPolicy(read=True)}))
        source.since = (now() - dt.timedelta(minutes=30)).isoformat()
        assert read(source) == [], "the report finished before the window: read by an earlier poll"
    body = json.loads(created.calls[0].request.content)
    assert body["reportType"] == "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
    assert body["marketplaceIds"] == ["ATVPDKIKX0DER", "A1F83G8C2ARO7P"]
    start = dt.datetime.fromisoformat(body["dataStartTime"])
    assert abs(start - (ended - dt.timedelta(days=1))) < dt.timedelta(seconds=2)


def test_no_report_is_asked_for_while_one_is_waiting(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        created = serve(mock, [report("IN_PROGRESS", now())])
        read(AmazonSource("az", config.model_copy(update={"returns": ReturnsPolicy(read=True)})))
    assert created.call_count == 0


def test_returns_off_asks_for_no_report(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        created = serve(mock, [])
        read(AmazonSource("az", config))
        assert not mock.routes[1].called and created.call_count == 0


def refund(action: str) -> Outbound:
    made = Refund(
        channel="az",
        refund_id="rf-1",
        return_id="DqNcXwPkRRMA",
        po_number="113-0000001-0000001",
        external_id="113-0000001-0000001",
        action=action,  # type: ignore[arg-type]
        lines=[RefundLine(sku="SKU-MUG", quantity=Decimal(1))],
    )
    return Outbound(
        name="r.json", data=json.dumps(made.model_dump(mode="json")).encode(), idempotency_key="k" * 20, purpose=REFUND
    )


def test_a_close_does_nothing_on_amazon(config: AmazonSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        assert "nothing to close" in AmazonSink("az", config).send(refund("close"))
    assert not mock.calls, "nothing is sent to Amazon (a refund is a feed: test_amazon_refunds)"


def test_a_report_that_is_no_table_is_kept_quarantined_and_the_poll_goes_on(config: AmazonSourceConfig) -> None:
    source = AmazonSource("az", config.model_copy(update={"returns": ReturnsPolicy(read=True)}))
    source.since = (now() - dt.timedelta(minutes=30)).isoformat()
    broken = b"Order ID\tAmazon RMA ID\n113-1\tR1\textra\n"
    with respx.mock(assert_all_called=False) as mock:
        serve(mock, [report("DONE", now() - dt.timedelta(minutes=10))])
        mock.get(DOCUMENT).mock(return_value=httpx.Response(200, json={"url": DOWNLOAD}))
        mock.get(DOWNLOAD).mock(return_value=httpx.Response(200, content=broken))
        (item,) = read(source)
    assert item.data == broken and item.identity == "amazon:returns-report:5012"
    assert item.quarantine is not None and "line 2: 3 columns, the header has 2" in item.quarantine


def test_a_throttled_report_listing_waits_and_goes_on(config: AmazonSourceConfig, clock: Any) -> None:
    source = AmazonSource("az", config.model_copy(update={"returns": ReturnsPolicy(read=True)}))
    with respx.mock(assert_all_called=False) as mock:
        serve(mock, [report("IN_QUEUE", now())])
        mock.routes[1].side_effect = [
            httpx.Response(429, json={"errors": [{"code": "QuotaExceeded", "message": "slow"}]}),
            httpx.Response(200, json={"reports": [report("IN_QUEUE", now())]}),
        ]
        assert read(source) == []
        assert mock.routes[1].call_count == 2
    assert clock.waits, "the bucket emptied by the 429 was waited for"
