"""Walmart Marketplace end to end against a fake of its Orders API on 127.0.0.1 (orders built from the documented
fields, see tests/test_walmart_mapping.py): two pages of purchase orders, an update (a line cancelled) and a
cancellation among them, each stored once and acknowledged after it is stored, routed to a warehouse folder;
the warehouse's shipment goes back as the line Shipped with its tracking; a webhook is a hint that reads the
order again; 429s, refused credentials and a token revoked before its time."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crossdock.connectors import throttle
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from crossdock.core.poller import poll
from crossdock.core.storage.schema import orders
from tests.conftest import CASES
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import (
    assert_repoll_quiet_and_cancel_sent,
    channel_config,
    channel_hub,
    drain,
    order_rows,
    sent_fulfilments,
    served,
    ship_back,
    warehouse_files,
    webhook_url,
)

CLIENT_ID, CLIENT_SECRET, HOOK = "wm-client", "wm-secret", "walmart:hook-pass"
ENVIRONMENT = {"WM_ID": CLIENT_ID, "WM_SECRET": CLIENT_SECRET, "WM_HOOK": HOOK}
CHANNEL = "walmart"
EXAMPLE = json.loads((CASES / "channels" / "walmart" / "order.json").read_text())


@pytest.fixture(autouse=True)
def throttle_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What a throttled call waited, instead of sleeping it."""
    waits: list[float] = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    return waits


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def example(po: str) -> dict[str, Any]:
    """Our documented-fields order under another PO number, placed a day ago, every line Created."""
    order: dict[str, Any] = copy.deepcopy(EXAMPLE)
    order["purchaseOrderId"] = po
    order["orderDate"] = ms(dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    return order


class FakeWalmart:
    """Purchase orders with Walmart's hidden modification time; pages of two by an opaque ``nextCursor``;
    tokens that can be revoked; acknowledge and shipping move line statuses as Walmart does."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.modified: dict[str, dt.datetime] = {}
        self.tokens: set[str] = set()
        self.issued = 0
        self.expire_after: int | None = None  # calls a token still answers before it expires

    def put(self, order: dict[str, Any]) -> None:
        self.orders[order["purchaseOrderId"]] = order
        self.modified[order["purchaseOrderId"]] = dt.datetime.now(dt.UTC)

    def serve(self, api: FakeApi) -> None:
        api.route("POST", "/v3/token", self._token)
        api.route("GET", "/v3/orders", self._get)
        api.route("POST", "/v3/orders/", self._post)

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response(401, {"errors": {"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}})
        assert request.body == b"grant_type=client_credentials"
        self.issued += 1
        value = f"token-{self.issued}"
        self.tokens.add(value)
        return Response(200, {"access_token": value, "token_type": "Bearer", "expires_in": 900})

    def _denied(self, request: Request) -> Response | None:
        assert request.headers.get("wm_svc.name") == "Walmart Marketplace"
        assert request.headers.get("wm_qos.correlation_id")
        if self.expire_after is not None:
            if self.expire_after == 0:
                self.tokens.clear()
                self.expire_after = None
            else:
                self.expire_after -= 1
        if request.headers.get("wm_sec.access_token") not in self.tokens:
            return Response(401, {"errors": {"error": [{"code": "UNAUTHORIZED.GMP_GATEWAY_API"}]}})
        return None

    def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        rest = request.path.removeprefix("/v3/orders").strip("/")
        if rest:
            found = self.orders.get(rest)
            return Response(200, {"order": found}) if found else Response(404, {"errors": []})
        if "offset" in request.query:  # the cursor's own parameters, as Walmart's are opaque
            since, offset = request.query["since"][0], int(request.query["offset"][0])
        else:
            since, offset = request.query["lastModifiedStartDate"][0], 0
        start = dt.datetime.fromisoformat(since)
        chosen = sorted((po for po, at in self.modified.items() if at >= start), key=lambda po: po)
        part = [self.orders[po] for po in chosen[offset : offset + 2]]
        meta: dict[str, Any] = {"totalCount": len(chosen), "limit": 2}
        if offset + 2 < len(chosen):
            meta["nextCursor"] = f"?limit=2&hasMoreElements=true&offset={offset + 2}&since={since}"
        return Response(200, {"list": {"meta": meta, "elements": {"order": part}}})

    def _post(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        po, action = request.path.removeprefix("/v3/orders/").split("/")
        order = self.orders[po]
        lines = order["orderLines"]["orderLine"]
        if action == "acknowledge":
            for line in lines:
                for status in line["orderLineStatuses"]["orderLineStatus"]:
                    status["status"] = "Acknowledged" if status["status"] == "Created" else status["status"]
        else:  # each Shipped or Cancelled status takes its quantity out of the line's open one, as Walmart's do
            body = request.json()
            for shipped in (body.get("orderShipment") or body["orderCancellation"])["orderLines"]["orderLine"]:
                (line,) = [x for x in lines if x["lineNumber"] == shipped["lineNumber"]]
                statuses = line["orderLineStatuses"]["orderLineStatus"]
                for status in shipped["orderLineStatuses"]["orderLineStatus"]:
                    (open_,) = [x for x in statuses if x["status"] in ("Created", "Acknowledged")]
                    left = int(open_["statusQuantity"]["amount"]) - int(status["statusQuantity"]["amount"])
                    assert left >= 0, "Walmart refuses more than is open"
                    open_["statusQuantity"]["amount"] = str(left)
                    statuses.append(status)
                    if left == 0:
                        statuses.remove(open_)
        for line in lines:
            line["statusDate"] = ms(dt.datetime.now(dt.UTC))
        self.modified[po] = dt.datetime.now(dt.UTC)
        return Response(200, {"order": order})


@pytest.fixture
def walmart() -> Iterator[tuple[FakeWalmart, FakeApi]]:
    yield from served(FakeWalmart())


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, walmart: tuple[FakeWalmart, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    source = {
        "type": "walmart",
        "url": walmart[1].url,
        "client_id": "${WM_ID}",
        "client_secret": "${WM_SECRET}",
        "webhook_secret": "${WM_HOOK}",
        "limit": 2,
    }
    cfg = channel_config(tmp_path, store_url, "walmart-us", source)
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as h:
        yield h


def statuses(order: dict[str, Any]) -> list[str]:
    return [
        s["status"] for line in order["orderLines"]["orderLine"] for s in line["orderLineStatuses"]["orderLineStatus"]
    ]


def test_orders_in_over_two_pages_acknowledged_updated_cancelled_routed_and_shipped_back(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], tmp_path: Path
) -> None:
    fake, api = walmart
    for po in ("5001", "5002", "5003"):
        fake.put(example(po))
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and report.received == 3
    assert len(api.calls("GET", "/v3/orders")) == 2, "three orders, two to a page, the second by nextCursor"
    assert len(api.calls("POST", "/v3/token")) == 1, "one token for the poll"
    assert len(api.calls("POST", "/v3/orders/")) == 3 and all(
        statuses(o) == ["Acknowledged", "Acknowledged"] for o in fake.orders.values()
    ), "each order acknowledged once stored"
    assert set(order_rows(hub, CHANNEL)) == {"5001", "5002", "5003"}
    drain(hub)
    assert len(warehouse_files(tmp_path)) == 3

    now = ms(dt.datetime.now(dt.UTC))
    second = fake.orders["5002"]["orderLines"]["orderLine"][1]
    second["orderLineStatuses"]["orderLineStatus"][0]["status"] = "Cancelled"
    second["statusDate"] = now
    for line in fake.orders["5003"]["orderLines"]["orderLine"]:
        line["orderLineStatuses"]["orderLineStatus"][0]["status"] = "Cancelled"
        line["statusDate"] = now
    fake.put(fake.orders["5002"])
    fake.put(fake.orders["5003"])
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and report.received == 2, "the acknowledgement itself is no new version"
    assert len(api.calls("POST", "/v3/orders/")) == 3, "nothing acknowledged again"
    rows = order_rows(hub, CHANNEL)
    assert len(rows) == 3, "an update and a cancellation never make a second order"
    assert (rows["5002"].revision, rows["5003"].status) == (2, "cancelled")
    assert rows["5001"].revision == 1
    assert_repoll_quiet_and_cancel_sent(hub, tmp_path, "walmart-us")

    today = dt.date.today().isoformat()
    ship_back(hub, tmp_path, "5001", {"1": 2}, ship_date=today, carrier_scac="FDEG", tracking="794698766710")
    (ship,) = [r for r in api.calls("POST", "/v3/orders/5001/shipping")]
    (line,) = ship.json()["orderShipment"]["orderLines"]["orderLine"]
    (status,) = line["orderLineStatuses"]["orderLineStatus"]
    assert (line["lineNumber"], status["status"], status["statusQuantity"]["amount"]) == ("1", "Shipped", "2")
    assert status["trackingInfo"]["carrierName"] == {"carrier": "FedEx"}
    assert status["trackingInfo"]["trackingNumber"] == "794698766710"
    assert statuses(fake.orders["5001"]) == ["Shipped", "Acknowledged"], "line 2 is still to ship"
    assert sent_fulfilments(hub) == 1


def test_a_webhook_reads_the_order_again_and_the_next_poll_acknowledges_it(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi]
) -> None:
    fake, api = walmart
    fake.put(example("6001"))
    with webhook_url(hub, "walmart-us") as url:
        event = {
            "source": {"eventType": "PO_CREATED", "eventTime": "2026-11-22T13:47:18.442Z", "eventId": "e-1"},
            "payload": {"partnerId": "10000682332", "purchaseOrderId": "6001", "orderLines": []},
        }
        body = json.dumps(event).encode()
        auth = {"Authorization": base64.b64encode(HOOK.encode()).decode()}
        forged = {"Authorization": base64.b64encode(b"walmart:guess").decode()}
        assert httpx.post(url, content=body, headers=forged).status_code == 401
        answer = httpx.post(url, content=body, headers=auth)
        assert answer.status_code == 202 and answer.json()["new"] is True
        replayed = httpx.post(url, content=body, headers=auth).json()
        assert replayed == {"ignored": "answered already (the same delivery again)"}, "no read of Walmart"
        other = body.replace(b'"e-1"', b'"e-2"')  # another event about the same order
        assert httpx.post(url, content=other, headers=auth).json()["new"] is False, "the same version, stored once"
        other = json.dumps({"source": {"eventType": "OFFER_UNPUBLISHED"}, "payload": {}}).encode()
        assert httpx.post(url, content=other, headers=auth).status_code == 200
    assert set(order_rows(hub, CHANNEL)) == {"6001"}
    assert statuses(fake.orders["6001"]) == ["Created", "Created"], "a webhook does not acknowledge by itself"
    assert poll(hub, "walmart-us", "me").received == 0, "the poll finds the order the webhook brought in"
    assert statuses(fake.orders["6001"]) == ["Acknowledged", "Acknowledged"], "and acknowledges it"
    assert len(api.calls("POST", "/v3/orders/6001/acknowledge")) == 1


def test_throttling_a_revoked_token_and_refused_credentials(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], monkeypatch: pytest.MonkeyPatch, throttle_waits: list[float]
) -> None:
    fake, api = walmart
    fake.put(example("7001"))
    throttled = Response(429, {"errors": {"error": [{"code": "REQUEST_THRESHOLD_VIOLATED"}]}}, {"Retry-After": "2.0"})
    api.fail_next(throttled, throttled)
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and report.received == 1, "a throttled poll waits as told and goes on"
    assert throttle_waits == [2.0, 2.0], "Retry-After 2.0 read as two seconds"
    api.fail_next(*[throttled] * 40)  # throttled past the budget: the poll gives up, to try again later
    fake.put(example("7005"))
    report = poll(hub, "walmart-us", "me")
    assert report.error is not None and "429" in report.error and report.received == 0
    assert sum(throttle_waits) <= 2 * 2.0 + throttle.BUDGET
    api.faults.clear()
    assert poll(hub, "walmart-us", "me").received == 1

    fake.put(example("7002"))
    fake.put(example("7004"))
    issued, mark = fake.issued, len(api.requests)
    fake.expire_after = 1  # the token runs out after the first page, in the middle of the poll
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and report.received == 2, "a 401 fetches a new token and the call goes through"
    assert fake.issued == issued + 2, "the poll's token, and one more when it expired"
    used = [r.headers["wm_sec.access_token"] for r in api.requests[mark:] if r.path.startswith("/v3/orders")]
    assert used[0] != used[-1] and used[-2] == used[-1], "the calls after the 401 carry the new token"

    fake.tokens.clear()
    monkeypatch.setenv("WM_SECRET", "wrong-secret")
    fake.put(example("7003"))
    report = poll(hub, "walmart-us", "me")
    assert report.error is not None and "POST /v3/token: 401" in report.error
    assert "UNAUTHORIZED.GMP_GATEWAY_API" in report.error
    assert "wrong-secret" not in report.error and CLIENT_SECRET not in report.error


def test_an_order_that_fails_to_import_is_never_acknowledged(hub: Hub, walmart: tuple[FakeWalmart, FakeApi]) -> None:
    fake, api = walmart
    broken = example("8001")
    broken["orderLines"]["orderLine"][0]["charges"]["charge"][0]["chargeAmount"]["amount"] = "abc"
    fake.put(broken)
    fake.put(example("8002"))
    report = poll(hub, "walmart-us", "me")
    assert report.error is None and report.received == 2
    assert [p.state for p in report.processed] == ["failed", "processed"]
    assert set(order_rows(hub, CHANNEL)) == {"8002"}
    assert statuses(fake.orders["8001"]) == ["Created", "Created"], "Walmart must not believe it was accepted"
    assert len(api.calls("POST", "/v3/orders/8001/acknowledge")) == 0
    assert statuses(fake.orders["8002"]) == ["Acknowledged", "Acknowledged"]


def test_a_new_ship_to_address_is_a_new_revision_for_the_warehouse(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], tmp_path: Path
) -> None:
    fake, _ = walmart
    fake.put(example("8101"))
    assert poll(hub, "walmart-us", "me").received == 1
    drain(hub)
    fake.orders["8101"]["shippingInfo"]["postalAddress"]["address1"] = "200 Other Street"
    fake.put(fake.orders["8101"])
    report = poll(hub, "walmart-us", "me")
    assert report.received == 1, "not 'already stored': the content changed though Walmart moved no time"
    drain(hub)
    row = order_rows(hub, CHANNEL)["8101"]
    assert row.revision == 2 and "200 Other Street" in row.data
    (newest,) = [f for f in warehouse_files(tmp_path) if "-r2" in f.name]
    assert "200 Other Street" in newest.read_text()


def test_a_line_cancelled_at_walmart_reaches_the_warehouse_without_it(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], tmp_path: Path
) -> None:
    fake, _ = walmart
    order = example("8201")
    first = order["orderLines"]["orderLine"][0]
    first["orderLineStatuses"]["orderLineStatus"] = [
        {"status": "Created", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "1"}},
        {"status": "Cancelled", "statusQuantity": {"unitOfMeasurement": "EACH", "amount": "1"}},
    ]
    fake.put(order)
    assert poll(hub, "walmart-us", "me").received == 1
    drain(hub)
    (sent,) = warehouse_files(tmp_path)
    lines = json.loads(sent.read_text())["lines"]
    assert [(x["line_number"], x["quantity"]) for x in lines] == [("1", "1"), ("2", "1")]
    assert lines[0]["notes"] == ["1 of 2 cancelled at Walmart"]


def test_two_stores_with_the_same_purchase_order_id_stay_two_orders(
    tmp_path: Path, store_url: str, walmart: tuple[FakeWalmart, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = walmart
    source = {"type": "walmart", "url": api.url, "client_id": "${WM_ID}", "client_secret": "${WM_SECRET}"}
    cfg = channel_config(tmp_path, store_url, "walmart-us", source)
    cfg["sources"]["walmart-two"] = dict(cfg["sources"]["walmart-us"])
    fake.put(example("8301"))
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as two:
        assert poll(two, "walmart-us", "me").received == 1
        assert poll(two, "walmart-two", "me").received == 1
        with two.store.transaction() as conn:
            found = conn.execute(select(orders.c.partner).where(orders.c.external_id == "8301")).scalars().all()
    assert sorted(found) == ["walmart-two", "walmart-us"]


def test_a_shipment_of_two_packages_goes_back_line_by_line_under_each_packages_tracking(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], tmp_path: Path
) -> None:
    fake, api = walmart
    order = example("8401")
    first = order["orderLines"]["orderLine"][0]
    first["orderLineQuantity"]["amount"] = "3"
    first["orderLineStatuses"]["orderLineStatus"][0]["statusQuantity"]["amount"] = "3"
    fake.put(order)
    assert poll(hub, "walmart-us", "me").received == 1
    drain(hub)
    shipment = {
        "shipment_id": "WH-2P",
        "ship_date": dt.date.today().isoformat(),
        "carrier_scac": "UPSN",
        "tracking_numbers": ["1ZFIRST", "1ZSECOND"],
        "orders": [
            {
                "po_number": "8401",
                "packages": [
                    {"tracking_number": "1ZFIRST", "lines": [{"line_number": "1", "quantity": 2}]},
                    {
                        "tracking_number": "1ZSECOND",
                        "lines": [{"line_number": "1", "quantity": 1}, {"line_number": "2", "quantity": 1}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "shipped" / "WH-2P.json").write_text(json.dumps(shipment))
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    drain(hub)
    sent = []
    for call in api.calls("POST", "/v3/orders/8401/shipping"):
        (line,) = call.json()["orderShipment"]["orderLines"]["orderLine"]
        (status,) = line["orderLineStatuses"]["orderLineStatus"]
        sent.append((line["lineNumber"], status["statusQuantity"]["amount"], status["trackingInfo"]["trackingNumber"]))
    assert sent == [("1", "2", "1ZFIRST"), ("1", "1", "1ZSECOND"), ("2", "1", "1ZSECOND")]
    assert statuses(fake.orders["8401"]) == ["Shipped", "Shipped", "Shipped"]
    assert sent_fulfilments(hub) == 1


def test_an_operator_cancel_goes_back_to_walmart_as_cancelled_lines(
    hub: Hub, walmart: tuple[FakeWalmart, FakeApi], tmp_path: Path
) -> None:
    fake, api = walmart
    fake.put(example("8501"))
    assert poll(hub, "walmart-us", "me").received == 1
    drain(hub)
    said = cancel_order(hub, "8501", source=None, lines=None, reason="out_of_stock")
    assert "walmart-us" in said
    drain(hub)
    (call,) = api.calls("POST", "/v3/orders/8501/cancel")
    cancelled = call.json()["orderCancellation"]["orderLines"]["orderLine"]
    assert [
        (x["lineNumber"], x["orderLineStatuses"]["orderLineStatus"][0]["statusQuantity"]["amount"]) for x in cancelled
    ] == [
        ("1", "2"),
        ("2", "1"),
    ]
    assert statuses(fake.orders["8501"]) == ["Cancelled", "Cancelled"]
    fake.put(fake.orders["8501"])
    poll(hub, "walmart-us", "me")
    drain(hub)
    assert order_rows(hub, CHANNEL)["8501"].status == "cancelled"
    assert len(api.calls("POST", "/v3/orders/8501/cancel")) == 1, "told once"
