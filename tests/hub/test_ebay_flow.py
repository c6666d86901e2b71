"""An eBay seller account end to end against a fake of its APIs on 127.0.0.1 (OAuth token endpoint, Sell
Fulfillment, the Notification API's key service), built from our own order payload (eBay publishes none under an
open licence: tests/cases/channels/ebay/order.json, written from the documented fields): two pages of orders,
an update and a cancellation among them, each stored once, routed to a warehouse folder; the warehouse's
shipment goes back as a shipping fulfilment, once; eBay's endpoint challenge, its signed notifications (the
owner's test vectors unchanged, and an order notification signed with a key of our own) through crossdock's
server; 429s, an expired token and a refused refresh token."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from crossdock.connectors import ebay as connector
from crossdock.connectors import ebay_client, throttle
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from tests.conftest import CASES, FIXTURES
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import (
    assert_repoll_quiet_and_cancel_sent,
    assert_routed_once_paid,
    assert_waits_unrouted,
    channel_config,
    channel_hub,
    drain,
    failing_source,
    order_rows,
    sent_fulfilments,
    served,
    ship_back,
    warehouse_files,
    webhook_url,
)

CLIENT_ID, CLIENT_SECRET, REFRESH, VERIFY = (
    "App-ID-1",
    "cert-secret-1",
    "v^1.1#refresh",
    "verify-token-0123456789abcdef",
)
ENVIRONMENT = {
    "EBAY_CLIENT_ID": CLIENT_ID,
    "EBAY_CLIENT_SECRET": CLIENT_SECRET,
    "EBAY_REFRESH_TOKEN": REFRESH,
    "EBAY_VERIFICATION_TOKEN": VERIFY,
}
CHANNEL = "ebay"
ENDPOINT = "https://hub.example.test/webhooks/ebay"
EXAMPLE = json.loads((CASES / "channels" / "ebay" / "order.json").read_text())
VECTORS: dict[str, Any] = json.loads((FIXTURES / "ebay" / "notification-signature-test-vectors.json").read_text())
ORDERS = "/sell/fulfillment/v1/order"
TRACKING = "9400100000000000000001"
NOW = dt.datetime.now(dt.UTC)
VECTORS_PUBLISHED = dt.datetime(2021, 3, 19, 20, 43, 59, 679000, tzinfo=dt.UTC)  # the test vectors' publishDate


@pytest.fixture(autouse=True)
def throttle_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What a throttled call waited, instead of sleeping it."""
    waits: list[float] = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    return waits


def stamp(days_ago: float, minutes: float = 0) -> str:
    moment = NOW - dt.timedelta(days=days_ago) + dt.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def example(n: int, modified: str, **changes: Any) -> dict[str, Any]:
    """Our example order under another id, created ``n`` minutes after five days ago, changed at ``modified``."""
    order: dict[str, Any] = copy.deepcopy(EXAMPLE)
    order.update(orderId=f"12-00000-{n:05d}", creationDate=stamp(5, minutes=n), lastModifiedDate=modified, **changes)
    for i, line in enumerate(order["lineItems"]):
        line["lineItemId"] = f"{n}{i:04d}"
    return order


class FakeEbay:
    """Orders by id, listed by ``lastmodifieddate`` window and offset like getOrders; tokens that can be revoked
    (as when they expire); shipping fulfilments; notification keys by id."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.fulfillments: dict[str, list[dict[str, Any]]] = {}
        self.keys: dict[str, dict[str, str]] = {}
        self.valid: set[str] = set()
        self.issued = 0
        self.refuse_refresh = False
        self.key_service_down = False

    def serve(self, api: FakeApi) -> None:
        api.route("POST", "/identity/v1/oauth2/token", self._token)
        api.route("GET", ORDERS, self._get)
        api.route("POST", ORDERS, self._post_fulfillment)
        api.route("GET", "/commerce/notification/v1/public_key/", self._key)

    def revoke(self) -> None:
        """Every token issued so far stops working, as when it expires."""
        self.valid.clear()

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(request.body.decode())
        if request.headers.get("authorization") != expected:
            return Response(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        if form["grant_type"] == ["refresh_token"] and (self.refuse_refresh or form["refresh_token"] != [REFRESH]):
            return Response(400, {"error": "invalid_grant", "error_description": "the refresh token is invalid"})
        self.issued += 1
        token = f"{form['grant_type'][0]}-{self.issued}"
        self.valid.add(token)
        return Response(200, {"access_token": token, "expires_in": 7200, "token_type": "User"})

    def _denied(self, request: Request, kind: str = "refresh_token") -> Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.valid or not token.startswith(kind):
            return Response(401, {"errors": [{"errorId": 1001, "message": "Invalid access token"}]})
        return None

    def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        rest = request.path.removeprefix(ORDERS).strip("/")
        if rest.endswith("/shipping_fulfillment"):
            found = self.fulfillments.get(rest.split("/")[0], [])
            return Response(200, {"fulfillments": found, "total": len(found)})
        if rest:
            order = self.orders.get(rest)
            return Response(200, order) if order else Response(404, {"errors": [{"errorId": 32100}]})
        window = request.query["filter"][0]
        assert window.startswith("lastmodifieddate:[") and window.endswith("]")
        start, end = window.removeprefix("lastmodifieddate:[").removesuffix("]").split("..")
        chosen = sorted(
            (o for o in self.orders.values() if start <= o["lastModifiedDate"] <= end), key=lambda o: o["creationDate"]
        )
        limit, offset = int(request.query["limit"][0]), int(request.query["offset"][0])
        page: dict[str, Any] = {"total": len(chosen), "orders": chosen[offset : offset + limit]}
        if offset + limit < len(chosen):
            page["next"] = f"https://api.ebay.example{ORDERS}?limit={limit}&offset={offset + limit}"
        return Response(200, page)

    def _post_fulfillment(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        order_id = request.path.removeprefix(ORDERS).strip("/").split("/")[0]
        body = request.json()
        made = {
            "fulfillmentId": body.get("trackingNumber", "999"),
            "shipmentTrackingNumber": body.get("trackingNumber"),
            "shippingCarrierCode": body.get("shippingCarrierCode"),
            "lineItems": body["lineItems"],
        }
        self.fulfillments.setdefault(order_id, []).append(made)
        return Response(201, None, {"Location": f"https://api.ebay.example{request.path}/{made['fulfillmentId']}"})

    def _key(self, request: Request) -> Response:
        if denied := self._denied(request, "client_credentials"):
            return denied
        if self.key_service_down:
            return Response(500, {"errors": [{"errorId": 195000, "message": "There was a problem"}]})
        found = self.keys.get(request.path.rsplit("/", 1)[-1])
        return Response(200, found) if found else Response(404, {"errors": [{"errorId": 195001}]})


@pytest.fixture
def ebay() -> Iterator[tuple[FakeEbay, FakeApi]]:
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()
    yield from served(FakeEbay())
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()


def config(tmp_path: Path, store_url: str, url: str) -> dict[str, Any]:
    source = {
        "type": "ebay",
        "url": url,
        "token_url": f"{url}/identity/v1/oauth2/token",
        "client_id": "${EBAY_CLIENT_ID}",
        "client_secret": "${EBAY_CLIENT_SECRET}",
        "refresh_token": "${EBAY_REFRESH_TOKEN}",
        "webhook_secret": "${EBAY_VERIFICATION_TOKEN}",
        "endpoint_url": ENDPOINT,
        "page_size": 2,
    }
    return channel_config(tmp_path, store_url, "ebay", source)


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, ebay: tuple[FakeEbay, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, ebay[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def test_orders_in_over_two_pages_stored_once_updated_cancelled_routed_and_fulfilled_back(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], tmp_path: Path
) -> None:
    fake, api = ebay
    ids = []
    for i, n in enumerate((1, 2, 3)):
        order = example(n, stamp(3 - i))
        fake.orders[order["orderId"]] = order
        ids.append(order["orderId"])
    report = poll(hub, "ebay", "me")
    assert report.error is None and report.received == 3
    assert len(api.calls("GET", ORDERS)) == 2, "three orders, two to a page, the second page by next"
    assert set(order_rows(hub, CHANNEL)) == set(ids)
    drain(hub)
    assert len(warehouse_files(tmp_path)) == 3

    checkpoint = fake.orders[ids[2]]["lastModifiedDate"]
    fake.orders[ids[1]].update(buyerCheckoutNotes="leave at the door", lastModifiedDate=stamp(0, minutes=-30))
    fake.orders[ids[2]]["cancelStatus"] = {"cancelState": "CANCELED", "cancelledDate": stamp(0, minutes=-20)}
    fake.orders[ids[2]]["lastModifiedDate"] = stamp(0, minutes=-20)
    report = poll(hub, "ebay", "me")
    assert report.error is None and report.received == 2, "only what changed since the checkpoint (less overlap)"
    second = api.calls("GET", ORDERS)[2].query["filter"][0]
    expected_start = dt.datetime.fromisoformat(checkpoint) - dt.timedelta(minutes=5)
    assert second.startswith(f"lastmodifieddate:[{connector._stamp(expected_start)}.."), "checkpoint less overlap"
    rows = order_rows(hub, CHANNEL)
    assert len(rows) == 3, "an update and a cancellation never make a second order"
    assert (rows[ids[1]].revision, rows[ids[2]].status) == (2, "cancelled")
    assert_repoll_quiet_and_cancel_sent(hub, tmp_path, "ebay")
    assert fake.issued == 1, "one user token for every poll"

    line = fake.orders[ids[0]]["lineItems"][0]
    lines = {line["lineItemId"]: line["quantity"]}
    ship_back(hub, tmp_path, ids[0], lines, ship_date=NOW.date().isoformat(), carrier_scac="USPS", tracking=TRACKING)
    (made,) = fake.fulfillments[ids[0]]
    assert made == {
        "fulfillmentId": "9400100000000000000001",
        "shipmentTrackingNumber": "9400100000000000000001",
        "shippingCarrierCode": "USPS",
        "lineItems": [{"lineItemId": line["lineItemId"], "quantity": 2}],
    }
    assert sent_fulfilments(hub) == 1


def own_key() -> tuple[ec.EllipticCurvePrivateKey, dict[str, str]]:
    """A P-256 key of our own, served like eBay's (PEM on one line), to sign an order notification."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = f"-----BEGIN PUBLIC KEY-----{base64.b64encode(der).decode()}-----END PUBLIC KEY-----"
    return private, {"key": pem, "algorithm": "ECDSA", "digest": "SHA1"}


def test_the_challenge_and_signed_notifications_through_the_server(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = ebay
    real_now = connector._now
    monkeypatch.setattr(connector, "_now", lambda: VECTORS_PUBLISHED + dt.timedelta(minutes=1))
    order = example(7, stamp(1))
    fake.orders[order["orderId"]] = order
    owners_kid = json.loads(base64.b64decode(VECTORS["VALID"]["signature"]))["kid"]
    private, served = own_key()
    fake.keys["crossdock-test-kid"] = served
    with webhook_url(hub, "ebay") as url:
        challenge = httpx.get(url, params={"challenge_code": "a8628072-3d33-45ee-9004-bee86830a22d"})
        expected = hashlib.sha256(f"a8628072-3d33-45ee-9004-bee86830a22d{VERIFY}{ENDPOINT}".encode()).hexdigest()
        assert challenge.status_code == 200 and challenge.json() == {"challengeResponse": expected}
        assert httpx.get(url).status_code == 400, "not a challenge"

        def post(case: str) -> httpx.Response:
            body = json.dumps(VECTORS[case]["message"], separators=(",", ":")).encode()
            return httpx.post(url, content=body, headers={"X-EBAY-SIGNATURE": VECTORS[case]["signature"]})

        fake.key_service_down = True
        assert post("ERROR").status_code == 503, "the key cannot be fetched: eBay is asked to deliver again"
        fake.key_service_down = False
        fake.keys[owners_kid] = VECTORS["VALID"]["response"]
        valid = post("VALID")
        assert valid.status_code == 200 and "erased" in valid.json(), "verified: an account deletion notice"
        assert post("INVALID").status_code == 401 and post("SIGNATURE_MISMATCH").status_code == 401
        assert len(api.calls("GET", "/commerce/notification/v1/public_key/")) == 2, "the key is kept once fetched"
        monkeypatch.setattr(connector, "_now", lambda: VECTORS_PUBLISHED + dt.timedelta(minutes=6))
        assert post("VALID").status_code == 401, "eBay's own notification, kept and sent again 6 minutes later"
        monkeypatch.setattr(connector, "_now", real_now)

        note = {
            "metadata": {"topic": "ORDER_CONFIRMATION", "schemaVersion": "1.0", "deprecated": False},
            "notification": {
                "notificationId": "n-1",
                "eventDate": stamp(1),
                "publishDate": connector._stamp(dt.datetime.now(dt.UTC)),
                "publishAttemptCount": 1,
                "data": {"orderId": order["orderId"], "total": "1.00"},
            },
        }
        body = json.dumps(note, separators=(",", ":")).encode()
        signature = base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA1()))).decode()
        header = {"alg": "ecdsa", "kid": "crossdock-test-kid", "signature": signature, "digest": "SHA1"}
        signed = {"X-EBAY-SIGNATURE": base64.b64encode(json.dumps(header).encode()).decode()}
        assert httpx.post(url, content=body.replace(b"n-1", b"n-2"), headers=signed).status_code == 401, "altered"
        answer = httpx.post(url, content=body, headers=signed)
        assert answer.status_code == 202 and answer.json()["new"] is True
        replayed = httpx.post(url, content=body, headers=signed)
        assert replayed.json() == {"ignored": "answered already (the same delivery again)"}, "no read of eBay"
        other = body.replace(b"n-1", b"n-3")  # another notification about the same order
        signature = base64.b64encode(private.sign(other, ec.ECDSA(hashes.SHA1()))).decode()
        header |= {"signature": signature}
        resigned = {"X-EBAY-SIGNATURE": base64.b64encode(json.dumps(header).encode()).decode()}
        again = httpx.post(url, content=other, headers=resigned)
        assert again.json()["new"] is False, "the same order version is not stored twice"
        published = note["notification"]["publishDate"]
        old = other.replace(published.encode(), connector._stamp(NOW - dt.timedelta(minutes=6)).encode())
        signature = base64.b64encode(private.sign(old, ec.ECDSA(hashes.SHA1()))).decode()
        header |= {"signature": signature}
        kept = {"X-EBAY-SIGNATURE": base64.b64encode(json.dumps(header).encode()).decode()}
        assert httpx.post(url, content=old, headers=kept).status_code == 401, "signed, but published 6 minutes ago"
    (row,) = order_rows(hub, CHANNEL).values()
    assert json.loads(row.data)["total_amount"] == EXAMPLE["pricingSummary"]["total"]["value"], "the API's order"
    assert poll(hub, "ebay", "me").received == 0, "the poll finds the order the notification brought in"


def test_throttling_an_expired_token_and_a_refused_refresh_token(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], throttle_waits: list[float]
) -> None:
    fake, api = ebay
    first = example(31, stamp(2))
    fake.orders[first["orderId"]] = first
    assert poll(hub, "ebay", "me").received == 1
    second = example(32, stamp(1))
    fake.orders[second["orderId"]] = second
    api.fail_next(Response(429, {"errors": [{"errorId": 2001, "message": "Too many requests"}]}))
    report = poll(hub, "ebay", "me")
    assert report.error is None and report.received == 1, "a throttled poll waits and goes on"
    assert throttle_waits == [throttle.UNSAID], "eBay said no wait: a short one"
    throttled = Response(429, {"errors": [{"errorId": 2001, "message": "Too many requests"}]}, {"Retry-After": "20"})
    api.fail_next(*[throttled] * 10)
    fake.orders[second["orderId"]]["lastModifiedDate"] = stamp(0, minutes=-20)
    report = poll(hub, "ebay", "me")
    assert report.error is not None and "429" in report.error and report.received == 0, "past the budget: later"
    api.faults.clear()
    assert poll(hub, "ebay", "me").received == 1, "the next poll reads what the throttled one missed"
    assert fake.issued == 1

    fake.revoke()  # the token expires on eBay's side before crossdock thought it would
    third = example(33, stamp(0, minutes=-10))
    fake.orders[third["orderId"]] = third
    report = poll(hub, "ebay", "me")
    assert report.error is None and report.received == 1, "the 401 renewed the token and the call was made again"
    assert fake.issued == 2

    fake.revoke()
    fake.refuse_refresh = True
    report = poll(hub, "ebay", "me")
    assert report.error is not None and "400" in report.error and "invalid_grant" in report.error
    assert not any(secret in report.error for secret in (CLIENT_SECRET, REFRESH, "refresh_token-"))
    assert failing_source(hub) == "ebay"


def test_an_unpaid_order_waits_and_is_routed_once_paid(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], tmp_path: Path
) -> None:
    fake, _ = ebay
    order = example(51, stamp(1), orderPaymentStatus="PENDING")
    fake.orders[order["orderId"]] = order
    assert_waits_unrouted(hub, tmp_path, "ebay", CHANNEL, order["orderId"])
    order.update(orderPaymentStatus="PAID", lastModifiedDate=stamp(0, minutes=-5))
    assert_routed_once_paid(hub, tmp_path, "ebay", CHANNEL, order["orderId"])


def test_a_notification_is_fresh_within_five_minutes_of_its_publish_date_either_way() -> None:
    def body(published: object) -> bytes:
        return json.dumps({"metadata": {}, "notification": {"publishDate": published}}).encode()

    at = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    fresh = [at - dt.timedelta(minutes=5), at + dt.timedelta(minutes=5), at]
    assert all(connector.published_lately(body(connector._stamp(t)), at) for t in fresh)
    stale = [at - dt.timedelta(minutes=5, seconds=1), at + dt.timedelta(minutes=5, seconds=1)]
    assert not any(connector.published_lately(body(connector._stamp(t)), at) for t in stale)
    assert not any(connector.published_lately(b, at) for b in (body(None), body("yesterday"), b"{", b"[]"))
