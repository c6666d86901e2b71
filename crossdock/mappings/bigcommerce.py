"""BigCommerce orders (REST API v2) -> canonical Order, and a canonical Fulfilment -> shipment request bodies.

Pure: no I/O. What it relies on is in ``../shared/docs/channel-apis.md`` §7 (from the owner's orders v2 reference):

- v2 returns an order's lines and shipping addresses only as links (``"products": {"url": ..., "resource":
  ...}``). The connector reads both sub-resources (every page) and hands the mapping **the order object with
  ``products`` and ``shipping_addresses`` replaced by those lists** (``merge``): that is the documented payload of
  ``order_from_payload``. A link left in place is refused: the lines would be missing.
- An order can ship to several addresses (multi-address checkout), each product line naming its
  ``order_address_id``. One order stays one Order (the upsert key is the channel's order id): its ship-to
  party is the first shipping address (what routing reads) and, when there are several, every line carries its
  own ship-to in ``line.parties``; each party keeps the address id (qualifier ``92``, assigned by the buyer's
  side) and each address's shipping cost is one shipping line.
- ``status_id`` 0 (Incomplete, an abandoned checkout) is never an order: refused. 4 Refunded, 5 Cancelled
  and 6 Declined are ``purpose`` ``01``; 1 Pending and 7 Awaiting Payment are ``awaiting="payment"``, 12 Manual
  Verification Required ``awaiting="review"``: kept, routed once a later version is ready. 2 Shipped and 10
  Completed are ``already_shipped``.
- Money is strings with 4 decimals (``"336.3200"``) read as ``Decimal`` from the text (a float is refused), in
  ``*_ex_tax``/``*_inc_tax`` pairs: ``unit_price`` is ``price_ex_tax`` (before discounts, without tax), line taxes
  ``total_tax``, line discounts ``applied_discounts``. The currency is ``default_currency_code`` (the
  transactional currency the shopper paid in; ``currency_code`` is only the display currency).
- Dates are RFC 2822 (``"Wed, 10 Jan 2018 21:05:30 +0000"``): ``updated_at`` is ``date_modified`` as aware UTC.
- Addresses carry ``country`` as a name: ``country_iso2`` is read instead; a US ``state`` is a full name
  ("Texas") and becomes its postal code so routing rules by state work.
- Refunds: each order product says its ``quantity_refunded`` [spec: orders v2 ``OrderProduct``]: a line's
  ``quantity`` is what is left to ship, what was refunded stays in its notes (``ordered 3, 1 refunded or
  removed``); so 14 Partially Refunded is read line by line. A ``digital`` product (``type``) needs no shipping.
  A line with nothing left leaves the order and is named in its notes; an order with nothing left is a cancel,
  one that never had anything to ship is ``already_shipped`` (``left_to_ship.settle``).
- Fulfilment back: ``POST /v2/orders/{id}/shipments`` takes one ``order_address_id`` and one tracking number per
  shipment, so a fulfilment becomes one body per package the warehouse told (its own lines and tracking number:
  ``packages.per_package``) and per address its lines ship to, each line found by its order product id.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from crossdock.core.errors import PermanentError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.models import Address, Charge, Contact, Discount, Order, OrderLine, Party, ShippingLine, TaxLine
from crossdock.mappings.jsonnode import LooseJsonNode
from crossdock.mappings.left_to_ship import NO_SHIPPING, settle, taken_out
from crossdock.mappings.packages import per_package

INCOMPLETE = 0
CANCEL_STATUSES = frozenset({4, 5, 6})  # Refunded, Cancelled, Declined
AWAITING = {1: "payment", 7: "payment", 12: "review"}  # Pending, Awaiting Payment, Manual Verification Required
SHIPPED_STATUSES = frozenset({2, 10})  # Shipped, Completed: an order first read so is not sent to a warehouse
SUB_RESOURCES = ("products", "shipping_addresses")
_GTIN = {12: "UP", 13: "EN", 14: "UK"}  # a GTIN's X12 qualifier by length: UPC-A, EAN-13, GTIN-14
# BigCommerce's own shipping_provider values by SCAC; other carriers go as an AfterShip slug (tracking_carrier).
SHIPPING_PROVIDERS = {
    "UPSN": "ups",
    "UPSS": "ups",
    "FDEG": "fedex",
    "FDE": "fedex",
    "FXFE": "fedex",
    "USPS": "usps",
}
TRACKING_CARRIERS = {"DHL": "dhl"}  # SCAC-like code -> AfterShip slug [unverified: extend from the store's list]
TRACKING_NUMBER_MAX = 50
US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR", "guam": "GU",
    "virgin islands": "VI", "american samoa": "AS", "northern mariana islands": "MP",
    "armed forces americas": "AA", "armed forces europe": "AE", "armed forces pacific": "AP",
}  # fmt: skip


def merge(order: Mapping[str, Any], products: list[Any], shipping_addresses: list[Any]) -> dict[str, Any]:
    """The payload ``order_from_payload`` reads: the v2 order with its two sub-resources in place of their links."""
    return {**order, "products": products, "shipping_addresses": shipping_addresses}


def order_from_bigcommerce(payload: Mapping[str, Any], *, name: str = "order") -> Order:
    """Map one v2 order merged with its products and shipping addresses (see ``merge``)."""
    return _order(_At(payload, "", name))


order_from_payload = order_from_bigcommerce  # the name the channel pipeline calls


def _order(node: _At) -> Order:
    order_id = node.need_id("id")
    status = int(node.need_id("status_id"))
    if status == INCOMPLETE:
        node.fail("status_id", "0 is Incomplete, an abandoned checkout: never imported as an order")
    order = Order(
        channel="bigcommerce",
        po_number=order_id,
        external_id=order_id,
        currency=node.text("default_currency_code") or node.need_text("currency_code"),
        purpose="01" if status in CANCEL_STATUSES else "00",
        awaiting=AWAITING.get(status),
        already_shipped=status in SHIPPED_STATUSES,
    )
    created = node.date("date_created")
    order.order_date = created.date() if created else None
    order.updated_at = node.date("date_modified") or node.fail("date_modified", "missing")
    billing = node.child("billing_address")
    bill_to = _party("BT", billing) if billing is not None else None
    addresses = _sub_resource(node, "shipping_addresses")
    ship_tos = {a.need_id("id"): (a, _party("ST", a, a.need_id("id"))) for a in addresses}
    first = next(iter(ship_tos.values()), None)
    if first is not None and first[1] is not None:
        order.parties.append(first[1])
    if bill_to is not None:
        order.parties.append(bill_to)
    if billing is not None and (billing.text("email") or billing.text("phone")):
        order.contacts.append(Contact(name=_name(billing), email=billing.text("email"), phone=billing.text("phone")))
    several = len(ship_tos) > 1
    products = _sub_resource(node, "products")
    for i, item in enumerate(products):
        line = _line(item, i + 1)
        address_id = item.optional_id("order_address_id")
        if address_id and address_id != "0":
            if address_id not in ship_tos:
                item.fail("order_address_id", f"{address_id} is none of the order's shipping addresses")
            party = ship_tos[address_id][1]
            if several and party is not None:
                line.parties.append(copy.deepcopy(party))
        order.lines.append(line)
    for address, _ in ship_tos.values():
        order.shipping_lines.append(
            ShippingLine(
                code=address.text("shipping_zone_name"),
                title=address.text("shipping_method"),
                amount=address.need_decimal("cost_ex_tax"),
                taxes=_tax(address, "cost_tax"),
            )
        )
    if not ship_tos and (node.decimal("shipping_cost_ex_tax") or 0):
        order.shipping_lines.append(
            ShippingLine(amount=node.need_decimal("shipping_cost_ex_tax"), taxes=_tax(node, "shipping_cost_tax"))
        )
    for key, what in (("handling_cost", "Handling"), ("wrapping_cost", "Gift wrapping")):
        amount = node.decimal(f"{key}_ex_tax")
        if amount:
            order.charges.append(Charge(indicator="C", amount=amount, description=what))
        order.taxes.extend(_tax(node, f"{key}_tax", f"{what} tax"))
    taxed = any(x.taxes for x in order.lines) or any(x.taxes for x in order.shipping_lines) or order.taxes
    if not taxed:
        order.taxes = _tax(node, "total_tax")
    if not any(x.discounts for x in order.lines):
        for key, what in (("discount_amount", "discount"), ("coupon_discount", "coupons")):
            amount = node.decimal(key)
            if amount:
                order.discounts.append(Discount(description=what, amount=amount))
    order.total_amount = node.need_decimal("total_inc_tax")
    note = node.text("customer_message")
    if note:
        order.notes.append(note)
    settle(order, [not _digital(item) for item in products])
    return order


def _digital(node: _At) -> bool:
    return (node.text("type") or "").lower() == "digital"


def _sub_resource(node: _At, key: str) -> list[_At]:
    value = node.raw(key)
    if isinstance(value, Mapping):
        node.fail(key, "a link, not the list: the connector merges the sub-resource into the order (see merge)")
    return node.children(key)


def _name(node: _At) -> str | None:
    return " ".join(x for x in (node.text("first_name"), node.text("last_name")) if x) or None


def _party(role: str, node: _At, address_id: str | None = None) -> Party | None:
    lines = [x for x in (node.text("street_1"), node.text("street_2")) if x]
    country = node.text("country_iso2")
    state = node.text("state")
    if state and (country or "US").upper() == "US":
        state = US_STATES.get(state.casefold(), state)
    address = Address(lines=lines, city=node.text("city"), state=state, postal_code=node.text("zip"), country=country)
    name, company = _name(node), node.text("company")
    if not (name or company or lines or address.city or address.postal_code or country):
        return None
    party = Party(
        role=role,
        name=name or company,
        extra_names=[company] if name and company else [],
        id_qualifier="92" if address_id else None,
        id=address_id,
        address=address,
    )
    if role == "ST" and (node.text("phone") or node.text("email")):
        party.contacts.append(Contact(name=name, phone=node.text("phone"), email=node.text("email")))
    return party


def _line(node: _At, position: int) -> OrderLine:
    quantity = node.need_decimal("quantity")
    if quantity <= 0:
        node.fail("quantity", f"{quantity} is not a positive quantity")
    refunded = node.decimal("quantity_refunded") or Decimal(0)
    left = max(Decimal(0), quantity - refunded)
    line = OrderLine(
        position=position,
        line_number=node.need_id("id"),
        quantity=Decimal(0) if _digital(node) else left,
        uom="EA",
        unit_price=node.need_decimal("price_ex_tax"),
        description=html.unescape(node.text("name") or "") or None,
        taxes=_tax(node, "total_tax"),
    )
    if sku := node.text("sku"):
        line.product_ids["SK"] = sku
    for qualifier, field in (("PRODUCT", "product_id"), ("VARIANT", "variant_id")):
        if (found := node.optional_id(field)) and found != "0":
            line.product_ids[qualifier] = found
    upc = node.text("upc") or ""
    if upc.isdecimal() and len(upc) in _GTIN:
        line.product_ids[_GTIN[len(upc)]] = upc
    for option in node.children("product_options"):
        label, value = option.text("display_name"), option.text("display_value")
        if label and value:
            line.notes.append(f"{label}: {value}")
    if left < quantity:
        line.notes.append(taken_out(quantity, left))
    if _digital(node):
        line.notes.append(NO_SHIPPING)
    for applied in node.children("applied_discounts"):
        amount = applied.decimal("amount")
        if amount:
            line.discounts.append(Discount(code=applied.text("code"), description=applied.text("name"), amount=amount))
    return line


def _tax(node: _At, key: str, title: str | None = None) -> list[TaxLine]:
    amount = node.decimal(key)
    return [TaxLine(title=title, amount=amount)] if amount else []


def shipment_requests(fulfilment: Fulfilment, products: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``POST /v2/orders/{id}/shipments`` bodies: per package the warehouse told (its lines and its own
    tracking number), one per shipping address its lines go to, in the order the lines come. ``products`` is the
    order's product list (``id``, ``order_address_id``, ``sku``): a line is found by its line number (the order
    product id), else by a SKU only one product has. A line that matches no product, a fractional quantity or a
    tracking number longer than BigCommerce takes is refused (``PermanentError``): sending again cannot fix it.
    Without packages the first tracking number is the shipment's; any others, the shipment id and an unknown
    carrier go in ``comments``."""
    return [body for part in per_package(fulfilment) for body in _bodies(part, products)]


def _bodies(fulfilment: Fulfilment, products: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_id = {str(p.get("id")): p for p in products}
    by_sku: dict[str, list[Mapping[str, Any]]] = {}
    for p in products:
        if p.get("sku"):
            by_sku.setdefault(str(p["sku"]), []).append(p)
    where = f"fulfilment {fulfilment.shipment_id} of order {fulfilment.external_id or fulfilment.po_number}"
    items: dict[int, dict[int, int]] = {}
    for line in fulfilment.lines:
        product = by_id.get(line.line_number or "")
        sku = line.product_ids.get("SK")
        if product is None and sku and len(by_sku.get(sku, [])) == 1:
            product = by_sku[sku][0]
        if product is None:
            raise PermanentError(f"{where}: line {line.line_number or sku} is none of the order's products")
        if line.quantity != line.quantity.to_integral_value() or line.quantity <= 0:
            raise PermanentError(f"{where}: line {line.line_number}: {line.quantity} is not a whole quantity")
        address = int(product.get("order_address_id") or 0)
        shipped = items.setdefault(address, {})
        shipped[int(product["id"])] = shipped.get(int(product["id"]), 0) + int(line.quantity)
    numbers = list(dict.fromkeys(n.strip() for n in fulfilment.tracking_numbers if n.strip()))
    if numbers and len(numbers[0]) > TRACKING_NUMBER_MAX:
        raise PermanentError(f"{where}: tracking number {numbers[0]!r} is longer than {TRACKING_NUMBER_MAX}")
    scac = (fulfilment.carrier_scac or "").strip().upper()
    carrier: dict[str, str] = {"shipping_provider": ""}
    comments = [f"Shipment {fulfilment.shipment_id}"]
    if scac in SHIPPING_PROVIDERS:
        carrier = {"shipping_provider": SHIPPING_PROVIDERS[scac]}
    elif scac in TRACKING_CARRIERS:
        carrier = {"tracking_carrier": TRACKING_CARRIERS[scac]}
    elif scac:
        comments.append(f"carrier {scac}")
    if fulfilment.carrier_service:
        comments.append(f"service {fulfilment.carrier_service}")
    if len(numbers) > 1:
        comments.append(f"tracking numbers {', '.join(numbers)}")
    bodies = []
    for address, shipped in items.items():
        body: dict[str, Any] = {"order_address_id": address}
        if numbers:
            body["tracking_number"] = numbers[0]
        body.update(carrier)
        body["comments"] = "; ".join(comments)
        body["items"] = [{"order_product_id": pid, "quantity": qty} for pid, qty in shipped.items()]
        bodies.append(body)
    return bodies


class _At(LooseJsonNode):
    """BigCommerce's v2 JSON, with its RFC 2822 dates."""

    __slots__ = ()

    def date(self, key: str) -> dt.datetime | None:
        """An RFC 2822 date (``Wed, 10 Jan 2018 21:05:30 +0000``) as aware UTC; ``-0000`` (no zone) is UTC."""
        return self.utc_time(key, parsedate_to_datetime, "an RFC 2822 date")
