"""Cancellations back to eBay (respx): the order read first, a buyer's waiting request approved, otherwise a
Post-Order cancellation made once; a cancellation of some lines, or of an order with a shipment, refused with
the reason. The order is our documented-fields example (tests/cases/channels/ebay/order.json): eBay publishes no
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


def test_some_lines_or_a_shipped_order_are_refused_with_the_reason(config: EbaySourceConfig) -> None:
    shipped = copy.deepcopy(ORDER) | {"orderFulfillmentStatus": "IN_PROGRESS"}
    line = CancelledLine(line_number=ORDER["lineItems"][0]["lineItemId"], quantity=Decimal(1))
    with respx.mock(assert_all_called=False) as mock:
        made = serve(mock, copy.deepcopy(ORDER))
        with pytest.raises(
            PermanentError,
            match="eBay cancels whole orders only; lines 10000000000001 x1 will not ship: ship the rest and refund",
        ):
            EbaySink("ebay", config).send(cancel(whole_order=False, lines=[line]))
        mock.get(f"{ORDERS}/{ORDER_ID}").mock(return_value=httpx.Response(200, json=shipped))
        with pytest.raises(PermanentError, match="has a shipment"):
            EbaySink("ebay", config).send(cancel())
    assert made.call_count == 0


def test_every_line_at_its_whole_quantity_is_the_whole_order(config: EbaySourceConfig) -> None:
    lines = [CancelledLine(line_number=i["lineItemId"], quantity=Decimal(i["quantity"])) for i in ORDER["lineItems"]]
    with respx.mock(assert_all_called=True) as mock:
        made = serve(mock, copy.deepcopy(ORDER))
        EbaySink("ebay", config).send(cancel(whole_order=False, lines=lines))
    assert made.call_count == 1
