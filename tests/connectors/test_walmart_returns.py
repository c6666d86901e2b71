"""Walmart returns against a mocked Marketplace API (respx): return orders read before the orders in a poll, and
refunds issued for the lines Walmart still shows open. Walmart publishes no returns payload among the owner fixtures:
the return order is our own example with the fields of Walmart's Returns model
(tests/cases/channels/walmart/return.json)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.throttle as throttle
from crossdock.connectors.walmart import WalmartSource
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.walmart_sink import WalmartSink
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.errors import PermanentError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, Refund, RefundLine
from crossdock.mappings.walmart_returns import returns_from_json
from tests.conftest import CASES
from tests.connectors.channels import read

API = "https://marketplace.example.test"
RETURN = json.loads((CASES / "channels" / "walmart" / "return.json").read_text())
RID = "8219100040001"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    return waits


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WalmartSourceConfig:
    monkeypatch.setenv("WM_ID", "client-id-1")
    monkeypatch.setenv("WM_SECRET", "client-secret-1")
    return WalmartSourceConfig.model_validate(
        {
            "type": "walmart",
            "url": API,
            "client_id": "${WM_ID}",
            "client_secret": "${WM_SECRET}",
            "returns": {"read": True},
        }
    )


def token(mock: respx.MockRouter) -> None:
    mock.post(f"{API}/v3/token").mock(return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 900}))


def test_return_orders_come_first_in_the_poll_one_document_per_version(config: WalmartSourceConfig) -> None:
    source = WalmartSource("wm", config)
    source.since = "2026-11-20T10:00:00Z"
    changed = copy.deepcopy(RETURN)
    changed["returnOrderLines"][0]["status"] = "DELIVERED"
    pages = [
        httpx.Response(
            200, json={"meta": {"totalCount": 2, "nextCursor": "?limit=200&offset=1"}, "returnOrders": [RETURN]}
        ),
        httpx.Response(200, json={"meta": {"totalCount": 2}, "returnOrders": [changed]}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        returns = mock.get(url__startswith=f"{API}/v3/returns").mock(side_effect=pages)
        mock.get(f"{API}/v3/orders").mock(return_value=httpx.Response(200, json={"list": {"elements": {"order": []}}}))
        items = read(source)
    assert returns.calls[0].request.url.params["returnLastModifiedStartDate"] == "2026-11-20T09:55:00Z"
    assert returns.calls[1].request.url.params["offset"] == "1", "the cursor followed"
    assert [i.kind for i in items] == ["return", "return"]
    assert items[0].identity.startswith(f"walmart:return:{RID}:") and items[0].identity != items[1].identity
    assert items[-1].checkpoint is None and source.reached is not None, "no order: the checkpoint is reached"
    (found,) = returns_from_json(items[0].data, items[0].name)
    assert (found.return_id, found.rma_number, found.po_number, found.currency) == (RID, RID, "1796277083968", "USD")
    assert found.status == "received", "a line is delivered"
    assert [(x.line_number, x.sku, x.quantity, x.reason, x.channel_line_id) for x in found.lines] == [
        ("1", "WM-SKU-1", Decimal(2), "size_or_fit", "1"),
        ("2", "WM-SKU-2", Decimal(1), "damaged", "2"),
    ], "the WFS line is Walmart's own"
    assert found.lines[0].unit_price == Decimal("15.99")


def test_returns_off_reads_no_returns(config: WalmartSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        token(mock)
        mock.get(f"{API}/v3/orders").mock(return_value=httpx.Response(200, json={"list": {"elements": {"order": []}}}))
        assert read(WalmartSource("wm", config.model_copy(update={"returns": ReturnsPolicy(read=False)}))) == []


UNITS = {"1": 2, "2": 1}  # each return line's units in return.json


def refund(*lines: str, units: int | None = None) -> Outbound:
    made = Refund(
        channel="wm",
        refund_id="rf-1",
        return_id=RID,
        po_number="1796277083968",
        external_id="1796277083968",
        lines=[RefundLine(channel_line_id=n, quantity=Decimal(units or UNITS.get(n, 1))) for n in lines],
    )
    return Outbound(
        name="r.json", data=json.dumps(made.model_dump(mode="json")).encode(), idempotency_key="k" * 20, purpose=REFUND
    )


class Returns:
    """The return order as Walmart shows it; a refund marks its lines refunded and completed."""

    def __init__(self) -> None:
        self.order: dict[str, Any] = copy.deepcopy(RETURN)
        self.posted: list[dict[str, Any]] = []

    def mock(self, mock: respx.MockRouter, answer: httpx.Response | None = None) -> None:
        token(mock)
        mock.get(f"{API}/v3/returns", params={"returnOrderId": RID}).mock(
            side_effect=lambda _: httpx.Response(200, json={"meta": {"totalCount": 1}, "returnOrders": [self.order]})
        )
        mock.post(f"{API}/v3/returns/{RID}/refund").mock(side_effect=lambda r: answer or self._refund(r))

    def _refund(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.posted.append(body)
        for asked in body["refundLines"]:
            for line in self.order["returnOrderLines"]:
                if line["returnOrderLineNumber"] == asked["returnOrderLineNumber"]:
                    line["status"], line["refundedQty"] = "COMPLETED", line["quantity"]["measurementValue"]
        return httpx.Response(200, json={"returnOrderId": RID, "refundLines": body["refundLines"]})


def test_a_refund_is_issued_once_for_the_open_lines(config: WalmartSourceConfig) -> None:
    walmart = Returns()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        sink = WalmartSink("wm", config)
        said = sink.send(refund("1", "2"))
        again = sink.send(refund("1", "2"))
    assert walmart.posted == [
        {
            "customerOrderId": "5381690812345",
            "refundLines": [{"returnOrderLineNumber": 1}, {"returnOrderLineNumber": 2}],
        }
    ]
    assert "line(s) 1, 2" in said and "already refunded" in again


def test_a_refused_refund_is_permanent_with_walmart_words(config: WalmartSourceConfig) -> None:
    refused = httpx.Response(
        400, json={"errors": [{"code": "INVALID_REQUEST.GMP_RETURN", "description": "Refund exceeds charge"}]}
    )
    with respx.mock(assert_all_called=True) as mock:
        Returns().mock(mock, refused)
        with pytest.raises(PermanentError) as caught:
            WalmartSink("wm", config).send(refund("1"))
    assert "Refund exceeds charge" in str(caught.value) and "client-secret-1" not in str(caught.value)


def test_a_throttled_refund_waits_and_goes_through(config: WalmartSourceConfig, no_sleep: list[float]) -> None:
    walmart = Returns()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        mock.routes[-1].side_effect = [httpx.Response(429, json={}, headers={"Retry-After": "3"}), walmart._refund]
        WalmartSink("wm", config).send(refund("2"))
    assert no_sleep == [3.0] and walmart.posted == [
        {"customerOrderId": "5381690812345", "refundLines": [{"returnOrderLineNumber": 2}]}
    ]


def test_a_line_not_in_the_return_is_refused(config: WalmartSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        Returns().mock(mock)
        with pytest.raises(PermanentError, match="'9' is no line of return order"):
            WalmartSink("wm", config).send(refund("9"))


def test_part_of_a_return_line_is_refused_naming_it(config: WalmartSourceConfig) -> None:
    with respx.mock(assert_all_called=False) as mock:
        walmart = Returns()
        walmart.mock(mock)
        with pytest.raises(PermanentError, match="1 of return line 1's 2 units: Walmart refunds whole return lines"):
            WalmartSink("wm", config).send(refund("1", units=1))
    assert walmart.posted == []
