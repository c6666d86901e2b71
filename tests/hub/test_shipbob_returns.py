"""ShipBob's returns against a fake ShipBob on 127.0.0.1: a return of an order ShipBob shipped becomes one ShipBob
return order under the RMA (the shipment's inventory ids and fulfilment centre), never two; ShipBob's completed
return comes back as the receipt that restocks what ShipBob restocked, once; a return cancelled after ShipBob was
told is cancelled there, and one ShipBob has begun to process is refused with its status."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.stock.ledger import on_hand
from crossdock.core.storage.schema import deliveries, return_receipts, returns
from tests.fakeapi import FakeApi, Request, Response, fake_api
from tests.hub.conftest import receive, run, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_shipbob_flow import CHANNEL, TOKEN, FakeShipBob, V, config

CENTER = 22
FOREIGN = 999  # the id of a return on the merchant's own channel


def return_180(control: int, purpose: str = "00") -> bytes:
    return (
        "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261125*0915*U*00401*"
        f"{control:09d}*0*P*>~GS*AN*NORTHWIND*CROSSDOCK*20261125*0915*{control}*X*004010~"
        f"ST*180*0001~BGN*{purpose}*RA-1*20261125~PRF*PO-1~BLI*VN*MUG-BLU*2*EA~NTE*GEN*damaged~"
        f"SE*6*0001~GE*1*{control}~IEA*1*{control:09d}~"
    ).encode()


class FakeShipBobReturns(FakeShipBob):
    """The fake ShipBob with its returns: created, listed by reference or status (pages of ``items``), cancelled
    while AwaitingArrival, and processed when the test says so."""

    def __init__(self, api: FakeApi) -> None:
        super().__init__(api)
        self.returns: list[dict[str, Any]] = []
        self._returns_lock = threading.Lock()
        api.route("POST", f"{V}/return", self._create_return)
        api.route("GET", f"{V}/return", self._list_returns)
        api.route("POST", f"{V}/return/", self._cancel_return)

    def ship(self, order_number: str, tracking: str = "1Z999AA10123456784") -> dict[str, Any]:
        shipment = super().ship(order_number, tracking)
        shipment["location"] = {"id": CENTER, "name": "Cicero (IL)"}
        return shipment

    def _create_return(self, request: Request) -> Response:
        if request.headers.get("shipbob_channel_id") != CHANNEL:
            return Response(403, {"message": "No write access to this channel"})
        body = request.json()
        with self._returns_lock:
            if any(r["reference_id"] == body["reference_id"] for r in self.returns):
                return Response(422, {"ReferenceId": ["A return with this reference id already exists"]})
            skus = {i["id"]: i["name"] for o in self.orders for s in o["shipments"] for p in s.get("products", [])
                    for i in p.get("inventory_items", [])}  # fmt: skip
            created = {
                "id": 300 + len(self.returns) + 1, "reference_id": body["reference_id"], "status": "AwaitingArrival",
                "channel": {"id": int(CHANNEL), "name": "crossdock"}, "fulfillment_center": body["fulfillment_center"],
                "original_shipment_id": body.get("original_shipment_id"),
                "inventory": [{"id": i["id"], "sku": skus[i["id"]], "name": skus[i["id"]], "quantity": i["quantity"],
                               "action_requested": {"action": i["requested_action"]}, "action_taken": []}
                              for i in body["inventory"]],
            }  # fmt: skip
            self.returns.append(created)
        return Response(201, created)

    def _list_returns(self, request: Request) -> Response:
        q = {k: v[0] for k, v in request.query.items()}
        found = list(self.returns)
        if "ReferenceIds" in q:
            found = [r for r in found if r["reference_id"] in q["ReferenceIds"].split(",")]
        if "Status" in q:
            found = [r for r in found if r["status"] in q["Status"].split(",")]
        if "CompletedStartDate" in q:
            since = q["CompletedStartDate"].replace("Z", "+00:00")
            found = [r for r in found if r.get("completed_date") and r["completed_date"] >= since]
        page = int(q.get("Page", "1"))
        chunk = found[(page - 1) * 2 : page * 2]
        more = page * 2 < len(found)
        nxt = f"/2026-01/return?Status={q.get('Status', '')}&Page={page + 1}" if more else None
        return Response(200, {"items": chunk, "next": nxt, "first": "/2026-01/return?Page=1"})

    def _cancel_return(self, request: Request) -> Response:
        return_id = int(request.path.rsplit("/", 1)[1].removesuffix(":cancel"))
        with self._returns_lock:
            (found,) = [r for r in self.returns if r["id"] == return_id]
            if found["status"] != "AwaitingArrival":
                return Response(400, {"message": f"Return is {found['status']} and cannot be cancelled"})
            found["status"] = "Cancelled"
        return Response(200, {})

    def complete(self, reference: str, restocked: int, disposed: int) -> None:
        (found,) = [r for r in self.returns if r["reference_id"] == reference and r["id"] != FOREIGN]
        (item,) = found["inventory"]
        item["action_taken"] = [
            {"action": "Restock", "quantity_processed": restocked},
            {"action": "Dispose", "action_reason": "Damaged", "quantity_processed": disposed},
        ]
        found.update(status="Completed", completed_date=dt.datetime.now(dt.UTC).isoformat())

    def add_foreign_return(self) -> None:
        """A return the merchant keyed in on another channel: never read as crossdock's."""
        self.returns.append(
            {
                "id": FOREIGN,
                "reference_id": "RA-1",
                "status": "Completed",
                "channel": {"id": 1, "name": "web"},
                "inventory": [{"id": 1, "sku": "MUG-BLU", "quantity": 5, "action_taken": []}],
                "completed_date": dt.datetime.now(dt.UTC).isoformat(),
            }
        )


@pytest.fixture
def shipbob() -> Iterator[FakeShipBobReturns]:
    with fake_api() as api:
        yield FakeShipBobReturns(api)


@pytest.fixture
def hub(tmp_path: Path, store_url: str, shipbob: FakeShipBobReturns, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    cfg = config(tmp_path, store_url, shipbob.api.url, read_returns=True)
    cfg["partners"]["northwind"]["invoice"] = "none"
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def shipped_and_returned(hub: Hub, shipbob: FakeShipBobReturns) -> None:
    receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    hub.dispatcher("test").drain()
    shipbob.ship("PO-1")
    assert poll(hub, "shipbob-shipments", "me").error is None
    receive(hub, return_180(2), "return.edi")
    assert hub.dispatcher("test").drain().dead == 0


def test_a_return_of_an_order_shipbob_shipped_becomes_one_shipbob_return_under_the_rma(
    hub: Hub, shipbob: FakeShipBobReturns
) -> None:
    shipped_and_returned(hub, shipbob)
    (created,) = shipbob.returns
    (shipment,) = shipbob.orders[0]["shipments"]
    (mug,) = [p for p in shipment["products"] if p["reference_id"] == "MUG-BLU"]
    assert created["reference_id"] == "RA-1" and created["fulfillment_center"] == {"id": CENTER}
    assert created["original_shipment_id"] == shipment["id"]
    assert [(i["id"], i["quantity"]) for i in created["inventory"]] == [(mug["inventory_items"][0]["id"], 2)]
    with hub.store.transaction() as conn:
        (told,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "return")).all()
        conn.execute(update(deliveries).where(deliveries.c.id == told.id).values(state="pending", attempts=0))
    assert told.state == "sent" and told.remote_ref == f"shipbob return {created['id']} (reference RA-1)"
    assert hub.dispatcher("test").drain().dead == 0, "sent again (a lost answer): found, not made twice"
    assert len(shipbob.returns) == 1 and len(shipbob.api.calls("POST", f"{V}/return")) == 1


def test_shipbobs_completed_return_is_received_once_restocking_what_shipbob_restocked(
    hub: Hub, shipbob: FakeShipBobReturns
) -> None:
    shipped_and_returned(hub, shipbob)
    shipbob.add_foreign_return()
    assert poll(hub, "shipbob-shipments", "me").received == 0, "awaiting arrival: nothing received yet"
    shipbob.complete("RA-1", restocked=1, disposed=1)
    report = poll(hub, "shipbob-shipments", "me")
    assert report.error is None and report.received == 1
    assert [p.error for p in report.processed] == [None]
    assert poll(hub, "shipbob-shipments", "me").received == 0, "read again: stored once"
    with hub.store.transaction() as conn:
        assert on_hand(conn, ["MUG-BLU"]) == {("MUG-BLU", "shipbob-shipments"): 1}
        (row,) = conn.execute(select(returns))
        (receipt,) = conn.execute(select(return_receipts))
    assert row.state == "received" and receipt.state == "applied"


def test_units_shipbob_restocks_go_back_where_the_stock_configuration_counts_shipbob(
    tmp_path: Path,
    store_url: str,
    shipbob: FakeShipBobReturns,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``stock.sources.X.shipbob`` names the ShipBob sink (the same account as the source that reads the returns)
    with ``location: shipbob-fc``: the restocked unit is on hand there, and a channel selling from there sees it."""
    monkeypatch.setenv("SHIPBOB_TEST_TOKEN", TOKEN)
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    cfg = config(tmp_path, store_url, shipbob.api.url, read_returns=True)
    cfg["partners"]["northwind"]["invoice"] = "none"
    cfg["sources"]["shop"] = {
        "type": "shopify", "url": "https://example.myshopify.com", "access_token": "${SHOPIFY_TOKEN}",
        "stock": {"locations": ["shipbob-fc"], "push": False},
    }  # fmt: skip
    cfg["stock"] = {
        "items": {"MUG-BLU": {"shop": {"inventory_item_id": "gid://shopify/InventoryItem/11"}}},
        "sources": {"sb": {"shipbob": "shipbob", "location": "shipbob-fc", "schedule": {"every": "1d"}}},
    }
    hub = Hub(write_config(tmp_path, cfg))
    try:
        shipped_and_returned(hub, shipbob)
        shipbob.complete("RA-1", restocked=1, disposed=1)
        assert poll(hub, "shipbob-shipments", "me").error is None
        with hub.store.transaction() as conn:
            assert on_hand(conn, ["MUG-BLU"]) == {("MUG-BLU", "shipbob-fc"): 1}
    finally:
        hub.close()
    code, out, _ = run(capsys, "stock", "show", "-c", str(tmp_path / "crossdock.yaml"), "MUG-BLU", "--json")
    assert code == 0
    shown = json.loads(out)
    assert [(c["channel"], c["available"]) for c in shown["channels"]] == [("shop", 1)]


def test_a_return_cancelled_after_shipbob_was_told_is_cancelled_there(hub: Hub, shipbob: FakeShipBobReturns) -> None:
    shipped_and_returned(hub, shipbob)
    receive(hub, return_180(3, purpose="01"), "cancelled.edi")
    assert hub.dispatcher("test").drain().dead == 0
    (created,) = shipbob.returns
    assert created["status"] == "Cancelled"
    assert len(shipbob.api.calls("POST", f"{V}/return/")) == 1


def test_a_return_shipbob_has_begun_to_process_is_not_cancelled_and_says_why(
    hub: Hub, shipbob: FakeShipBobReturns
) -> None:
    shipped_and_returned(hub, shipbob)
    shipbob.returns[0]["status"] = "Arrived"
    receive(hub, return_180(3, purpose="01"), "cancelled.edi")
    assert hub.dispatcher("test").drain().dead == 1
    with hub.store.transaction() as conn:
        (dead,) = conn.execute(select(deliveries).where(deliveries.c.purpose == "return-cancel")).all()
    assert dead.state == "dead" and "is Arrived at ShipBob: too late to cancel there" in dead.last_error
    assert shipbob.returns[0]["status"] == "Arrived"
