"""The Odoo sink and its mapping: the request written from an order, and the JSON-RPC calls against a fake Odoo.

``FakeOdoo`` plays the ``/jsonrpc`` calls crossdock makes (``common.login``; ``execute_kw`` search_read,
create, read, action_confirm) over records kept in dicts, and fails as Odoo does (HTTP 200 with an ``error``
naming the exception). The hub's flow tests serve the same fake over HTTP.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors.odoo import OdooSink
from crossdock.connectors.odoo_config import OdooSinkConfig
from crossdock.core.errors import PermanentError, TooLate, TransientError
from crossdock.core.models import Address, Order, OrderLine, Party
from crossdock.core.ports import Outbound
from crossdock.mappings.odoo import cancel_request, order_request
from tests.conftest import CASES
from tests.golden import assert_golden

URL = "https://erp.example.test"
KEY = "s3cret-api-key"


def rpc_error(name: str, message: str) -> dict[str, Any]:
    """An Odoo JSON-RPC error body, as Odoo answers it (with HTTP 200)."""
    data = {"name": name, "message": message, "arguments": [message], "debug": "Traceback ..."}
    return {"jsonrpc": "2.0", "id": None, "error": {"code": 200, "message": "Odoo Server Error", "data": data}}


@dataclass
class Fault:
    """A scripted answer for one call. ``after``: the call is carried out first, then this is answered."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: bool = False


class FakeOdoo:
    def __init__(self, *, database: str = "acme", login: str = "crossdock", key: str = KEY) -> None:
        self.database, self.login, self.key = database, login, key
        self.url = URL  # where it answers: respx here, a FakeApi on 127.0.0.1 in the hub's tests
        self.uid = 7
        self.records: dict[str, dict[int, dict[str, Any]]] = {}
        self.calls: list[str] = []  # "login", "sale.order.create", ...
        self.faults: dict[str, list[Fault]] = {}
        self._ids = itertools.count(1)

    def add(self, model: str, **values: Any) -> int:
        record_id = next(self._ids)
        self.records.setdefault(model, {})[record_id] = {"id": record_id, **values}
        return record_id

    def all(self, model: str) -> list[dict[str, Any]]:
        return list(self.records.get(model, {}).values())

    def fail(self, call: str, *faults: Fault) -> None:
        """Answer the next ``call`` (``login`` or e.g. ``sale.order.create``) with these, in order."""
        self.faults.setdefault(call, []).extend(faults)

    def serve(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, Fault | None]:
        """The JSON-RPC answer to ``body`` and the fault scripted for it (the answer is None if it preempts it)."""
        params = body["params"]
        call = "login" if params["method"] == "login" else f"{params['args'][3]}.{params['args'][4]}"
        self.calls.append(call)
        queued = self.faults.get(call)
        fault = queued.pop(0) if queued else None
        if fault is not None and not fault.after:
            return None, fault
        try:
            result = self._dispatch(params)
        except _Raised as exc:
            return {**rpc_error(exc.name, exc.message), "id": body.get("id")}, fault
        return {"jsonrpc": "2.0", "id": body.get("id"), "result": result}, fault

    def respx(self, request: httpx.Request) -> httpx.Response:
        """The answer as respx's side effect: a scripted delay is the client's timeout."""
        result, fault = self.serve(json.loads(request.content))
        if fault is not None and fault.delay:
            raise httpx.ReadTimeout("timed out", request=request)
        fault = fault or Fault()
        return httpx.Response(fault.status, json=result if fault.body is None else fault.body, headers=fault.headers)

    def _dispatch(self, params: dict[str, Any]) -> Any:
        args = params["args"]
        if params["method"] == "login":
            return self.uid if args == [self.database, self.login, self.key] else False
        db, uid, key, model, method, margs, kwargs = args
        if (db, uid, key) != (self.database, self.uid, self.key):
            raise _Raised("odoo.exceptions.AccessDenied", "Access Denied")
        if method == "search_read":
            records = self._order_lines() if model == "sale.order.line" else self.all(model)
            found = sorted((r for r in records if _matches(r, margs[0])), key=lambda r: r["id"])
            found = found[: kwargs.get("limit") or None]
            return [{"id": r["id"], **{f: r.get(f, False) for f in kwargs.get("fields", [])}} for r in found]
        if method == "read":
            return [{"id": i, **{f: self.records[model][i][f] for f in kwargs["fields"]}} for i in margs[0]]
        if method == "create":
            return self._create(model, dict(margs[0]))
        if method == "action_confirm":
            self.records[model][margs[0][0]]["state"] = "sale"
            return True
        if method == "action_cancel":
            return self._cancel(self.records[model][margs[0][0]], kwargs.get("context") or {})
        raise _Raised("builtins.AttributeError", f"no method {method} on {model}")

    def _cancel(self, order: dict[str, Any], context: dict[str, Any]) -> Any:
        """As Odoo's sale.order.action_cancel: a confirmed order answers the cancel-mail wizard unless the
        context says ``disable_cancel_warning``; its deliveries not done are cancelled, the done ones stay
        (odoo/odoo addons/sale_stock: ``picking_ids.filtered(lambda p: p.state != 'done').action_cancel()``)."""
        if order["state"] != "draft" and not context.get("disable_cancel_warning"):
            return {"type": "ir.actions.act_window", "res_model": "sale.order.cancel", "target": "new"}
        for picking in self.all("stock.picking"):
            if picking["sale_id"] == order["id"] and picking["state"] != "done":
                picking["state"] = "cancel"
        order["state"] = "cancel"
        return True

    def _order_lines(self) -> list[dict[str, Any]]:
        """sale.order.line as records of their own (the fake keeps them in their order's ``order_line``): the
        product as a many2one (``[id, name]``), and the order's ``origin`` for a domain on ``order_id.origin``."""
        products = self.records.get("product.product", {})
        return [
            {
                "id": order["id"] * 1000 + i,
                "order_id": order["id"],
                "order_id.origin": order.get("origin", False),
                "product_id": [line["product_id"], products.get(line["product_id"], {}).get("name", "?")],
                "name": line.get("name") or products.get(line["product_id"], {}).get("name", "?"),
                "product_uom_qty": line["product_uom_qty"],
                "qty_delivered": line.get("qty_delivered", 0.0),
            }
            for order in self.all("sale.order")
            for i, line in enumerate(order.get("order_line") or [], 1)
        ]

    def deliver(self, order_id: int, code: str, quantity: float) -> None:
        """Odoo delivered ``quantity`` of product ``code`` of the sale.order (a done picking, qty_delivered)."""
        product = next(p["id"] for p in self.all("product.product") if p["default_code"] == code)
        line = next(x for x in self.records["sale.order"][order_id]["order_line"] if x["product_id"] == product)
        line["qty_delivered"] = line.get("qty_delivered", 0.0) + quantity
        name = f"WH/OUT/{len(self.all('stock.picking')) + 1:05d}"
        self.add("stock.picking", name=name, sale_id=order_id, state="done")

    def _create(self, model: str, values: dict[str, Any]) -> int:
        if model == "sale.order":
            for key in ("partner_id", "partner_shipping_id"):
                if key in values and values[key] not in self.records.get("res.partner", {}):
                    raise _Raised("odoo.exceptions.MissingError", f"Record does not exist ({key})")
            lines = []
            for command, _, line in values.pop("order_line", []):
                assert command == 0, "only create commands are expected"
                if line["product_id"] not in self.records.get("product.product", {}):
                    raise _Raised("odoo.exceptions.MissingError", "Record does not exist (product_id)")
                lines.append(line)
            record_id = self.add(model, **values, order_line=lines, state="draft")
            self.records[model][record_id]["name"] = f"S{record_id:05d}"
            return record_id
        return self.add(model, **values)


class _Raised(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


def _matches(record: dict[str, Any], domain: list[list[Any]]) -> bool:
    for name, op, value in domain:
        assert op in ("=", "in"), op
        if (record.get(name, False) == value) if op == "=" else (record.get(name, False) in value):
            continue
        return False
    return True


def seeded() -> FakeOdoo:
    odoo = FakeOdoo()
    odoo.add("res.partner", name="Northwind Traders", ref="northwind", type="contact", parent_id=False)
    odoo.add("product.product", name="Blue mug", default_code="MUG-BLU")
    odoo.add("product.product", name="Steel kettle", default_code="KTL-STL")
    us = odoo.add("res.country", code="US", name="United States")
    odoo.add("res.country.state", code="CA", country_id=us, name="California")
    return odoo


def config(**extra: Any) -> OdooSinkConfig:
    base = {"type": "odoo", "url": URL, "database": "acme", "username": "crossdock", "api_key": "${ODOO_KEY}"}
    return OdooSinkConfig.model_validate({"timeout": 2, **base, **extra})


def order(*lines: dict[str, str], po: str = "PO-1", price: str | None = "12.50") -> Order:
    dc = Address(lines=["1 Main St", "Dock 3"], city="Town", state="CA", postal_code="94607", country="US")
    return Order(
        po_number=po,
        partner="northwind",
        order_date=dt.date(2026, 11, 20),
        parties=[
            Party(role="BY", name="Northwind Buying", id_qualifier="92", id="NW-0001"),
            Party(role="ST", name="DC 42", address=dc),
        ],
        lines=[
            OrderLine(
                position=i,
                line_number=f"{i:04d}",
                quantity=Decimal("5"),
                uom="EA",
                unit_price=Decimal(price) if price else None,
                product_ids=ids,
                description="blue mug, 12 oz" if i == 1 else None,
            )
            for i, ids in enumerate(lines or ({"VN": "MUG-BLU"},), 1)
        ],
    )


def outbound(data: bytes, key: str = "key-1") -> Outbound:
    return Outbound(name="northwind-PO-1-r1.json", data=data, idempotency_key=key)


@pytest.fixture
def odoo(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ODOO_KEY", KEY)
    fake = seeded()
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{fake.url}/jsonrpc").mock(side_effect=fake.respx)
        yield fake


# --- the mapping --------------------------------------------------------------------------------------------


def test_the_request_names_the_po_customer_ship_to_and_each_lines_product() -> None:
    request = json.loads(order_request(order({"VN": "MUG-BLU"}, {"UP": "0123", "SK": "KTL-STL"}), config()))
    assert request["po_number"] == "PO-1" and request["date_order"] == "2026-11-20"
    assert request["customer"] == {"field": "ref", "value": "northwind"}
    assert request["ship_to"] == {
        "name": "DC 42",
        "street": "1 Main St",
        "street2": "Dock 3",
        "city": "Town",
        "zip": "94607",
        "state": "CA",
        "country": "US",
    }
    assert request["product_field"] == "default_code"
    first, second = request["lines"]
    assert first == {
        "position": 1,
        "line_number": "0001",
        "product": "MUG-BLU",
        "quantity": "5",
        "uom": "EA",
        "price_unit": "12.50",
        "description": "blue mug, 12 oz",
    }
    assert second["product"] == "KTL-STL", "SK comes before UP in the default qualifiers"


def test_the_customer_comes_from_a_configured_path_and_field() -> None:
    cfg = config(customer_field="x_edi_id", customer="parties.BY.id", ship_to="customer")
    request = json.loads(order_request(order(), cfg))
    assert request["customer"] == {"field": "x_edi_id", "value": "NW-0001"}
    assert "ship_to" not in request


def test_the_first_configured_qualifier_present_wins_and_no_price_leaves_it_to_odoo() -> None:
    cfg = config(product_ids=["UP", "VN"], product_field="barcode")
    request = json.loads(order_request(order({"VN": "MUG-BLU", "UP": "0123"}, price=None), cfg))
    (line,) = request["lines"]
    assert line["product"] == "0123" and request["product_field"] == "barcode"
    assert "price_unit" not in line


def test_a_line_without_a_product_id_is_refused_naming_the_line() -> None:
    with pytest.raises(PermanentError) as caught:
        order_request(order({"VN": "MUG-BLU"}, {"IN": "BUYER-7"}), config())
    message = str(caught.value)
    assert "order PO-1 line 2 (0002)" in message and "VN, SK, BP, UP, EN" in message and "has IN" in message


def test_an_order_without_the_customer_value_is_refused() -> None:
    with pytest.raises(PermanentError, match=r"order PO-1: no customer value at 'parties.BT.id'"):
        order_request(order(), config(customer="parties.BT.id"))


# --- the sink -------------------------------------------------------------------------------------------------


def test_an_order_becomes_one_sale_order_with_customer_ship_to_and_lines(odoo: FakeOdoo) -> None:
    sink = OdooSink("erp", config())
    data = order_request(order({"VN": "MUG-BLU"}, {"VN": "KTL-STL"}), config())
    remote = sink.send(outbound(data))
    (created,) = odoo.all("sale.order")
    assert remote == f"sale.order {created['id']} ({created['name']})"
    customer = next(p for p in odoo.all("res.partner") if p.get("ref") == "northwind")
    assert created["partner_id"] == customer["id"]
    assert created["client_order_ref"] == "PO-1" and created["origin"] == "crossdock:key-1"
    assert created["date_order"] == "2026-11-20 00:00:00" and created["state"] == "draft"
    products = {p["default_code"]: p["id"] for p in odoo.all("product.product")}
    assert created["order_line"] == [
        {"product_id": products["MUG-BLU"], "product_uom_qty": 5.0, "price_unit": 12.5, "name": "blue mug, 12 oz"},
        {"product_id": products["KTL-STL"], "product_uom_qty": 5.0, "price_unit": 12.5},
    ]
    ship_to = odoo.records["res.partner"][created["partner_shipping_id"]]
    us = odoo.all("res.country")[0]["id"]
    assert ship_to["parent_id"] == customer["id"] and ship_to["type"] == "delivery" and ship_to["name"] == "DC 42"
    assert [ship_to[k] for k in ("street", "street2", "city", "zip")] == ["1 Main St", "Dock 3", "Town", "94607"]
    assert ship_to["country_id"] == us and ship_to["state_id"] == odoo.all("res.country.state")[0]["id"]
    assert odoo.calls.count("product.product.search_read") == 1, "one lookup for all the lines"


def test_a_second_order_logs_in_once_and_reuses_the_delivery_address(odoo: FakeOdoo) -> None:
    sink = OdooSink("erp", config())
    sink.send(outbound(order_request(order(po="PO-1"), config()), key="k1"))
    sink.send(outbound(order_request(order(po="PO-2"), config()), key="k2"))
    first, second = odoo.all("sale.order")
    assert first["partner_shipping_id"] == second["partner_shipping_id"]
    assert len([p for p in odoo.all("res.partner") if p.get("type") == "delivery"]) == 1
    assert odoo.calls.count("login") == 1


def test_sending_the_same_delivery_again_returns_the_order_already_made(odoo: FakeOdoo) -> None:
    sink = OdooSink("erp", config())
    data = order_request(order(), config())
    first = sink.send(outbound(data))
    assert OdooSink("erp", config()).send(outbound(data)) == first
    assert len(odoo.all("sale.order")) == 1 and odoo.calls.count("sale.order.create") == 1


def test_confirm_confirms_also_a_quotation_an_earlier_attempt_left(odoo: FakeOdoo) -> None:
    data = order_request(order(), config())
    odoo.fail("sale.order.read", Fault(after=True, delay=1))  # created, then the answer is lost
    with pytest.raises(TransientError, match="no answer within 2 s"):
        OdooSink("erp", config(confirm=True)).send(outbound(data))
    (created,) = odoo.all("sale.order")
    assert created["state"] == "draft"
    remote = OdooSink("erp", config(confirm=True)).send(outbound(data))
    assert remote == f"sale.order {created['id']} ({created['name']})" and created["state"] == "sale"
    assert odoo.calls.count("sale.order.create") == 1


def test_unknown_products_are_permanent_and_each_is_named(odoo: FakeOdoo) -> None:
    data = order_request(order({"VN": "MUG-BLU"}, {"VN": "NOPE-1"}, {"VN": "NOPE-2"}), config())
    with pytest.raises(PermanentError) as caught:
        OdooSink("erp", config()).send(outbound(data))
    message = str(caught.value)
    assert "order PO-1" in message and "line 2 (0002): default_code='NOPE-1'" in message
    assert "line 3 (0003): default_code='NOPE-2'" in message and "MUG-BLU" not in message
    assert odoo.all("sale.order") == []


def test_an_unknown_customer_is_permanent_and_named(odoo: FakeOdoo) -> None:
    data = order_request(order(), config(customer="parties.BY.id"))
    with pytest.raises(PermanentError, match=r"order PO-1: customer ref='NW-0001' not found in Odoo"):
        OdooSink("erp", config()).send(outbound(data))


@pytest.mark.parametrize(
    ("fault", "error", "after"),
    [
        (Fault(500, {"error": "database down"}), TransientError, None),
        (Fault(503, headers={"Retry-After": "120"}), TransientError, 120.0),
        (Fault(429, headers={"Retry-After": "7"}), TransientError, 7.0),
        (Fault(408), TransientError, None),
        (Fault(404, {"error": "not found"}), PermanentError, None),
        (Fault(200, rpc_error("psycopg2.errors.SerializationFailure", "could not serialize")), TransientError, None),
        (Fault(200, rpc_error("odoo.exceptions.ValidationError", "The PO is closed.")), PermanentError, None),
        (Fault(200, rpc_error("odoo.exceptions.UserError", "Pick a pricelist.")), PermanentError, None),
        (Fault(200, rpc_error("odoo.exceptions.AccessError", "No sale orders for you.")), PermanentError, None),
    ],
)
def test_answers_map_to_transient_or_permanent(
    odoo: FakeOdoo, fault: Fault, error: type[Exception], after: float | None
) -> None:
    odoo.fail("sale.order.create", fault)
    with pytest.raises(error) as caught:
        OdooSink("erp", config()).send(outbound(order_request(order(), config())))
    message = str(caught.value)
    assert "odoo erp" in message and "sale.order.create" in message
    said = fault.body["error"]["data"]["message"] if fault.status == 200 else f"HTTP {fault.status}"
    assert said in message
    if isinstance(caught.value, TransientError):
        assert caught.value.retry_after == after
    assert odoo.all("sale.order") == []


def test_a_timeout_a_dropped_connection_or_a_page_that_is_not_json_is_transient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODOO_KEY", KEY)
    page = httpx.Response(200, text="<html>maintenance</html>")
    with respx.mock() as mock:
        mock.post(f"{URL}/jsonrpc").mock(side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), page])
        sink = OdooSink("erp", config())
        for expected in ("login: ConnectError: refused", "login: no answer within 2 s", "login: the answer is not"):
            with pytest.raises(TransientError, match=expected):
                sink.send(outbound(order_request(order(), config())))


def test_a_refused_login_is_permanent_and_never_shows_the_key(odoo: FakeOdoo) -> None:
    odoo.key = "another-key"
    with pytest.raises(PermanentError) as caught:
        OdooSink("erp", config()).send(outbound(order_request(order(), config())))
    message = str(caught.value)
    assert "refused the login of user 'crossdock' on database 'acme'" in message and KEY not in message


def test_access_denied_later_is_permanent_and_logs_in_again_next_time(odoo: FakeOdoo) -> None:
    sink = OdooSink("erp", config())
    sink.send(outbound(order_request(order(po="PO-1"), config()), key="k1"))
    odoo.fail("sale.order.search_read", Fault(200, rpc_error("odoo.exceptions.AccessDenied", "Access Denied")))
    with pytest.raises(PermanentError, match="AccessDenied"):
        sink.send(outbound(order_request(order(po="PO-2"), config()), key="k2"))
    sink.send(outbound(order_request(order(po="PO-2"), config()), key="k2"))
    assert odoo.calls.count("login") == 2 and len(odoo.all("sale.order")) == 2


def test_an_odoo_message_that_echoes_the_key_is_masked(odoo: FakeOdoo) -> None:
    odoo.fail("sale.order.create", Fault(200, rpc_error("odoo.exceptions.UserError", f"bad token {KEY}")))
    with pytest.raises(PermanentError) as caught:
        OdooSink("erp", config()).send(outbound(order_request(order(), config())))
    assert KEY not in str(caught.value) and "bad token ***" in str(caught.value)


def test_a_document_that_is_not_an_odoo_request_is_permanent(odoo: FakeOdoo) -> None:
    with pytest.raises(PermanentError, match="is not an Odoo order request"):
        OdooSink("erp", config()).send(outbound(b'{"po_number": "PO-1"}'))
    assert odoo.calls == []


# --- cancels and revisions ------------------------------------------------------------------------------------


def sold(odoo: FakeOdoo, marker_key: str = "key-1", picking: str | None = None, **lines: float) -> int:
    """A confirmed sale.order crossdock created under ``marker_key`` with ``lines`` (product code: quantity), and
    a delivery in state ``picking``."""
    products = {p["default_code"]: p["id"] for p in odoo.all("product.product")}
    made = [{"product_id": products[code.replace("_", "-")], "product_uom_qty": q} for code, q in lines.items()]
    order_id = odoo.add("sale.order", name="S00042", origin=f"crossdock:{marker_key}", state="sale", order_line=made)
    if picking is not None:
        odoo.add("stock.picking", name="WH/OUT/00007", sale_id=order_id, state=picking)
    return order_id


def cancel_outbound(reference: str = "key-1") -> Outbound:
    return Outbound("northwind-PO-1-cancelled.json", cancel_request("PO-1", reference), "cancel-1", purpose="cancel")


def test_a_cancel_cancels_the_sale_order_without_the_cancel_mail_wizard(odoo: FakeOdoo) -> None:
    order_id = sold(odoo, picking="assigned")
    assert OdooSink("erp", config()).send(cancel_outbound()) == f"sale.order {order_id} (S00042) cancelled"
    assert odoo.records["sale.order"][order_id]["state"] == "cancel"


def test_a_sale_order_cancelled_already_is_not_cancelled_again(odoo: FakeOdoo) -> None:
    order_id = sold(odoo)
    odoo.records["sale.order"][order_id]["state"] = "cancel"
    assert "by an earlier attempt" in OdooSink("erp", config()).send(cancel_outbound())
    assert "sale.order.action_cancel" not in odoo.calls


def test_a_sale_order_delivered_in_full_is_too_late_to_cancel(odoo: FakeOdoo) -> None:
    order_id = sold(odoo, MUG_BLU=5)
    odoo.deliver(order_id, "MUG-BLU", 5)
    with pytest.raises(TooLate, match=r"S00042\) of order PO-1 has shipped: every line delivered \(Blue mug: 5"):
        OdooSink("erp", config()).send(cancel_outbound())
    assert odoo.records["sale.order"][order_id]["state"] == "sale" and "sale.order.action_cancel" not in odoo.calls


def test_a_cancel_of_a_sale_order_delivered_in_part_cancels_the_rest_and_says_it_came_too_late(odoo: FakeOdoo) -> None:
    order_id = sold(odoo, MUG_BLU=5, KTL_STL=3)
    odoo.deliver(order_id, "MUG-BLU", 2)
    for _ in range(2):  # sent again (a crash before the outcome was recorded): the same answer, one cancel
        with pytest.raises(TooLate, match=r"has shipped in part \(Blue mug: 2.0 delivered\): the rest of it is"):
            OdooSink("erp", config()).send(cancel_outbound())
    assert odoo.records["sale.order"][order_id]["state"] == "cancel"
    assert odoo.calls.count("sale.order.action_cancel") == 1


def test_a_cancel_of_an_order_odoo_does_not_have_is_permanent(odoo: FakeOdoo) -> None:
    with pytest.raises(PermanentError, match=r"no sale\.order with origin crossdock:key-1"):
        OdooSink("erp", config()).send(cancel_outbound())


def test_a_revision_cancels_the_sale_order_it_replaces_then_creates_itself(odoo: FakeOdoo) -> None:
    old = sold(odoo)
    data = order_request(order(), config(), replaces="key-1")
    done = OdooSink("erp", config()).send(Outbound("northwind-PO-1-r2.json", data, "key-2", purpose="order"))
    (new,) = [o for o in odoo.all("sale.order") if o["id"] != old]
    assert odoo.records["sale.order"][old]["state"] == "cancel" and new["origin"] == "crossdock:key-2"
    assert done == f"sale.order {new['id']} ({new['name']}); sale.order {old} (S00042) cancelled"


def test_a_revision_whose_sale_order_shipped_creates_nothing(odoo: FakeOdoo) -> None:
    order_id = sold(odoo, MUG_BLU=5)
    odoo.deliver(order_id, "MUG-BLU", 5)
    data = order_request(order(), config(), replaces="key-1")
    with pytest.raises(TooLate, match="order PO-1 was delivered in full by Odoo already"):
        OdooSink("erp", config()).send(Outbound("northwind-PO-1-r2.json", data, "key-2", purpose="order"))
    assert len(odoo.all("sale.order")) == 1 and "sale.order.create" not in odoo.calls
    assert odoo.records["sale.order"][order_id]["state"] == "sale"


def test_a_revision_of_a_sale_order_delivered_in_part_brings_only_what_is_left(odoo: FakeOdoo) -> None:
    first = sold(odoo, MUG_BLU=5, KTL_STL=5)
    odoo.deliver(first, "MUG-BLU", 5)
    odoo.deliver(first, "KTL-STL", 2)
    revised = order({"VN": "MUG-BLU"}, {"VN": "KTL-STL"})
    data = order_request(revised, config(), replaces="key-1", earlier=["key-1"])
    assert_golden(CASES / "channels" / "odoo" / "change.request.json", data + b"\n")
    done = OdooSink("erp", config()).send(Outbound("northwind-PO-1-r2.json", data, "key-2", purpose="order"))
    (second,) = [o for o in odoo.all("sale.order") if o["id"] != first]
    ktl = next(p["id"] for p in odoo.all("product.product") if p["default_code"] == "KTL-STL")
    assert [(x["product_id"], x["product_uom_qty"]) for x in second["order_line"]] == [(ktl, 3.0)], "MUG went in full"
    assert odoo.records["sale.order"][first]["state"] == "cancel" and "left out (1 line(s) in full)" in done
    calls = odoo.calls.count("sale.order.line.search_read")
    odoo.deliver(second["id"], "KTL-STL", 1)  # the next revision counts what every earlier sale.order delivered
    revised.lines[1].quantity = Decimal(6)
    data = order_request(revised, config(), replaces="key-2", earlier=["key-1", "key-2"])
    OdooSink("erp", config()).send(Outbound("northwind-PO-1-r3.json", data, "key-3", purpose="order"))
    (third,) = [o for o in odoo.all("sale.order") if o["id"] not in (first, second["id"])]
    assert [(x["product_id"], x["product_uom_qty"]) for x in third["order_line"]] == [(ktl, 3.0)], "6 less 2 less 1"
    assert odoo.calls.count("sale.order.line.search_read") == calls + 1, "one read of what was delivered"
