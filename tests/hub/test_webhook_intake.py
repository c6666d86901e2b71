"""A channel's webhooks arriving many at once are stored and recorded in groups (``core/intake.py``): each order
once, whatever the grouping; a webhook delivered twice is one document and one order; a bad order in a group
fails alone, its raw bytes kept; a store that fails answers 503 so the channel sends again, and nothing answered
202 is ever missing. Against the fake Shopify of ``test_shopify_flow.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import crossdock.connectors.shopify_client as client
from crossdock import webhooks
from crossdock.connectors.channel import Expiring, order_inbound
from crossdock.core.hub import Hub
from crossdock.core.intake import Intake, Recorded, record_group
from crossdock.core.ports import Inbound
from crossdock.core.storage.schema import deliveries, documents
from crossdock.core.storage.store import Store
from tests.fakeapi import FakeApi
from tests.hub.channels import channel_hub, order_rows, served, webhook_url
from tests.hub.test_shopify_flow import CHANNEL, CLIENT_SECRET, ENVIRONMENT, FakeShop, config, example

WHEN = "2026-11-22T08:00:00Z"


@pytest.fixture
def fake_shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeShop, FakeApi]]:
    fake = FakeShop()

    def wait(seconds: float) -> None:
        fake.skipped += seconds

    monkeypatch.setattr(client, "sleep", wait)
    yield from served(fake)


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, fake_shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, fake_shop[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def webhook(order_id: int) -> tuple[bytes, dict[str, str]]:
    """An ``orders/create`` webhook for the order, signed as Shopify signs it."""
    body = json.dumps({"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}"}).encode()
    signature = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "orders/create"}


def post_at_once(url: str, order_ids: list[int]) -> list[httpx.Response]:
    """Each order's webhook posted from its own thread, all released together; the answers in the same order."""
    answers: list[httpx.Response | None] = [None] * len(order_ids)
    start = threading.Barrier(len(order_ids))

    def post(i: int) -> None:
        body, headers = webhook(order_ids[i])
        start.wait()
        answers[i] = httpx.post(url, content=body, headers=headers, timeout=60)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(order_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def count(hub: Hub, table: Any, *where: Any) -> int:
    with hub.store.transaction() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_fifty_webhooks_at_once_are_each_recorded_once(hub: Hub, fake_shop: tuple[FakeShop, FakeApi]) -> None:
    fake, _ = fake_shop
    ids = list(range(501, 551))
    for order_id in ids:
        fake.add(example(order_id, WHEN))
    with webhook_url(hub, "shop") as url:
        answers = post_at_once(url, ids)
    assert [a.status_code for a in answers] == [202] * 50
    assert [a.json()["order"] for a in answers] == [str(i) for i in ids], "each answer is about its own order"
    assert all(a.json()["new"] is True and a.json()["state"] == "processed" for a in answers)
    assert len({a.json()["document"] for a in answers}) == 50
    assert set(order_rows(hub, CHANNEL)) == {str(i) for i in ids}
    assert count(hub, documents, documents.c.endpoint == "shop") == 50, "each order's version stored once"
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 50, "each order routed once"


def test_a_webhook_delivered_twice_is_one_document_and_one_order(hub: Hub, fake_shop: tuple[FakeShop, FakeApi]) -> None:
    fake, _ = fake_shop
    fake.add(example(601, WHEN))
    with webhook_url(hub, "shop") as url:
        at_once = post_at_once(url, [601, 601, 601])
        body, headers = webhook(601)
        later = httpx.post(url, content=body, headers=headers)
    taken = [a for a in at_once if a.status_code == 202]
    ignored = [a for a in at_once if a.status_code == 200]  # one answered before another was verified
    assert len(taken) + len(ignored) == 3 and all("ignored" in a.json() for a in ignored)
    assert [a.json()["new"] for a in taken].count(True) == 1, "stored by one delivery, found by the others"
    assert len({a.json()["document"] for a in taken}) == 1
    assert (later.status_code, later.json()) == (200, {"ignored": "answered already (the same delivery again)"})
    assert set(order_rows(hub, CHANNEL)) == {"601"}
    assert count(hub, documents, documents.c.endpoint == "shop") == 1
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 1


def read(hub: Hub, order_id: int) -> Inbound:
    return hub.source("shop").order(str(order_id))  # type: ignore[attr-defined,no-any-return]


def test_a_group_with_the_same_order_twice_stores_it_once(hub: Hub, fake_shop: tuple[FakeShop, FakeApi]) -> None:
    fake, _ = fake_shop
    fake.add(example(611, WHEN))
    first, second = record_group(hub, "shop", [read(hub, 611), read(hub, 611)])
    assert isinstance(first, Recorded) and isinstance(second, Recorded)
    assert (first.new, second.new) == (True, False)
    assert first.document_id == second.document_id and first.state == second.state == "processed"
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 1


def test_a_bad_order_in_a_group_fails_alone_its_bytes_kept(hub: Hub, fake_shop: tuple[FakeShop, FakeApi]) -> None:
    fake, _ = fake_shop
    fake.add(example(701, WHEN))
    fake.add(example(702, WHEN, currencyCode=None))  # the API's order that does not map
    fake.add(example(703, WHEN))
    broken = order_inbound("shopify", 704, WHEN, {"id": "gid://shopify/Order/704"})
    broken.data = b"{not json"
    items = [read(hub, 701), read(hub, 702), broken, read(hub, 703)]
    outcomes = record_group(hub, "shop", items)
    assert all(isinstance(x, Recorded) for x in outcomes)
    states = [x.state for x in outcomes if isinstance(x, Recorded)]
    assert states == ["processed", "failed", "failed", "processed"]
    assert set(order_rows(hub, CHANNEL)) == {"701", "703"}
    with hub.store.transaction() as conn:
        kept = {
            r.remote_name: r
            for r in conn.execute(
                select(documents).where(documents.c.endpoint == "shop", documents.c.state == "failed")
            )
        }
    assert set(kept) == {"shopify-order-702.json", "shopify-order-704.json"}
    assert bytes(kept["shopify-order-704.json"].data) == b"{not json"
    assert "shopify-order-704.json: not JSON" in kept["shopify-order-704.json"].error
    assert "currency" in kept["shopify-order-702.json"].error

    with webhook_url(hub, "shop") as url:  # the same through the server: 202 for each, the bad one failed
        fake.add(example(705, WHEN, currencyCode=None))
        for order_id in (706, 707):
            fake.add(example(order_id, WHEN))
        answers = post_at_once(url, [705, 706, 707])
    assert [a.status_code for a in answers] == [202] * 3
    assert [a.json()["state"] for a in answers] == ["failed", "processed", "processed"]
    assert "currency" in answers[0].json()["error"]
    assert set(order_rows(hub, CHANNEL)) == {"701", "703", "706", "707"}


def failing(store: Store, method: str, monkeypatch: pytest.MonkeyPatch, when: Callable[..., bool]) -> list[int]:
    """Make ``store.<method>`` raise a database error whenever ``when`` holds for its arguments; the calls that
    failed are counted in the list returned."""
    real = getattr(store, method)
    failed: list[int] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            failed.append(1)
            raise OperationalError("INSERT …", {}, Exception("disk I/O error"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, method, call)
    return failed


def test_a_store_error_answers_503_and_nothing_answered_202_is_lost(
    hub: Hub, fake_shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = fake_shop
    ids = list(range(801, 821))
    for order_id in ids:
        fake.add(example(order_id, WHEN))
    outage = threading.Event()
    outage.set()
    failed = failing(hub.store, "insert_documents", monkeypatch, lambda *a, **k: outage.is_set())
    with webhook_url(hub, "shop") as url:
        answers = post_at_once(url, ids[:10])
        assert [a.status_code for a in answers] == [503] * 10, "the store is down: the channel must send again"
        assert answers[0].json() == {"order": "801", "error": "not recorded: send it again"}
        assert failed and count(hub, documents, documents.c.endpoint == "shop") == 0
        outage.clear()

        # one order's raw bytes cannot be written: its group fails, each is tried alone, only that order fails
        def holds_812(conn: Any, rows: list[dict[str, Any]], *args: Any) -> bool:
            return any(str(r.get("identity")).startswith("shopify:812:") for r in rows)

        failing(hub.store, "insert_documents", monkeypatch, holds_812)
        answers = post_at_once(url, ids)
    by_order = {a.json()["order"]: a for a in answers}
    assert by_order["812"].status_code == 503
    accepted = {order for order, a in by_order.items() if a.status_code == 202}
    assert accepted == {str(i) for i in ids} - {"812"}
    assert set(order_rows(hub, CHANNEL)) == accepted, "every order answered 202 is recorded, and no other"
    assert count(hub, documents, documents.c.endpoint == "shop", documents.c.state != "processed") == 0


def test_a_store_error_while_recording_answers_503_and_the_retry_records_it_once(
    hub: Hub, fake_shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = fake_shop
    ids = [901, 902, 903]
    for order_id in ids:
        fake.add(example(order_id, WHEN))
    stored_902: list[int] = []
    well = threading.Event()

    def recording_902(conn: Any, states: list[tuple[int, str]], *args: Any) -> bool:
        return not well.is_set() and any(d in stored_902 for d, _ in states)

    real_insert = hub.store.insert_documents

    def insert_documents(conn: Any, rows: list[dict[str, Any]], new_ids: list[int] | None = None) -> list[int]:
        made = real_insert(conn, rows, new_ids)
        stored_902.extend(
            d for r, d in zip(rows, made, strict=True) if str(r.get("identity")).startswith("shopify:902:")
        )
        return made

    monkeypatch.setattr(hub.store, "insert_documents", insert_documents)
    failing(hub.store, "set_document_states", monkeypatch, recording_902)
    with webhook_url(hub, "shop") as url:
        answers = {a.json()["order"]: a for a in post_at_once(url, ids)}
        assert answers["902"].status_code == 503
        assert {answers["901"].status_code, answers["903"].status_code} == {202}
        assert set(order_rows(hub, CHANNEL)) == {"901", "903"}
        with hub.store.transaction() as conn:
            (kept,) = conn.execute(select(documents.c.state).where(documents.c.id.in_(stored_902))).all()
        assert kept.state == "received", "its raw bytes stay stored, waiting to be recorded"
        well.set()  # the store is well again; the channel sends the webhook again
        body, headers = webhook(902)
        again = httpx.post(url, content=body, headers=headers)
    assert again.status_code == 202 and again.json()["new"] is False and again.json()["state"] == "processed"
    assert set(order_rows(hub, CHANNEL)) == set(map(str, ids))
    assert count(hub, documents, documents.c.endpoint == "shop") == 3
    assert count(hub, deliveries, deliveries.c.purpose == "order") == 3


def test_an_intake_records_what_waits_before_it_closes_and_then_refuses(hub: Hub, fake_shop: Any) -> None:
    fake, _ = fake_shop
    fake.add(example(951, WHEN))
    intake = Intake(hub, "shop")
    waiting = intake.submit(read(hub, 951))
    intake.close()
    assert waiting.result().state == "processed"
    with pytest.raises(Exception, match="the intake is closed"):
        intake.submit(read(hub, 951))


def test_the_webhooks_of_a_server_read_their_orders_through_one_api_client(
    hub: Hub, fake_shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = fake_shop
    made: list[object] = []
    real = client.Shop.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(client.Shop, "__init__", counted)
    for order_id in range(961, 966):
        fake.add(example(order_id, WHEN))
    with webhook_url(hub, "shop") as url:
        for order_id in range(961, 966):
            body, headers = webhook(order_id)
            assert httpx.post(url, content=body, headers=headers).json()["state"] == "processed"
        assert len(made) == 1, "one client (its connections, its TLS context) for every webhook, not one each"
    assert made[0].client.is_closed, "closed with the server"


def test_a_delivery_sent_again_is_answered_without_reading_the_shop(
    hub: Hub, fake_shop: tuple[FakeShop, FakeApi]
) -> None:
    """A signed webhook kept by someone and sent again and again costs the shop's API quota nothing."""
    fake, api = fake_shop
    fake.add(example(971, WHEN))
    fake.add(example(972, WHEN))
    body, headers = webhook(971)
    with webhook_url(hub, "shop") as url:
        first = httpx.post(url, content=body, headers=headers | {"X-Shopify-Webhook-Id": "d-1"})
        reads = len(api.calls("POST"))
        again = [
            httpx.post(url, content=body, headers=headers | {"X-Shopify-Webhook-Id": "d-1"}),
            httpx.post(url, content=body, headers=headers | {"X-Shopify-Webhook-Id": "d-2"}),  # the id is not signed
            httpx.post(url, content=body, headers=headers),
        ]
        other_body, other_headers = webhook(972)
        same_id = httpx.post(url, content=other_body, headers=other_headers | {"X-Shopify-Webhook-Id": "d-1"})
        forged = httpx.post(url, content=body, headers=headers | {"X-Shopify-Hmac-Sha256": "AAAA"})
    assert first.status_code == 202 and first.json()["new"] is True
    assert [(a.status_code, a.json()) for a in again] == [
        (200, {"ignored": "answered already (the same delivery again)"})
    ] * 3
    assert same_id.json() == {"ignored": "answered already (the same delivery again)"}, "Shopify's delivery id"
    assert len(api.calls("POST")) == reads, "no read of the shop for a delivery answered already"
    assert forged.status_code == 401, "only a verified delivery is looked up"
    assert set(order_rows(hub, CHANNEL)) == {"971"}


def test_a_delivery_is_read_again_once_its_window_has_passed(
    hub: Hub, fake_shop: tuple[FakeShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "ANSWERED_FOR", 0.0)
    fake, api = fake_shop
    fake.add(example(981, WHEN))
    body, headers = webhook(981)
    with webhook_url(hub, "shop") as url:
        answers = [httpx.post(url, content=body, headers=headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202] and answers[1].json()["new"] is False
    assert len(api.calls("POST")) == 2, "read again: the window is a while, not for ever"


def test_the_deliveries_remembered_are_bounded() -> None:
    remembered: Expiring[bool] = Expiring(limit=2)
    for key in ("a", "b", "c"):
        remembered.put(key, True, webhooks.ANSWERED_FOR)
    assert [remembered.get(key) for key in "abc"] == [None, True, True]
    assert webhooks.delivery_keys(b"{}", {"x-wc-webhook-delivery-id": "7", "webhook-id": "msg_1"})[1:] == (
        "id:7",
        "id:msg_1",
    )
