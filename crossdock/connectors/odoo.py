"""Odoo ERP sink: each order request (``crossdock.mappings.odoo``) becomes one ``sale.order`` over JSON-RPC.

What this relies on, from Odoo's External RPC API documentation (odoo/documentation,
content/developer/reference/external_rpc_api.rst) and Odoo's source (odoo/odoo):

* POST ``<url>/jsonrpc`` with ``{"jsonrpc": "2.0", "method": "call", "params": {"service", "method",
  "args"}}``. ``common.login(db, login, password)`` answers the user id, or ``false`` for a bad login
  (odoo/service/common.py). ``object.execute_kw(db, uid, password, model, method, args, kwargs)`` calls a
  model method. Since Odoo 14 an API key replaces the password. The RPC endpoints are deprecated since
  19.0 (revisions of the page name Odoo 20 to 22 for their removal); ``/json/2`` replaces them.
* A failed call still answers HTTP 200, with ``{"error": {"code": 200, "message": "Odoo Server Error",
  "data": {"name": "odoo.exceptions.AccessDenied", "message": ...}}}``; ``data.name`` is the Python
  exception (AccessDenied, AccessError, ValidationError, UserError, MissingError) (``odoo.http``'s
  serialize_exception; Cybrosys, "How to handle API errors effectively in Odoo 19").
* ``sale.order`` takes ``partner_id``, ``partner_shipping_id``, ``client_order_ref`` (the customer's
  reference), ``origin`` (source document), ``date_order`` and ``order_line`` as create commands
  ``[0, 0, {product_id, product_uom_qty, price_unit, name}]``; its ``name`` is the reference (S00042) and
  ``action_confirm`` turns the quotation into an order. ``res.partner`` has ``ref``, ``parent_id``,
  ``type`` (contact, invoice, delivery, other) and the address fields; ``product.product`` has
  ``default_code`` (the models' field definitions in odoo/odoo; the one2many commands in the ORM reference).
  Each database lists its own models and fields on its ``/doc`` page.

One send: log in (the uid is kept per sink), then look for a sale.order whose ``origin`` is
``crossdock:<idempotency key>``: when an earlier attempt created it but its answer was lost (a timeout),
that order is returned, never created twice. The marker goes in with the create itself, so the order
exists exactly when the marker does. Otherwise the customer and all products are looked up (one
``search_read`` per model) and the order is created. The ship-to is a delivery address under the
customer, found by name or created (a retry finds the one it created).

A cancel (a delivery of purpose ``cancel``) finds the sale.order by the marker of the delivery that created it
and calls ``action_cancel`` with ``disable_cancel_warning`` in the context (without it, Odoo answers a
confirmed order with the "send the customer a cancel mail" wizard and cancels nothing: sale/models/
sale_order.py, ``_show_cancel_wizard``). An order already cancelled counts as done. Odoo reports no shipments
crossdock records, so what it delivered is read first, one ``search_read`` of ``sale.order.line``
(``qty_delivered``, a field of the Sales app itself, counted from done deliveries with the Inventory app): a
sale.order whose every line is delivered has shipped, ``TooLate``, nothing is cancelled; one delivered in part
has the rest cancelled (Odoo cancels the deliveries not done and keeps the done ones), then ``TooLate`` naming what
went, so the source hears it. A new revision (``replaces`` set) is created only after the sale.order it replaces
is cancelled: Odoo would change a confirmed order's lines, but not those of its deliveries already in the
warehouse's hands, so crossdock cancels and creates instead. It brings what is left: each line less what Odoo
delivered of its product under every sale.order made for the order before (``earlier``, read in the same one
call); a line delivered in full is left out, and when nothing is left the revision is ``TooLate`` and the
sale.order it replaces is left as it is.

Outcomes: 408, 425, 429, 5xx, timeouts, dropped connections and unrecognised Odoo errors are transient
(Retry-After passed on); bad credentials, an unknown customer or product, and Odoo's validation and user
errors are permanent, with Odoo's message. The API key never appears in an error.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import httpx
from pydantic import ValidationError

from crossdock.connectors.http import RETRYABLE, retry_after
from crossdock.connectors.odoo_config import OdooSinkConfig
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import CrossdockError, PermanentError, TooLate, TransientError
from crossdock.core.ports import Outbound
from crossdock.mappings.odoo import Line, OdooCancel, OdooOrder, ShipTo, left_to_deliver

MARKER = "crossdock:"
CANCEL = "cancel"  # the delivery purpose of a cancel (core/lifecycle/destination_changes.py)
PERMANENT = {
    "AccessError": "Odoo refused access",
    "ValidationError": "Odoo refused the order",
    "UserError": "Odoo refused the order",
    "MissingError": "a record Odoo needs is gone",
    "RedirectWarning": "Odoo refused the order",
}


class OdooSink:
    def __init__(self, name: str, config: OdooSinkConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        self._key = resolve_secret(config.api_key) or ""
        self._endpoint = config.url.rstrip("/") + "/jsonrpc"
        self._client = httpx.Client(timeout=config.timeout, transport=transport)
        self._ids = itertools.count(1)
        self._uid: int | None = None

    def send(self, document: Outbound) -> str:
        if document.purpose == CANCEL:
            try:
                cancel = OdooCancel.model_validate_json(document.data)
            except ValidationError as exc:
                raise PermanentError(f"odoo {self.name}: {document.name} is not an Odoo cancel: {exc}") from None
            return self._cancel(cancel.reference, cancel.po_number)
        try:
            request = OdooOrder.model_validate_json(document.data)
        except ValidationError as exc:
            raise PermanentError(f"odoo {self.name}: {document.name} is not an Odoo order request: {exc}") from None
        marker = MARKER + document.idempotency_key
        found = self._search_read("sale.order", [["origin", "=", marker]], ["name", "state"], limit=1)
        if found:
            return self._finish(found[0]["id"], found[0]["name"], found[0]["state"])
        products = self._products(request)
        cancelled = ""
        if request.replaces is not None:
            request, left_out = self._left(request, products)
            cancelled = f"; {self._cancel(request.replaces or '', request.po_number, replaced=True)}{left_out}"
        customer = self._customer(request)
        values: dict[str, Any] = {
            "partner_id": customer,
            "client_order_ref": request.po_number,
            "origin": marker,
            "order_line": [[0, 0, _line_values(line, products[line.product])] for line in request.lines],
        }
        if request.date_order is not None:
            values["date_order"] = f"{request.date_order.isoformat()} 00:00:00"
        if request.ship_to is not None:
            values["partner_shipping_id"] = self._ship_to(customer, request.ship_to)
        order_id = self._execute("sale.order", "create", [values])
        if not isinstance(order_id, int):
            raise TransientError(f"{self._where()}: sale.order create answered {order_id!r}, not an id")
        (read,) = self._execute("sale.order", "read", [[order_id]], {"fields": ["name", "state"]})
        return self._finish(order_id, read["name"], read["state"]) + cancelled

    def close(self) -> None:
        self._client.close()

    def _cancel(self, reference: str, po_number: str, *, replaced: bool = False) -> str:
        """Cancel the sale.order created under ``reference`` (what it has not delivered: Odoo keeps its done
        deliveries). A cancel of the order reads its lines first: ``TooLate`` when they are all delivered, and,
        once the rest is cancelled, when some were (the source must hear they went); a revision that replaces
        it (``replaced``) was cut to what is left by ``_left``."""
        found = self._search_read("sale.order", [["origin", "=", MARKER + reference]], ["name", "state"], limit=1)
        if not found:
            raise PermanentError(f"{self._where()}: order {po_number}: no sale.order with origin {MARKER}{reference}")
        order_id, name = int(found[0]["id"]), found[0]["name"]
        what = f"{self._where()}: sale.order {order_id} ({name}) of order {po_number}"
        lines = [] if replaced else self._lines([["order_id", "=", order_id]])
        went = [line for line in lines if _quantity(line.get("qty_delivered")) > 0]
        if went and all(_quantity(x.get("qty_delivered")) >= _quantity(x.get("product_uom_qty")) for x in lines):
            raise TooLate(f"{what} has shipped: every line delivered ({_said(went)})")
        if found[0]["state"] != "cancel":
            self._execute("sale.order", "action_cancel", [[order_id]], {"context": {"disable_cancel_warning": True}})
        if went:
            raise TooLate(f"{what} has shipped in part ({_said(went)}): the rest of it is cancelled in Odoo")
        if found[0]["state"] == "cancel":
            return f"sale.order {order_id} ({name}) cancelled (by an earlier attempt)"
        return f"sale.order {order_id} ({name}) cancelled"

    def _left(self, request: OdooOrder, products: dict[str, int]) -> tuple[OdooOrder, str]:
        """A revision cut to what Odoo has not delivered under the sale.orders made for the order before (one read
        of their lines' ``qty_delivered``; Odoo reports no shipments crossdock records). ``TooLate`` when nothing
        is left: the order went out as it was."""
        markers = [MARKER + key for key in dict.fromkeys([*(request.earlier or []), request.replaces or ""])]
        codes = {product_id: code for code, product_id in products.items()}
        delivered: dict[str, Decimal] = {}
        for line in self._lines([["order_id.origin", "in", markers]]):
            code = codes.get(_record_id(line.get("product_id")) or 0)
            if code is not None:
                delivered[code] = delivered.get(code, Decimal(0)) + _quantity(line.get("qty_delivered"))
        if not any(delivered.values()):
            return request, ""
        left = left_to_deliver(request.lines, delivered)
        if not left:
            raise TooLate(f"{self._where()}: order {request.po_number} was delivered in full by Odoo already")
        gone = len(request.lines) - len(left)
        said = "; what Odoo delivered is left out" + (f" ({gone} line(s) in full)" if gone else "")
        return request.model_copy(update={"lines": left}), said

    def _lines(self, domain: list[list[Any]]) -> list[dict[str, Any]]:
        """sale.order.line records: each one's product, quantity ordered and quantity delivered."""
        return self._search_read("sale.order.line", domain, ["name", "product_id", "product_uom_qty", "qty_delivered"])

    # --- the steps of a send ---------------------------------------------------------------------------

    def _finish(self, order_id: int, name: str, state: str) -> str:
        """Confirm when asked (again after a lost answer: a quotation left by the last attempt is confirmed)."""
        if self.config.confirm and state in ("draft", "sent"):
            self._execute("sale.order", "action_confirm", [[order_id]])
        return f"sale.order {order_id} ({name})"

    def _customer(self, request: OdooOrder) -> int:
        """The customer is the first res.partner (by id) whose field has the value; none is permanent."""
        lookup = request.customer
        found = self._search_read("res.partner", [[lookup.field, "=", lookup.value]], ["id"], limit=1, order="id")
        if not found:
            raise PermanentError(
                f"{self._where()}: order {request.po_number}: customer {lookup.field}={lookup.value!r} "
                "not found in Odoo (res.partner)"
            )
        return int(found[0]["id"])

    def _products(self, request: OdooOrder) -> dict[str, int]:
        """Every line's product in one search; the lines whose code Odoo does not have are named, all at once."""
        field = request.product_field
        codes = sorted({line.product for line in request.lines})
        found = self._search_read("product.product", [[field, "in", codes]], ["id", field])
        ids: dict[str, int] = {}
        for record in found:
            ids.setdefault(str(record[field]), int(record["id"]))
        missing = [line for line in request.lines if line.product not in ids]
        if missing:
            named = "; ".join(
                f"line {line.position}"
                + (f" ({line.line_number})" if line.line_number else "")
                + f": {field}={line.product!r}"
                for line in missing
            )
            raise PermanentError(
                f"{self._where()}: order {request.po_number}: no such active product in Odoo (product.product): {named}"
            )
        return ids

    def _ship_to(self, customer: int, ship_to: ShipTo) -> int:
        """The customer's delivery address of that name; created (with its address) when there is none."""
        domain: list[list[Any]] = [["parent_id", "=", customer], ["type", "=", "delivery"], ["name", "=", ship_to.name]]
        found = self._search_read("res.partner", domain, ["id"], limit=1, order="id")
        if found:
            return int(found[0]["id"])
        values: dict[str, Any] = {"parent_id": customer, "type": "delivery", "name": ship_to.name}
        for key in ("street", "street2", "city", "zip"):
            if getattr(ship_to, key):
                values[key] = getattr(ship_to, key)
        if ship_to.country:
            country = self._search_read("res.country", [["code", "=", ship_to.country.upper()]], ["id"], limit=1)
            if country:
                values["country_id"] = country[0]["id"]
                if ship_to.state:
                    state = [["code", "=", ship_to.state.upper()], ["country_id", "=", country[0]["id"]]]
                    states = self._search_read("res.country.state", state, ["id"], limit=1)
                    if states:
                        values["state_id"] = states[0]["id"]
        created = self._execute("res.partner", "create", [values])
        if not isinstance(created, int):
            raise TransientError(f"{self._where()}: res.partner create answered {created!r}, not an id")
        return created

    # --- JSON-RPC -----------------------------------------------------------------------------------------

    def _search_read(
        self, model: str, domain: list[list[Any]], fields: list[str], *, limit: int = 0, order: str | None = None
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"fields": fields}
        if limit:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        result = self._execute(model, "search_read", [domain], kwargs)
        if not isinstance(result, list):
            raise TransientError(f"{self._where()}: {model}.search_read answered {type(result).__name__}, not a list")
        return result

    def _execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        uid = self._login()
        call = [self.config.database, uid, self._key, model, method, args, kwargs or {}]
        return self._call("object", "execute_kw", call, f"{model}.{method}")

    def _login(self) -> int:
        if self._uid is None:
            config = self.config
            uid = self._call("common", "login", [config.database, config.username, self._key], "login")
            if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                raise PermanentError(self._refused())
            self._uid = uid
        return self._uid

    def _call(self, service: str, method: str, args: list[Any], what: str) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        where = f"{self._where()}: {what}"
        try:
            response = self._client.post(self._endpoint, json=body)
        except httpx.TimeoutException:
            raise TransientError(f"{where}: no answer within {self.config.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise TransientError(self._clean(f"{where}: {type(exc).__name__}: {exc}")) from None
        code = response.status_code
        if code != 200:
            said = response.text[:300].strip().replace("\n", " ")
            message = self._clean(f"{where}: HTTP {code} {response.reason_phrase}" + (f": {said}" if said else ""))
            if code in RETRYABLE or code >= 500:
                raise TransientError(message, retry_after=retry_after(response.headers.get("Retry-After")))
            raise PermanentError(message)
        try:
            answer = response.json()
        except ValueError:
            raise TransientError(f"{where}: the answer is not JSON (a proxy page?)") from None
        if not isinstance(answer, dict):
            raise TransientError(f"{where}: the answer is not a JSON-RPC response")
        if "error" in answer:
            raise self._rpc_error(where, answer["error"])
        return answer.get("result")

    def _rpc_error(self, where: str, error: Any) -> PermanentError | TransientError:
        """Odoo's exception, by its class name: refusals are permanent, anything unclear is worth retrying."""
        error = error if isinstance(error, dict) else {"message": str(error)}
        data = error.get("data") if isinstance(error.get("data"), dict) else {}
        name = str(data.get("name") or "")
        said = str(data.get("message") or error.get("message") or "")
        short = name.rsplit(".", 1)[-1]
        if short == "AccessDenied":
            self._uid = None  # a revoked key: log in again once the cause is fixed
            return PermanentError(self._refused())
        if name.startswith("odoo.") and short in PERMANENT:
            return PermanentError(self._clean(f"{where}: {PERMANENT[short]} ({short}): {said}"))
        return TransientError(self._clean(f"{where}: Odoo error {name or 'without a name'}: {said}"[:600]))

    def _refused(self) -> str:
        config = self.config
        return (
            f"{self._where()}: Odoo refused the login of user {config.username!r} on database {config.database!r} "
            "(AccessDenied): check username, database and the api_key"
        )

    def _where(self) -> str:
        return f"odoo {self.name} ({self.config.url})"

    def _clean(self, message: str) -> str:
        return message.replace(self._key, "***") if self._key else message


def _quantity(value: Any) -> Decimal:
    """An Odoo quantity (a float in JSON-RPC) as a Decimal; anything else counts as none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Decimal(0)
    number = Decimal(str(value))
    return number if number.is_finite() else Decimal(0)


def _record_id(value: Any) -> int | None:
    """A many2one as JSON-RPC reads it (``[id, "name"]``), or a bare id."""
    found = value[0] if isinstance(value, list) and value else value
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def _said(lines: list[dict[str, Any]]) -> str:
    """The delivered lines in words, for the too-late alert: ten at most, each name cut short."""
    said = [f"{str(x.get('name') or '?')[:60]}: {_quantity(x.get('qty_delivered'))} delivered" for x in lines[:10]]
    return ", ".join(said) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")


def _line_values(line: Line, product_id: int) -> dict[str, Any]:
    """One sale.order.line; without a price Odoo's pricelist sets it, without a description the product's."""
    values: dict[str, Any] = {"product_id": product_id, "product_uom_qty": float(line.quantity)}
    if line.price_unit is not None:
        values["price_unit"] = float(line.price_unit)
    if line.description:
        values["name"] = line.description
    return values


QUANTS_PAGE = 5000
MAX_QUANTS = 2_000_000


def stock_quants(name: str, config: OdooSinkConfig, transport: httpx.BaseTransport | None = None) -> bytes:
    """Odoo's on-hand stock for a stock source: every ``stock.quant`` in an internal location (``product_id``,
    ``location_id``, ``quantity``), a page at a time, and the ``default_code`` of their products, as one JSON
    document (``mappings/odoo_stock.py`` reads it). ``stock.quant`` is the Inventory app's record of a product's
    quantity at a location; ``location_id.usage`` ``internal`` leaves out customers, vendors and transit."""
    sink = OdooSink(name, config, transport)
    try:
        quants: list[dict[str, Any]] = []
        domain = [["location_id.usage", "=", "internal"]]
        fields = ["product_id", "location_id", "quantity"]
        while True:
            kwargs = {"fields": fields, "limit": QUANTS_PAGE, "offset": len(quants), "order": "id"}
            page = sink._execute("stock.quant", "search_read", [domain], kwargs)
            if not isinstance(page, list):
                raise TransientError(f"{sink._where()}: stock.quant.search_read answered no list")
            quants.extend(q for q in page if isinstance(q, dict))
            if len(page) < QUANTS_PAGE:
                break
            if len(quants) >= MAX_QUANTS:
                raise CrossdockError(f"{sink._where()}: more than {MAX_QUANTS} stock quants")
        ids = sorted({q["product_id"][0] for q in quants if isinstance(q.get("product_id"), list) and q["product_id"]})
        products: list[dict[str, Any]] = []
        for i in range(0, len(ids), 1000):
            products += sink._search_read("product.product", [["id", "in", ids[i : i + 1000]]], ["default_code"])
        return json.dumps({"quants": quants, "products": products}, separators=(",", ":")).encode()
    finally:
        sink.close()
