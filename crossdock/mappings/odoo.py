"""An order as the request crossdock sends to Odoo: what to look up there, and what the sale.order holds.

The document says *what* to find (the customer by one res.partner field, each product by one
product.product field) rather than Odoo's record ids, which only the Odoo connector can learn at send time.
It is stored as the delivery's outbound document, so an operator sees exactly what was asked of Odoo, and
a retry sends the same request. Quantities and prices stay decimal strings here; the connector turns them
into Odoo's floats at the last moment. No I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from crossdock.connectors.odoo_config import OdooSinkConfig
from crossdock.core.errors import PermanentError
from crossdock.core.models import Order, OrderLine
from crossdock.mappings.paths import value_at


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lookup(_Doc):
    """One record to find in Odoo: the field to match and the value it must have."""

    field: str
    value: str


class ShipTo(_Doc):
    """The order's ship-to party, as the delivery address (res.partner ``type: delivery``) to find or create."""

    name: str
    street: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state: str | None = None
    country: str | None = None


class Line(_Doc):
    position: int
    line_number: str | None = None
    product: str
    quantity: Decimal
    uom: str
    price_unit: Decimal | None = None
    description: str | None = None


class OdooOrder(_Doc):
    """The request: becomes one sale.order, its lines created with it (``order_line`` create commands)."""

    po_number: str
    date_order: dt.date | None = None
    customer: Lookup
    ship_to: ShipTo | None = None
    product_field: str
    lines: list[Line]
    replaces: str | None = None  # a new revision: the key of the sale.order to cancel first (its origin marker)
    earlier: list[str] | None = None  # with replaces: every key the order was created under there, oldest first


class OdooCancel(_Doc):
    """A cancel: the sale.order created under ``reference`` (a delivery key; its origin is the marker of it)."""

    po_number: str
    reference: str


def cancel_request(po_number: str, reference: str) -> bytes:
    """The document of a cancel delivery: which sale.order to cancel."""
    return OdooCancel(po_number=po_number, reference=reference).model_dump_json().encode("utf-8")


def order_request(
    order: Order, config: OdooSinkConfig, replaces: str | None = None, earlier: list[str] | None = None
) -> bytes:
    """The JSON request for one delivery of ``order`` (already cut to the lines routed here); ``replaces`` is
    the key of the sale.order this revision replaces, which the sink cancels before it creates this one, and
    ``earlier`` the keys of every sale.order made for the order before: what those delivered is left out.

    A missing customer value or a line without any of the configured product ids is a ``PermanentError``
    naming the order and line: Odoo could not be asked, and sending later cannot help.
    """
    customer = value_at(_lookup_view(order), config.customer)
    if customer is None or customer == "":
        raise PermanentError(
            f"order {order.po_number}: no customer value at {config.customer!r} for Odoo's res.partner "
            f"{config.customer_field}"
        )
    request = OdooOrder(
        po_number=order.po_number,
        date_order=order.order_date,
        customer=Lookup(field=config.customer_field, value=str(customer)),
        ship_to=_ship_to(order) if config.ship_to == "delivery-address" else None,
        product_field=config.product_field,
        lines=[_line(order.po_number, line, config.product_ids) for line in order.lines],
        replaces=replaces,
        earlier=earlier or None,
    )
    return request.model_dump_json(exclude_none=True).encode("utf-8")


def left_to_deliver(lines: list[Line], delivered: Mapping[str, Decimal]) -> list[Line]:
    """``lines`` less what Odoo delivered of each product (by product code) under the sale.orders a revision
    replaces, the first lines of a product taking it first; a line with nothing left goes."""
    rest = dict(delivered)
    left: list[Line] = []
    for line in lines:
        taken = min(rest.get(line.product, Decimal(0)), line.quantity)
        rest[line.product] = rest.get(line.product, Decimal(0)) - taken
        if line.quantity > taken:
            left.append(line.model_copy(update={"quantity": line.quantity - taken}) if taken else line)
    return left


def _lookup_view(order: Order) -> dict[str, Any]:
    """The order as JSON with its parties keyed by role, so ``parties.BY.id`` reads the buyer's id."""
    data = order.model_dump(mode="json")
    roles: dict[str, Any] = {}
    for party in data["parties"]:
        roles.setdefault(party["role"], party)
    data["parties"] = roles
    return data


def _ship_to(order: Order) -> ShipTo | None:
    party = order.ship_to
    if party is None or not (party.name or party.id):
        return None
    address = party.address
    lines = address.lines if address else []
    return ShipTo(
        name=party.name or party.id or "",
        street=lines[0] if lines else None,
        street2=", ".join(lines[1:]) or None,
        city=address.city if address else None,
        zip=address.postal_code if address else None,
        state=address.state if address else None,
        country=address.country if address else None,
    )


def _line(po_number: str, line: OrderLine, qualifiers: list[str]) -> Line:
    product = next((line.product_ids[q] for q in qualifiers if line.product_ids.get(q)), None)
    if product is None:
        label = f"line {line.position}" + (f" ({line.line_number})" if line.line_number else "")
        raise PermanentError(
            f"order {po_number} {label}: no product id for Odoo (looked for {', '.join(qualifiers)}; "
            f"the line has {', '.join(sorted(line.product_ids)) or 'none'})"
        )
    return Line(
        position=line.position,
        line_number=line.line_number,
        product=product,
        quantity=line.quantity,
        uom=line.uom,
        price_unit=line.unit_price,
        description=line.description,
    )
