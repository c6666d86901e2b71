"""ShipBob, the 3PL reference: orders go in through its order API, shipments come back by polling it.

Written from ShipBob's public API documentation (developer.shipbob.com, API version 2026-01); the facts
relied on, and where they come from:

- ``POST /2026-01/order`` creates an order, with ``Authorization: Bearer <personal access token>`` and the
  ``shipbob_channel_id`` header (required). Required body fields: ``reference_id`` ("unique and immutable",
  unique per channel), ``type`` (DTC, DropShip, B2B), ``shipping_method``, ``recipient`` (name; address1,
  city, country), ``products`` (by ``reference_id`` with ``name`` and ``quantity``; optional integer
  ``external_line_id``, ``quantity_unit_of_measure_code`` EA/INP/CS/PL). ``order_number`` is optional and need
  not be unique; ``tags`` are name/value pairs kept for API use. 201 answers the order (``id``, ...).
  [api/orders/create-order, guides/orders, concepts]
- 422 is "Duplicate reference ID: you have already created a product or order with the same reference_id";
  400 and 422 bodies are ``{field: [messages]}``. [errors; the published OpenAPI of 2026-01]
- ``GET /2026-01/order`` filters by ``ReferenceIds``, ``LastUpdateStartDate``, ``IsTrackingUploaded``, pages
  with ``Page`` and ``Limit`` (1-250) and answers a JSON list of orders, each with ``channel`` {id},
  ``order_number``, ``reference_id``, ``products`` (with ``external_line_id``), ``tags`` and ``shipments``.
  [api/orders/get-orders] A further page is announced by a ``next-page`` header [faq]; ``total-pages`` and
  ``page-number`` headers [unverified: seen in a third-party client of API 2.0].
- A shipment: ``id``, ``status`` (``Completed``: it has left ShipBob; also Processing, Exception, OnHold,
  Cancelled, LabeledCreated ...), ``actual_fulfillment_date``, ``tracking`` {carrier, carrier_service,
  tracking_number, scac, bol, pro_number, shipping_date}, ``measurements`` {total_weight_oz}, ``products``
  [{reference_id, sku, name, inventory_items [{quantity, lot}]}], ``is_tracking_uploaded``. Its products
  carry no ``external_line_id``. [status-reference; OpenAPI ShipmentViewModel]
- ``POST /2026-01/shipment:batchUpdateTrackingUpload`` {shipment_ids, is_tracking_uploaded} marks shipments
  as synced, so ``IsTrackingUploaded=false`` no longer returns them. [api/orders/mark-tracking-uploaded]
- With ``estimated_delivery``, each new shipment's delivery estimate is asked of the tracking API
  (``shipbob_tracking``) and goes in its document as ``tracking``.
- 150 requests a minute (sliding window); over it, 429 with ``x-retry-after`` seconds. [rate-limit]
- [unverified] the exact wording of the duplicate answer (any 409 or 422 is checked by looking the reference
  up); whether ``GET /order`` keeps to the header's channel (the source filters on ``channel.id`` itself);
  that dates must go unescaped in the query (a third-party SDK says so; they are sent unescaped).

- ``POST /2026-01/order/{orderId}:cancel`` cancels an order and its shipments, when the order is still in a
  cancellable state; 200 answers ``canceled_shipment_results`` [{shipment_id, action, is_success, reason}].
  A shipment can be cancelled only before it is picked, packed or shipped. [api/orders/cancel-order,
  cancel-shipment-by-order-id-and-shipment-id] [unverified] how a refused cancel is answered (a 4xx, or a
  200 with ``is_success`` false): either way the order is read again and its shipments' status decides.

The sink sets ``reference_id`` to the delivery's idempotency key, so a retry after a timeout where ShipBob
did create the order is answered 422, found by that reference, and counted as done: never a second order.
A delivery of purpose ``cancel`` cancels the order created under the reference it names; an order request
that names the order it replaces (a new revision: ShipBob cannot change an order's products) cancels that one
first and is created only once it is cancelled. An order ShipBob has shipped, or has begun to, wins: the sink
raises ``TooLate`` and creates nothing.

The source has no store: each poll reads the orders updated within ``lookback`` and yields every shipped
shipment under the identity ``shipbob:shipment:<id>``, which the store recognises when it is read again; one
whose status details say the carrier delivered it (``mappings/shipbob.py``) under ``shipbob:shipment:<id>:delivered``,
so that reading is stored once more, once, and records the delivery. With ``mark_uploaded`` the shipments not yet
flagged are read as above, and flagged once stored; a second query (``IsTrackingUploaded=true``) reads the flagged
ones again within ``lookback`` for their deliveries only.
With ``read_returns``, then each completed return (``shipbob_returns.py``, where returns are also told to ShipBob).
The token travels only in the Authorization header and never appears in an error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain
from typing import Any

import httpx

from crossdock.connectors.shipbob_client import Api, next_path
from crossdock.connectors.shipbob_config import ShipBobSinkConfig, ShipBobSourceConfig
from crossdock.connectors.shipbob_returns import completed_returns, send_return
from crossdock.connectors.shipbob_tracking import estimate
from crossdock.core.errors import CrossdockError, PermanentError, TooLate, TransientError
from crossdock.core.ports import Inbound, Outbound
from crossdock.mappings.shipbob import KNOWN_SHIPMENTS, REPLACES, SHIPPED, delivered
from crossdock.mappings.shipbob_cancel import cancel_refusals, left_shipments, read_cancel, shipped_already

CANCEL = "cancel"  # the delivery purpose of a cancel (core/lifecycle/destination_changes.py)
RETURNS = ("return", "return-cancel")  # a return told to the warehouse, or its cancel (core/returns/notice.py)

DUPLICATE = frozenset({409, 422})
MAX_PAGES = 400
STAMP = "%Y-%m-%dT%H:%M:%SZ"  # how a date goes in ShipBob's query
ORDER_FIELDS = ("id", "reference_id", "order_number", "status", "channel", "products", "tags")


def _order_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body["id"]) if isinstance(body, dict) and body.get("id") is not None else None


class ShipBobSink:
    """Creates one ShipBob order per delivery; the delivery's key is the order's ``reference_id``."""

    def __init__(self, name: str, config: ShipBobSinkConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.name = name
        self.config = config
        self._api = Api(f"shipbob {name}", config, config.channel_id, transport)

    def send(self, document: Outbound) -> str:
        if document.purpose == CANCEL:
            cancel = read_cancel(document.data, f"shipbob {self.name}: {document.name}")
            return self._cancel(cancel.reference_id, frozenset(cancel.shipped))
        if document.purpose in RETURNS:
            config = self.config
            return send_return(
                self._api, document.name, document.data, self._lookup, config.return_center, config.channel_id
            )
        try:
            body = json.loads(document.data)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PermanentError(f"shipbob {self.name}: {document.name} is not a ShipBob order request (JSON object)")
        reference = document.idempotency_key
        replaces = body.pop(REPLACES, None)
        known = body.pop(KNOWN_SHIPMENTS, None)
        cancelled = ""
        if replaces is not None:
            found = self._find(reference)
            if found is not None:  # an earlier attempt cancelled the old order and created this one
                return f"shipbob order {found} (reference {reference}, created by an earlier attempt)"
            counted = frozenset(str(k) for k in known) if isinstance(known, list) else frozenset()
            cancelled = f"; {self._cancel(str(replaces), counted)}"
        body["reference_id"] = reference
        response = self._api.call("POST", "/order", body=body)
        if response.is_success:
            return f"shipbob order {_order_id(response) or '(no id given)'} (reference {reference}){cancelled}"
        refused = self._api.refused(response)
        if response.status_code in DUPLICATE:  # a duplicate reference, or a validation error: the lookup tells
            try:
                found = self._find(reference)
            except PermanentError as exc:
                raise PermanentError(f"{refused}; looking the reference up failed too: {exc}") from None
            if found is not None:
                return f"shipbob order {found} (reference {reference}, created by an earlier attempt)"
        raise PermanentError(refused)

    def _find(self, reference: str) -> str | None:
        """The id of the order created under ``reference``, if ShipBob has one (a retry after a lost answer)."""
        order = self._lookup(reference)
        return None if order is None else str(order["id"])

    def _lookup(self, reference: str) -> dict[str, Any] | None:
        """The order created under ``reference``, as ShipBob lists it, if it has one."""
        response = self._api.call("GET", "/order", query={"ReferenceIds": reference})
        if not response.is_success:
            raise PermanentError(self._api.refused(response))
        for order in _list(response, self._api):
            if isinstance(order, dict) and order.get("reference_id") == reference and order.get("id") is not None:
                return order
        return None

    def _cancel(self, reference: str, counted: frozenset[str] = frozenset()) -> str:
        """Cancel the order created under ``reference``; one cancelled already counts as done. One that has
        shipped, or whose shipments ShipBob would not cancel, raises ``TooLate`` with ShipBob's reasons; when
        every shipment that left is one crossdock ``counted`` (what replaces the order is what is left after
        them), only the order's open shipments are cancelled."""
        order = self._lookup(reference)
        if order is None:
            raise PermanentError(f"shipbob {self.name}: no ShipBob order under reference {reference} to cancel")
        order_id = str(order["id"])
        said = f"shipbob {self.name}: order {order_id} ({order.get('order_number')}, reference {reference})"
        if order.get("status") == "Cancelled":
            return f"shipbob order {order_id} cancelled (by an earlier attempt)"
        if counted and left_shipments(order, counted) is not None:
            return self._cancel_open(order, order_id, reference, counted, said)
        late = shipped_already(order)
        if late is not None:
            raise TooLate(f"{said} cannot be cancelled: {late}")
        response = self._api.call("POST", f"/order/{order_id}:cancel")
        if not response.is_success:
            again = self._lookup(reference)
            late = shipped_already(again) if again is not None else None
            if late is not None:
                raise TooLate(f"{said} cannot be cancelled: {late}")
            raise PermanentError(self._api.refused(response))
        try:
            refused = cancel_refusals(response.json())
        except ValueError:
            refused = []
        if refused:
            raise TooLate(f"{said}: ShipBob did not cancel {'; '.join(refused)}")
        return f"shipbob order {order_id} cancelled"

    def _cancel_open(
        self, order: dict[str, Any], order_id: str, reference: str, counted: frozenset[str], said: str
    ) -> str:
        """The open shipments of a partly shipped order cancelled one by one, those that left kept. One ShipBob
        would not cancel is read again: cancelled meanwhile is done, picked or shipped meanwhile is ``TooLate``."""
        cancelled = []
        for shipment_id in left_shipments(order, counted) or []:
            response = self._api.call("POST", f"/order/{order_id}/shipment/{shipment_id}:cancel")
            if not response.is_success:
                again = self._lookup(reference)
                still = left_shipments(again, counted) if again is not None else None
                if still is None:
                    raise TooLate(f"{said}: shipment {shipment_id} cannot be cancelled: it has left or is packed")
                if shipment_id in still:
                    raise PermanentError(self._api.refused(response))
            cancelled.append(shipment_id)
        kept = ", ".join(sorted(counted))
        return f"shipbob order {order_id}: open shipments {', '.join(cancelled) or 'none'} cancelled (kept: {kept})"

    def close(self) -> None:
        self._api.close()


def _list(response: httpx.Response, api: Api) -> list[Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, list):
        raise TransientError(f"{api.who}: {response.request.url.path} did not answer a JSON list of orders")
    return body


def _more(response: httpx.Response, page: int, count: int, size: int) -> bool:
    """Whether another page follows: ``total-pages`` when given, else a ``next-page`` header or a full page."""
    if count == 0:
        return False
    total = response.headers.get("total-pages", "")
    if total.isdecimal():
        return page < int(total)
    return bool(response.headers.get("next-page")) or count >= size


class ShipBobSource:
    """Each shipped ShipBob shipment of the orders updated within ``lookback``, as one JSON document."""

    def __init__(
        self,
        name: str,
        config: ShipBobSourceConfig,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self._transport = transport
        self._now = now or (lambda: dt.datetime.now(dt.UTC))

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        api = Api(f"source {self.name}", self.config, self.config.channel_id, self._transport)
        since = (self._now().astimezone(dt.UTC) - dt.timedelta(seconds=self.config.lookback)).strftime(STAMP)
        returned = completed_returns(api, self.config.channel_id, since, partial(next_path, api=api))
        try:
            yield chain(self._shipments(api), returned if self.config.read_returns else ())
        finally:
            api.close()

    def _orders(self, api: Api, uploaded: bool | None = None) -> Iterator[dict[str, Any]]:
        since = self._now().astimezone(dt.UTC) - dt.timedelta(seconds=self.config.lookback)
        query = {"LastUpdateStartDate": since.strftime(STAMP), "Limit": str(self.config.page_size)}
        if uploaded is not None:
            query["IsTrackingUploaded"] = "true" if uploaded else "false"
        for page in range(1, MAX_PAGES + 1):
            response = api.call("GET", "/order", query={**query, "Page": str(page)})
            if not response.is_success:
                raise CrossdockError(api.refused(response))
            orders = _list(response, api)
            yield from (order for order in orders if isinstance(order, dict))
            if not _more(response, page, len(orders), self.config.page_size):
                return
        raise CrossdockError(f"{api.who}: more than {MAX_PAGES} pages of orders; shorten lookback")

    def _shipments(self, api: Api) -> Iterator[Inbound]:
        marking = self.config.mark_uploaded
        yield from self._read(api, self._orders(api, False if marking else None), marked=False)
        if marking:  # shipments flagged earlier are left out above: their deliveries are read here
            yield from self._read(api, self._orders(api, True), marked=True)

    def _read(self, api: Api, orders: Iterator[dict[str, Any]], *, marked: bool) -> Iterator[Inbound]:
        """The shipped shipments of ``orders``; with ``marked``, only the delivered ones ShipBob has flagged."""
        channel = self.config.channel_id
        for order in orders:
            if channel is not None and str((order.get("channel") or {}).get("id")) != channel:
                continue  # another channel's order (the merchant's web shop): not one crossdock created
            for shipment in order.get("shipments") or []:
                if not isinstance(shipment, dict) or shipment.get("status") not in SHIPPED:
                    continue
                flagged = bool(self.config.mark_uploaded and shipment.get("is_tracking_uploaded"))
                if shipment.get("id") is None or flagged != marked or (marked and not delivered(shipment)):
                    continue
                shipment_id = str(shipment["id"])
                marking = self.config.mark_uploaded and not marked  # flagged once stored
                data = {"order": {k: order.get(k) for k in ORDER_FIELDS}, "shipment": shipment}
                if self.config.estimated_delivery and (edd := estimate(api.call, api.who, shipment)) is not None:
                    data["tracking"] = edd
                arrived = delivered(shipment)  # a new remote object: the shipment read again, now delivered
                yield Inbound(
                    name=f"shipbob-shipment-{shipment_id}{'-delivered' if arrived else ''}.json",
                    data=json.dumps(data, sort_keys=True).encode("utf-8") + b"\n",
                    identity=f"shipbob:shipment:{shipment_id}{':delivered' if arrived else ''}",
                    settle=partial(self._mark, api, shipment_id) if marking else _nothing,
                )

    def _mark(self, api: Api, shipment_id: str) -> None:
        """With ``mark_uploaded``: flag the stored shipment so the next poll's query leaves it out."""
        body = {
            "shipment_ids": [int(shipment_id) if shipment_id.isdecimal() else shipment_id],
            "is_tracking_uploaded": True,
        }
        response = api.call("POST", "/shipment:batchUpdateTrackingUpload", body=body)
        if not response.is_success:
            raise CrossdockError(api.refused(response))


def _nothing() -> None:
    return None


def inventory_levels(who: str, config: ShipBobSinkConfig | ShipBobSourceConfig, transport: Any = None) -> bytes:
    """Every inventory item's levels by fulfilment center, all pages, as one JSON array of the pages as ShipBob
    answered them: the raw document a stock source stores (``mappings/shipbob_stock.py`` reads it).

    ``GET /<version>/inventory-level/locations`` (ShipBob's "Get All Inventory Levels Grouped By Fulfillment
    Center", with ``PageSize``); each item has ``inventory_id``, ``sku`` and ``locations`` [{``location_id``,
    ``name``, ``on_hand_quantity``, ``fulfillable_quantity`` ...}]. [unverified] the envelope of a page (a list,
    or an object with ``items`` and a ``next`` link) and how a next page is named: both are followed, on
    ShipBob's own host only."""
    api = Api(f"stock {who}", config, getattr(config, "channel_id", None), transport)
    pages: list[Any] = []
    try:
        path, query = "/inventory-level/locations", {"PageSize": "250"}
        for _ in range(MAX_PAGES):
            response = api.call("GET", path, query=query)
            if not response.is_success:
                raise CrossdockError(api.refused(response))
            body = _body(response, api)
            pages.append(body)
            link = body.get("next") if isinstance(body, dict) else response.headers.get("next-page")
            if not isinstance(link, str) or not link:
                return json.dumps(pages, separators=(",", ":")).encode()
            path, query = next_path(link, api), {}
    finally:
        api.close()
    raise CrossdockError(f"{api.who}: more than {MAX_PAGES} pages of inventory levels")


def _body(response: httpx.Response, api: Api) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransientError(f"{api.who}: inventory levels: not JSON") from None
