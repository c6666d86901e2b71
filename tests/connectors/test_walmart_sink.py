"""The Walmart sink against a mocked Marketplace API (respx) that moves line statuses as Walmart does: a shipment of
two packages goes line by line under each package's own tracking number, and cancellations from crossdock go
back as Cancelled lines, never twice and never for what shipped. The order is our own documented-fields example
(tests/cases/channels/walmart/order.json); the cancel body has the elements of Walmart's own SDK request
(tests/data/fixtures/walmart/v3/cancelOrderLines.request.xml)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.walmart_sink import WalmartSink
from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.core.lifecycle.cancellations import CANCELLATION, Cancellation, CancelledLine
from crossdock.core.ports import Outbound
from tests.conftest import CASES, FIXTURES
from tests.connectors.channels import as_outbound

API = "https://marketplace.example.test"
PO = "1796277083968"
ORDER = json.loads((CASES / "channels" / "walmart" / "order.json").read_text())


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WalmartSourceConfig:
    monkeypatch.setenv("WM_ID", "client-id-1")
    monkeypatch.setenv("WM_SECRET", "client-secret-1")
    return WalmartSourceConfig.model_validate(
        {"type": "walmart", "url": API, "client_id": "${WM_ID}", "client_secret": "${WM_SECRET}"}
    )


class Walmart:
    """One purchase order whose line statuses move as Walmart's do: a Shipped or Cancelled status takes its
    quantity out of the line's open (Created/Acknowledged) one."""

    def __init__(self, quantities: tuple[int, int] = (3, 1), status: str = "Acknowledged") -> None:
        self.order: dict[str, Any] = copy.deepcopy(ORDER)
        for line, quantity in zip(self.order["orderLines"]["orderLine"], quantities, strict=True):
            line["orderLineQuantity"]["amount"] = str(quantity)
            line["orderLineStatuses"]["orderLineStatus"] = [_status(status, quantity)]
        self.posted: list[tuple[str, dict[str, Any]]] = []

    def mock(self, mock: respx.MockRouter) -> None:
        mock.post(f"{API}/v3/token").mock(
            return_value=httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 900})
        )
        mock.get(f"{API}/v3/orders/{PO}").mock(side_effect=lambda _: httpx.Response(200, json={"order": self.order}))
        mock.post(url__regex=rf"{API}/v3/orders/{PO}/(shipping|cancel)").mock(side_effect=self._post)

    def _post(self, request: httpx.Request) -> httpx.Response:
        action, body = request.url.path.rsplit("/", 1)[1], json.loads(request.content)
        self.posted.append((action, body))
        wrapper = body["orderShipment" if action == "shipping" else "orderCancellation"]
        for sent in wrapper["orderLines"]["orderLine"]:
            (line,) = [x for x in self.order["orderLines"]["orderLine"] if x["lineNumber"] == sent["lineNumber"]]
            statuses = line["orderLineStatuses"]["orderLineStatus"]
            for status in sent["orderLineStatuses"]["orderLineStatus"]:
                amount = int(status["statusQuantity"]["amount"])
                (open_,) = [s for s in statuses if s["status"] in ("Created", "Acknowledged")]
                left = int(open_["statusQuantity"]["amount"]) - amount
                assert left >= 0, "Walmart refuses more than is open"
                open_["statusQuantity"]["amount"] = str(left)
                statuses.append(status)
        return httpx.Response(200, json={"order": self.order})

    def calls(self, action: str) -> list[dict[str, Any]]:
        return [body for kind, body in self.posted if kind == action]


def _status(kind: str, amount: int) -> dict[str, Any]:
    return {"status": kind, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(amount)}}


def shipment() -> Outbound:
    """2 units of line 1 in one package; 1 more of line 1 and line 2 in the second."""
    one, two = (
        FulfilmentLine(line_number="1", quantity=Decimal(2)),
        FulfilmentLine(line_number="1", quantity=Decimal(1)),
    )
    filters = FulfilmentLine(line_number="2", quantity=Decimal(1))
    return as_outbound(
        Fulfilment(
            channel="walmart",
            po_number=PO,
            external_id=PO,
            shipment_id="WH-7",
            ship_date=dt.date(2026, 11, 20),
            carrier_scac="UPSN",
            tracking_numbers=["1ZFIRST", "1ZSECOND"],
            lines=[one, two, filters],
            packages=[
                FulfilmentPackage(tracking_number="1ZFIRST", lines=[one]),
                FulfilmentPackage(tracking_number="1ZSECOND", lines=[two, filters]),
            ],
        )
    )


def cancellation(**changes: Any) -> Outbound:
    fields: dict[str, Any] = {
        "channel": "walmart",
        "po_number": PO,
        "external_id": PO,
        "cancellation_id": "C-1",
        "reason": "out_of_stock",
        "by": "warehouse",
        **changes,
    }
    data = json.dumps(Cancellation(**fields).model_dump(mode="json")).encode()
    return Outbound(name="c.json", data=data, idempotency_key="c" * 20, purpose=CANCELLATION)


def test_each_package_goes_with_its_own_lines_quantities_and_tracking_number(config: WalmartSourceConfig) -> None:
    walmart = Walmart()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        sink = WalmartSink("walmart-us", config)
        assert sink.send(shipment()).endswith("(3 lines shipped, 0 already)")
        assert sink.send(shipment()).endswith("(0 lines shipped, 3 already)"), "sent again: nothing twice"
    sent = []
    for body in walmart.calls("shipping"):
        (line,) = body["orderShipment"]["orderLines"]["orderLine"]
        (status,) = line["orderLineStatuses"]["orderLineStatus"]
        sent.append((line["lineNumber"], status["statusQuantity"]["amount"], status["trackingInfo"]["trackingNumber"]))
    assert sent == [("1", "2", "1ZFIRST"), ("1", "1", "1ZSECOND"), ("2", "1", "1ZSECOND")]


def test_a_whole_order_cancel_cancels_what_is_open_once(config: WalmartSourceConfig) -> None:
    walmart = Walmart()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        sink = WalmartSink("walmart-us", config)
        assert sink.send(cancellation(whole_order=True)) == f"walmart order {PO}: cancelled line 1 x3, line 2 x1"
        assert "already made" in sink.send(cancellation(whole_order=True))
        again = WalmartSink("walmart-us", config)  # a new process: Walmart's own state says it is done
        assert again.send(cancellation(whole_order=True)) == f"walmart order {PO}: cancelled nothing left open"
    (body,) = walmart.calls("cancel")
    lines = body["orderCancellation"]["orderLines"]["orderLine"]
    (status,) = lines[0]["orderLineStatuses"]["orderLineStatus"]
    assert status == {
        "status": "Cancelled",
        "cancellationReason": "SELLER_CANCEL_OUT_OF_STOCK",
        "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "3"},
    }
    assert _sdk_elements() == _elements(body), "the elements of Walmart's own SDK request"


def test_a_line_cancel_takes_only_what_has_not_shipped_and_says_what_could_not(config: WalmartSourceConfig) -> None:
    walmart = Walmart()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        sink = WalmartSink("walmart-us", config)
        sink.send(shipment())
        short = [
            CancelledLine(line_number="1", quantity=Decimal(1)),
            CancelledLine(product_ids={"SK": "FILTER-3"}, quantity=Decimal(1)),
        ]
        with pytest.raises(PermanentError, match="line 1 has shipped: nothing of it left to cancel; line 2 has"):
            sink.send(cancellation(lines=short, reason="merchant"))
    assert walmart.calls("cancel") == [], "every unit shipped: nothing to cancel"


def test_a_partial_line_cancel(config: WalmartSourceConfig) -> None:
    walmart = Walmart()
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        sink = WalmartSink("walmart-us", config)
        said = sink.send(cancellation(lines=[CancelledLine(line_number="1", quantity=Decimal(1))], reason="other"))
    assert said == f"walmart order {PO}: cancelled line 1 x1"
    (body,) = walmart.calls("cancel")
    (line,) = body["orderCancellation"]["orderLines"]["orderLine"]
    (status,) = line["orderLineStatuses"]["orderLineStatus"]
    assert status["cancellationReason"] == "CANCEL_BY_SELLER" and status["statusQuantity"]["amount"] == "1"


def test_a_partial_line_cancel_sent_again_after_a_crash_cancels_nothing_more(config: WalmartSourceConfig) -> None:
    walmart = Walmart(quantities=(3, 1))
    cut = cancellation(lines=[CancelledLine(line_number="1", quantity=Decimal(1), left=Decimal(2))])
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        assert WalmartSink("walmart-us", config).send(cut) == f"walmart order {PO}: cancelled line 1 x1"
        again = WalmartSink("walmart-us", config)  # the outbox never heard the answer: a new process sends again
        assert again.send(cut) == f"walmart order {PO}: cancelled nothing left open"
        more = cancellation(
            cancellation_id="C-2", lines=[CancelledLine(line_number="1", quantity=Decimal(1), left=Decimal(1))]
        )
        assert again.send(more) == f"walmart order {PO}: cancelled line 1 x1", "a second cut of the line still goes"
    amounts = [
        s["statusQuantity"]["amount"]
        for body in walmart.calls("cancel")
        for line in body["orderCancellation"]["orderLines"]["orderLine"]
        for s in line["orderLineStatuses"]["orderLineStatus"]
    ]
    assert amounts == ["1", "1"], "of 3 ordered, 1 is left: each cut made once"


def test_a_short_shipped_line_cancelled_again_is_done_not_refused(config: WalmartSourceConfig) -> None:
    walmart = Walmart(quantities=(3, 1))
    one = FulfilmentLine(line_number="1", quantity=Decimal(2))
    shipped = Fulfilment(
        channel="walmart", po_number=PO, external_id=PO, shipment_id="WH-8", ship_date=dt.date(2026, 11, 20),
        carrier_scac="UPSN", tracking_numbers=["1ZONE"], lines=[one],
        packages=[FulfilmentPackage(tracking_number="1ZONE", lines=[one])],
    )  # fmt: skip
    cut = cancellation(lines=[CancelledLine(line_number="1", quantity=Decimal(1), left=Decimal(2))])
    with respx.mock(assert_all_called=True) as mock:
        walmart.mock(mock)
        WalmartSink("walmart-us", config).send(as_outbound(shipped))
        assert WalmartSink("walmart-us", config).send(cut) == f"walmart order {PO}: cancelled line 1 x1"
        assert WalmartSink("walmart-us", config).send(cut) == f"walmart order {PO}: cancelled nothing left open"
    assert len(walmart.calls("cancel")) == 1


def _elements(value: Any, name: str = "orderCancellation") -> set[str]:
    """The element paths of a JSON body, list items flattened, without the values."""
    out = {name}
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "orderCancellation":
                out |= _elements(inner, key)
            else:
                out |= {f"{name}/{p}" for p in _elements(inner, key)}
    elif isinstance(value, list):
        for inner in value:
            out |= _elements(inner, name) - {name}
            out.add(name)
    return out


def _sdk_elements() -> set[str]:
    root = ET.parse(FIXTURES / "walmart" / "v3" / "cancelOrderLines.request.xml").getroot()

    def walk(node: ET.Element) -> set[str]:
        name = node.tag.split("}")[1]
        return {name} | {f"{name}/{p}" for child in node for p in walk(child)}

    return walk(root)
