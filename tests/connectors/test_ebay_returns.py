"""eBay returns against a mocked Post-Order API (respx): the open returns read before the orders in a poll, and
refunds issued (or items marked received) once. eBay publishes no return payload under an open licence: the return
is our own example with the fields of eBay's Post-Order reference (tests/cases/channels/ebay/return.json)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.ebay import EbaySource
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.ebay_sink import EbaySink
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, Refund, RefundLine
from crossdock.mappings.ebay_returns import returns_from_json
from tests.conftest import CASES
from tests.connectors.channels import read
from tests.connectors.test_ebay import API, ORDERS, SECRETS, TOKEN, config, fresh_caches, throttle_waits, token_answer

__all__ = ["config", "fresh_caches", "throttle_waits"]  # the fixtures, shared with test_ebay

RETURN: dict[str, Any] = json.loads((CASES / "channels" / "ebay" / "return.json").read_text())
RID = RETURN["returnId"]
POST_ORDER = f"{API}/post-order/v2/return"


@pytest.fixture
def returns_on(config: EbaySourceConfig) -> EbaySourceConfig:
    return config.model_copy(update={"returns": ReturnsPolicy(read=True)})


def test_the_open_returns_come_first_in_the_poll_one_document_per_state(returns_on: EbaySourceConfig) -> None:
    delivered = {**copy.deepcopy(RETURN), "returnId": "5000123457", "state": "ITEM_DELIVERED"}
    pages = [
        httpx.Response(200, json={"members": [RETURN], "paginationOutput": {"totalPages": 2, "offset": 1}}),
        httpx.Response(200, json={"members": [delivered], "paginationOutput": {"totalPages": 2, "offset": 2}}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        search = mock.get(f"{POST_ORDER}/search").mock(side_effect=pages)
        mock.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": []}))
        items = read(EbaySource("ebay", returns_on))
    request = search.calls[0].request
    assert request.headers["Authorization"] == "IAF user-token-1"
    assert request.headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"
    assert [c.request.url.params["offset"] for c in search.calls] == ["1", "2"]
    assert request.url.params["return_state"] == "ALL_OPEN"
    assert [i.identity for i in items] == [
        f"ebay:return:{RID}:ITEM_SHIPPED:ITEM_SHIPPED",
        "ebay:return:5000123457:ITEM_DELIVERED:ITEM_SHIPPED",
    ]
    assert {i.kind for i in items} == {"return"}
    (found,) = returns_from_json(items[0].data, items[0].name)
    assert (found.return_id, found.po_number, found.status, found.currency) == (RID, "12-34567-89012", "open", "USD")
    (line,) = found.lines
    assert (line.line_number, line.quantity, line.reason, line.unit_price) == (
        "10000000000001",
        Decimal(1),
        "damaged",
        Decimal("24.99"),
    )
    assert returns_from_json(items[1].data, items[1].name)[0].status == "received"


def refund(action: str = "refund", amount: str | None = None) -> Outbound:
    made = Refund(
        channel="ebay",
        refund_id="rf-1",
        return_id=RID,
        po_number="12-34567-89012",
        action=action,  # type: ignore[arg-type]
        currency="USD",
        lines=[
            RefundLine(line_number="10000000000001", quantity=Decimal(1), amount=Decimal(amount) if amount else None)
        ],
    )
    data = json.dumps(made.model_dump(mode="json")).encode()
    return Outbound(name="r.json", data=data, idempotency_key="k" * 20, purpose=REFUND)


class Ebay:
    """The return as eBay shows it; a refund or a receipt moves its state."""

    def __init__(self) -> None:
        self.summary: dict[str, Any] = copy.deepcopy(RETURN)
        self.posted: list[tuple[str, dict[str, Any]]] = []

    def mock(self, mock: respx.MockRouter) -> None:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(f"{POST_ORDER}/{RID}").mock(side_effect=lambda _: httpx.Response(200, json={"summary": self.summary}))
        mock.post(url__regex=rf"{POST_ORDER}/{RID}/(issue_refund|mark_as_received)").mock(side_effect=self._post)

    def _post(self, request: httpx.Request) -> httpx.Response:
        action = request.url.path.rsplit("/", 1)[1]
        self.posted.append((action, json.loads(request.content)))
        self.summary["state"] = "REFUND_ISSUED" if action == "issue_refund" else "ITEM_DELIVERED"
        return httpx.Response(200, json={"refundStatus": "SUCCESS"} if action == "issue_refund" else {})


def test_a_refund_of_the_lines_amounts_is_issued_once(config: EbaySourceConfig) -> None:
    ebay = Ebay()
    with respx.mock(assert_all_called=True) as mock:
        ebay.mock(mock)
        sink = EbaySink("ebay", config)
        said = sink.send(refund(amount="20.00"))
        again = sink.send(refund(amount="20.00"))
    ((action, body),) = ebay.posted
    money = {"value": "20.00", "currency": "USD"}
    assert action == "issue_refund" and body["refundDetail"] == {
        "itemizedRefundDetail": [{"refundAmount": money, "refundFeeType": "PURCHASE_PRICE"}],
        "totalAmount": money,
    }
    assert "refund of 20.00 USD success" in said and "already refunded" in again


def test_without_amounts_ebay_estimate_is_refunded(config: EbaySourceConfig) -> None:
    ebay = Ebay()
    with respx.mock(assert_all_called=True) as mock:
        ebay.mock(mock)
        EbaySink("ebay", config).send(refund())
    assert ebay.posted[0][1]["refundDetail"]["totalAmount"] == {"value": "24.99", "currency": "USD"}


def test_a_close_marks_the_item_received_once(config: EbaySourceConfig) -> None:
    ebay = Ebay()
    with respx.mock(assert_all_called=True) as mock:
        ebay.mock(mock)
        sink = EbaySink("ebay", config)
        sink.send(refund("close"))
        assert "already item_delivered" in sink.send(refund("close"))
    assert [action for action, _ in ebay.posted] == ["mark_as_received"]


def test_a_refused_refund_is_permanent_with_ebay_words_and_no_secrets(config: EbaySourceConfig) -> None:
    refused = {"error": [{"errorId": 1702, "message": "The refund amount exceeds the amount paid."}]}
    with respx.mock(assert_all_called=True) as mock:
        Ebay().mock(mock)
        mock.routes[-1].side_effect = None
        mock.routes[-1].return_value = httpx.Response(400, json=refused)
        with pytest.raises(PermanentError) as caught:
            EbaySink("ebay", config).send(refund(amount="99.00"))
    assert "exceeds the amount paid" in str(caught.value)
    assert not any(secret in str(caught.value) for secret in SECRETS)


def test_a_throttled_refund_waits_then_is_transient(config: EbaySourceConfig, throttle_waits: list[float]) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(f"{POST_ORDER}/{RID}").mock(return_value=httpx.Response(429, headers={"Retry-After": "40"}, json={}))
        with pytest.raises(TransientError, match="429"):
            EbaySink("ebay", config).send(refund())
    assert throttle_waits == [40.0], "one wait within the budget, then the outbox retries later"
