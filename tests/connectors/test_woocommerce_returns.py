"""WooCommerce returns against a mocked REST API (respx): a refund marked as a return read in the order poll (the
refund records are WooCommerce's own docs example, tests/data/fixtures/woocommerce/order-refunds.list.response.json,
with a return's reason written in), and refunds sent back once, restocked as their lines say, refused or throttled
as the store answers (a refund made is answered in the shape of the docs' own create example)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

import crossdock.connectors.woocommerce as connector
from crossdock.connectors.woocommerce import WooCommerceSink, WooCommerceSource
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.ports import Outbound
from crossdock.core.returns.models import REFUND, Refund, RefundLine
from crossdock.mappings.woocommerce_returns import returns_from_json
from tests.conftest import FIXTURES
from tests.connectors.channels import read

SITE = "https://shop.example.test"
API = f"{SITE}/wp-json/wc/v3"
REFUNDS = json.loads((FIXTURES / "woocommerce" / "order-refunds.list.response.json").read_text())
ORDER = json.loads((FIXTURES / "woocommerce" / "orders.retrieve.response.json").read_text())  # order 727
CREATED = json.loads((FIXTURES / "woocommerce" / "order-refunds.create.response.json").read_text())


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector, "_sleep", lambda _: None)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WooCommerceSourceConfig:
    monkeypatch.setenv("WOO_KEY", "ck_live_key")
    monkeypatch.setenv("WOO_SECRET", "cs_live_secret")
    return WooCommerceSourceConfig(
        type="woocommerce",
        url=SITE,
        consumer_key="${WOO_KEY}",
        consumer_secret="${WOO_SECRET}",
        check_virtual=False,
        returns=ReturnsPolicy(read=True),
    )


def refunds_723() -> list[dict[str, Any]]:
    """The docs' refunds of order 723: 726 an amount only, 724 one unit of line 311 back, marked a return here."""
    found = copy.deepcopy(REFUNDS)
    found[1]["reason"] = "Return: wrong size"
    ours = {**copy.deepcopy(found[1]), "id": 730, "reason": "Return 724 refunded"}
    ours["meta_data"] = [{"id": 1, "key": "crossdock_refund", "value": "rf-1"}]
    return [*found, ours]  # the last one crossdock made: never read as a return


def order_723() -> dict[str, Any]:
    line = {"id": 311, "name": "Woo Album #2", "product_id": 87, "variation_id": 0, "quantity": 2, "sku": "ALB2"}
    return {
        "id": 723,
        "number": "723",
        "currency": "USD",
        "status": "processing",
        "date_modified_gmt": "2017-03-21T19:55:37",
        "line_items": [{**line, "total": "18.00", "taxes": []}],
        "refunds": [{"id": 726, "reason": "", "total": "-10.00"}, {"id": 724, "reason": "", "total": "-9.00"}],
    }


def test_a_refund_marked_as_a_return_is_read_in_the_poll_once_per_refund(config: WooCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders").mock(return_value=httpx.Response(200, json=[order_723()]))
        mock.get(f"{API}/orders/723/refunds").mock(return_value=httpx.Response(200, json=refunds_723()))
        items = read(WooCommerceSource("shop", config))
    assert [i.kind for i in items] == ["", "return"], "the order, then its one refund marked as a return (not ours)"
    returned = items[1]
    assert returned.identity == "woocommerce:return:723:724" and returned.checkpoint == "2017-03-21T19:55:37"
    (found,) = returns_from_json(returned.data, returned.name)
    assert (found.return_id, found.po_number, found.external_id, found.currency) == ("724", "723", "723", "USD")
    (line,) = found.lines
    assert (line.line_number, line.sku, line.quantity, line.reason) == ("311", "ALB2", Decimal(1), "size_or_fit")
    assert line.unit_price == Decimal("9.00") and line.channel_line_id == "314"
    assert "9.00 refunded already by that refund" in found.notes


def test_returns_off_reads_only_orders(config: WooCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders").mock(return_value=httpx.Response(200, json=[order_723()]))
        mock.get(f"{API}/orders/723/refunds").mock(return_value=httpx.Response(200, json=refunds_723()))
        items = read(WooCommerceSource("shop", config.model_copy(update={"returns": ReturnsPolicy(read=False)})))
    assert [i.kind for i in items] == [""]


def refund(action: str = "refund", restock: tuple[bool, ...] = (True,)) -> Outbound:
    lines = [RefundLine(line_number="315", quantity=Decimal(1), restock=r) for r in restock]
    made = Refund(
        channel="shop",
        refund_id="rf-1",
        return_id="724",
        po_number="727",
        external_id="727",
        action=action,
        lines=lines,
    )
    return Outbound(
        name="r.json", data=json.dumps(made.model_dump(mode="json")).encode(), idempotency_key="k" * 20, purpose=REFUND
    )


class Store:
    """Order 727 and the refunds made on it, as WooCommerce keeps them."""

    def __init__(self) -> None:
        self.refunds: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []

    def mock(self, mock: respx.MockRouter) -> None:
        mock.get(f"{API}/orders/727").mock(return_value=httpx.Response(200, json=ORDER))
        mock.get(f"{API}/orders/727/refunds").mock(side_effect=lambda _: httpx.Response(200, json=self.refunds))
        mock.post(f"{API}/orders/727/refunds").mock(side_effect=self._post)

    def _post(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.posted.append(body)
        made = {**CREATED, "id": 900 + len(self.posted), "amount": body["amount"], "meta_data": body["meta_data"]}
        self.refunds.append(made)
        return httpx.Response(201, json=made)  # the owner's create answer, with what this refund holds


def test_a_refund_is_made_once_with_the_lines_share_and_restock(config: WooCommerceSourceConfig) -> None:
    store = Store()
    with respx.mock(assert_all_called=True) as mock:
        store.mock(mock)
        sink = WooCommerceSink("shop", config)
        said = sink.send(refund())
        again = sink.send(refund())
    (body,) = store.posted
    assert body["line_items"] == [
        {"id": 315, "quantity": 1, "refund_total": "3.00", "refund_tax": [{"id": 75, "refund_total": "0.23"}]}
    ], "half of line 315's 6.00 and 0.45 tax"
    assert body["amount"] == "3.23" and body["api_restock"] is True and body["api_refund"] is True
    assert body["meta_data"] == [{"key": "crossdock_refund", "value": "rf-1+restock"}]
    assert "refund 901 of 3.23" in said and "already made" in again


def test_lines_restocked_and_not_go_as_two_refunds(config: WooCommerceSourceConfig) -> None:
    store = Store()
    with respx.mock(assert_all_called=True) as mock:
        store.mock(mock)
        WooCommerceSink("shop", config).send(refund(restock=(False, True)))
    assert [(b["api_restock"], b["meta_data"][0]["value"]) for b in store.posted] == [
        (False, "rf-1"),
        (True, "rf-1+restock"),
    ]


def test_a_close_is_one_private_note(config: WooCommerceSourceConfig) -> None:
    notes: list[dict[str, Any]] = []

    def post(request: httpx.Request) -> httpx.Response:
        notes.append(json.loads(request.content))
        return httpx.Response(201, json=notes[-1])

    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders/727/notes").mock(side_effect=lambda _: httpx.Response(200, json=notes))
        mock.post(f"{API}/orders/727/notes").mock(side_effect=post)
        sink = WooCommerceSink("shop", config)
        sink.send(refund("close"))
        assert "already closed" in sink.send(refund("close"))
    assert len(notes) == 1 and notes[0]["customer_note"] is False and "Return 724" in notes[0]["note"]


def test_a_refused_refund_is_permanent_with_the_store_words_and_no_keys(config: WooCommerceSourceConfig) -> None:
    refused = {"code": "woocommerce_rest_cannot_create_order_refund", "message": "Invalid refund amount."}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders/727").mock(return_value=httpx.Response(200, json=ORDER))
        mock.get(f"{API}/orders/727/refunds").mock(return_value=httpx.Response(200, json=[]))
        mock.post(f"{API}/orders/727/refunds").mock(return_value=httpx.Response(400, json=refused))
        with pytest.raises(PermanentError) as caught:
            WooCommerceSink("shop", config).send(refund())
    assert "Invalid refund amount." in str(caught.value)
    assert "ck_live_key" not in str(caught.value) and "cs_live_secret" not in str(caught.value)


def test_a_throttled_refund_is_transient_with_the_wait(config: WooCommerceSourceConfig) -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders/727").mock(
            return_value=httpx.Response(429, json={"code": "slow", "message": "slow"}, headers={"Retry-After": "9"})
        )
        with pytest.raises(TransientError) as caught:
            WooCommerceSink("shop", config).send(refund())
    assert caught.value.retry_after == 9.0


def test_a_line_the_order_does_not_have_is_refused(config: WooCommerceSourceConfig) -> None:
    bad = Refund(
        channel="shop",
        refund_id="rf-2",
        return_id="1",
        po_number="727",
        external_id="727",
        lines=[RefundLine(line_number="999", quantity=Decimal(1))],
    )
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{API}/orders/727").mock(return_value=httpx.Response(200, json=ORDER))
        mock.get(f"{API}/orders/727/refunds").mock(return_value=httpx.Response(200, json=[]))
        with pytest.raises(PermanentError, match="'999' is no line of the order"):
            WooCommerceSink("shop", config).send(
                Outbound(
                    name="r.json",
                    data=json.dumps(bad.model_dump(mode="json")).encode(),
                    idempotency_key="k" * 20,
                    purpose=REFUND,
                )
            )


def test_a_return_whose_own_refund_paid_money_is_not_paid_again(config: WooCommerceSourceConfig) -> None:
    store = Store()
    store.refunds.append({"id": 724, "amount": "9.00", "reason": "Return: wrong size", "meta_data": []})
    with respx.mock(assert_all_called=False) as mock:
        store.mock(mock)
        said = WooCommerceSink("shop", config).send(refund())
    assert store.posted == [] and "refunded already (9.00)" in said
