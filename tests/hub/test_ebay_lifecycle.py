"""An eBay order's life after it is read, end to end against the fake Sell Fulfillment API of ``test_ebay_flow``
(our documented-fields order): a refunded unit never reaches the warehouse, and one refunded after the order
went out makes a new revision without it; a buyer's cancel request holds the order until it is settled; a
shipment of two packages goes back as one shipping fulfilment each, with its own lines; two seller accounts with
the same order id keep two orders; eBay's account deletion notice (the owner's own, from its SDK's test vectors)
erases that buyer from the store."""

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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update

from crossdock.connectors import ebay as connector
from crossdock.connectors import ebay_client
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from crossdock.core.poller import poll
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, events, orders
from tests.fakeapi import FakeApi, Request, Response
from tests.hub.channels import channel_hub, drain, order_rows, served, warehouse_files, webhook_url
from tests.hub.test_ebay_flow import CHANNEL, ENVIRONMENT, VECTORS, FakeEbay, config, example, own_key, stamp


@pytest.fixture
def ebay() -> Iterator[tuple[FakeEbay, FakeApi]]:
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()
    yield from served(FakeEbay())
    for cache in (ebay_client.TOKENS, connector.KEYS, connector.UNKNOWN_KEYS):
        cache.clear()


@pytest.fixture
def hub(
    tmp_path: Path, store_url: str, ebay: tuple[FakeEbay, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hub]:
    with channel_hub(tmp_path, config(tmp_path, store_url, ebay[1].url), monkeypatch, ENVIRONMENT) as h:
        yield h


def sent(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_refunded_units_leave_the_order_before_and_after_it_went_out(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], tmp_path: Path
) -> None:
    fake, _ = ebay
    order = example(1, stamp(1))
    mugs, other = order["lineItems"]
    mugs["refunds"] = [{"amount": {"value": "12.50", "currency": "USD"}, "refundId": "R-1"}]  # one of two mugs
    order["orderPaymentStatus"] = "PARTIALLY_REFUNDED"
    fake.orders[order["orderId"]] = order
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    (first,) = warehouse_files(tmp_path)
    lines = sent(first)["lines"]
    assert [(x["line_number"], x["quantity"]) for x in lines] == [(mugs["lineItemId"], "1"), (other["lineItemId"], "1")]
    assert "1 of 2 refunded at eBay" in lines[0]["notes"]

    other["refunds"] = [{"amount": other["lineItemCost"], "refundId": "R-2"}]
    order["lastModifiedDate"] = stamp(1, minutes=30)
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    row = order_rows(hub, CHANNEL)[order["orderId"]]
    assert row.revision == 2
    (second,) = [f for f in warehouse_files(tmp_path) if "-r2" in f.name]
    assert [x["line_number"] for x in sent(second)["lines"]] == [mugs["lineItemId"]], "the refunded line is gone"


def test_a_buyers_cancel_request_holds_the_order_until_it_is_settled(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], tmp_path: Path
) -> None:
    fake, _ = ebay
    order = example(2, stamp(1), cancelStatus={"cancelState": "IN_PROGRESS", "cancelRequests": []})
    fake.orders[order["orderId"]] = order
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    assert order_rows(hub, CHANNEL)[order["orderId"]].status == "waiting"
    assert not warehouse_files(tmp_path)
    order["cancelStatus"] = {"cancelState": "NONE_REQUESTED", "cancelRequests": []}  # the seller declined it
    order["lastModifiedDate"] = stamp(1, minutes=30)
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    (released,) = warehouse_files(tmp_path)
    assert "-r2" in released.name


def test_two_packages_go_back_as_two_shipping_fulfilments_with_their_own_lines(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi], tmp_path: Path
) -> None:
    fake, _ = ebay
    order = example(3, stamp(1))
    fake.orders[order["orderId"]] = order
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    mugs, other = (line["lineItemId"] for line in order["lineItems"])
    shipment = {
        "shipment_id": "WH-2P",
        "ship_date": "2026-11-24",
        "carrier_scac": "USPS",
        "tracking_numbers": ["9400100000000000000011", "9400100000000000000022"],
        "orders": [
            {
                "po_number": order["orderId"],
                "packages": [
                    {"tracking_number": "9400100000000000000011", "lines": [{"line_number": mugs, "quantity": 1}]},
                    {
                        "tracking_number": "9400100000000000000022",
                        "lines": [{"line_number": mugs, "quantity": 1}, {"line_number": other, "quantity": 1}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "shipped" / "WH-2P.json").write_text(json.dumps(shipment))
    assert poll(hub, "shipped", "me").processed[0].shipments == 1
    drain(hub)
    drain(hub)
    made = fake.fulfillments[order["orderId"]]
    assert [(m["shipmentTrackingNumber"], m["lineItems"]) for m in made] == [
        ("9400100000000000000011", [{"lineItemId": mugs, "quantity": 1}]),
        ("9400100000000000000022", [{"lineItemId": mugs, "quantity": 1}, {"lineItemId": other, "quantity": 1}]),
    ]


def test_two_seller_accounts_with_the_same_order_id_keep_two_orders(
    tmp_path: Path, store_url: str, ebay: tuple[FakeEbay, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = ebay
    cfg = config(tmp_path, store_url, api.url)
    cfg["sources"]["ebay-two"] = dict(cfg["sources"]["ebay"])
    order = example(4, stamp(1))
    fake.orders[order["orderId"]] = order
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as two:
        assert poll(two, "ebay", "me").received == 1
        assert poll(two, "ebay-two", "me").received == 1
        with two.store.transaction() as conn:
            query = select(orders.c.partner).where(orders.c.external_id == order["orderId"])
            found = conn.execute(query).scalars().all()
    assert sorted(found) == ["ebay", "ebay-two"]


def test_an_account_deletion_notice_erases_the_buyer_from_orders_and_raw_documents(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi]
) -> None:
    fake, _ = ebay
    theirs, other = example(5, stamp(1)), example(6, stamp(1))
    other["buyer"] = {"username": "someone_else", "taxAddress": {"countryCode": "US"}}
    for order in (theirs, other):
        fake.orders[order["orderId"]] = order
    assert poll(hub, "ebay", "me").received == 2
    notice = copy.deepcopy(VECTORS["VALID"]["message"])  # eBay's own: the deletion of user "test_user"
    assert theirs["buyer"]["username"] == notice["notification"]["data"]["username"]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # not the module's NOW: a long
    notice["notification"].update(eventDate=now, publishDate=now)  # run would take it past the 5-minute window
    private, key = own_key()
    fake.keys["crossdock-test-kid"] = key
    body = json.dumps(notice, separators=(",", ":")).encode()
    signature = base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA1()))).decode()
    header = {"alg": "ecdsa", "kid": "crossdock-test-kid", "signature": signature, "digest": "SHA1"}
    with webhook_url(hub, "ebay") as url:
        answer = httpx.post(
            url, content=body, headers={"X-EBAY-SIGNATURE": base64.b64encode(json.dumps(header).encode()).decode()}
        )
    assert answer.status_code == 200 and answer.json() == {"erased": {"documents": 1, "orders": 1}}
    rows = order_rows(hub, CHANNEL)
    personal = ("John Doe", "buyer@example.com", "2145 Hamilton Ave", "555-555-0100", "test_user", "pack carefully")
    assert not any(word in rows[theirs["orderId"]].data for word in personal)
    assert "95125" in rows[theirs["orderId"]].data, "what is no one's (postal code, lines, money) stays"
    assert "John Doe" in rows[other["orderId"]].data, "another buyer's order is left alone"
    with hub.store.transaction() as conn:
        raw = {
            r.identity.split(":")[1]: bytes(r.data)
            for r in conn.execute(select(documents.c.identity, documents.c.data).where(documents.c.endpoint == "ebay"))
        }
        said = conn.execute(select(events.c.message).where(events.c.kind == "erasure")).scalars().all()
    assert not any(word.encode() in raw[theirs["orderId"]] for word in personal)
    assert b"John Doe" in raw[other["orderId"]]
    assert len(said) == 1 and "test_user" not in said[0], "the event says how many, never whose"


def test_an_operator_cancel_goes_back_to_ebay_as_a_post_order_cancellation(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi]
) -> None:
    fake, api = ebay
    order = example(8, stamp(1))
    fake.orders[order["orderId"]] = order
    made: list[Request] = []

    def cancellation(request: Request) -> Response:
        made.append(request)
        order["cancelStatus"] = {"cancelState": "IN_PROGRESS", "cancelRequests": []}  # eBay is on it
        return Response(201, {"cancelId": "5000077"})

    api.route("POST", "/post-order/v2/cancellation", cancellation)
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    cancel_order(hub, order["orderId"], source=None, lines=None, reason="buyer_request")
    drain(hub)
    (request,) = made
    assert request.headers["authorization"].startswith("IAF ")
    assert request.json() == {
        "legacyOrderId": order["legacyOrderId"],
        "cancelReason": "BUYER_ASKED_CANCEL",
        "buyerPaid": True,
    }
    assert order_rows(hub, CHANNEL)[order["orderId"]].status == "cancelled"


def test_an_operator_line_cut_goes_back_to_ebay_as_a_refund_of_those_units_once(
    hub: Hub, ebay: tuple[FakeEbay, FakeApi]
) -> None:
    fake, api = ebay
    order = example(9, stamp(1))
    fake.orders[order["orderId"]] = order
    mug = order["lineItems"][0]  # 2 mugs, 25.00 after the discount
    issued: list[Request] = []

    def issue_refund(request: Request) -> Response:
        issued.append(request)
        for item in request.json()["refundItems"]:  # eBay lists the pending refund on the line item
            line = next(i for i in order["lineItems"] if i["lineItemId"] == item["lineItemId"])
            line.setdefault("refunds", []).append({"refundId": "R-1", "amount": item["refundAmount"]})
        return Response(200, {"refundId": "R-1", "refundStatus": "PENDING"})

    api.route("POST", f"/sell/fulfillment/v1/order/{order['orderId']}/issue_refund", issue_refund)
    assert poll(hub, "ebay", "me").received == 1
    drain(hub)
    cancel_order(hub, order["orderId"], source=None, lines=f"{mug['lineItemId']}:1", reason="out_of_stock")
    drain(hub)
    (request,) = issued
    assert request.json()["refundItems"] == [
        {"lineItemId": mug["lineItemId"], "refundAmount": {"value": "12.50", "currency": "USD"}}
    ]
    assert api.calls("POST", "/post-order/") == [], "no cancellation of the whole order"
    told = deliveries.c.purpose == "cancellation"
    with hub.store.transaction() as conn:  # as if the process died before the outcome was recorded
        conn.execute(update(deliveries).where(told).values(state="pending", next_attempt_at=utcnow()))
    drain(hub)
    with hub.store.transaction() as conn:
        (again,) = conn.execute(select(deliveries.c.state, deliveries.c.remote_ref).where(told)).all()
    assert len(issued) == 1 and again.state == "sent" and "refunded already" in str(again.remote_ref)
