"""ShipBob shipments back as ours (the registry names it as ``shipbob``'s ``shipments_from_shipbob``).

Coming back, the source hands one document per shipment: ``{"order": {...}, "shipment": {...}}`` with
ShipBob's own field values, and ``"tracking": {"edd": ...}`` when it asked ShipBob's tracking API for the
delivery estimate (``estimated_delivery``). A shipped product's quantity is its inventory items' quantity
(ShipBob creates one inventory item per product). The shipment's ``delivery_date`` (the 856's DTM*017) is that
estimate, else the shipment's own ``delivery_date`` (ShipBob's "delivered to customer", when the shipment is
read after it); one before the ship date is no estimate and is left out.

A shipment stays ``Completed`` once it has left ShipBob; the carrier's progress is in its ``status_details``
(``InTransit`` 201, ``OutForDelivery`` 202, ``Delivered`` 203, ``DeliveryException`` 204). A ``Delivered`` one
is delivered (``Shipment.delivered_at``) at its ``delivery_date``, else its ``last_tracking_update_at``; naming
neither time, it is not taken as delivered. [source: https://developer.shipbob.com/status-reference;
https://developer.shipbob.com/2026-01/api/orders/get-all-shipments-for-order; ShipBob's OpenAPI
``InternalShipment`` as copied in github.com/stryd/shipbob-go shipbob_open_api.json] No I/O here.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, ValidationError

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Reference

LINE_TAG = "crossdock_line_"  # an order's tag naming one of its lines (mappings/shipbob.py writes them)
SHIPPED = frozenset({"Completed"})  # the shipment has left ShipBob (status reference); LabeledCreated has not
DELIVERED = "Delivered"  # the status detail of a Completed shipment the carrier delivered (id 203)


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


class InTracking(_In):
    carrier: str | None = None
    carrier_service: str | None = None
    tracking_number: str | None = None
    scac: str | None = None
    bol: str | None = None
    pro_number: str | None = None
    shipping_date: str | None = None


class InInventory(_In):
    quantity: Decimal | None = None
    lot: str | None = None


class InShipmentProduct(_In):
    reference_id: str | None = None
    sku: str | None = None
    name: str | None = None
    inventory_items: list[InInventory] | None = None


class InMeasurements(_In):
    total_weight_oz: Decimal | None = None


class InStatusDetail(_In):
    name: str | None = None


class InShipment(_In):
    id: str
    status: str | None = None
    status_details: list[InStatusDetail] | None = None
    actual_fulfillment_date: str | None = None
    delivery_date: str | None = None
    last_tracking_update_at: str | None = None
    tracking: InTracking | None = None
    measurements: InMeasurements | None = None
    products: list[InShipmentProduct] | None = None


class InOrderProduct(_In):
    reference_id: str | None = None
    external_line_id: int | None = None
    quantity: Decimal | None = None


class InTag(_In):
    name: str | None = None
    value: str | None = None


class InOrder(_In):
    order_number: str | None = None
    reference_id: str | None = None
    products: list[InOrderProduct] | None = None
    tags: list[InTag] | None = None


class InEstimate(_In):
    edd: str | None = None  # ShipBob's estimated delivery date and time (its tracking API)


class InDocument(_In):
    order: InOrder
    shipment: InShipment
    tracking: InEstimate | None = None


def shipments_from_shipbob(data: bytes, *, name: str = "shipbob shipment") -> list[Shipment]:
    """One ShipBob shipment (with its order's number, products and tags) as crossdock's ``Shipment``."""
    try:
        doc = InDocument.model_validate(json.loads(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"not JSON ({exc})", source=name) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise DecodeError(f"{where}: {first['msg']}", source=name) from None
    order, shipped = doc.order, doc.shipment
    if not order.order_number:
        raise DecodeError("order.order_number is missing: the shipment cannot name its PO", source=name)
    if shipped.status not in SHIPPED:
        raise DecodeError(f"shipment.status is {shipped.status!r}, not shipped ({', '.join(SHIPPED)})", source=name)
    lines = _lines(order, shipped, name)
    tracking = shipped.tracking or InTracking()
    weight = shipped.measurements.total_weight_oz if shipped.measurements else None
    shipment = Shipment(
        shipment_id=shipped.id,
        ship_date=_date(tracking.shipping_date or shipped.actual_fulfillment_date, name),
        carrier_scac=tracking.scac or tracking.carrier,  # TD503: ShipBob gives a carrier name when no SCAC
        carrier_service=(tracking.carrier_service or "")[:35] or None,
        tracking_numbers=[tracking.tracking_number] if tracking.tracking_number else [],
        bill_of_lading=tracking.bol,
        gross_weight=weight,
        weight_uom="OZ" if weight is not None else None,
        references=[Reference(qualifier="CN", value=tracking.pro_number)] if tracking.pro_number else [],
    )
    estimate = _date(doc.tracking.edd, name, "tracking.edd") if doc.tracking else None
    arrives = estimate or _date(shipped.delivery_date, name, "shipment.delivery_date")
    if arrives is not None and (shipment.ship_date is None or arrives >= shipment.ship_date):
        shipment.delivery_date = arrives
    if any(d.name == DELIVERED for d in shipped.status_details or []):
        shipment.delivered_at = _moment(shipped.delivery_date or shipped.last_tracking_update_at, name)
    shipment_order = ShipmentOrder(po_number=order.order_number, reference=order.reference_id)
    if tracking.tracking_number or weight is not None:
        package = Package(tracking_number=tracking.tracking_number, weight=weight, weight_uom=shipment.weight_uom)
        package.lines = lines
        shipment_order.packages.append(package)
    else:
        shipment_order.lines = lines
    shipment.orders.append(shipment_order)
    return [shipment]


def delivered(shipment: dict[str, object]) -> bool:
    """Whether ShipBob says the carrier delivered this shipment (as it lists it): read again under its own name."""
    details = shipment.get("status_details")
    named = {d.get("name") for d in details if isinstance(d, dict)} if isinstance(details, list) else set()
    return (
        shipment.get("status") in SHIPPED
        and DELIVERED in named
        and bool(shipment.get("delivery_date") or shipment.get("last_tracking_update_at"))
    )


def _moment(value: str | None, name: str) -> dt.datetime | None:
    """When ShipBob says the shipment was delivered: an ISO time (UTC when it names no zone)."""
    if not value:
        return None
    try:
        found = dt.datetime.fromisoformat(value[:40])
    except ValueError:
        raise DecodeError(f"shipment.delivery_date {value[:40]!r} is not an ISO time", source=name) from None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _date(value: str | None, name: str, field: str = "shipment date") -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise DecodeError(f"{field} {value[:40]!r} is not an ISO date", source=name) from None


def _lines(order: InOrder, shipped: InShipment, name: str) -> list[ShipmentLine]:
    """Each shipped product as shipped lines: traced through the order's products and tags to the partner's lines."""
    if not shipped.products:
        raise DecodeError("shipment.products is empty: nothing shipped", source=name)
    tags = {t.name[len(LINE_TAG) :]: t.value or "" for t in order.tags or [] if t.name and t.name.startswith(LINE_TAG)}
    out: list[ShipmentLine] = []
    for i, product in enumerate(shipped.products):
        where = f"shipment.products.{i}"
        reference = product.reference_id or product.sku
        if not reference:
            raise DecodeError(f"{where}: no reference_id or sku", source=name)
        quantity, lot = _quantity(product, where, name)
        ordered = sorted(
            (p for p in order.products or [] if p.reference_id == reference and p.external_line_id is not None),
            key=lambda p: p.external_line_id or 0,
        )
        for position, share in _shares(ordered, quantity):
            qualifier, _, line_number = tags.get(str(position), "").partition(":") if position else ("", "", "")
            out.append(
                ShipmentLine(
                    line_number=line_number or None,
                    product_ids={qualifier or "VN": reference},
                    quantity=share,
                    lot=lot,
                    description=product.name,
                )
            )
    return out


def _quantity(product: InShipmentProduct, where: str, name: str) -> tuple[Decimal, str | None]:
    """How many of a product shipped: its inventory item's quantity (several items must agree, e.g. a kit)."""
    items = [item for item in product.inventory_items or [] if item.quantity is not None]
    quantities = {item.quantity for item in items}
    if len(quantities) != 1:
        found = sorted(str(q) for q in quantities) or "none"
        raise DecodeError(f"{where}.inventory_items: cannot tell how many shipped (quantities {found})", source=name)
    (quantity,) = quantities
    assert quantity is not None
    if quantity <= 0:
        raise DecodeError(f"{where}.inventory_items: quantity {quantity} is not a shipped quantity", source=name)
    lots = {item.lot for item in items if item.lot}
    return quantity, lots.pop() if len(lots) == 1 else None


def _shares(ordered: list[InOrderProduct], quantity: Decimal) -> list[tuple[int | None, Decimal]]:
    """A product on several order lines: filled line by line up to each line's quantity, the rest on the last."""
    if not ordered:
        return [(None, quantity)]
    shares: list[tuple[int | None, Decimal]] = []
    left = quantity
    for n, product in enumerate(ordered):
        last = n == len(ordered) - 1
        take = left if last else min(left, product.quantity or Decimal(0))
        if take > 0:
            shares.append((product.external_line_id, take))
        left -= take
    return shares
