"""Cancellations back to Amazon (respx): the order acknowledgement feed (a document made, its XML uploaded to the
pre-signed URL, the feed created), submitted once, never for items Amazon shows cancelled or shipped, never for a
part of an item. The orders served are the owner's getOrder example, checked against the owner's spec before
they are served (``tests/openapi.py``); the Feeds API's spec is not among the fixtures, so its answers are the
documented fields only."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors import amazon
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_sink import AmazonSink
from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
from tests.connectors.test_amazon import HOST, LWA, answer, saved, token_answer

ORDER_ID = "TEST-ORDER-123"  # our id for the owner's example order
DOCUMENTS = f"{HOST}/feeds/2021-06-30/documents"
FEEDS = f"{HOST}/feeds/2021-06-30/feeds"
UPLOAD = "https://tortuga-prod-na.s3.example.test/feed-doc-1?X-Amz-Signature=abc"


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    amazon._SHARED.clear()  # tokens and usage plans are per process: each test starts afresh
    yield
    amazon._SHARED.clear()


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


def unshipped(**item_changes: Any) -> dict[str, Any]:
    """The owner's getOrder example as an order not shipped yet: its item unfulfilled."""
    body = copy.deepcopy(saved("orders-2026-01-01/getOrder.200.example.json"))
    order = body["order"]
    order["orderId"] = ORDER_ID
    order["fulfillment"]["fulfillmentStatus"] = "UNSHIPPED"
    order.pop("packages", None)
    (item,) = order["orderItems"]
    item["fulfillment"].update(quantityFulfilled=0, quantityUnfulfilled=item["quantityOrdered"])
    item.update(item_changes)
    return body


def cancel(**changes: Any) -> Outbound:
    fields: dict[str, Any] = {
        "channel": "amazon",
        "po_number": ORDER_ID,
        "external_id": ORDER_ID,
        "cancellation_id": "C-9",
        "reason": "out_of_stock",
        "whole_order": True,
        **changes,
    }
    data = json.dumps(Cancellation(**fields).model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=data, idempotency_key="c" * 20, purpose=CANCELLATION)


class Feeds:
    """createFeedDocument, the pre-signed upload and createFeed, recorded."""

    def __init__(self, mock: respx.MockRouter, order: dict[str, Any]) -> None:
        mock.post(LWA).mock(return_value=token_answer())
        self.read = mock.get(f"{HOST}/orders/2026-01-01/orders/{ORDER_ID}").mock(
            side_effect=lambda request: answer(request, 200, order)
        )
        self.document = mock.post(DOCUMENTS).mock(
            return_value=httpx.Response(202, json={"feedDocumentId": "amzn1.tortuga.4.na.doc1", "url": UPLOAD})
        )
        self.upload = mock.put(UPLOAD).mock(return_value=httpx.Response(200))
        self.feed = mock.post(FEEDS).mock(return_value=httpx.Response(202, json={"feedId": "50001019"}))


def test_a_whole_order_is_cancelled_by_one_acknowledgement_feed_once(config: AmazonSourceConfig) -> None:
    order = unshipped()
    with respx.mock(assert_all_called=True) as mock:
        feeds = Feeds(mock, order)
        sink = AmazonSink("amz", config)
        said = sink.send(cancel())
        assert sink.send(cancel()) == f"amazon order {ORDER_ID}: cancellation already submitted (feed 50001019)"
    item_id = order["order"]["orderItems"][0]["orderItemId"]
    assert said == f"amazon order {ORDER_ID}: feed 50001019 cancels item(s) {item_id}"
    assert feeds.feed.call_count == 1 and feeds.upload.call_count == 1
    assert json.loads(feeds.document.calls[0].request.content) == {"contentType": "text/xml; charset=UTF-8"}
    upload = feeds.upload.calls[0].request
    assert upload.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert "x-amz-access-token" not in upload.headers, "the pre-signed URL takes no token"
    xml = upload.content.decode()
    assert "<MerchantIdentifier>A2MERCHANT7</MerchantIdentifier>" in xml
    assert f"<AmazonOrderID>{ORDER_ID}</AmazonOrderID><StatusCode>Failure</StatusCode>" in xml
    assert f"<AmazonOrderItemCode>{item_id}</AmazonOrderItemCode><CancelReason>NoInventory</CancelReason>" in xml
    assert json.loads(feeds.feed.calls[0].request.content) == {
        "feedType": "POST_ORDER_ACKNOWLEDGEMENT_DATA",
        "marketplaceIds": ["ATVPDKIKX0DER"],
        "inputFeedDocumentId": "amzn1.tortuga.4.na.doc1",
    }


def test_what_amazon_shows_cancelled_is_not_sent_again(config: AmazonSourceConfig) -> None:
    done = unshipped(cancellation={"cancellationExecution": {"cancelledBy": "MERCHANT"}})
    with respx.mock(assert_all_called=False) as mock:
        feeds = Feeds(mock, done)
        said = AmazonSink("amz", config).send(cancel())
    assert said == f"amazon order {ORDER_ID}: nothing left to cancel" and feeds.feed.call_count == 0


def test_a_shipped_item_or_a_part_of_an_item_is_refused_naming_it(config: AmazonSourceConfig) -> None:
    shipped = unshipped()
    (item,) = shipped["order"]["orderItems"]
    item["fulfillment"].update(quantityFulfilled=1, quantityUnfulfilled=item["quantityOrdered"] - 1)
    part = [CancelledLine(line_number=item["orderItemId"], quantity=Decimal(1))]
    with respx.mock(assert_all_called=False) as mock:
        feeds = Feeds(mock, shipped)
        with pytest.raises(PermanentError, match=r"item\(s\) 20212345678901 shipped: Amazon takes no cancel"):
            AmazonSink("amz", config).send(cancel())
        mock.get(f"{HOST}/orders/2026-01-01/orders/{ORDER_ID}").mock(
            side_effect=lambda request: answer(request, 200, unshipped())
        )
        with pytest.raises(
            PermanentError,
            match=r"1 of 3 units \(3 not shipped\): Amazon cancels part of an item only for a stock-out or the "
            "buyer's request, and only units not shipped; ship the rest and refund those 1",
        ):
            AmazonSink("amz", config).send(cancel(whole_order=False, lines=part, reason="merchant"))
    assert feeds.feed.call_count == 0


@pytest.mark.parametrize(("reason", "code"), [("out_of_stock", "NoInventory"), ("buyer_request", "BuyerCanceled")])
def test_part_of_an_item_is_cancelled_by_the_order_adjustment_feed(
    config: AmazonSourceConfig, reason: str, code: str
) -> None:
    order = unshipped()
    (item,) = order["order"]["orderItems"]
    part = [CancelledLine(line_number=item["orderItemId"], quantity=Decimal(2))]
    with respx.mock(assert_all_called=True) as mock:
        feeds = Feeds(mock, order)
        said = AmazonSink("amz", config).send(cancel(whole_order=False, lines=part, reason=reason))
    assert said == f"amazon order {ORDER_ID}: feed 50001019 cancels 2 unit(s) of item {item['orderItemId']}"
    assert json.loads(feeds.feed.calls[0].request.content)["feedType"] == "POST_PAYMENT_ADJUSTMENT_DATA"
    adjusted = ET.fromstring(feeds.upload.calls[0].request.content).find("Message/OrderAdjustment/AdjustedItem")
    assert adjusted is not None
    assert (adjusted.findtext("AmazonOrderItemCode"), adjusted.findtext("AdjustmentReason")) == (
        item["orderItemId"],
        code,
    )
    assert adjusted.findtext("QuantityCancelled") == "2"
    price = item["product"]["price"]["unitPrice"]
    (component,) = adjusted.iter("Component")
    assert component.findtext("Type") == "Principal"
    amount = component.find("Amount")
    assert amount is not None and amount.get("currency") == price["currencyCode"]
    assert Decimal(amount.text or "") == Decimal(price["amount"]) * 2


def test_units_not_shipped_of_a_partly_shipped_item_are_cancelled_and_more_is_refused(
    config: AmazonSourceConfig,
) -> None:
    order = unshipped()
    (item,) = order["order"]["orderItems"]
    item["fulfillment"].update(quantityFulfilled=1, quantityUnfulfilled=item["quantityOrdered"] - 1)
    order["order"]["fulfillment"]["fulfillmentStatus"] = "PARTIALLY_SHIPPED"
    with respx.mock(assert_all_called=False) as mock:
        feeds = Feeds(mock, order)
        two = [CancelledLine(line_number=item["orderItemId"], quantity=Decimal(2))]
        said = AmazonSink("amz", config).send(cancel(whole_order=False, lines=two, cancellation_id="C-10"))
        assert said.endswith(f"cancels 2 unit(s) of item {item['orderItemId']}")
        three = [CancelledLine(line_number=item["orderItemId"], quantity=Decimal(3))]
        with pytest.raises(PermanentError, match="no cancel of a whole item once an item of the order shipped"):
            AmazonSink("amz", config).send(cancel(whole_order=False, lines=three, cancellation_id="C-11"))
    assert feeds.feed.call_count == 1


def test_without_a_merchant_id_a_person_cancels(config: AmazonSourceConfig) -> None:
    with pytest.raises(PermanentError, match="set merchant_id to cancel on Amazon"):
        AmazonSink("amz", config.model_copy(update={"merchant_id": None})).send(cancel())
