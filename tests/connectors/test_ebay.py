"""The eBay connector against a mocked API (respx): the OAuth tokens it asks for and keeps, the window and pages it
reads, its checkpoint, how each answer maps to an outcome, the notification challenge, signatures checked with
eBay's own SDK test vectors (tests/data/fixtures/ebay, unchanged), and fulfilments sent once."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from crossdock.connectors import ebay as connector
from crossdock.connectors import ebay_client, throttle
from crossdock.connectors.channel import Expiring
from crossdock.connectors.ebay import EbaySource, challenge_response, webhook_order_id
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.ebay_sink import EbaySink
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.ports import Outbound
from tests.conftest import FIXTURES
from tests.connectors.channels import as_outbound, assert_reads_back, read

API = "https://api.ebay.test"
TOKEN = f"{API}/identity/v1/oauth2/token"
ORDERS = f"{API}/sell/fulfillment/v1/order"
KEY_URL = f"{API}/commerce/notification/v1/public_key/"
VECTORS: dict[str, Any] = json.loads((FIXTURES / "ebay" / "notification-signature-test-vectors.json").read_text())
ENDPOINT = "https://hub.example.test/webhooks/ebay"


@pytest.fixture(autouse=True)
def throttle_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What a throttled call waited, instead of sleeping it."""
    waits: list[float] = []
    monkeypatch.setattr(throttle, "_sleep", waits.append)
    return waits


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()
    yield
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> EbaySourceConfig:
    for var, value in (
        ("EBAY_ID", "App-ID-1"),
        ("EBAY_SECRET", "cert-secret-1"),
        ("EBAY_REFRESH", "v^1.1#refresh-secret"),
        ("EBAY_VERIFY", "verification-token-0123456789-abcdefghij"),
    ):
        monkeypatch.setenv(var, value)
    return EbaySourceConfig(
        type="ebay",
        url=API,
        token_url=TOKEN,
        client_id="${EBAY_ID}",
        client_secret="${EBAY_SECRET}",
        refresh_token="${EBAY_REFRESH}",
        webhook_secret="${EBAY_VERIFY}",
        endpoint_url=ENDPOINT,
        page_size=2,
    )


SECRETS = ("cert-secret-1", "v^1.1#refresh-secret", "user-token-1", "app-token-1")


def token_answer(request: httpx.Request) -> httpx.Response:
    form = parse_qs(request.content.decode())
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"App-ID-1:cert-secret-1").decode()
    if form["grant_type"] == ["refresh_token"]:
        assert form["refresh_token"] == ["v^1.1#refresh-secret"]
        assert form["scope"] == ["https://api.ebay.com/oauth/api_scope/sell.fulfillment"]
        return httpx.Response(200, json={"access_token": "user-token-1", "expires_in": 7200, "token_type": "User"})
    assert form == {"grant_type": ["client_credentials"], "scope": ["https://api.ebay.com/oauth/api_scope"]}
    return httpx.Response(200, json={"access_token": "app-token-1", "expires_in": 7200, "token_type": "Application"})


def order(order_id: str, modified: str) -> dict[str, Any]:
    return {"orderId": order_id, "lastModifiedDate": modified, "pricingSummary": {"total": {"value": "9.10"}}}


def test_every_page_is_read_by_next_and_only_the_last_order_carries_the_checkpoint(config: EbaySourceConfig) -> None:
    source = EbaySource("ebay", config)
    source.since = "2026-11-20T10:00:00.000Z"
    pages = [
        httpx.Response(
            200,
            json={
                "total": 3,
                "orders": [order("A-1", "2026-11-21T09:00:00.000Z"), order("A-2", "2026-11-22T07:00:00.250Z")],
                "next": f"{ORDERS}?filter=x&limit=2&offset=2",
            },
        ),
        httpx.Response(200, json={"total": 3, "orders": [order("A-3", "2026-11-21T12:00:00.000Z")]}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN).mock(side_effect=token_answer)
        route = mock.get(ORDERS).mock(side_effect=pages)
        items = read(source)
    first = route.calls[0].request
    window = first.url.params["filter"]
    assert window.startswith("lastmodifieddate:[2026-11-20T09:55:00.000Z..") and window.endswith("Z]")
    assert b"%5B" in first.url.raw_path and b"%5D" in first.url.raw_path, "the brackets are percent-encoded"
    assert [c.request.url.params["offset"] for c in route.calls] == ["0", "2"]
    assert first.url.params["limit"] == "2"
    assert first.headers["Authorization"] == "Bearer user-token-1"
    assert token.call_count == 1, "one token for the whole poll"
    assert [i.identity for i in items] == [
        "ebay:A-1:2026-11-21T09:00:00.000Z",
        "ebay:A-2:2026-11-22T07:00:00.250Z",
        "ebay:A-3:2026-11-21T12:00:00.000Z",
    ]
    assert [i.checkpoint for i in items] == [None, None, "2026-11-22T07:00:00.250Z"], "the window's latest change"
    assert json.loads(items[0].data)["pricingSummary"]["total"]["value"] == "9.10"


def test_the_first_poll_reads_back_first_sync_and_an_old_checkpoint_is_cut_to_ninety_days(
    config: EbaySourceConfig,
) -> None:
    def start(source: EbaySource) -> dt.datetime:
        ebay_client.TOKENS.clear()
        with respx.mock(assert_all_called=True) as mock:
            mock.post(TOKEN).mock(side_effect=token_answer)
            route = mock.get(ORDERS).mock(return_value=httpx.Response(200, json={"total": 0, "orders": []}))
            assert read(source) == []
        text = route.calls[0].request.url.params["filter"].removeprefix("lastmodifieddate:[").split("..")[0]
        return dt.datetime.fromisoformat(text)

    now = dt.datetime.now(dt.UTC)
    assert_reads_back(start(EbaySource("ebay", config)), now=now)
    old = EbaySource("ebay", config)
    old.since = "2026-01-01T00:00:00.000Z"
    assert old.since < (now - dt.timedelta(days=90)).isoformat()
    assert_reads_back(start(old), dt.timedelta(days=90, hours=-1), now, "eBay's 90-day limit")


def test_tokens_are_kept_until_shortly_before_they_expire_and_renewed_once_on_401(config: EbaySourceConfig) -> None:
    issued: list[str] = []

    def tokens(request: httpx.Request) -> httpx.Response:
        issued.append(f"user-token-{len(issued) + 1}")
        return httpx.Response(200, json={"access_token": issued[-1], "expires_in": 7200})

    def orders(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] != f"Bearer {issued[-1]}":
            return httpx.Response(401, json={"errors": [{"errorId": 1001, "message": "Invalid access token"}]})
        return httpx.Response(200, json={"orders": []})

    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=tokens)
        route = mock.get(ORDERS).mock(side_effect=orders)
        read(EbaySource("ebay", config))
        read(EbaySource("ebay", config))
        assert issued == ["user-token-1"], "a new source (the hub builds one per poll) uses the cached token"
        issued.append("user-token-revoked-by-ebay")  # eBay now accepts only a token we do not hold
        read(EbaySource("ebay", config))
        assert issued[-1] == "user-token-3", "the 401 renewed the token and the call was made again"
        assert [c.response.status_code for c in route.calls] == [200, 200, 401, 200]


def test_a_token_about_to_expire_is_renewed_before_use(config: EbaySourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN).mock(
            return_value=httpx.Response(200, json={"access_token": "user-token-1", "expires_in": 30})
        )
        mock.get(ORDERS).mock(return_value=httpx.Response(200, json={"orders": []}))
        read(EbaySource("ebay", config))
        read(EbaySource("ebay", config))
    assert token.call_count == 2, "30 s left is inside the minute's margin: not reused"


def test_a_refused_refresh_token_and_a_second_401_are_permanent_and_no_secret_shows(config: EbaySourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(
            return_value=httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "the refresh token is invalid"}
            )
        )
        with pytest.raises(PermanentError) as caught:
            read(EbaySource("ebay", config))
    assert "400 Bad Request: invalid_grant the refresh token is invalid" in str(caught.value)
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(ORDERS).mock(return_value=httpx.Response(401, json={"errors": [{"errorId": 1100, "message": "No"}]}))
        with pytest.raises(PermanentError) as second:
            read(EbaySource("ebay", config))
    assert token.call_count == 2 and "401 Unauthorized: 1100 No" in str(second.value)
    for error in (caught.value, second.value):
        assert not any(secret in str(error) for secret in SECRETS)


@pytest.mark.parametrize(
    ("answer", "error", "said"),
    [
        (
            httpx.Response(429, json={"errors": [{"errorId": 2001, "message": "Too many requests"}]}),
            TransientError,
            "429",
        ),
        (httpx.Response(503, text="<html>down</html>", headers={"Retry-After": "7"}), TransientError, "503"),
        (httpx.Response(200, text="<html>maintenance</html>"), TransientError, "not JSON"),
        (
            httpx.Response(
                400, json={"errors": [{"errorId": 30700, "message": "short", "longMessage": "The filter is invalid."}]}
            ),
            PermanentError,
            "400 Bad Request: 30700 The filter is invalid.",
        ),
        (httpx.Response(200, json={"total": 0}), TransientError, "has no orders list"),
    ],
)
def test_answers_map_to_outcomes_and_no_secret_shows(
    config: EbaySourceConfig, answer: httpx.Response, error: type[Exception], said: str
) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(ORDERS).mock(return_value=answer)
        with pytest.raises(error) as caught:
            read(EbaySource("ebay", config))
    assert said in str(caught.value)
    assert not any(secret in str(caught.value) for secret in SECRETS)
    if answer.headers.get("Retry-After"):
        assert getattr(caught.value, "retry_after", None) == 7.0


def test_one_order_by_id(config: EbaySourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(f"{ORDERS}/12-34567-89012").mock(
            return_value=httpx.Response(200, json=order("12-34567-89012", "2026-11-22T07:00:00.000Z"))
        )
        mock.get(f"{ORDERS}/nope").mock(return_value=httpx.Response(404, json={"errors": [{"errorId": 32100}]}))
        item = EbaySource("ebay", config).order("12-34567-89012")
        with pytest.raises(PermanentError, match="404"):
            EbaySource("ebay", config).order("nope")
    assert item.identity == "ebay:12-34567-89012:2026-11-22T07:00:00.000Z" and item.checkpoint is None


def test_the_subscription_challenge(config: EbaySourceConfig) -> None:
    source = EbaySource("ebay", config)
    expected = hashlib.sha256(
        ("a8628072-3d33-45ee-9004-bee86830a22d" + "verification-token-0123456789-abcdefghij" + ENDPOINT).encode()
    ).hexdigest()
    answer = source.webhook_challenge({"challenge_code": "a8628072-3d33-45ee-9004-bee86830a22d"})
    assert answer == {"challengeResponse": expected}
    assert challenge_response("a", "b", "c") == hashlib.sha256(b"abc").hexdigest()
    assert source.webhook_challenge({}) is None and source.webhook_challenge({"challenge_code": ""}) is None


def signed(case: str, *, pretty: bool = False) -> tuple[bytes, dict[str, str]]:
    """A vector's message as eBay posts it (compact JSON, which is what its SDK verifies) and its header."""
    message = VECTORS[case]["message"]
    body = json.dumps(message, indent=2) if pretty else json.dumps(message, separators=(",", ":"))
    return body.encode(), {"x-ebay-signature": VECTORS[case]["signature"]}


def key_service(case: str) -> httpx.Response:
    """What eBay's SDK tests mock the key service with: the case's ``response``, or a 500 when it is null."""
    found = VECTORS[case]["response"]
    return httpx.Response(200, json=found) if found is not None else httpx.Response(500, json={"errors": []})


KID = json.loads(base64.b64decode(VECTORS["VALID"]["signature"]))["kid"]
PUBLISHED = dt.datetime(2021, 3, 19, 20, 43, 59, 679000, tzinfo=dt.UTC)  # the vectors' publishDate


@pytest.fixture(autouse=True)
def vectors_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner's vectors were published in 2021: verified as if they had just arrived."""
    monkeypatch.setattr(connector, "_now", lambda: PUBLISHED + dt.timedelta(seconds=30))


@pytest.mark.parametrize(("case", "verified"), [("VALID", True), ("INVALID", False), ("SIGNATURE_MISMATCH", False)])
def test_the_owners_signature_vectors(
    config: EbaySourceConfig, case: str, verified: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, headers = signed(case)
    published = dt.datetime.fromisoformat(VECTORS[case]["message"]["notification"]["publishDate"])
    monkeypatch.setattr(connector, "_now", lambda: published + dt.timedelta(seconds=30))
    with respx.mock(assert_all_called=True) as mock:
        token = mock.post(TOKEN).mock(side_effect=token_answer)
        key = mock.get(f"{KEY_URL}{KID}").mock(return_value=key_service(case))
        assert EbaySource("ebay", config).verify_webhook(body, headers) is verified
        assert EbaySource("ebay", config).verify_webhook(body, headers) is verified
    assert key.call_count == 1, "the key is kept (an hour), across sources"
    assert key.calls[0].request.headers["Authorization"] == "Bearer app-token-1", "an application token"
    assert parse_qs(token.calls[0].request.content.decode())["grant_type"] == ["client_credentials"]


def test_a_validly_signed_notification_published_over_five_minutes_ago_is_refused_without_a_key_call(
    config: EbaySourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, headers = signed("VALID")
    monkeypatch.setattr(connector, "_now", lambda: PUBLISHED + dt.timedelta(minutes=5, seconds=1))
    with respx.mock(assert_all_called=False) as mock:
        key = mock.get(f"{KEY_URL}{KID}").mock(return_value=key_service("VALID"))
        assert EbaySource("ebay", config).verify_webhook(body, headers) is False, "a kept notification replayed"
        monkeypatch.setattr(connector, "_now", lambda: PUBLISHED - dt.timedelta(minutes=5, seconds=1))
        assert EbaySource("ebay", config).verify_webhook(body, headers) is False, "one dated ahead"
    assert key.call_count == 0, "refused before eBay is asked for its key"


def test_the_error_vector_is_transient_so_the_server_answers_503(config: EbaySourceConfig) -> None:
    body, headers = signed("ERROR")
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(f"{KEY_URL}{KID}").mock(return_value=key_service("ERROR"))
        with pytest.raises(TransientError, match="500"):
            EbaySource("ebay", config).verify_webhook(body, headers)


def test_a_reformatted_body_verifies_as_the_sdk_does_and_bad_headers_do_not(config: EbaySourceConfig) -> None:
    body, headers = signed("VALID", pretty=True)
    source = EbaySource("ebay", config)
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(f"{KEY_URL}{KID}").mock(return_value=key_service("VALID"))
        assert source.verify_webhook(body, headers), "verified over JSON.stringify(message), like eBay's SDK"
    header = json.loads(base64.b64decode(VECTORS["VALID"]["signature"]))
    for bad in (
        {},
        {"x-ebay-signature": "not base64!"},
        {"x-ebay-signature": base64.b64encode(b"[1]").decode()},
        {"x-ebay-signature": base64.b64encode(json.dumps(header | {"alg": "rsa"}).encode()).decode()},
        {"x-ebay-signature": base64.b64encode(json.dumps(header | {"digest": "MD5"}).encode()).decode()},
    ):
        assert source.verify_webhook(body, bad) is False, bad


def test_an_unknown_key_id_is_not_verified(config: EbaySourceConfig) -> None:
    body, _ = signed("VALID")
    header = json.loads(base64.b64decode(VECTORS["VALID"]["signature"])) | {"kid": "forged-kid"}
    forged = {"x-ebay-signature": base64.b64encode(json.dumps(header).encode()).decode()}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        unknown = httpx.Response(404, json={"errors": [{"errorId": 195001}]})
        lookup = mock.get(f"{KEY_URL}forged-kid").mock(return_value=unknown)
        for _ in range(5):
            assert EbaySource("ebay", config).verify_webhook(body, forged) is False
    assert lookup.call_count == 1, "a key id eBay does not know is remembered: forging again costs no call"


def test_unknown_key_ids_are_forgotten_in_time_and_bounded() -> None:
    now = [0.0]
    unknown: Expiring[bool] = Expiring(clock=lambda: now[0], limit=3)
    for kid in ("a", "b", "c", "d"):
        unknown.put(kid, True, connector.UNKNOWN_KEY_TTL)
    assert [unknown.get(kid) for kid in "abcd"] == [None, True, True, True], "past the limit the oldest goes"
    now[0] = connector.UNKNOWN_KEY_TTL + 1
    assert unknown.get("d") is None, "asked again after the while"


def test_only_order_topics_name_an_order() -> None:
    body, _ = signed("VALID")
    assert webhook_order_id(body) is None, "MARKETPLACE_ACCOUNT_DELETION is about a user, not an order"
    note: dict[str, Any] = {
        "metadata": {"topic": "ORDER_CONFIRMATION", "schemaVersion": "1.0", "deprecated": False},
        "notification": {"notificationId": "n-1", "data": {"orderId": "12-34567-89012"}},
    }
    assert webhook_order_id(json.dumps(note).encode()) == "12-34567-89012"
    note["metadata"]["topic"] = "ITEM_AVAILABILITY"
    assert webhook_order_id(json.dumps(note).encode()) is None
    assert webhook_order_id(b"not json") is None and webhook_order_id(b"[]") is None


def fulfilment(numbers: list[str] | None = None, order_id: str | None = "12-34567-89012") -> Outbound:
    data = Fulfilment(
        channel="ebay",
        partner="ebay",
        po_number="12-34567-89012",
        external_id=order_id,
        shipment_id="WH-1",
        ship_date=dt.date(2026, 11, 22),
        carrier_scac="USPS",
        tracking_numbers=["9400100000000000000001"] if numbers is None else numbers,
        lines=[FulfilmentLine(line_number="10000000000001", quantity=Decimal(2))],
    )
    return as_outbound(data)


def test_a_fulfilment_is_posted_once_and_a_repeated_send_finds_it(config: EbaySourceConfig) -> None:
    sink = EbaySink("ebay", config)
    made: list[dict[str, Any]] = []
    path = f"{ORDERS}/12-34567-89012/shipping_fulfillment"

    def post(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        made.append(
            {
                "fulfillmentId": body["trackingNumber"],
                "shipmentTrackingNumber": body["trackingNumber"],
                "lineItems": body["lineItems"],
            }
        )
        return httpx.Response(201, headers={"Location": f"{path}/{body['trackingNumber']}"})

    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(path).mock(side_effect=lambda request: httpx.Response(200, json={"fulfillments": made}))
        posted = mock.post(path).mock(side_effect=post)
        assert sink.send(fulfilment()) == "ebay order 12-34567-89012: fulfillment 9400100000000000000001"
        again = sink.send(fulfilment())
    sink.close()
    assert "(already there)" in again and posted.call_count == 1
    assert json.loads(posted.calls[0].request.content) == {
        "lineItems": [{"lineItemId": "10000000000001", "quantity": 2}],
        "shippedDate": "2026-11-22T00:00:00.000Z",
        "shippingCarrierCode": "USPS",
        "trackingNumber": "9400100000000000000001",
    }


def test_without_tracking_the_same_lines_already_shipped_are_not_sent_again(config: EbaySourceConfig) -> None:
    path = f"{ORDERS}/12-34567-89012/shipping_fulfillment"
    there = {"fulfillments": [{"fulfillmentId": "999", "lineItems": [{"lineItemId": "10000000000001", "quantity": 2}]}]}
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.get(path).mock(return_value=httpx.Response(200, json=there))
        answer = EbaySink("ebay", config).send(fulfilment(numbers=[]))
    assert answer == "ebay order 12-34567-89012: fulfillment 999 (already there)"


def test_a_fulfilment_ebay_cannot_take_is_permanent_before_any_call(config: EbaySourceConfig) -> None:
    sink = EbaySink("ebay", config)
    with respx.mock(assert_all_called=True):
        with pytest.raises(PermanentError, match="2 tracking numbers"):
            sink.send(fulfilment(numbers=["A1", "B2"]))
        with pytest.raises(PermanentError, match="has no eBay order id"):
            sink.send(fulfilment(order_id=None))
        with pytest.raises(PermanentError, match="is not a Fulfilment"):
            sink.send(Outbound(name="x.json", data=b"{}", idempotency_key="k"))
