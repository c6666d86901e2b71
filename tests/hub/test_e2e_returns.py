"""A return end to end: a Shopify order goes to the JSON warehouse and ships; the buyer sends two of its three units
of one line back; the warehouse is told to expect them (the return's JSON, under Shopify's RMA name); its receipt
comes back with one unit damaged; the stock goes up by the sellable unit only, and Shopify refunds what was
received, once, never more than was paid for it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import crossdock.connectors.shopify as connector
import crossdock.connectors.shopify_client as client
from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.returns.refunds import approve
from crossdock.core.stock.ledger import on_hand
from crossdock.core.storage.schema import deliveries, return_receipts, returns
from tests.fakeapi import FakeApi, fake_api
from tests.hub.channels import channel_hub, drain, ship_back, warehouse_files
from tests.hub.test_shopify_flow import ENVIRONMENT, config, example
from tests.hub.test_shopify_lifecycle_flow import CancellingShop
from tests.peers import SmtpServer

SKU = "IPOD2008GREEN"


class ReturningShop(CancellingShop):
    """The fake shop with returns on its orders, the refund Shopify suggests for some lines, and ``refundCreate``."""

    def __init__(self) -> None:
        super().__init__()
        self.returns: dict[int, list[dict[str, Any]]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.notes: dict[int, list[str]] = {}

    def _OrderReturns(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        if not found:
            return {"order": None}
        order = self.orders[found]
        nodes = copy.deepcopy(self.returns.get(found, []))
        return {
            "order": {
                "id": order["id"],
                "name": order["name"],
                "currencyCode": order["currencyCode"],
                "returns": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes},
            }
        }

    def _OrderCancelState(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        state = super()._OrderCancelState(variables, query)
        found = self._order(variables)
        if state["order"] is not None and found:
            state["order"]["refunds"] = [{"note": n} for n in self.notes.get(found, [])]
        return state

    def _OrderSuggestedRefund(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        found = self._order(variables)
        assert found
        prices = {
            line["id"]: line["originalUnitPriceSet"]["shopMoney"]["amount"]
            for line in self.orders[found]["lineItems"]["nodes"]
        }
        total = sum(float(prices[x["lineItemId"]]) * x["quantity"] for x in variables["lines"])
        money = {"shopMoney": {"amount": f"{total:.2f}", "currencyCode": "USD"}}
        parent = {"id": "gid://shopify/OrderTransaction/1"}
        suggested = [{"amountSet": money, "gateway": "bogus", "parentTransaction": parent}]
        return {"order": {"suggestedRefund": {"suggestedTransactions": suggested}}}

    def _RefundCreate(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        given = variables["input"]
        assert set(given) <= {"orderId", "note", "notify", "refundLineItems", "transactions"}
        for line in given["refundLineItems"]:
            assert set(line) == {"lineItemId", "quantity", "restockType"}
            assert line["restockType"] in ("RETURN", "NO_RESTOCK")
        self.refunds.append(given)
        found = self._order({"id": given["orderId"]})
        assert found
        self.notes.setdefault(found, []).append(given["note"])
        return {"refundCreate": {"refund": {"id": f"gid://shopify/Refund/{len(self.refunds)}"}, "userErrors": []}}


def shopify_return(order_id: int, line: int, quantity: int, status: str = "OPEN") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Return/{order_id}1",
        "name": f"#{order_id}-R1",
        "status": status,
        "returnLineItems": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [
                {
                    "id": f"gid://shopify/ReturnLineItem/{order_id}11",
                    "quantity": quantity,
                    "returnReason": "DEFECTIVE",
                    "returnReasonNote": "",
                    "customerNote": "stopped working",
                    "fulfillmentLineItem": {
                        "lineItem": {
                            "id": f"gid://shopify/LineItem/{line}",
                            "sku": SKU,
                            "originalUnitPriceSet": {"shopMoney": {"amount": "199.00", "currencyCode": "USD"}},
                        }
                    },
                }
            ],
        },
    }


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ReturningShop, FakeApi]]:
    fake = ReturningShop()

    def wait(seconds: float) -> None:
        fake.skipped += seconds

    monkeypatch.setattr(client, "sleep", wait)
    with fake_api() as api:
        fake.serve(api)
        yield fake, api


def hub_config(tmp_path: Path, store_url: str, url: str, refund: str) -> dict[str, Any]:
    cfg = config(tmp_path, store_url, url)
    cfg["sources"]["shop"]["returns"] = {"refund": refund, "read": True}
    cfg["sources"]["receipts"] = {
        "type": "folder",
        "path": str(tmp_path / "receipts"),
        "min_age": 0,
        "format": "return-receipt-json",
        "partner": "acme-wh",
    }
    (tmp_path / "receipts").mkdir()
    return cfg


def shipped_and_returned(hub: Hub, fake: ReturningShop, tmp_path: Path) -> dict[str, Any]:
    """Order 901 (three units of line 9010) in, shipped whole; then two units of it returned on Shopify. Returns
    the notice the warehouse got."""
    order = example(901, "2026-11-22T08:00:00Z", displayFinancialStatus="PAID")
    order["lineItems"]["nodes"][0].update(quantity=3, currentQuantity=3)
    fake.add(order)
    assert poll(hub, "shop", "me").received == 1
    drain(hub)
    ship_back(hub, tmp_path, "#901", {"9010": 3, "9011": 1, "9012": 1})
    assert len(fake.fulfillments[901]) == 1

    fake.returns[901] = [shopify_return(901, 9010, 2)]
    fake.orders[901].update(returnStatus="IN_PROGRESS", updatedAt="2026-11-25T08:00:00Z")
    poll(hub, "shop", "me")
    drain(hub)
    (notice,) = warehouse_files(tmp_path, "return-*.json")
    return dict(json.loads(notice.read_text()))


def receipt(tmp_path: Path, rma: str, name: str = "receipt-1.json") -> None:
    lines = [
        {"sku": SKU, "quantity": 1, "condition": "sellable"},
        {"sku": SKU, "quantity": 1, "condition": "damaged"},
    ]
    (tmp_path / "receipts" / name).write_text(json.dumps({"rma_number": rma, "location": "acme-wh", "lines": lines}))


def test_a_return_reaches_the_warehouse_its_receipt_restocks_the_sellable_unit_and_shopify_refunds_what_came_back(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    with channel_hub(tmp_path, hub_config(tmp_path, store_url, api.url, "on_receipt"), monkeypatch, ENVIRONMENT) as hub:
        notice = shipped_and_returned(hub, fake, tmp_path)
        assert notice["rma_number"] == "#901-R1"
        assert [(x["sku"], x["quantity"], x["reason"]) for x in notice["lines"]] == [(SKU, "2", "defective")]
        assert notice["order_number"].startswith("#901-"), "the number the warehouse knows the order by"

        poll(hub, "shop", "me")  # the same returns read again: no second return, no second notice
        with hub.store.transaction() as conn:
            assert len(list(conn.execute(select(returns)))) == 1
            notices = conn.execute(select(deliveries).where(deliveries.c.purpose == "return"))
            assert len(list(notices)) == 1

        receipt(tmp_path, "#901-R1")
        (got,) = poll(hub, "receipts", "me").processed
        assert (got.state, got.error) == ("processed", None)
        drain(hub)
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU]) == {(SKU, "acme-wh"): 1}, "the sellable unit only"
            (row,) = conn.execute(select(returns))
        assert row.state == "refunded"
        (refund,) = fake.refunds
        assert refund["refundLineItems"] == [
            {"lineItemId": "gid://shopify/LineItem/9010", "quantity": 2, "restockType": "NO_RESTOCK"}
        ], "both units the buyer sent back, the damaged one too"
        assert [t["amount"] for t in refund["transactions"]] == ["398.00"]
        assert "[crossdock refund " in refund["note"]

        receipt(tmp_path, "#901-R1", "receipt-again.json")  # the same receipt under another name
        poll(hub, "receipts", "me")
        replay(hub, got.document_id)  # and its document run again
        drain(hub)
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU]) == {(SKU, "acme-wh"): 1}
        assert len(fake.refunds) == 1


def test_a_receipt_that_does_not_match_is_held_with_the_difference_and_a_refund_can_wait_for_approval(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    with channel_hub(tmp_path, hub_config(tmp_path, store_url, api.url, "approve"), monkeypatch, ENVIRONMENT) as hub:
        shipped_and_returned(hub, fake, tmp_path)
        wrong = {"rma_number": "#901-R1", "lines": [{"sku": SKU, "quantity": 3}, {"sku": "OTHER-1", "quantity": 1}]}
        (tmp_path / "receipts" / "wrong.json").write_text(json.dumps(wrong))
        got = poll(hub, "receipts", "me").processed[0]
        assert got.error is not None
        assert f"SKU {SKU}: 3 received, 2 still expected" in got.error
        assert "SKU OTHER-1 is not in the return" in got.error
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU, "OTHER-1"]) == {}
            assert [r.state for r in conn.execute(select(return_receipts))] == ["held"]

        receipt(tmp_path, "#901-R1")
        poll(hub, "receipts", "me")
        drain(hub)
        assert fake.refunds == [], "the refund waits for approval"
        with hub.store.transaction() as conn:
            (row,) = conn.execute(select(returns))
        assert row.state == "approval"
        approve(hub, "9011")
        drain(hub)
        assert [x["quantity"] for x in fake.refunds[0]["refundLineItems"]] == [2]
        with pytest.raises(Exception, match="no refund waits"):
            approve(hub, "9011")


def test_a_return_for_an_order_not_yet_in_is_held_and_applies_on_replay(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    with channel_hub(tmp_path, hub_config(tmp_path, store_url, api.url, "on_receipt"), monkeypatch, ENVIRONMENT) as hub:
        order = example(902, "2026-11-22T08:00:00Z", displayFinancialStatus="PAID", returnStatus="IN_PROGRESS")
        fake.add(order)
        fake.returns[902] = [shopify_return(902, 9020, 1)]
        taken = connector._inbound
        monkeypatch.setattr(connector, "_inbound", _refused_order)  # the order is not taken: only its returns
        poll(hub, "shop", "me")
        with hub.store.transaction() as conn:
            (row,) = conn.execute(select(returns))
        assert row.state == "held" and "no such order" in row.reason
        monkeypatch.setattr(connector, "_inbound", taken)
        fake.orders[902].update(updatedAt="2026-11-23T08:00:00Z")
        assert poll(hub, "shop", "me").received == 1, "the order; its returns are stored already"
        drain(hub)
        assert replay(hub, int(row.document_id)).error is None
        with hub.store.transaction() as conn:
            (row,) = conn.execute(select(returns))
        assert row.state == "open" and row.order_id is not None


def _refused_order(order: dict[str, Any]) -> Any:
    from crossdock.connectors.channel import order_inbound

    found = order_inbound("shopify", "x", "x", {"not": "an order"})
    found.quarantine = "held back by the test"
    return found


def test_a_3pl_that_takes_940s_gets_a_180_and_its_944_restocks_and_refunds(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    cfg = hub_config(tmp_path, store_url, api.url, "on_receipt")
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl-acks"}
    cfg["sinks"]["3pl-acks"] = {"type": "folder", "path": str(tmp_path / "3pl-acks")}
    cfg["sinks"]["3pl"] = {
        "type": "folder", "path": str(tmp_path / "3pl"), "format": "x12-940", "partner": "acme3pl",
        "depositor": "CROSSDOCK",
    }  # fmt: skip
    cfg["routing"] = {"default": "3pl"}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        order = example(903, "2026-11-22T08:00:00Z", displayFinancialStatus="PAID")
        order["lineItems"]["nodes"][0].update(quantity=3, currentQuantity=3)
        fake.add(order)
        poll(hub, "shop", "me")
        drain(hub)
        fake.returns[903] = [shopify_return(903, 9030, 2)]
        fake.orders[903].update(returnStatus="IN_PROGRESS", updatedAt="2026-11-25T08:00:00Z")
        poll(hub, "shop", "me")
        drain(hub)
        (notice,) = (tmp_path / "3pl").glob("acme3pl-180-*.edi")
        text = notice.read_text()
        assert "BGN*00*#903-R1*" in text and "BLI*SK*IPOD2008GREEN*2*EA~" in text and "PRF*#903~" in text

        receipt_944 = (
            "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*CROSSDOCK      *261127*1400*U*00401*000000031*0*P*>~"
            "GS*RE*ACME3PL*CROSSDOCK*20261127*1400*31*X*004010~"
            "ST*944*0001~W17*F*20261127*R-100*#903-R1~N1*WH*ACME~"
            "W07*2*EA**SK*IPOD2008GREEN~N9*LI*9030~W13*1*EA*01~W14*2~SE*8*0001~GE*1*31~IEA*1*000000031~"
        )
        (tmp_path / "drop" / "receipt.edi").write_text(receipt_944)
        got = poll(hub, "drop", "me").processed
        assert [p.error for p in got] == [None]
        drain(hub)
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU]) == {(SKU, "acme3pl"): 1}
        (refund,) = fake.refunds
        assert [(x["lineItemId"], x["quantity"]) for x in refund["refundLineItems"]] == [
            ("gid://shopify/LineItem/9030", 2)
        ]


def test_a_return_received_in_two_parts_is_refunded_in_two_and_a_third_part_is_held(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    with channel_hub(tmp_path, hub_config(tmp_path, store_url, api.url, "on_receipt"), monkeypatch, ENVIRONMENT) as hub:
        shipped_and_returned(hub, fake, tmp_path)
        for n in (1, 2, 3):
            lines = [{"sku": SKU, "quantity": 1}]
            one = {"rma_number": "#901-R1", "received": f"2026-11-2{n}T10:00:00", "lines": lines}
            (tmp_path / "receipts" / f"part-{n}.json").write_text(json.dumps(one))
            got = poll(hub, "receipts", "me").processed[0]
            drain(hub)
        assert got.error is not None and f"SKU {SKU}: 1 received, 0 still expected" in got.error
        assert [[x["quantity"] for x in r["refundLineItems"]] for r in fake.refunds] == [[1], [1]]
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU]) == {(SKU, "acme-wh"): 2}


def test_a_shop_whose_returns_are_not_read_is_asked_for_none(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    cfg = hub_config(tmp_path, store_url, api.url, "on_receipt")
    del cfg["sources"]["shop"]["returns"]["read"]  # the default: an app without read_returns keeps working
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        fake.add(example(904, "2026-11-22T08:00:00Z", returnStatus="IN_PROGRESS"))
        fake.returns[904] = [shopify_return(904, 9040, 1)]
        assert poll(hub, "shop", "me").received == 1, "the order alone"
    asked = [r.json()["query"] for r in api.requests if r.path.endswith("graphql.json")]
    assert asked and not any("returnStatus" in q or "OrderReturns" in q for q in asked)


def test_a_shop_that_does_not_mail_its_buyers_has_crossdock_tell_of_the_refund(
    tmp_path: Path,
    store_url: str,
    shop: tuple[ReturningShop, FakeApi],
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
) -> None:
    fake, api = shop
    cfg = hub_config(tmp_path, store_url, api.url, "on_receipt")
    cfg["sinks"]["buyer-mail"] = {
        "type": "smtp",
        "host": smtp_server.host,
        "port": smtp_server.port,
        "security": "none",
        "from_address": "shop@acme.test",
        "customers": True,
    }
    cfg["sources"]["shop"]["notify"] = {"sink": "buyer-mail", "events": ["refunded"], "store_name": "Acme"}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        shipped_and_returned(hub, fake, tmp_path)
        assert smtp_server.messages == [], "only the refund was asked for"
        receipt(tmp_path, "#901-R1")
        poll(hub, "receipts", "me")
        drain(hub)
        receipt(tmp_path, "#901-R1", "receipt-again.json")
        poll(hub, "receipts", "me")
        drain(hub)
    (mail,) = smtp_server.messages
    assert mail.message["Subject"] == "Acme order #901: refund of 398.00 USD"
    assert f"2 x {SKU}" in mail.message.get_content()
