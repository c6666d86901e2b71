"""ShipBob's returns API in both directions: a return told to ShipBob, and ShipBob's processed return read back.

Written from ShipBob's public API documentation (developer.shipbob.com, returns guide and API 2026-01); no
owner-published payloads were found, so the shapes below are from the reference pages:

- ``POST /<version>/return`` creates a return order: ``reference_id`` (required, 1 to 50 characters, "unique",
  printed on the box as the RMA when there is no tracking number), ``fulfillment_center`` {id} (required),
  ``inventory`` [{id, quantity, requested_action}] (required; each inventory id once only), optional
  ``original_shipment_id`` and ``tracking_number``. ``requested_action`` ``Default`` lets the merchant's settings
  decide what happens to the goods.
- ``GET /<version>/return`` filters by ``ReferenceIds``, ``Status`` (AwaitingArrival, Arrived, Processing,
  Completed, Cancelled) and ``CompletedStartDate``, and pages (``items`` and a ``next`` link). Its
  ``ReturnActions`` filter names the actions ``Restock``, ``Quarantine`` and ``Dispose``. A return has ``id``,
  ``reference_id``, ``status``, ``channel`` {id}, ``fulfillment_center`` {id, name}, ``completed_date`` and
  ``inventory`` [{id, sku, name, quantity, ``action_taken`` [{action, quantity_processed}]}].
- ``POST /<version>/return/{id}:cancel`` cancels a return; only one still ``AwaitingArrival`` can be cancelled.
- ``action_taken`` [{action, action_reason, quantity_processed}] names its action from the same enum as
  ``requested_action`` (``ReturnAction``: Default, Restock, Quarantine, Dispose): ``Restock`` is goods back on
  the shelf (sellable), any other action not sellable. A shipment's ``location`` {id, name} is the fulfilment
  centre it left from, and each of its products' ``inventory_items`` has an ``id``. [source: ShipBob's OpenAPI
  schemas ``ReturnActionTaken``, ``ReturnAction``, ``InternalShipment`` and ``OrderInventory`` as a public client
  copies them, github.com/stryd/shipbob-go ``shipbob_open_api.json``; the same fields in
  https://developer.shipbob.com/2026-01/api/orders/get-all-shipments-for-order and
  https://developer.shipbob.com/api-reference/2025-07/returns/create-a-return] [unverified] that they are always
  present: the schema marks none of them required, so a shipment without them is refused (the SKU named) or sent
  to ``return_center``.

Going out, crossdock stores a small request (the RMA, the ShipBob order's reference and the returned SKUs); the
sink turns it into ShipBob's body once it has read that order's shipments (``return_body``), because the
inventory ids and the fulfilment centre are ShipBob's and known only there. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crossdock.core.errors import DecodeError, PermanentError
from crossdock.core.returns.models import Condition, ReceivedLine, Return, ReturnReceipt

SELLABLE_ACTIONS = frozenset({"Restock"})  # ShipBob's ReturnAction back on the shelf: see the module doc
REFERENCE_LIMIT = 50  # ShipBob's reference_id is 1 to 50 characters


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ReturnedProduct(_In):
    sku: str = Field(min_length=1, max_length=128)
    quantity: Decimal = Field(gt=0)


class ReturnRequest(_In):
    """What crossdock stores for ShipBob: the RMA, the order's reference and what comes back."""

    reference_id: str = Field(min_length=1, max_length=REFERENCE_LIMIT)
    order_reference: str = Field(min_length=1, max_length=128)
    po_number: str
    products: list[ReturnedProduct] = Field(min_length=1)


class CancelReturn(_In):
    cancel_return: str = Field(min_length=1, max_length=REFERENCE_LIMIT)


def return_request(ret: Return, *, rma: str, order_reference: str) -> bytes:
    """The stored request of a return to ShipBob; a line without a SKU cannot be found in ShipBob's inventory."""
    if len(rma) > REFERENCE_LIMIT:
        raise ValueError(f"the RMA {rma[:60]!r} is longer than ShipBob's {REFERENCE_LIMIT} characters")
    products = []
    for line in ret.lines:
        if not line.sku:
            raise ValueError(f"line {line.line_number or '?'} has no SKU, and ShipBob finds goods by SKU")
        products.append({"sku": line.sku, "quantity": str(line.quantity)})
    body = {"reference_id": rma, "order_reference": order_reference, "po_number": ret.po_number, "products": products}
    return json.dumps(body, sort_keys=True).encode("utf-8") + b"\n"


def read_request(data: bytes, name: str) -> ReturnRequest | CancelReturn:
    """A stored return request, or the cancel of one; a document that is neither is a permanent error."""
    try:
        body = json.loads(data)
        if isinstance(body, dict) and "cancel_return" in body:
            return CancelReturn.model_validate(body)
        return ReturnRequest.model_validate(body)
    except (ValueError, ValidationError) as exc:
        raise PermanentError(f"{name}: not a ShipBob return request crossdock wrote: {str(exc)[:300]}") from None


def cancel_request(rma: str) -> bytes:
    """The stored cancel of the return ShipBob holds under ``rma``."""
    return json.dumps({"cancel_return": rma}).encode("utf-8") + b"\n"


def return_body(request: ReturnRequest, order: dict[str, Any], fallback_center: int | None) -> dict[str, Any]:
    """ShipBob's create-return body from ``order`` as ShipBob lists it (with its shipments): each returned SKU's
    inventory id from the shipment that carried it, the fulfilment centre it left from (else
    ``fallback_center``). A SKU no shipment of the order carried is refused, naming it."""
    inventory: dict[int, Decimal] = defaultdict(Decimal)
    centers: list[int] = []
    shipment_ids: list[int] = []
    for product in request.products:
        found = _carried(order, product.sku)
        if found is None:
            raise PermanentError(
                f"return {request.reference_id} of order {request.po_number}: no shipment of ShipBob order "
                f"{order.get('id')} carried SKU {product.sku}, so ShipBob cannot be told to expect it"
            )
        shipment, inventory_id = found
        inventory[inventory_id] += product.quantity
        center = (shipment.get("location") or {}).get("id")
        if isinstance(center, int) and center not in centers:
            centers.append(center)
        if isinstance(shipment.get("id"), int) and shipment["id"] not in shipment_ids:
            shipment_ids.append(shipment["id"])
    center = centers[0] if centers else fallback_center
    if center is None:
        raise PermanentError(
            f"return {request.reference_id}: ShipBob named no fulfilment centre for order {order.get('id')}'s "
            "shipments; set return_center on the sink"
        )
    body: dict[str, Any] = {
        "reference_id": request.reference_id,
        "fulfillment_center": {"id": center},
        "inventory": [
            {"id": i, "quantity": _whole(q, request.reference_id), "requested_action": "Default"}
            for i, q in inventory.items()
        ],
    }
    if len(shipment_ids) == 1:
        body["original_shipment_id"] = shipment_ids[0]
    return body


def _carried(order: dict[str, Any], sku: str) -> tuple[dict[str, Any], int] | None:
    for shipment in order.get("shipments") or []:
        if not isinstance(shipment, dict) or shipment.get("status") == "Cancelled":
            continue
        for product in shipment.get("products") or []:
            if not isinstance(product, dict) or sku not in (product.get("sku"), product.get("reference_id")):
                continue
            for item in product.get("inventory_items") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    return shipment, item["id"]
    return None


def _whole(quantity: Decimal, rma: str) -> int:
    if quantity != int(quantity):
        raise PermanentError(f"return {rma}: ShipBob takes whole units, not {quantity}")
    return int(quantity)


class _Action(_In):
    action: str | None = None
    quantity_processed: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000)


class _Item(_In):
    id: int | None = None
    sku: str | None = Field(default=None, max_length=128)
    quantity: Decimal = Field(default=Decimal(0), ge=0, le=1_000_000)
    action_taken: list[_Action] | None = None


class _Center(_In):
    id: int | None = None
    name: str | None = Field(default=None, max_length=200)


class ShipBobReturn(_In):
    id: int
    reference_id: str | None = Field(default=None, max_length=128)
    status: str | None = None
    completed_date: dt.datetime | None = None
    fulfillment_center: _Center | None = None
    inventory: list[_Item] = Field(default_factory=list, max_length=1000)


def receipts_from_shipbob(data: bytes, *, name: str, warehouse: str) -> list[ReturnReceipt]:
    """A completed ShipBob return as the receipt of its RMA (``reference_id``): per inventory item, the units
    each action took (restocked: sellable; any other action: ``other``), or its quantity as ``other`` when
    ShipBob names no action."""
    try:
        found = ShipBobReturn.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DecodeError(f"{name}: ShipBob return: {where}: {first['msg']}") from None
    if not found.reference_id:
        raise DecodeError(f"{name}: ShipBob return {found.id} has no reference_id (the RMA crossdock gave)")
    lines = []
    for item in found.inventory:
        if not item.sku:
            raise DecodeError(f"{name}: ShipBob return {found.id}: inventory item {item.id} has no SKU")
        taken = [a for a in item.action_taken or [] if a.quantity_processed > 0]
        if not taken:
            lines.append(ReceivedLine(sku=item.sku, quantity=item.quantity, condition="other"))
        for action in taken:
            condition: Condition = "sellable" if action.action in SELLABLE_ACTIONS else "other"
            lines.append(ReceivedLine(sku=item.sku, quantity=action.quantity_processed, condition=condition))
    return [
        ReturnReceipt(
            rma_number=found.reference_id,
            warehouse=warehouse,
            received=found.completed_date,
            lines=[line for line in lines if line.quantity > 0],
        )
    ]
