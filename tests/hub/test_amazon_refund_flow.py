"""An Amazon return refunded end to end against the fake SP-API of ``test_amazon_lifecycle`` (with the Feeds API):
the order goes to the warehouse; a return of one of its items is read (the returns report's rows for one RMA, as
the source stores them) and the warehouse receives it; the refund goes to Amazon as one order adjustment feed; a
later look at the feed reads its processing report: clean, the return's events say refunded; an error for the
message, the refund's delivery ends dead with Amazon's words and one alert, and ``crossdock retry`` sends a new
feed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.connectors import amazon
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.returns.intake import stored_order
from crossdock.core.returns.models import REFUND, REFUND_CHECK
from crossdock.core.returns.refunds import approve
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, events, orders, returns
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import channel_hub, drain
from tests.hub.test_amazon_flow import ENVIRONMENT, config, example
from tests.hub.test_amazon_lifecycle import FEEDS, FakeAmazonFeeds
from tests.test_amazon_adjustments import report, result

ORDER_ID = "111-0000000-0000901"
RMA = "DqNcXwPkRRMA"


class FakeAmazonRefunds(FakeAmazonFeeds):
    """The Feeds API also answering ``getFeed`` (each feed DONE, or as ``status`` says) and ``getFeedDocument``,
    whose processing report (``report``) is downloaded from this fake."""

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, str] = {}
        self.report = report()
        self.route("GET", f"{FEEDS}feeds/", self._get_feed)
        self.route("GET", f"{FEEDS}documents/", self._get_document)
        self.route("GET", "/report/", lambda _: Response(200, self.report))

    def _get_feed(self, request: Request) -> Response:
        feed = request.path.rsplit("/", 1)[1]
        status = self.status.get(feed, "DONE")
        found = {"feedId": feed, "feedType": "POST_PAYMENT_ADJUSTMENT_DATA", "processingStatus": status}
        return Response(200, found | ({"resultFeedDocumentId": f"result-{feed}"} if status == "DONE" else {}))

    def _get_document(self, request: Request) -> Response:
        document = request.path.rsplit("/", 1)[1]
        return Response(200, {"feedDocumentId": document, "url": f"{self.url}/report/{document}"})

    def _answer(self, request: Request) -> Response:
        if request.path.startswith("/report/"):
            return FakeApi._answer(self, request)
        return super()._answer(request)


@pytest.fixture
def fake() -> Iterator[FakeAmazonRefunds]:
    api = FakeAmazonRefunds()
    api.start()
    try:
        yield api
        assert api.problems == []
    finally:
        api.stop()


@pytest.fixture
def hub(tmp_path: Path, store_url: str, fake: FakeAmazonRefunds, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    amazon._SHARED.clear()
    cfg = config(tmp_path, store_url, fake.url)
    cfg["sources"]["amz"] |= {"merchant_id": "A2MERCHANT7", "returns": {"refund": "on_receipt"}}
    cfg["sources"]["receipts"] = {
        "type": "folder",
        "path": str(tmp_path / "receipts"),
        "min_age": 0,
        "format": "return-receipt-json",
        "partner": "acme-wh",
    }
    (tmp_path / "receipts").mkdir()
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as h:
        yield h
    amazon._SHARED.clear()


def returned_and_received(hub: Hub, fake: FakeAmazonRefunds, tmp_path: Path) -> dict[str, Any]:
    """The order in and sent to the warehouse; one unit of its first item returned and received. Its item."""
    order = example(ORDER_ID, "2026-11-20T08:00:00Z")
    fake.orders[ORDER_ID] = order
    assert poll(hub, "amz", "me").received == 1
    drain(hub)
    item = dict(order["orderItems"][0])
    sku = item["product"]["sellerSku"]
    row = {"Order ID": ORDER_ID, "Amazon RMA ID": RMA, "Merchant SKU": sku, "Return quantity": "1",
           "Return request status": "Approved", "Currency code": "USD"}  # fmt: skip
    data = json.dumps({"rows": [row]}).encode()
    got = ingest(hub, "amz", Inbound(name=f"amazon-return-{RMA}.json", data=data, identity=f"x:{RMA}", kind="return"))
    assert process(hub, got.document_id).error is None
    drain(hub)
    receipt = {"rma_number": RMA, "location": "acme-wh", "lines": [{"sku": sku, "quantity": 1}]}
    (tmp_path / "receipts" / "receipt-1.json").write_text(json.dumps(receipt))
    (done,) = poll(hub, "receipts", "me").processed
    assert done.error is None
    drain(hub)
    return item


def look_at_feeds(hub: Hub) -> None:
    """The refund checks due now (not in five minutes), and sent."""
    with hub.store.transaction() as conn:
        pending = (deliveries.c.purpose == REFUND_CHECK) & (deliveries.c.state == "pending")
        conn.execute(update(deliveries).where(pending).values(next_attempt_at=deliveries.c.created_at))
    drain(hub)


def refund_row(hub: Hub) -> Any:
    with hub.store.transaction() as conn:
        return conn.execute(select(deliveries).where(deliveries.c.purpose == REFUND)).one()


def said(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        return [str(m) for m in conn.execute(select(events.c.message).order_by(events.c.id)).scalars()]


def test_a_received_return_is_refunded_by_one_adjustment_feed_and_its_report_says_refunded(
    hub: Hub, fake: FakeAmazonRefunds, tmp_path: Path
) -> None:
    item = returned_and_received(hub, fake, tmp_path)
    (feed,) = fake.feeds
    assert feed["feedType"] == "POST_PAYMENT_ADJUSTMENT_DATA"
    (xml,) = fake.uploaded
    adjusted = ET.fromstring(xml).find("Message/OrderAdjustment/AdjustedItem")
    assert adjusted is not None and adjusted.findtext("AmazonOrderItemCode") == item["orderItemId"]
    credited = sum((Decimal(a.text or "") for a in adjusted.iter("Amount")), Decimal(0))
    with hub.store.transaction() as conn:
        order = stored_order(conn.execute(select(orders.c.data).where(orders.c.external_id == ORDER_ID)).scalar())
    (line,) = [x for x in order.lines if x.line_number == item["orderItemId"]]
    assert line.unit_price is not None and 0 < credited <= line.unit_price + sum(t.amount for t in line.taxes)
    assert {a.get("currency") for a in adjusted.iter("Amount")} == {order.currency}
    assert refund_row(hub).state == "sent" and "feed 50001" in refund_row(hub).remote_ref

    drain(hub)  # nothing due yet: the feed is looked at in five minutes, and the refund is not sent again
    assert len(fake.feeds) == 1
    look_at_feeds(hub)
    assert any(f"return {RMA}: refund" in m and "refunded on amz (feed 50001 processed)" in m for m in said(hub))
    with hub.store.transaction() as conn:
        assert conn.execute(select(returns.c.state)).scalar() == "refunded"
        checks = conn.execute(select(deliveries.c.state).where(deliveries.c.purpose == REFUND_CHECK)).scalars()
        assert list(checks) == ["sent"], "one look, and no more once the report is read"
    assert len(fake.feeds) == 1


def test_a_refund_amazon_refuses_ends_dead_with_its_words_and_one_alert_and_a_retry_sends_a_new_feed(
    hub: Hub, fake: FakeAmazonRefunds, tmp_path: Path
) -> None:
    fake.report = report(result("Error", "18028", "The adjustment is more than was &lt;charged&gt;"), errors=1)
    returned_and_received(hub, fake, tmp_path)
    fake.status["50001"] = "IN_PROGRESS"
    look_at_feeds(hub)
    assert refund_row(hub).state == "sent", "still processing: looked at again later"
    fake.status.clear()
    look_at_feeds(hub)
    row = refund_row(hub)
    assert row.state == "dead"
    assert row.last_error == "feed 50001: Amazon refused the refund: 18028: The adjustment is more than was <charged>"
    with hub.store.transaction() as conn:
        alerts = list(conn.execute(select(deliveries).where(deliveries.c.purpose == "alert")))
    assert len(alerts) == 1
    (mail,) = (tmp_path / "alerts").iterdir()
    assert "refused refund" in mail.read_text() and f"crossdock retry {row.id}" in mail.read_text()
    with hub.store.transaction() as conn:
        (state, reason) = conn.execute(select(returns.c.state, returns.c.reason)).one()
    assert state == "refunded" and reason.startswith(f"refund refused by amz (feed 50001, delivery {row.id}): Amazon")

    with hub.store.transaction() as conn:
        assert Queries(hub.store).retry(conn, row.id).queued
    fake.report = report()
    drain(hub)
    assert len(fake.feeds) == 2, "a new feed, after the cause is fixed"
    look_at_feeds(hub)
    assert refund_row(hub).state == "sent"
    assert any("refunded on amz (feed 50002 processed)" in m for m in said(hub))
    with hub.store.transaction() as conn:
        assert conn.execute(select(returns.c.reason)).scalar() is None, "the refusal is history"


def test_a_fatal_feed_is_sent_once_more_and_the_new_feed_is_looked_at(
    hub: Hub, fake: FakeAmazonRefunds, tmp_path: Path
) -> None:
    returned_and_received(hub, fake, tmp_path)
    fake.status["50001"] = "FATAL"
    look_at_feeds(hub)
    assert len(fake.feeds) == 2 and fake.uploaded[0] == fake.uploaded[1], "the same adjustment, as a new feed"
    assert any("feed 50001 failed on amz, sent again as 50002" in m for m in said(hub))
    look_at_feeds(hub)
    assert any("refunded on amz (feed 50002 processed)" in m for m in said(hub))
    assert refund_row(hub).state == "sent" and len(fake.feeds) == 2


def test_a_refund_that_waits_for_approval_goes_to_amazon_once_approved(
    tmp_path: Path, store_url: str, fake: FakeAmazonRefunds, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(tmp_path, store_url, fake.url)
    cfg["sources"]["amz"] |= {"merchant_id": "A2MERCHANT7", "returns": {"refund": "approve"}}
    cfg["sources"]["receipts"] = {"type": "folder", "path": str(tmp_path / "receipts"), "min_age": 0,
                                  "format": "return-receipt-json", "partner": "acme-wh"}  # fmt: skip
    (tmp_path / "receipts").mkdir()
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as approving:
        returned_and_received(approving, fake, tmp_path)
        assert fake.feeds == [], "the refund waits for a person"
        assert "queued" in approve(approving, RMA)
        drain(approving)
    (feed,) = fake.feeds
    assert feed["feedType"] == "POST_PAYMENT_ADJUSTMENT_DATA"
