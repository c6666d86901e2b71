"""Walmart Marketplace (US) purchase orders -> canonical Order, and a canonical Fulfilment -> the body of
``POST /v3/orders/{purchaseOrderId}/shipping``. Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §3 (Walmart's Order Management spec and docs) and Walmart's own
XSDs ``PurchaseOrderV3.3.xsd`` / ``CommonComponentsV3.3.xsd``. Choices:

- One order is one purchase order: ``po_number`` and ``external_id`` are ``purchaseOrderId``; the customer's
  order (which may be split into several POs) is the reference ``CO``. ``line_number`` is ``lineNumber`` (text,
  as sent): the shipping update names the line by it.
- Dates are epoch milliseconds (an ISO text is read too, as in the XML form). ``order_date`` is the UTC date of
  ``orderDate``; ``estimatedShipDate`` is a ``010`` date, ``estimatedDeliveryDate`` a ``002`` one.
- ``updated_at`` is the latest of ``orderDate`` and the ``statusDate`` of every line with a ``Cancelled``
  status. Walmart's order has no modification time, and a line's ``statusDate`` also moves when crossdock
  acknowledges or ships it: taking those would make each acknowledgement a new revision, sent to the warehouse
  again. Status is per line, with quantities: a line's quantity is ordered less cancelled; a line cancelled
  whole is left out (noted on the order); every line cancelled is ``purpose`` ``01`` with the lines as ordered.
  Created, Acknowledged, Shipped, Delivered and Refund change nothing here (they are crossdock's own doing, or
  after the shipment).
- Money is per line in ``charges.charge[]``: a JSON number in Walmart's JSON, read as ``Decimal`` from str, int
  or Decimal; a float is refused (parse with ``parse_float=Decimal``). One currency per order. ``PRODUCT`` is the
  goods: ``unit_price`` is its amount over the ordered quantity, read as the whole line's amount [unverified: the
  owner's examples only have quantity 1, where both readings agree]; exact, else half-even to 6 places.
  ``SHIPPING`` charges are summed into one shipping line coded with ``shippingInfo.methodCode``; any other
  ``chargeType`` is a line charge. A charge with ``isDiscount`` true or a negative amount is a discount (of the
  shipping line for ``SHIPPING``). Each charge's ``tax`` is a tax of the line (or of the shipping line), titled
  with ``taxName`` and ``collected_by="marketplace"``: the payload does not say who remits it, but every US state
  with a sales tax has a marketplace facilitator law, under which Walmart.com collects and remits it (Walmart's
  tax collection and remittance policy addendum), so it is not the seller's revenue. There is no
  order total in the payload: ``total_amount`` is every charge plus its tax.
- ``country`` is ISO alpha-3 (``USA``) and becomes alpha-2 like every other channel's: the codes Walmart
  markets ship to are in ``COUNTRIES``; a two-letter code is kept; any other is refused, naming the field.
- The acknowledgement (``POST /v3/orders/{purchaseOrderId}/acknowledge``, no body) is due while a line is still
  ``Created``; ``needs_acknowledgement`` says so, and Walmart says not to acknowledge shipped or cancelled ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import (
    Address,
    Charge,
    Contact,
    DateRef,
    Discount,
    Fulfilment,
    Order,
    OrderLine,
    Party,
    Reference,
    ShippingLine,
    TaxLine,
)
from crossdock.mappings.jsonnode import LooseJsonNode, OrderCurrency

# ISO 3166 alpha-3 -> alpha-2 for where Walmart's marketplaces (US with its territories, CA, MX, CL) deliver.
COUNTRIES = {
    "USA": "US",
    "PRI": "PR",
    "VIR": "VI",
    "GUM": "GU",
    "ASM": "AS",
    "MNP": "MP",
    "CAN": "CA",
    "MEX": "MX",
    "CHL": "CL",
}
# SCAC -> Walmart's carrier enum (CommonComponentsV3.3.xsd ``carrierType``); any other is sent as otherCarrier.
CARRIERS = {
    "UPSN": "UPS",
    "UPSS": "UPS",
    "UPS": "UPS",
    "USPS": "USPS",
    "FDEG": "FedEx",
    "FDE": "FedEx",
    "FXFE": "FedEx",
    "FEDEX": "FedEx",
    "DHL": "DHL",
    "ONTRAC": "OnTrac",
}
METHOD_CODES = ("Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value")  # shippingMethodCodeType
SHIPPED = frozenset({"Shipped", "Delivered"})
_PLACES = Decimal("0.000001")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def order_from_walmart(payload: Mapping[str, Any], *, name: str = "order") -> Order:
    """Map one purchase order: an element of ``list.elements.order`` or ``GET /v3/orders/{id}``'s ``order``
    (the ``{"order": …}`` wrapper is read too)."""
    node = _root(payload, name)
    po = node.need_id("purchaseOrderId")
    order = Order(channel="walmart", po_number=po, external_id=po)
    ordered = node.need_time("orderDate")
    order.order_date = ordered.date()
    if customer := node.text("customerOrderId"):
        order.references.append(Reference(qualifier="CO", value=customer, description="customer order"))
    if kind := node.text("orderType"):
        original = node.text("originalCustomerOrderID")
        order.references.append(Reference(qualifier="ORDER_TYPE", value=kind, description=original))
    if email := node.text("customerEmailId"):
        order.contacts.append(Contact(function="BD", email=email))
    shipping = node.child("shippingInfo")
    method = shipping.text("methodCode") if shipping else None
    if shipping:
        _shipping_info(shipping, order)
    lines = _children(node, "orderLines", "orderLine")
    if not lines:
        node.fail("orderLines", "no lines")
    changed = [ordered]
    money = _Money()
    kept: list[OrderLine] = []
    cancelled_lines: list[OrderLine] = []
    for item in lines:
        line, left, cancelled_at = _line(item, len(kept) + 1, money)
        if cancelled_at is not None:
            changed.append(cancelled_at)
        if left > 0:
            line.quantity = left
            kept.append(line)
        else:
            cancelled_lines.append(line)
            order.notes.append(f"line {line.line_number} cancelled at Walmart")
    if kept:
        order.purpose = "00"
        order.lines = kept
        states = line_state(payload, name=name)
        order.already_shipped = all(s.shipped + s.cancelled >= s.ordered for s in states.values())
    else:
        order.purpose = "01"
        order.lines = cancelled_lines
        for i, line in enumerate(order.lines, 1):
            line.position = i
        order.notes = []
    if money.shipping_seen:
        order.shipping_lines.append(
            ShippingLine(
                code=method,
                title=money.shipping_title,
                amount=money.shipping,
                taxes=money.shipping_taxes,
                discounts=money.shipping_discounts,
            )
        )
    order.currency = money.code or "USD"
    order.total_amount = money.total
    order.updated_at = max(changed)
    return order


order_from_payload = order_from_walmart  # the name the channel pipeline calls


def orders_from_walmart(payload: Any, *, name: str = "orders") -> list[Order]:
    """Map a page (``{"list": {"elements": {"order": […]}}}``); an error names the order by its index."""
    node = _root(payload, name, unwrap=False)
    listing = node.child("list") or node.fail("list", "missing")
    elements = listing.child("elements")
    orders = _children(elements, "order", None) if elements else []
    return [order_from_walmart(o.data, name=f"{name} {o.path}") for o in orders]


def updated_at(payload: Mapping[str, Any], *, name: str = "order") -> dt.datetime:
    """The order version's time, as ``order_from_walmart`` sets it: what a source names the version by."""
    node = _root(payload, name)
    times = [node.need_time("orderDate")]
    for item in _children(node, "orderLines", "orderLine"):
        if any(s.text("status") == "Cancelled" for s in _children(item, "orderLineStatuses", "orderLineStatus")):
            stamp = item.time("statusDate")
            if stamp is not None:
                times.append(stamp)
    return max(times)


def ordered_at(payload: Mapping[str, Any], *, name: str = "order") -> dt.datetime:
    """When the customer placed the order (``orderDate``), aware UTC: a shipment cannot have left before."""
    return _root(payload, name).need_time("orderDate")


def needs_acknowledgement(payload: Mapping[str, Any], *, name: str = "order") -> bool:
    """Whether a line is still ``Created``: the order must be acknowledged before it may ship."""
    node = _root(payload, name)
    return any(
        s.text("status") == "Created"
        for item in _children(node, "orderLines", "orderLine")
        for s in _children(item, "orderLineStatuses", "orderLineStatus")
    )


def acknowledge_request(purchase_order_id: str) -> tuple[str, str]:
    """Method and path that acknowledge every Created line of the order (no body; repeating it is allowed)."""
    return "POST", f"/v3/orders/{purchase_order_id}/acknowledge"


def line_state(payload: Mapping[str, Any], *, name: str = "order") -> dict[str, LineState]:
    """Each line's ordered, shipped and cancelled quantities and its tracking numbers, by ``lineNumber``: what a
    sink checks before shipping, so that a line already shipped is not shipped again."""
    node = _root(payload, name)
    out: dict[str, LineState] = {}
    for item in _children(node, "orderLines", "orderLine"):
        quantity = item.child("orderLineQuantity")
        state = LineState(
            ordered=quantity.quantity("amount") if quantity else Decimal(0),
            sku=(item.child("item") or item).text("sku"),
        )
        for status in _children(item, "orderLineStatuses", "orderLineStatus"):
            kind = status.text("status")
            amount = (status.child("statusQuantity") or status.fail("statusQuantity", "missing")).quantity("amount")
            if kind in SHIPPED:
                state.shipped += amount
                tracking = status.child("trackingInfo")
                if tracking and (number := tracking.text("trackingNumber")):
                    state.tracking.add(number)
            elif kind == "Cancelled":
                state.cancelled += amount
            elif kind == "Created":
                state.created += amount
        out[item.need_text("lineNumber")] = state
    return out


class LineState:
    """What Walmart says of one line now."""

    __slots__ = ("cancelled", "created", "ordered", "shipped", "sku", "tracking")

    def __init__(self, *, ordered: Decimal, sku: str | None) -> None:
        self.ordered, self.sku = ordered, sku
        self.shipped = self.cancelled = self.created = Decimal(0)
        self.tracking: set[str] = set()

    @property
    def open(self) -> Decimal:
        """Quantity still to ship."""
        return max(Decimal(0), self.ordered - self.cancelled - self.shipped)


def shipping_request(
    fulfilment: Fulfilment,
    *,
    shipped_at: dt.datetime,
    lines: Iterable[tuple[str, Decimal]] | None = None,
    method_code: str | None = None,
    tracking_urls: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``orderShipment`` body marking lines ``Shipped`` with the carrier and tracking.

    ``lines`` are (lineNumber, quantity) pairs, by default the fulfilment's lines summed by line number.
    ``shipDateTime`` is ``shipped_at`` (aware) in epoch milliseconds. The carrier is ``carrier_scac``: a SCAC in
    ``CARRIERS`` is Walmart's enum, any other is ``otherCarrier``, which Walmart wants with a ``trackingURL``
    (from ``tracking_urls``: SCAC -> URL with ``{number}``; a listed carrier gets one too when it is there).
    ``methodCode`` is ``carrier_service`` when it is one of Walmart's codes, else ``method_code`` (the order's
    ``shippingInfo.methodCode``), else ``Standard``. Walmart takes one tracking number per line status: the first
    number is sent (the sink passes each line's own package's number). No tracking number, no
    carrier, an unaware ``shipped_at``, no line number or a quantity that is not a positive whole number:
    ``ValueError``.
    """
    where = f"walmart fulfilment {fulfilment.shipment_id} of order {fulfilment.external_id or fulfilment.po_number}"
    numbers = [n.strip() for n in fulfilment.tracking_numbers if n.strip()]
    if not numbers:
        raise ValueError(f"{where}: no tracking number (Walmart cancels a line shipped without one)")
    scac = (fulfilment.carrier_scac or "").strip().upper()
    if not scac:
        raise ValueError(f"{where}: no carrier")
    if shipped_at.tzinfo is None:
        raise ValueError(f"{where}: shipped_at must be an aware datetime")
    urls = {k.strip().upper(): v for k, v in (tracking_urls or {}).items()}
    url = urls[scac].replace("{number}", numbers[0]) if scac in urls else None
    carrier = CARRIERS.get(scac)
    if carrier is None and url is None:
        raise ValueError(f"{where}: carrier {scac} is not one of Walmart's: give its tracking_urls entry")
    service = (fulfilment.carrier_service or "").strip().lower()
    method = next((m for m in METHOD_CODES if m.lower() == service), None) or method_code or "Standard"
    tracking: dict[str, Any] = {
        "shipDateTime": int(shipped_at.timestamp() * 1000),
        "carrierName": {"carrier": carrier} if carrier else {"otherCarrier": scac},
        "methodCode": method,
        "trackingNumber": numbers[0],
        **({"trackingURL": url} if url else {}),
    }
    pairs = list(lines) if lines is not None else _summed(fulfilment, where)
    if not pairs:
        raise ValueError(f"{where}: no lines to ship")
    out = []
    for number, quantity in pairs:
        if quantity <= 0 or quantity != quantity.to_integral_value():
            raise ValueError(f"{where}: line {number}: {quantity} is not a whole quantity to ship")
        status = {
            "status": "Shipped",
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(int(quantity))},
            "trackingInfo": tracking,
        }
        out.append({"lineNumber": number, "orderLineStatuses": {"orderLineStatus": [status]}})
    return {"orderShipment": {"orderLines": {"orderLine": out}}}


def _summed(fulfilment: Fulfilment, where: str) -> list[tuple[str, Decimal]]:
    quantities: dict[str, Decimal] = {}
    for i, line in enumerate(fulfilment.lines, 1):
        number = (line.line_number or "").strip()
        if not number:
            raise ValueError(f"{where}: line {i}: no Walmart lineNumber (line_number)")
        quantities[number] = quantities.get(number, Decimal(0)) + line.quantity
    return list(quantities.items())


def _shipping_info(shipping: _At, order: Order) -> None:
    address = shipping.child("postalAddress")
    phone = shipping.text("phone")
    if address:
        name = address.text("name")
        party = Party(
            role="ST",
            name=name,
            address=Address(
                lines=[x for x in (address.text("address1"), address.text("address2")) if x],
                city=address.text("city"),
                state=address.text("state"),
                postal_code=address.text("postalCode"),
                country=_country(address, "country"),
            ),
            contacts=[Contact(name=name, phone=phone)] if phone else [],
        )
        order.parties.append(party)
    for qualifier, key in (("010", "estimatedShipDate"), ("002", "estimatedDeliveryDate")):
        stamp = shipping.time(key)
        if stamp is not None:
            order.dates.append(DateRef(qualifier=qualifier, date=stamp.date(), time=f"{stamp:%H%M}", time_zone="UT"))


def _country(node: _At, key: str) -> str | None:
    code = (node.text(key) or "").upper()
    if not code:
        return None
    if len(code) == 2 and code.isalpha():
        return code
    found = COUNTRIES.get(code)
    return found if found else node.fail(key, f"{code!r} is not a country Walmart delivers to (ISO alpha-3)")


def _line(item: _At, position: int, money: _Money) -> tuple[OrderLine, Decimal, dt.datetime | None]:
    """The line, the quantity left once cancellations are taken off, and its statusDate if it has any."""
    quantity_node = item.child("orderLineQuantity") or item.fail("orderLineQuantity", "missing")
    ordered = quantity_node.quantity("amount")
    if ordered <= 0:
        quantity_node.fail("amount", f"{ordered} is not a positive quantity")
    goods = item.child("item")
    line = OrderLine(
        position=position,
        line_number=item.need_text("lineNumber"),
        quantity=ordered,
        uom="EA",
        description=goods.text("productName") if goods else None,
    )
    if goods and (sku := goods.text("sku")):
        line.product_ids["SK"] = sku
    product: Decimal | None = None
    for charge in _children(item, "charges", "charge"):
        kind = charge.need_text("chargeType").upper()
        label = charge.text("chargeName")
        amount = money.read(charge.child("chargeAmount") or charge.fail("chargeAmount", "missing"))
        tax = charge.child("tax")
        taxes = []
        if tax:
            tax_amount = money.read(tax.child("taxAmount") or tax.fail("taxAmount", "missing"))
            taxes.append(TaxLine(title=tax.text("taxName"), amount=tax_amount, collected_by="marketplace"))
        discount = charge.raw("isDiscount") is True or amount < 0
        money.total += (-abs(amount) if discount else amount) + sum((t.amount for t in taxes), Decimal(0))
        if kind == "SHIPPING":
            money.shipping_seen = True
            money.shipping_taxes += taxes
            if discount:
                money.shipping_discounts.append(Discount(description=label, amount=abs(amount)))
            else:
                money.shipping += amount
                money.shipping_title = money.shipping_title or label
            continue
        line.taxes += taxes
        if discount:
            line.discounts.append(Discount(description=label or kind, amount=abs(amount)))
        elif kind == "PRODUCT":
            product = (product or Decimal(0)) + amount
        else:
            line.charges.append(Charge(indicator="C", amount=amount, description=label or kind))
    if product is not None:
        line.unit_price = _divide(product, ordered)
    cancelled = Decimal(0)
    for status in _children(item, "orderLineStatuses", "orderLineStatus"):
        if status.need_text("status") == "Cancelled":
            cancelled += (status.child("statusQuantity") or status.fail("statusQuantity", "missing")).quantity("amount")
    return line, max(Decimal(0), ordered - cancelled), item.time("statusDate") if cancelled else None


def _divide(amount: Decimal, quantity: Decimal) -> Decimal:
    exact = amount / quantity
    return exact if exact * quantity == amount else exact.quantize(_PLACES, rounding=ROUND_HALF_EVEN)


class _Money(OrderCurrency):
    """The order's one currency, its running total, and the shipping charges summed into one shipping line."""

    def __init__(self) -> None:
        super().__init__()
        self.total = Decimal(0)
        self.shipping = Decimal(0)
        self.shipping_seen = False
        self.shipping_title: str | None = None
        self.shipping_taxes: list[TaxLine] = []
        self.shipping_discounts: list[Discount] = []

    def read(self, node: _At) -> Decimal:
        """A ``{"currency", "amount"}`` object's amount."""
        return self.amount(node, "amount", "currency")


def _root(payload: Any, name: str, *, unwrap: bool = True) -> _At:
    if not isinstance(payload, Mapping):
        raise DecodeError(f"an order is an object, not {type(payload).__name__}", source=name)
    if unwrap and "purchaseOrderId" not in payload and isinstance(payload.get("order"), Mapping):
        return _At(payload["order"], "order", name)
    return _At(payload, "", name)


def _children(node: _At, outer: str, inner: str | None) -> list[_At]:
    """Walmart's wrapped lists: ``orderLines.orderLine[]``; ``inner`` None for a plain list at ``outer``."""
    if inner is None:
        return node.children(outer)
    wrapper = node.child(outer)
    return wrapper.children(inner) if wrapper else []


class _At(LooseJsonNode):
    """Walmart's JSON, with its ids and its times in epoch milliseconds."""

    __slots__ = ()

    def need_id(self, key: str) -> str:
        """Walmart's ids are letters and digits, with dashes."""
        value = self.need_text(key)
        if not value.replace("-", "").isalnum():
            self.fail(key, f"{value!r} is not an id")
        return value

    def time(self, key: str) -> dt.datetime | None:
        """Epoch milliseconds (Walmart's JSON), or an ISO date and time with an offset (its XML and webhooks)."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, float):
            self.fail(key, f"{value!r} is a float, not epoch milliseconds")
        if isinstance(value, str) and not value.strip().isdecimal():
            return self.timestamp(key)
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(key, f"{value!r} is not epoch milliseconds")
        millis = Decimal(value.strip() if isinstance(value, str) else value)
        if millis != millis.to_integral_value() or millis < 0:
            self.fail(key, f"{value!r} is not epoch milliseconds")
        try:
            return _EPOCH + dt.timedelta(milliseconds=int(millis))
        except OverflowError:
            self.fail(key, f"{value!r} is out of range")

    def need_time(self, key: str) -> dt.datetime:
        return self.required(key, self.time(key))
