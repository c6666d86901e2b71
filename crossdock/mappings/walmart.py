"""Walmart Marketplace (US) purchase orders -> canonical Order, and what a sink reads of an order's lines (what
crossdock sends back is built in ``walmart_requests``). Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §3 (Walmart's Order Management spec and docs) and Walmart's own
XSDs ``PurchaseOrderV3.3.xsd`` / ``CommonComponentsV3.3.xsd``. Choices:

- One order is one purchase order: ``po_number`` and ``external_id`` are ``purchaseOrderId``; the customer's
  order (which may be split into several POs) is the reference ``CO``. ``line_number`` is ``lineNumber`` (text,
  as sent): the shipping update names the line by it.
- Dates are epoch milliseconds (an ISO text is read too, as in the XML form). ``order_date`` is the UTC date of
  ``orderDate``; ``estimatedShipDate`` is the ship-by date ``038`` (ship no later than: Walmart cancels a line not
  shipped by then plus 8 days), ``estimatedDeliveryDate`` a ``002`` one.
- ``updated_at`` is the latest of ``orderDate`` and the ``statusDate`` of every line with a ``Cancelled``
  status. Walmart's order has no modification time, and a line's ``statusDate`` also moves when crossdock
  acknowledges or ships it: taking those would make each acknowledgement a new revision, sent to the warehouse
  again. Status is per line, with quantities: a line's quantity is ordered less cancelled, and what was cancelled
  stays visible as ``taken_out`` says (a line note, or an order note for a line cancelled whole); every line
  cancelled is ``purpose`` ``01`` with the lines as ordered. Created, Acknowledged, Shipped, Delivered and Refund
  change nothing here (they are crossdock's own doing, or after the shipment). Any other change Walmart makes (a
  new ship-to address, a line's charges) moves no time at all: ``version`` adds a digest of the order without
  what crossdock's own calls change, so such a change is a new version too.
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
- The acknowledgement is due while a line is still ``Created``; ``needs_acknowledgement`` says so, and Walmart
  says not to acknowledge shipped or cancelled ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import (
    Address,
    Charge,
    Contact,
    DateRef,
    Discount,
    Order,
    OrderLine,
    Party,
    Reference,
    ShippingLine,
    TaxLine,
)
from crossdock.mappings.jsonnode import LooseJsonNode, OrderCurrency
from crossdock.mappings.taken_out import take_out

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
    taken: dict[str, tuple[Decimal, str]] = {}
    for item in lines:
        line, cancelled, cancelled_at = _line(item, len(order.lines) + 1, money)
        order.lines.append(line)
        if cancelled_at is not None:
            changed.append(cancelled_at)
        if cancelled:
            taken[line.line_number or ""] = (cancelled, "cancelled at Walmart")
    order.purpose = "00"
    take_out(order, taken)
    if order.purpose != "01":
        states = line_state(payload, name=name)
        order.already_shipped = all(s.shipped + s.cancelled >= s.ordered for s in states.values())
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


def version(payload: Mapping[str, Any], *, name: str = "order") -> str:
    """What names this version of the order: ``updated_at`` in epoch milliseconds and a digest of everything but
    what acknowledging and shipping change (line ``statusDate``, statuses other than Cancelled, tracking)."""
    stamp = int(updated_at(payload, name=name).timestamp() * 1000)
    node = _root(payload, name)
    content = dict(node.data)
    lines = []
    for item in _children(node, "orderLines", "orderLine"):
        line = {k: v for k, v in item.data.items() if k not in ("statusDate", "orderLineStatuses")}
        statuses = _children(item, "orderLineStatuses", "orderLineStatus")
        line["cancelled"] = [s.data.get("statusQuantity") for s in statuses if s.text("status") == "Cancelled"]
        lines.append(line)
    content["orderLines"] = lines
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return f"{stamp}.{hashlib.sha256(text.encode()).hexdigest()[:16]}"


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
    for qualifier, key in (("038", "estimatedShipDate"), ("002", "estimatedDeliveryDate")):
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
    """The line as ordered, the quantity Walmart cancelled of it, and its statusDate if it has any."""
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
    return line, cancelled, item.time("statusDate") if cancelled else None


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
