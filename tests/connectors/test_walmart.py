"""The Walmart connector against a mocked Marketplace API (respx): the token and its WM_* headers, the window
and pages it reads, acknowledgement after storing, how each answer maps to an outcome, webhooks, and shipments
sent once. The order is our own (see tests/test_walmart_mapping.py), built from the documented fields."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors import throttle
from crossdock.connectors import walmart as connector
from crossdock.connectors.walmart import WalmartSource, verify_webhook, webhook_order_id
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.connectors.walmart_sink import WalmartSink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine, FulfilmentPackage
from crossdock.core.ports import Outbound
from tests.conftest import CASES
from tests.connectors.channels import as_outbound, read

API = "https://marketplace.example.test"
ORDERS = f"{API}/v3/orders"
TOKEN = f"{API}/v3/token"
ORDER = json.loads((CASES / "channels" / "walmart" / "order.json").read_text())  # served as JSON numbers


@pytest.fixture(autouse=True)
def throttle_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What a throttled call waited, instead of sleeping it."""
    waits: list[float] = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    return waits


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WalmartSourceConfig:
    monkeypatch.setenv("WM_ID", "client-id-1")
    monkeypatch.setenv("WM_SECRET", "client-secret-1")
    monkeypatch.setenv("WM_HOOK", "walmart:hook-pass")
    return WalmartSourceConfig.model_validate(
        {
            "type": "walmart",
            "url": API,
            "client_id": "${WM_ID}",
            "client_secret": "${WM_SECRET}",
            "channel_type": "0f3e4dd4-0514-4346-b39d-af0e00ea066d",
            "limit": 2,
            "webhook_secret": "${WM_HOOK}",
        }
    )


def po(number: str, *statuses: str, status_date: int = 1795075260000) -> dict[str, Any]:
    order: dict[str, Any] = copy.deepcopy(ORDER)
    order["purchaseOrderId"] = number
    for line in order["orderLines"]["orderLine"]:
        amount = line["orderLineQuantity"]["amount"]
        line["statusDate"] = status_date
        line["orderLineStatuses"]["orderLineStatus"] = [
            {"status": s, "statusQuantity": {"unitOfMeasurement": "EACH", "amount": amount}} for s in statuses
        ]
    return order


def page(orders: list[dict[str, Any]], cursor: str | None = None) -> httpx.Response:
    meta = {"totalCount": 3, "limit": 2, **({"nextCursor": cursor} if cursor else {})}
    return httpx.Response(200, json={"list": {"meta": meta, "elements": {"order": orders}}})


def token(value: str = "tok-1", expires: int = 900) -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "token_type": "Bearer", "expires_in": expires})


def test_pages_follow_next_cursor_with_the_wm_headers_and_new_orders_are_acknowledged_once_imported(
    config: WalmartSourceConfig,
) -> None:
    source = WalmartSource("walmart-us", config)
    source.since = "2026-11-20T10:00:00Z"
    cursor = "?limit=2&hasMoreElements=true&soIndex=2&poIndex=2&sellerId=1&createdStartDate=2026-05-25"
    with respx.mock(assert_all_called=True) as mock:
        got = mock.post(TOKEN).mock(return_value=token())
        listed = mock.get(ORDERS).mock(
            side_effect=[page([po("1", "Created"), po("2", "Acknowledged")], cursor), page([po("3", "Cancelled")])]
        )
        ack = mock.post(f"{ORDERS}/1/acknowledge").mock(return_value=httpx.Response(200, json={"order": po("1")}))
        items = read(source, settle=True, imported=True)
    first = listed.calls[0].request
    assert first.url.params["lastModifiedStartDate"] == "2026-11-20T09:55:00Z", "since less five minutes' overlap"
    assert first.url.params["limit"] == "2"
    created = dt.datetime.fromisoformat(first.url.params["createdStartDate"])
    assert dt.datetime.now(dt.UTC) - created > dt.timedelta(days=178), "not Walmart's default of seven days"
    assert str(listed.calls[1].request.url) == f"{ORDERS}{cursor}", "the cursor is appended as it is"
    for call in listed.calls:
        headers = call.request.headers
        assert headers["WM_SEC.ACCESS_TOKEN"] == "tok-1" and headers["WM_SVC.NAME"] == "Walmart Marketplace"
        assert headers["WM_CONSUMER.CHANNEL.TYPE"] == "0f3e4dd4-0514-4346-b39d-af0e00ea066d"
        assert headers["Accept"] == "application/json"
    correlations = {c.request.headers["WM_QOS.CORRELATION_ID"] for c in listed.calls}
    assert len(correlations) == 2, "a fresh correlation id per request"
    assert got.call_count == 1, "one token for the whole poll"
    auth = got.calls[0].request.headers["Authorization"]
    assert auth == "Basic " + base64.b64encode(b"client-id-1:client-secret-1").decode()
    assert got.calls[0].request.content == b"grant_type=client_credentials"
    assert ack.call_count == 1, "only the order with a Created line, never the acknowledged or cancelled one"
    assert [i.identity.split(".")[0] for i in items] == [
        "walmart:1:1795075200123",
        "walmart:2:1795075200123",
        "walmart:3:1795075260000",
    ]
    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN).mock(return_value=token())
        mock.get(ORDERS).mock(return_value=page([po("1", "Created")]))
        ack = mock.post(f"{ORDERS}/1/acknowledge").mock(return_value=httpx.Response(200, json={"order": po("1")}))
        read(source, settle=True)
    assert ack.call_count == 0, "stored is not enough: an order that fails to import is never acknowledged"
    assert [i.checkpoint is not None for i in items] == [False, False, True]
    assert json.loads(items[0].data)["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"][
        "amount"
    ] == ("59.98"), "a JSON number is kept as its text, never a float"


def test_the_token_is_kept_refreshed_before_it_runs_out_and_after_a_401(
    config: WalmartSourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(connector, "_clock", lambda: now[0])
    source = WalmartSource("walmart-us", config)
    with respx.mock(assert_all_called=True) as mock:
        got = mock.post(TOKEN).mock(side_effect=[token("tok-1"), token("tok-2"), token("tok-3")])
        listed = mock.get(ORDERS).mock(
            side_effect=[page([]), page([]), httpx.Response(401, json={"errors": []}), page([])]
        )
        read(source, settle=True)
        now[0] += 800  # 100 s left: still good
        read(source, settle=True)
        now[0] += 60  # 40 s left: fetched again first
        read(source, settle=True)
    assert got.call_count == 3
    assert [c.request.headers["WM_SEC.ACCESS_TOKEN"] for c in listed.calls] == ["tok-1", "tok-1", "tok-2", "tok-3"]


@pytest.mark.parametrize(
    ("answer", "error", "said", "wait"),
    [
        (httpx.Response(429, json={}, headers={"Retry-After": "7"}), TransientError, "429 throttled", 7.0),
        (httpx.Response(429, text="", headers={"x-next-replenish-time": "12"}), TransientError, "429", 12.0),
        (httpx.Response(503, text="<html>down</html>"), TransientError, "503", None),
        (
            httpx.Response(
                400,
                json={
                    "errors": {"error": [{"code": "INVALID_REQUEST_PARAM.GMP_ORDER_API", "description": "bad date"}]}
                },
            ),
            PermanentError,
            "400 Bad Request: INVALID_REQUEST_PARAM.GMP_ORDER_API bad date",
            None,
        ),
        (httpx.Response(200, text="<html>cached</html>"), TransientError, "not JSON", None),
    ],
)
def test_answers_map_to_outcomes_and_the_secrets_never_show(
    config: WalmartSourceConfig, answer: httpx.Response, error: type[Exception], said: str, wait: float | None
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=token("tok-secret"))
        mock.get(ORDERS).mock(return_value=answer)
        with pytest.raises(error) as caught:
            read(WalmartSource("walmart-us", config), settle=True)
    text = str(caught.value)
    assert said in text
    assert "client-secret-1" not in text and "tok-secret" not in text and "client-id-1" not in text
    assert getattr(caught.value, "retry_after", None) == wait


def test_a_refused_token_is_permanent_and_names_walmarts_reason(config: WalmartSourceConfig) -> None:
    refusal = {"errors": {"error": {"code": "UNAUTHORIZED.GMP_GATEWAY_API", "description": "Unauthorized"}}}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=httpx.Response(401, json=refusal))
        with pytest.raises(PermanentError, match=r"POST /v3/token: 401 Unauthorized: UNAUTHORIZED\.GMP_GATEWAY_API"):
            read(WalmartSource("walmart-us", config), settle=True)


def test_one_order_by_id_and_webhooks(config: WalmartSourceConfig) -> None:
    source = WalmartSource("walmart-us", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=token())
        mock.get(f"{ORDERS}/1796277083968").mock(return_value=httpx.Response(200, json={"order": ORDER}))
        item = source.order("1796277083968")
    assert item.identity.startswith("walmart:1796277083968:1795075200123.") and item.checkpoint is None
    with pytest.raises(PermanentError):
        source.order("../token")
    good = base64.b64encode(b"walmart:hook-pass").decode()
    assert source.verify_webhook(b"{}", {"authorization": f"Basic {good}"})
    assert source.verify_webhook(b"{}", {"authorization": good}), "the docs send the Base64 value alone"
    assert not source.verify_webhook(b"{}", {"authorization": "Basic " + base64.b64encode(b"walmart:x").decode()})
    assert not source.verify_webhook(b"{}", {})
    assert not verify_webhook({"authorization": good}, "")
    created = {"source": {"eventType": "PO_CREATED"}, "payload": {"partnerId": "1", "purchaseOrderId": "1796"}}
    updates = {"source": {"eventType": "ORDER_UPDATES"}, "payload": {"order": {"purchaseOrderId": "1797"}}}
    other = {"source": {"eventType": "OFFER_UNPUBLISHED"}, "payload": {"purchaseOrderId": "1798"}}
    assert webhook_order_id(json.dumps(created).encode()) == "1796"
    assert webhook_order_id(json.dumps(updates).encode()) == "1797"
    assert webhook_order_id(json.dumps(other).encode()) is None
    assert webhook_order_id(b"not json") is None


def outbound(**changes: Any) -> Outbound:
    data: dict[str, Any] = {
        "channel": "walmart",
        "partner": "walmart-us",
        "po_number": "1796277083968",
        "external_id": "1796277083968",
        "shipment_id": "WH-1",
        "ship_date": dt.date(2026, 11, 20),
        "carrier_scac": "UPSN",
        "tracking_numbers": ["1Z999AA10123456784"],
        "lines": [
            FulfilmentLine(line_number="1", quantity=Decimal(2)),
            FulfilmentLine(product_ids={"SK": "FILTER-3"}, quantity=Decimal(1)),
        ],
    }
    data.update(changes)
    return as_outbound(Fulfilment(**data), "k")


def test_a_shipment_acknowledges_if_needed_ships_each_open_line_and_a_repeat_ships_nothing(
    config: WalmartSourceConfig,
) -> None:
    sink = WalmartSink("walmart-us", config)
    order = po("1796277083968", "Created")
    posted: list[dict[str, Any]] = []

    def ship(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        posted.append(body)
        (line,) = body["orderShipment"]["orderLines"]["orderLine"]
        (wanted,) = [x for x in order["orderLines"]["orderLine"] if x["lineNumber"] == line["lineNumber"]]
        wanted["orderLineStatuses"] = line["orderLineStatuses"]
        return httpx.Response(200, json={"order": order})

    def acknowledge(request: httpx.Request) -> httpx.Response:
        for line in order["orderLines"]["orderLine"]:
            line["orderLineStatuses"]["orderLineStatus"][0]["status"] = "Acknowledged"
        return httpx.Response(200, json={"order": order})

    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=token())
        mock.get(f"{ORDERS}/1796277083968").mock(side_effect=lambda request: httpx.Response(200, json={"order": order}))
        acked = mock.post(f"{ORDERS}/1796277083968/acknowledge").mock(side_effect=acknowledge)
        shipped = mock.post(f"{ORDERS}/1796277083968/shipping").mock(side_effect=ship)
        assert sink.send(outbound()) == "walmart order 1796277083968: shipment WH-1 (2 lines shipped, 0 already)"
        assert sink.send(outbound()) == "walmart order 1796277083968: shipment WH-1 (0 lines shipped, 2 already)"
    assert acked.call_count == 1, "acknowledged before shipping, and not again"
    assert shipped.call_count == 2, "one request per line, none on the repeat"
    assert [p["orderShipment"]["orderLines"]["orderLine"][0]["lineNumber"] for p in posted] == ["1", "2"]
    status = posted[0]["orderShipment"]["orderLines"]["orderLine"][0]["orderLineStatuses"]["orderLineStatus"][0]
    assert status["statusQuantity"]["amount"] == "2"
    assert status["trackingInfo"]["methodCode"] == "Value", "the order's own method code"
    assert status["trackingInfo"]["shipDateTime"] == int(dt.datetime(2026, 11, 20, tzinfo=dt.UTC).timestamp() * 1000), (
        "midnight UTC of the ship date, after the order was placed"
    )


def test_each_line_carries_the_tracking_number_of_the_package_it_went_in(config: WalmartSourceConfig) -> None:
    sink = WalmartSink("walmart-us", config)
    order = po("1796277083968", "Acknowledged")
    numbers: dict[str, str] = {}

    def ship(request: httpx.Request) -> httpx.Response:
        (line,) = json.loads(request.content)["orderShipment"]["orderLines"]["orderLine"]
        status = line["orderLineStatuses"]["orderLineStatus"][0]
        numbers[line["lineNumber"]] = status["trackingInfo"]["trackingNumber"]
        return httpx.Response(200, json={"order": order})

    packages = [
        FulfilmentPackage(tracking_number="1ZAAA", lines=[FulfilmentLine(line_number="1", quantity=Decimal(2))]),
        FulfilmentPackage(tracking_number="1ZBBB", lines=[FulfilmentLine(line_number="2", quantity=Decimal(1))]),
    ]
    lines = [FulfilmentLine(line_number="1", quantity=Decimal(2)), FulfilmentLine(line_number="2", quantity=Decimal(1))]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=token())
        mock.get(f"{ORDERS}/1796277083968").mock(return_value=httpx.Response(200, json={"order": order}))
        mock.post(f"{ORDERS}/1796277083968/shipping").mock(side_effect=ship)
        sink.send(outbound(tracking_numbers=["1ZAAA", "1ZBBB"], lines=lines, packages=packages))
    assert numbers == {"1": "1ZAAA", "2": "1ZBBB"}


def test_a_cancelled_or_unknown_line_is_permanent_after_the_rest_shipped(config: WalmartSourceConfig) -> None:
    sink = WalmartSink("walmart-us", config)
    order = po("1796277083968", "Acknowledged")
    order["orderLines"]["orderLine"][1]["orderLineStatuses"]["orderLineStatus"][0]["status"] = "Cancelled"
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(return_value=token())
        mock.get(f"{ORDERS}/1796277083968").mock(return_value=httpx.Response(200, json={"order": order}))
        shipped = mock.post(f"{ORDERS}/1796277083968/shipping").mock(return_value=httpx.Response(200, json={}))
        extra = FulfilmentLine(line_number="9", quantity=Decimal(1))
        lines = [
            FulfilmentLine(line_number="1", quantity=Decimal(2)),
            FulfilmentLine(line_number="2", quantity=Decimal(1)),
        ]
        with pytest.raises(PermanentError, match="9 is not a line of the order; line 2 is cancelled at Walmart"):
            sink.send(outbound(lines=[*lines, extra]))
    assert shipped.call_count == 1, "line 1 shipped all the same"
