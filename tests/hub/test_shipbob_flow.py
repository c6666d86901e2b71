"""ShipBob end to end against a fake ShipBob on 127.0.0.1: an 850 becomes one ShipBob order, the test ships it,
polling brings the shipment back as the buyer's 856 and 810; faults (500, 429, a lost answer, a refused order,
a failing poll, a stranger's shipment) end retried, held or dead-lettered with a clear reason, never doubled."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, documents, events, shipments
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from tests.fakeapi import FakeApi, Request, Response, fake_api
from tests.hub.conftest import base_config, only_delivery, receive, write_config
from tests.hub.edi import change, interchange, order

TOKEN = "pat-flow-s3cret"
CHANNEL = "100102"
V = "/2026-01"


class FakeShipBob:
    """ShipBob's order API as far as crossdock uses it: orders kept in memory, shipped when the test says so.

    A refused order answers 422 with ``{field: [messages]}`` (ShipBob's documented shape; which of 400 or 422
    it uses for each check is the fake's choice), and so does a duplicate ``reference_id``.
    """

    def __init__(self, api: FakeApi) -> None:
        self.api = api
        self.orders: list[dict[str, Any]] = []
        self.slow_next = 0.0  # answer the next create this late, after the order is made (a lost answer)
        self._lock = threading.Lock()
        api.route("POST", f"{V}/order", self._create)
        api.route("GET", f"{V}/order", self._list)
        api.route("POST", f"{V}/shipment:batchUpdateTrackingUpload", self._mark)
        api.route("POST", f"{V}/order/", self._cancel)

    def _create(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"message": "Authorization has been denied for this request."})
        if request.headers.get("shipbob_channel_id") != CHANNEL:
            return Response(403, {"message": "No write access to this channel"})
        body = request.json()
        errors = _refusals(body)
        if errors:
            return Response(422, errors)
        with self._lock:
            if any(o["reference_id"] == body["reference_id"] for o in self.orders):
                return Response(
                    422, {"ReferenceId": [f"Order with reference id {body['reference_id']} already exists"]}
                )
            created = self._add(body, channel=int(CHANNEL))
        delay, self.slow_next = self.slow_next, 0.0
        return Response(201, _public(created), delay=delay)

    def _add(self, body: dict[str, Any], *, channel: int) -> dict[str, Any]:
        n = len(self.orders) + 1
        products = [
            {"id": 500 + i, "reference_id": p["reference_id"], "name": p["name"], "quantity": p["quantity"],
             "external_line_id": p.get("external_line_id")}
            for i, p in enumerate(body["products"])
        ]  # fmt: skip
        created = {
            **body,
            "id": 7000 + n,
            "status": "Processing",
            "channel": {"id": channel, "name": "crossdock"},
            "products": products,
            "shipments": [{"id": 9000 + n, "order_id": 7000 + n, "status": "Processing", "products": []}],
            "_updated": utcnow(),
        }
        self.orders.append(created)
        return created

    def add_foreign(self, order_number: str, sku: str, quantity: int) -> dict[str, Any]:
        """An order crossdock never created (keyed in by hand on the same channel)."""
        body = {"reference_id": f"manual-{order_number}", "order_number": order_number, "tags": [],
                "products": [{"reference_id": sku, "name": sku, "quantity": quantity}]}  # fmt: skip
        with self._lock:
            return self._add(body, channel=int(CHANNEL))

    def ship(self, order_number: str, tracking: str = "1Z999AA10123456784") -> dict[str, Any]:
        """The warehouse ships the whole order: its shipment is Completed, with tracking and weight."""
        with self._lock:
            (found,) = [o for o in self.orders if o["order_number"] == order_number]
            (shipment,) = found["shipments"]
            shipment.update(
                status="Completed",
                actual_fulfillment_date="2026-11-21T16:05:00+00:00",
                tracking={"carrier": "UPS", "carrier_service": "Ground", "tracking_number": tracking},
                measurements={"total_weight_oz": 80, "length_in": 12, "width_in": 10, "depth_in": 6},
                is_tracking_uploaded=False,
                products=[
                    {"id": p["id"], "reference_id": p["reference_id"], "sku": p["reference_id"], "name": p["name"],
                     "inventory_items": [{"id": p["id"] + 1000, "name": p["name"], "quantity": p["quantity"]}]}
                    for p in found["products"]
                ],
            )  # fmt: skip
            found["status"] = "Fulfilled"
            found["_updated"] = utcnow()
            return shipment

    def _list(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Response(401, {"message": "Authorization has been denied for this request."})
        q = {k: v[0] for k, v in request.query.items()}
        found = list(self.orders)
        if "ReferenceIds" in q:
            found = [o for o in found if o["reference_id"] in q["ReferenceIds"].split(",")]
        if "LastUpdateStartDate" in q:
            since = dt.datetime.fromisoformat(q["LastUpdateStartDate"]).replace(tzinfo=None)
            found = [o for o in found if o["_updated"] >= since]
        if q.get("IsTrackingUploaded") == "false":
            found = [o for o in found if any(not s.get("is_tracking_uploaded") for s in o["shipments"])]
        limit, page = int(q.get("Limit", "50")), int(q.get("Page", "1"))
        pages = max(1, -(-len(found) // limit))
        chunk = found[(page - 1) * limit : page * limit]
        return Response(200, [_public(o) for o in chunk], {"page-number": str(page), "total-pages": str(pages)})

    def _cancel(self, request: Request) -> Response:
        """``POST /order/{id}:cancel``: each shipment not yet labelled or shipped is cancelled."""
        order_id = int(request.path.rsplit("/", 1)[1].removesuffix(":cancel"))
        with self._lock:
            (found,) = [o for o in self.orders if o["id"] == order_id]
            results = []
            for s in found["shipments"]:
                ok = s["status"] not in ("Completed", "LabeledCreated")
                s["status"] = "Cancelled" if ok else s["status"]
                reason = None if ok else "Shipment has already shipped"
                results.append({"shipment_id": s["id"], "action": "Cancel", "is_success": ok, "reason": reason})
            if all(r["is_success"] for r in results):
                found["status"] = "Cancelled"
            found["_updated"] = utcnow()
        return Response(200, {"order_id": order_id, "status": found["status"], "canceled_shipment_results": results})

    def _mark(self, request: Request) -> Response:
        body = request.json()
        with self._lock:
            for o in self.orders:
                for s in o["shipments"]:
                    if s["id"] in body["shipment_ids"]:
                        s["is_tracking_uploaded"] = body["is_tracking_uploaded"]
        return Response(200, {"summary": {"total": len(body["shipment_ids"]), "successful": len(body["shipment_ids"])}})


def _refusals(body: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in ("reference_id", "shipping_method", "type", "recipient", "products"):
        if not body.get(field):
            errors[field] = [f"The {field} field is required."]
    country = (body.get("recipient") or {}).get("address", {}).get("country", "")
    if len(country) != 2:
        errors["Recipient.Address.Country"] = [f"'{country}' is not an ISO 3166-1 alpha-2 country code."]
    return errors


def _public(order: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in order.items() if not k.startswith("_")})


@pytest.fixture
def shipbob() -> Iterator[FakeShipBob]:
    with fake_api() as api:
        yield FakeShipBob(api)


def config(tmp_path: Path, store_url: str, url: str, **source: Any) -> dict[str, Any]:
    cfg = base_config(tmp_path, store_url)
    buyer = {"send_855": False, "asn_profile": "SOPI", "gs1_prefix": "0614141", "invoice": "on_shipment"}
    cfg["partners"]["northwind"].update(buyer)
    api = {"type": "shipbob", "url": url, "token": "${SHIPBOB_TEST_TOKEN}", "channel_id": CHANNEL, "timeout": 0.5}
    cfg["sinks"]["shipbob"] = api
    cfg["sources"]["shipbob-shipments"] = {**api, "lookback": "1d", **source}
    cfg["routing"] = {"default": "shipbob"}
    return cfg


@pytest.fixture
def hub(tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    h = Hub(write_config(tmp_path, config(tmp_path, store_url, shipbob.api.url)))
    yield h
    h.close()


def delivery(hub: Hub) -> Any:
    return only_delivery(hub, "shipbob")


def asns(tmp_path: Path) -> list[Any]:
    found = []
    for path in sorted((tmp_path / "partner-inbox").glob("*-856-*.edi")):
        (ic,) = parse(path.read_bytes())
        (ts,) = ic.groups[0].transactions
        validate(ts)
        assert status(ts) == "accepted", [str(e) for e in ts.errors]
        found.append(shipment_from_856(ts))
    return found


def recorded(hub: Hub) -> list[Any]:
    with hub.store.transaction() as conn:
        return list(conn.execute(select(shipments.c.external_id, shipments.c.state, shipments.c.po_number)).all())


def test_an_850_becomes_one_shipbob_order_with_its_recipient_products_and_po(hub: Hub, shipbob: FakeShipBob) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    report = hub.dispatcher("test").drain()
    assert report.dead == 0
    (created,) = shipbob.orders
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 1
    assert (
        created["reference_id"] == row.key and row.remote_ref == f"shipbob order {created['id']} (reference {row.key})"
    )
    assert created["order_number"] == "PO-1" and created["type"] == "DTC" and created["shipping_method"] == "Standard"
    assert created["recipient"]["name"] == "DC 42"
    assert created["recipient"]["address"] == {
        "address1": "1 MAIN ST", "company_name": "DC 42", "city": "TOWN", "state": "CA", "country": "US",
        "zip_code": "94607",
    }  # fmt: skip
    assert [(p["reference_id"], p["quantity"], p["external_line_id"]) for p in created["products"]] == [
        ("MUG-BLU", 5, 1),
        ("KTL-STL", 5, 2),
    ]
    (post,) = shipbob.api.calls("POST", f"{V}/order")
    assert post.headers["authorization"] == f"Bearer {TOKEN}" and post.headers["shipbob_channel_id"] == CHANNEL


def test_a_shipped_order_comes_back_as_the_buyers_856_and_polling_again_changes_nothing(
    hub: Hub, shipbob: FakeShipBob, tmp_path: Path
) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    hub.dispatcher("test").drain()
    quiet = poll(hub, "shipbob-shipments", "me")
    assert quiet.error is None and quiet.received == 0, "nothing has shipped yet"

    shipment = shipbob.ship("PO-1", tracking="1Z999AA10123456784")
    report = poll(hub, "shipbob-shipments", "me")
    assert report.error is None and report.received == 1
    (done,) = report.processed
    assert done.shipments == 1 and done.error is None
    hub.dispatcher("test").drain()
    (asn,) = asns(tmp_path)
    assert asn.shipment_id == str(shipment["id"]) and asn.ship_date == dt.date(2026, 11, 21)
    assert asn.tracking_numbers == ["1Z999AA10123456784"] and asn.carrier_scac == "UPS"
    (shipped,) = asn.orders
    assert shipped.po_number == "PO-1"
    (package,) = shipped.packages
    assert package.sscc is not None and package.sscc.startswith("00614141")
    assert [(line.line_number, line.quantity) for line in package.lines] == [("0001", 5), ("0002", 5)]
    assert sorted((tmp_path / "partner-inbox").glob("*-810-*.edi")), "the invoice follows the shipment"
    with hub.store.transaction() as conn:
        assert Queries(hub.store).order(conn, "PO-1")["status"] == "invoiced"  # type: ignore[index]

    again = poll(hub, "shipbob-shipments", "me")
    assert again.error is None and again.received == 0 and again.already == 1 and again.processed == []
    hub.dispatcher("test").drain()
    assert len(asns(tmp_path)) == 1 and recorded(hub) == [(str(shipment["id"]), "recorded", "PO-1")]


def test_a_500_is_retried_and_makes_one_order(hub: Hub, shipbob: FakeShipBob) -> None:
    shipbob.api.fail_next(Response(500, {"message": "An error has occurred."}))
    receive(hub, interchange([order("PO-1")]))
    first = hub.dispatcher("test").run_once()
    assert first.retried == 1
    row = delivery(hub)
    assert row.state == "pending" and f"POST {shipbob.api.url}{V}/order: 500" in row.last_error
    assert "An error has occurred." in row.last_error
    hub.dispatcher("test").drain()
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 2
    assert len(shipbob.orders) == 1 and len(shipbob.api.calls("POST", f"{V}/order")) == 2


def test_a_429_waits_as_long_as_shipbob_asks_then_sends_once(hub: Hub, shipbob: FakeShipBob) -> None:
    limited = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 120 seconds."}
    shipbob.api.fail_next(Response(429, limited, {"x-retry-after": "120", "x-remaining-calls": "0"}))
    receive(hub, interchange([order("PO-1")]))
    before = utcnow()
    hub.dispatcher("test").run_once()
    row = delivery(hub)
    assert row.state == "pending" and "429" in row.last_error and "Rate limit is exceeded" in row.last_error
    assert row.next_attempt_at >= before + dt.timedelta(seconds=119)
    assert hub.dispatcher("test").run_once().claimed == 0, "not due before x-retry-after"
    assert shipbob.orders == []
    with hub.store.transaction() as conn:  # the two minutes pass
        conn.execute(update(deliveries).where(deliveries.c.id == row.id).values(next_attempt_at=utcnow()))
    hub.dispatcher("test").drain()
    assert delivery(hub).state == "sent" and len(shipbob.orders) == 1


def test_an_order_created_before_the_answer_was_lost_is_not_created_again(hub: Hub, shipbob: FakeShipBob) -> None:
    shipbob.slow_next = 1.5  # ShipBob creates the order, the client stops waiting after 0.5 s
    receive(hub, interchange([order("PO-1")]))
    first = hub.dispatcher("test").run_once()
    assert first.retried == 1 and "no answer within 0.5 s" in delivery(hub).last_error
    (created,) = shipbob.orders
    hub.dispatcher("test").drain()
    row = delivery(hub)
    assert row.state == "sent" and row.attempts == 2
    assert row.remote_ref == f"shipbob order {created['id']} (reference {row.key}, created by an earlier attempt)"
    assert len(shipbob.orders) == 1
    lookups = [r for r in shipbob.api.calls("GET", f"{V}/order") if "ReferenceIds" in r.query]
    assert [r.query["ReferenceIds"] for r in lookups] == [[row.key]]


def test_a_refused_order_is_dead_lettered_at_once_with_shipbobs_message(hub: Hub, shipbob: FakeShipBob) -> None:
    po = order("PO-1")
    assert po.ship_to is not None and po.ship_to.address is not None
    po.ship_to.address.country = "USA"
    receive(hub, interchange([po]))
    report = hub.dispatcher("test").drain()
    assert report.dead == 1
    row = delivery(hub)
    assert row.state == "dead" and row.attempts == 1
    assert "422 Unprocessable Entity" in row.last_error
    assert "Recipient.Address.Country: 'USA' is not an ISO 3166-1 alpha-2 country code." in row.last_error
    assert TOKEN not in row.last_error and shipbob.orders == []
    with hub.store.transaction() as conn:
        (dead,) = Queries(hub.store).problems(conn)["dead_deliveries"]
    assert dead["id"] == row.id


def test_a_line_without_a_product_id_for_shipbob_is_never_sent_and_says_why(hub: Hub, shipbob: FakeShipBob) -> None:
    po = order("PO-1")
    po.lines[0].product_ids = {"IN": "BUYER-SKU-1"}
    receive(hub, interchange([po]))
    hub.dispatcher("test").drain()
    assert shipbob.api.calls("POST", f"{V}/order") == [] and shipbob.orders == []
    with hub.store.transaction() as conn:
        (reason,) = conn.execute(
            select(documents.c.error).where(documents.c.endpoint == "shipbob", documents.c.state == "failed")
        ).scalars()
    assert "order PO-1 line 1 (0001): no product id for ShipBob (looked for VN, SK, BP, UP; the line has IN)" in reason


def test_a_poll_that_fails_reports_it_records_nothing_and_the_next_poll_works(
    hub: Hub, shipbob: FakeShipBob, tmp_path: Path
) -> None:
    receive(hub, interchange([order("PO-1")]))
    hub.dispatcher("test").drain()
    shipbob.ship("PO-1")
    shipbob.api.fail_next(Response(500, {"message": "An error has occurred."}))
    failed = poll(hub, "shipbob-shipments", "me")
    assert failed.error is not None and "500" in failed.error and "An error has occurred." in failed.error
    assert failed.received == 0 and recorded(hub) == []
    assert TOKEN not in failed.error
    hub.dispatcher("test").drain()
    assert asns(tmp_path) == []

    ok = poll(hub, "shipbob-shipments", "me")
    assert ok.error is None and ok.received == 1 and ok.processed[0].shipments == 1
    hub.dispatcher("test").drain()
    assert len(asns(tmp_path)) == 1


def test_a_shipment_for_an_order_crossdock_does_not_hold_is_held_with_the_reason(
    hub: Hub, shipbob: FakeShipBob, tmp_path: Path
) -> None:
    shipbob.add_foreign("PO-404", "MUG-BLU", 3)
    shipped = shipbob.ship("PO-404")
    report = poll(hub, "shipbob-shipments", "me")
    assert report.error is None and report.received == 1
    (done,) = report.processed
    assert done.shipments == 0 and done.error is not None and "no order with PO number 'PO-404'" in done.error
    with hub.store.transaction() as conn:
        (held,) = Queries(hub.store).problems(conn)["held_shipments"]
    assert held["external_id"] == str(shipped["id"]) and "no order with PO number 'PO-404'" in held["error"]
    assert held["partner"] == "shipbob-shipments"
    hub.dispatcher("test").drain()
    assert asns(tmp_path) == []


def test_mark_uploaded_flags_each_stored_shipment_so_the_next_poll_skips_it(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, shipbob.api.url, mark_uploaded=True)))
    try:
        receive(hub, interchange([order("PO-1")]))
        hub.dispatcher("test").drain()
        shipped = shipbob.ship("PO-1")
        first = poll(hub, "shipbob-shipments", "me")
        assert first.error is None and first.received == 1 and first.processed[0].shipments == 1
        assert shipped["is_tracking_uploaded"] is True
        again = poll(hub, "shipbob-shipments", "me")
        assert again.error is None and again.received == 0 and again.already == 0
        hub.dispatcher("test").drain()
        assert len(asns(tmp_path)) == 1
    finally:
        hub.close()


def test_a_changed_order_cancels_the_shipbob_order_and_creates_the_new_revision(hub: Hub, shipbob: FakeShipBob) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    hub.dispatcher("test").drain()
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=7, purpose="05")], control=2), "b.edi")
    assert hub.dispatcher("test").drain().dead == 0
    old, new = shipbob.orders
    assert old["status"] == "Cancelled" and new["status"] == "Processing"
    assert [p["quantity"] for p in new["products"]] == [7, 7] and "crossdock_replaces" not in new
    with hub.store.transaction() as conn:
        sent = conn.execute(
            select(deliveries.c.key, deliveries.c.state).where(deliveries.c.sink == "shipbob").order_by(deliveries.c.id)
        ).all()
    assert [(k, s) for k, s in sent] == [(old["reference_id"], "sent"), (new["reference_id"], "sent")]
    cancels = shipbob.api.calls("POST", f"{V}/order/")
    assert [c.path for c in cancels] == [f"{V}/order/{old['id']}:cancel"]


def test_a_cancelled_order_is_cancelled_at_shipbob(hub: Hub, shipbob: FakeShipBob) -> None:
    receive(hub, interchange([order("PO-1")]))
    hub.dispatcher("test").drain()
    receive(hub, interchange([order("PO-1", purpose="01")], control=2), "b.edi")
    assert hub.dispatcher("test").drain().dead == 0
    (only,) = shipbob.orders
    assert only["status"] == "Cancelled" and only["shipments"][0]["status"] == "Cancelled"
    with hub.store.transaction() as conn:
        (cancel,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "cancel")).all()
    assert cancel.state == "sent" and cancel.remote_ref == f"shipbob order {only['id']} cancelled"


def test_a_cancel_after_shipbob_shipped_comes_too_late_the_order_is_marked_shipped_and_a_person_told(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    cfg = config(tmp_path, store_url, shipbob.api.url)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        receive(hub, interchange([order("PO-1")]))
        hub.dispatcher("test").drain()
        shipbob.ship("PO-1")
        receive(hub, interchange([order("PO-1", purpose="01")], control=2), "b.edi")
        hub.dispatcher("test").drain()
        with hub.store.transaction() as conn:
            (cancel,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "cancel")).all()
            status = Queries(hub.store).order(conn, "PO-1")["status"]  # type: ignore[index]
            logged = conn.execute(select(events.c.message).where(events.c.kind == "too-late")).scalars().all()
    finally:
        hub.close()
    assert status == "shipped" and shipbob.orders[0]["status"] == "Fulfilled"
    assert cancel.state == "cancelled" and cancel.last_error.startswith("too late: ")
    assert "shipment 9001 is Completed" in cancel.last_error
    (said,) = logged
    assert said.startswith("order PO-1 from northwind was shipped by shipbob before its cancel or change arrived")
    texts = [p.read_text() for p in (tmp_path / "alerts").iterdir()]
    assert [t for t in texts if "came too late at shipbob" in t], texts
    assert not [t for t in texts if "dead-lettered" in t]


def _too_late_hub(tmp_path: Path, store_url: str, shipbob: FakeShipBob, **buyer: Any) -> Hub:
    cfg = config(tmp_path, store_url, shipbob.api.url)
    cfg["partners"]["northwind"].update(buyer)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    return Hub(write_config(tmp_path, cfg))


def _answers(tmp_path: Path, kind: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((tmp_path / "partner-inbox").glob(f"*-{kind}-*.edi"))]


def test_an_860_cancel_too_late_at_shipbob_is_answered_with_an_865_refusing_it(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core.lifecycle import too_late
    from crossdock.mappings.x12.poca865 import change_ack_from_865
    from crossdock.mappings.x12.reader import read_transactions
    from tests.golden import assert_golden

    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    monkeypatch.setattr(too_late, "created_now", lambda: dt.datetime(2026, 11, 21, 14, 30))
    hub = _too_late_hub(tmp_path, store_url, shipbob, send_865=True)
    try:
        receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"))]))
        hub.dispatcher("test").drain()
        shipbob.ship("PO-1")
        receive(hub, change("PO-1", "01", [], sequence="1"), "860.edi")
        hub.dispatcher("test").drain()
        hub.dispatcher("test").drain()
        with hub.store.transaction() as conn:
            status = Queries(hub.store).order(conn, "PO-1")["status"]  # type: ignore[index]
    finally:
        hub.close()
    assert status == "shipped"
    taken, refused = (change_ack_from_865(next(iter(read_transactions(data)))) for data in _answers(tmp_path, "865"))
    assert [a.status for a in taken.lines] == ["IA", "IA"], "the cancel was taken when it came"
    assert (refused.po_number, refused.change_sequence) == ("PO-1", "1")
    assert [(a.change.change_code, a.change.line_number, a.status) for a in refused.lines] == [
        ("DI", "0001", "IR"),
        ("DI", "0002", "IR"),
    ], "then ShipBob said it shipped: each line's deletion refused"
    assert_golden(
        Path(__file__).resolve().parents[1] / "cases" / "hub" / "too-late-865.edi", _answers(tmp_path, "865")[1]
    )
    (alert,) = [p.read_text() for p in (tmp_path / "alerts").iterdir() if "too late" in p.read_text()]
    assert "PO-1" in alert and "shipbob" in alert and "answered with an 865" in alert


def test_an_860_change_too_late_at_shipbob_is_answered_with_an_855_change_refusing_its_lines(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.mappings.x12.poack855 import ack_from_855
    from crossdock.mappings.x12.reader import read_transactions

    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    hub = _too_late_hub(tmp_path, store_url, shipbob, send_855_change=True)
    try:
        receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"))]))
        hub.dispatcher("test").drain()
        shipbob.ship("PO-1")
        receive(hub, change("PO-1", "04", ["0002*QD*1**EA"], sequence="1"), "860.edi")
        hub.dispatcher("test").drain()
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    taken, refused = (ack_from_855(next(iter(read_transactions(data)))) for data in _answers(tmp_path, "855"))
    assert [(a.line_number, a.status) for a in taken.lines] == [("0001", "IA"), ("0002", "IA")]
    assert (refused.purpose, [(a.line_number, a.status, a.quantity) for a in refused.lines]) == (
        "04",
        [("0002", "IR", 1)],
    )


def test_an_operator_cancel_too_late_at_shipbob_alerts_once_naming_the_order_and_destination(
    tmp_path: Path, store_url: str, shipbob: FakeShipBob, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core.lifecycle.operator_orders import cancel_order

    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    hub = _too_late_hub(tmp_path, store_url, shipbob, send_865=True)
    try:
        receive(hub, interchange([order("PO-1")]))
        hub.dispatcher("test").drain()
        shipbob.ship("PO-1")
        cancel_order(hub, "PO-1", source=None, lines=None, reason="customer called")
        hub.dispatcher("test").drain()
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    assert len(_answers(tmp_path, "865")) == 0, "no 860 asked: nothing to answer by 865"
    (alert,) = [p.read_text() for p in (tmp_path / "alerts").iterdir() if "too late" in p.read_text()]
    assert "order PO-1" in alert and "shipbob" in alert and "tell the buyer the order ships as it was" in alert
