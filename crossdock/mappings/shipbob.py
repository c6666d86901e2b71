"""ShipBob's order API in both directions: an order as ShipBob's create-order body, a shipment back as ours.

Going out, ``order_number`` is the PO number (how a shipment finds its order again) and each line's product
id becomes the product's ``reference_id`` (ShipBob's SKU). ShipBob's shipments list products, not order
lines, so each line is also tagged on the order (``crossdock_line_<position>`` = ``<qualifier>:<line
number>``, with ``external_line_id`` = position on the product): the order comes back with its tags and
products, and a shipped product is traced to the partner's own line number and the qualifier its id was
sent under. ``reference_id`` of the order is left to the sink, which sets it from the delivery's key.

A shipment coming back is read by ``mappings/shipbob_shipments.py``. No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from crossdock.connectors.shipbob_config import ShipBobSinkConfig
from crossdock.core.errors import PermanentError
from crossdock.core.models import Order, OrderLine
from crossdock.mappings.shipbob_cancel import cancel_request as cancel_request  # the registry's name for it
from crossdock.mappings.shipbob_shipments import LINE_TAG
from crossdock.mappings.shipbob_shipments import SHIPPED as SHIPPED
from crossdock.mappings.shipbob_shipments import delivered as delivered
from crossdock.mappings.shipbob_shipments import shipments_from_shipbob as shipments_from_shipbob  # the registry's

# shipments past the point of cancelling: ShipBob cancels one only before it is picked, packed or shipped
REPLACES = "crossdock_replaces"  # in a create body crossdock stores: the reference of the order to cancel first
KNOWN_SHIPMENTS = "crossdock_shipped"  # beside it: the shipments of that order crossdock counted as shipped
# X12 units of measure ShipBob's quantity_unit_of_measure_code can say (EA, INP, CS, PL); others cannot be sent.
UNITS = {"EA": "EA", "UN": "EA", "PC": "EA", "CS": "CS", "PL": "PL"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Out):
    address1: str
    address2: str | None = None
    company_name: str | None = None
    city: str
    state: str | None = None
    country: str
    zip_code: str | None = None


class Recipient(_Out):
    name: str
    address: Address
    email: str | None = None
    phone_number: str | None = None


class Product(_Out):
    reference_id: str
    name: str
    quantity: int
    quantity_unit_of_measure_code: str
    external_line_id: int
    upc: str | None = None
    gtin: str | None = None
    unit_price: float | None = None  # ShipBob's schema is a double: the Decimal becomes a number only here


class Tag(_Out):
    name: str
    value: str


class RetailerProgram(_Out):
    purchase_order_number: str


class CreateOrder(_Out):
    """ShipBob's CreateOrderModel, less ``reference_id`` (the sink adds it from the delivery's key)."""

    order_number: str
    type: str
    shipping_method: str
    purchase_date: str | None = None
    recipient: Recipient
    products: list[Product]
    tags: list[Tag]
    retailer_program_data: RetailerProgram | None = None


def order_request(
    order: Order, config: ShipBobSinkConfig, replaces: str | None = None, shipped: Sequence[str] = ()
) -> bytes:
    """The create-order body for one delivery of ``order`` (already cut to the lines routed here).

    What ShipBob could not take (no ship-to address, a line without a product id, a fractional quantity, a unit
    it has no code for) is a ``PermanentError`` naming the order and line: sending later cannot help.
    ``replaces`` is the reference of the ShipBob order this revision replaces (``REPLACES``: the sink cancels it
    before it creates this one; ShipBob has no call that changes an order's products or recipient). ``shipped``
    names that order's shipments crossdock recorded (``KNOWN_SHIPMENTS``): the new revision is what is left after
    them, so the sink keeps them and cancels only the order's open shipments.
    """
    products: list[Product] = []
    tags: list[Tag] = []
    for line in order.lines:
        qualifier, product = _product(order.po_number, line, config.product_ids)
        products.append(product)
        tags.append(Tag(name=f"{LINE_TAG}{line.position}", value=f"{qualifier}:{line.line_number or ''}"))
    request = CreateOrder(
        order_number=order.po_number,
        type=config.order_type,
        shipping_method=config.shipping_method,
        purchase_date=f"{order.order_date.isoformat()}T00:00:00Z" if order.order_date else None,
        recipient=_recipient(order, config.default_country),
        products=products,
        tags=tags,
        retailer_program_data=RetailerProgram(purchase_order_number=order.po_number)
        if config.order_type == "B2B"
        else None,
    )
    if replaces is None:
        return request.model_dump_json(exclude_none=True).encode("utf-8")
    body = {**request.model_dump(mode="json", exclude_none=True), REPLACES: replaces}
    if shipped:
        body[KNOWN_SHIPMENTS] = list(shipped)
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def _recipient(order: Order, default_country: str) -> Recipient:
    party = order.ship_to
    address = party.address if party is not None else None
    if party is None or address is None or not address.lines or not address.city or not (party.name or party.id):
        raise PermanentError(
            f"order {order.po_number}: ShipBob needs a ship-to party (N1*ST) with a name, a street and a city"
        )
    contacts = [*party.contacts, *order.contacts]
    name = party.name or party.id or ""
    return Recipient(
        name=next((c.name for c in party.contacts if c.name), name),
        address=Address(
            address1=address.lines[0],
            address2=", ".join(address.lines[1:]) or None,
            company_name=name,
            city=address.city,
            state=address.state,
            country=address.country or default_country,
            zip_code=address.postal_code,
        ),
        email=next((c.email for c in contacts if c.email), None),
        phone_number=next((c.phone for c in contacts if c.phone), None),
    )


def _product(po_number: str, line: OrderLine, qualifiers: list[str]) -> tuple[str, Product]:
    label = f"order {po_number} line {line.position}" + (f" ({line.line_number})" if line.line_number else "")
    qualifier = next((q for q in qualifiers if line.product_ids.get(q)), None)
    if qualifier is None:
        raise PermanentError(
            f"{label}: no product id for ShipBob (looked for {', '.join(qualifiers)}; "
            f"the line has {', '.join(sorted(line.product_ids)) or 'none'})"
        )
    if line.quantity != line.quantity.to_integral_value() or line.quantity <= 0:
        raise PermanentError(f"{label}: ShipBob takes whole quantities, not {line.quantity}")
    unit = UNITS.get(line.uom.upper())
    if unit is None:
        raise PermanentError(f"{label}: ShipBob has no unit for {line.uom!r} (it takes EA, CS or PL)")
    reference = line.product_ids[qualifier]
    gtin = line.product_ids.get("EN") or line.product_ids.get("UK")
    return qualifier, Product(
        reference_id=reference,
        name=line.description or reference,
        quantity=int(line.quantity),
        quantity_unit_of_measure_code=unit,
        external_line_id=line.position,
        upc=line.product_ids.get("UP"),
        gtin=gtin,
        unit_price=float(line.unit_price) if line.unit_price is not None else None,
    )


# --- shipments back -----------------------------------------------------------------------------------------
