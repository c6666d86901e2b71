"""Cancellations back to eBay (respx): the order read first, a buyer's waiting request approved, otherwise a
Post-Order cancellation made once; a cancellation of an order with a shipment refused with the reason; some
lines refunded by line item, only what the order does not show refunded, so a resend refunds nothing twice.
The order is our documented-fields example (tests/cases/channels/ebay/order.json): eBay publishes no
order payload under an open licence, so there is no owner schema to check it against."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.ebay_sink import EbaySink
from crossdock.core.errors import PermanentError
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
from tests.conftest import CASES
from tests.connectors.test_ebay import API, ORDERS, TOKEN, config, fresh_caches, token_answer
from tests.golden import assert_golden

__all__ = ["config", "fresh_caches"]  # the fixtures, shared with test_ebay

ORDER: dict[str, Any] = json.loads((CASES / "channels" / "ebay" / "order.json").read_text())
ORDER_ID = ORDER["orderId"]
POST_ORDER = f"{API}/post-order/v2/cancellation"


def cancel(**changes: Any) -> Outbound:
    fields: dict[str, Any] = {
        "channel": "ebay",
        "po_number": ORDER_ID,
        "external_id": ORDER_ID,
        "cancellation_id": "C-3",
        "reason": "out_of_stock",
        "whole_order": True,
        **changes,
    }
    data = json.dumps(Cancellation(**fields).model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=data, idempotency_key="c" * 20, purpose=CANCELLATION)


def serve(mock: respx.MockRouter, order: dict[str, Any]) -> respx.Route:
    mock.post(TOKEN).mock(side_effect=token_answer)
    mock.get(f"{ORDERS}/{ORDER_ID}").mock(side_effect=lambda request: httpx.Response(200, json=order))
    return mock.post(POST_ORDER).mock(return_value=httpx.Response(201, json={"cancelId": "5000012345"}))


def test_a_whole_order_is_cancelled_by_one_post_order_cancellation(config: EbaySourceConfig) -> None:
    order = copy.deepcopy(ORDER)
    order["paymentSummary"] = {"payments": [{"paymentDate": "2026-11-19T08:00:00.000Z", "paymentStatus": "PAID"}]}
    with respx.mock(assert_all_called=True) as mock:
        made = serve(mock, order)
        sink = EbaySink("ebay", config)
        assert sink.send(cancel()) == f"ebay order {ORDER_ID}: cancellation 5000012345 made"
        assert "already made" in sink.send(cancel())
    assert made.call_count == 1
    request = made.calls[0].request
    assert request.headers["Authorization"] == "IAF user-token-1"
    assert request.headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"
    assert json.loads(request.content) == {
        "legacyOrderId": ORDER["legacyOrderId"],
        "cancelReason": "OUT_OF_STOCK_OR_CANNOT_FULFILL",
        "buyerPaid": True,
        "buyerPaidDate": {"value": "2026-11-19T08:00:00.000Z"},
    }


def test_a_buyers_waiting_request_is_approved_and_one_under_way_is_left(config: EbaySourceConfig) -> None:
    order = copy.deepcopy(ORDER)
    request = {"cancelRequestId": "5000099", "cancelInitiator": "BUYER", "cancelRequestState": "REQUESTED"}
    order["cancelStatus"] = {"cancelState": "IN_PROGRESS", "cancelRequests": [request]}
    with respx.mock(assert_all_called=False) as mock:
        made = serve(mock, order)
        approved = mock.post(f"{POST_ORDER}/5000099/approve").mock(return_value=httpx.Response(200))
        said = EbaySink("ebay", config).send(cancel(reason="buyer_request"))
        request["cancelRequestState"] = "COMPLETED"  # approved: eBay is cancelling
        again = EbaySink("ebay", config).send(cancel(reason="buyer_request"))
    assert said == f"ebay order {ORDER_ID}: the buyer's cancellation 5000099 approved"
    assert again == f"ebay order {ORDER_ID}: a cancellation is already under way"
    assert approved.call_count == 1 and made.call_count == 0


def test_a_shipped_order_is_refused_a_whole_cancellation_with_the_reason(config: EbaySourceConfig) -> None:
    shipped = copy.deepcopy(ORDER) | {"orderFulfillmentStatus": "IN_PROGRESS"}
    with respx.mock(assert_all_called=False) as mock:
        made = serve(mock, shipped)
        with pytest.raises(PermanentError, match="has a shipment"):
            EbaySink("ebay", config).send(cancel())
    assert made.call_count == 0


# --- some lines: refunded, since eBay cancels whole orders only ---------------------------------------------

REFUND = f"{ORDERS}/{ORDER_ID}/issue_refund"
MUG = ORDER["lineItems"][0]["lineItemId"]  # 2 units, 25.00 paid after the discount
TEE = ORDER["lineItems"][1]["lineItemId"]  # 1 unit, 15.00


def cut(line: str, quantity: int, left: int, cancellation_id: str = "C-4") -> Outbound:
    lines = [CancelledLine(line_number=line, quantity=Decimal(quantity), left=Decimal(left))]
    return cancel(whole_order=False, lines=lines, cancellation_id=cancellation_id)


def refunded(order: dict[str, Any], line: str, refund_id: str, amount: str) -> None:
    """eBay shows a refund of ``amount`` on the line item (pending or done)."""
    item = next(i for i in order["lineItems"] if i["lineItemId"] == line)
    item.setdefault("refunds", []).append({"refundId": refund_id, "amount": {"value": amount, "currency": "USD"}})


def test_a_cut_line_is_refunded_by_line_item_and_a_resend_refunds_nothing_twice(config: EbaySourceConfig) -> None:
    order = copy.deepcopy(ORDER)

    def issue(request: httpx.Request) -> httpx.Response:
        for item in json.loads(request.content)["refundItems"]:  # eBay lists it on the line item at once
            refunded(order, item["lineItemId"], f"R-{len(refund.calls) + 1}", item["refundAmount"]["value"])
        return httpx.Response(200, json={"refundId": f"R-{len(refund.calls) + 1}", "refundStatus": "PENDING"})

    with respx.mock(assert_all_called=False) as mock:
        post_order = serve(mock, order)
        refund = mock.post(REFUND).mock(side_effect=issue)
        said = EbaySink("ebay", config).send(cut(MUG, 1, left=1))
        again = EbaySink("ebay", config).send(cut(MUG, 1, left=1))  # a crash before the outcome was recorded
    assert said == f"ebay order {ORDER_ID}: refund R-1 pending ({MUG} 12.50)"
    assert again == f"ebay order {ORDER_ID}: the cancelled lines are refunded already"
    assert refund.call_count == 1 and post_order.call_count == 0
    request = refund.calls[0].request
    assert request.headers["Authorization"] == "Bearer user-token-1"
    assert_golden(CASES / "channels" / "ebay" / "cancel_refund.request.json", request.content + b"\n")
    assert json.loads(request.content) == {
        "reasonForRefund": "SELLER_CANCEL",
        "comment": "Out of stock",
        "refundItems": [{"lineItemId": MUG, "refundAmount": {"value": "12.50", "currency": "USD"}}],
    }


def test_only_what_is_not_refunded_yet_is_refunded_and_a_failed_refund_counts_for_nothing(
    config: EbaySourceConfig,
) -> None:
    order = copy.deepcopy(ORDER)
    refunded(order, MUG, "R-1", "12.50")  # one mug refunded on eBay already
    refunded(order, TEE, "R-2", "15.00")
    order["paymentSummary"] = {"refunds": [{"refundId": "R-2", "refundStatus": "FAILED"}]}
    lines = [
        CancelledLine(line_number=MUG, quantity=Decimal(1), left=Decimal(0)),  # the other mug: 1 more
        CancelledLine(line_number=TEE, quantity=Decimal(1), left=Decimal(0)),  # its refund failed: again
    ]
    with respx.mock(assert_all_called=False) as mock:
        serve(mock, order)
        refund = mock.post(REFUND).mock(return_value=httpx.Response(200, json={"refundId": "R-3"}))
        EbaySink("ebay", config).send(cancel(whole_order=False, lines=lines, reason="buyer_request"))
    body = json.loads(refund.calls[0].request.content)
    assert body["reasonForRefund"] == "BUYER_CANCEL"
    assert [(i["lineItemId"], i["refundAmount"]["value"]) for i in body["refundItems"]] == [
        (MUG, "12.50"),
        (TEE, "15.00"),
    ]


def test_a_refund_ebay_refuses_is_permanent_with_ebays_words(config: EbaySourceConfig) -> None:
    refused = {"errors": [{"errorId": 32100, "message": "The refund amount exceeds the amount available."}]}
    with respx.mock(assert_all_called=False) as mock:
        serve(mock, copy.deepcopy(ORDER))
        mock.post(REFUND).mock(return_value=httpx.Response(400, json=refused))
        with pytest.raises(PermanentError, match="32100 The refund amount exceeds the amount available"):
            EbaySink("ebay", config).send(cut(TEE, 1, left=0))
        mock.post(REFUND).mock(return_value=httpx.Response(200, json={"refundStatus": "FAILED"}))
        with pytest.raises(PermanentError, match=r"C-4: eBay refused the refund .*refund the lines on eBay"):
            EbaySink("ebay", config).send(cut(TEE, 1, left=0))


def test_a_line_that_is_no_line_item_of_the_order_is_permanent(config: EbaySourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        serve(mock, copy.deepcopy(ORDER))
        refund = mock.post(REFUND)
        with pytest.raises(PermanentError, match="line 999 is not a line item of the order"):
            EbaySink("ebay", config).send(cut("999", 1, left=0))
    assert refund.call_count == 0


def test_every_line_at_its_whole_quantity_is_the_whole_order(config: EbaySourceConfig) -> None:
    lines = [CancelledLine(line_number=i["lineItemId"], quantity=Decimal(i["quantity"])) for i in ORDER["lineItems"]]
    with respx.mock(assert_all_called=False) as mock:
        made = serve(mock, copy.deepcopy(ORDER))
        EbaySink("ebay", config).send(cancel(whole_order=False, lines=lines))
    assert made.call_count == 1
