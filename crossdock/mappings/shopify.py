"""Shopify orders -> canonical Order, and a canonical Fulfilment -> the ``fulfillmentCreate`` variables.

Pure: no I/O. Both shapes of an order are read (``../shared/docs/channel-apis.md`` §4 and §5):

- the GraphQL Admin ``Order`` node as ``shopify_graphql.ORDERS_QUERY`` selects it (GIDs, ``MoneyBag``s,
  connections as ``nodes`` or ``edges``);
- the legacy REST order (numeric ids, amount strings, ``*_set`` bags on newer versions; fixtures ``order.json``).

Choices, so that a REST and a GraphQL read of one order give the same Order:

- ``external_id``, ``line_number`` and the ``VARIANT`` product id are the **numeric** ids as text; a GID's tail
  (``gid://shopify/Order/450789469`` -> ``"450789469"``) is the REST id.
- ``order_date`` is the UTC date of ``createdAt`` (GraphQL only gives UTC); ``updated_at`` is aware UTC.
- Money is ``shopMoney`` (the shop's currency, ``currencyCode``/``currency``); a REST ``*_set`` bag wins over the
  plain string. Amounts are ``Decimal`` from their text: str, int or Decimal; a float is refused (someone parsed
  the JSON lossy: use ``json.loads(..., parse_float=Decimal)``).
- Taxes and discounts are per line and per shipping line. Order-level ``taxLines`` are their sum, so they are
  kept only when no line carries any (the legacy shape); likewise the REST ``discount_codes`` become order-level
  discounts only when no line or shipping line has ``discount_allocations``.
- ``quantity`` is the ordered quantity; order edits (``currentQuantity``) are not read.
- Fulfilments go through the order's open fulfillment orders (``fulfilment_requests``: one ``fulfillmentCreate``
  per fulfillment order its lines are on). The mutation takes no idempotency key, so what an existing fulfilment
  already holds under the shipment's tracking number is left out: a repeated send ships nothing twice.
- A ``pending`` financial status (``financial_status``, ``displayFinancialStatus``: no payment yet, such as a bank
  transfer) makes the order ``awaiting="payment"``: kept, not shipped. ``authorized`` is shippable (captured on
  fulfilment). A ``fulfilled`` fulfilment status (``fulfillment_status``, ``displayFulfillmentStatus``) is
  ``already_shipped``: an order first read fulfilled is not sent to a warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Self

from crossdock.core.errors import DecodeError
from crossdock.core.models import (
    Address,
    Contact,
    Discount,
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderLine,
    Party,
    ShippingLine,
    TaxLine,
)
from crossdock.mappings.jsonnode import JsonNode

_GID = re.compile(r"gid://shopify/(\w+)/(\d+)(?:\?.*)?")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
# Shopify builds tracking links for the carrier names it knows, written exactly ([docs FulfillmentTrackingInput]);
# a SCAC not here is sent as it is.
_CARRIERS = {"UPSN": "UPS", "UPSS": "UPS", "FDEG": "FedEx", "FDE": "FedEx", "FXFE": "FedEx", "USPS": "USPS"}
_OPEN = {"OPEN", "IN_PROGRESS"}
_VOID = {"CANCELLED", "ERROR", "FAILURE"}  # fulfilments that shipped nothing
_GTIN = {12: "UP", 13: "EN", 14: "UK"}  # a barcode's X12 qualifier by length: UPC-A, EAN-13, GTIN-14; else GTIN


def order_from_shopify(payload: Mapping[str, Any], *, name: str = "order") -> Order:
    """Map one Shopify order, GraphQL node or REST object (told apart by the GID in ``id``)."""
    if not isinstance(payload, Mapping):
        raise DecodeError(f"an order is an object, not {type(payload).__name__}", source=name)
    identifier = payload.get("id")
    rest = not (isinstance(identifier, str) and identifier.startswith("gid://"))
    node = _Node(payload, "", name, rest)
    order = Order(
        channel="shopify",
        po_number=node.need_text("name"),
        external_id=node.need_numeric_id("id", "Order"),
        currency=node.need_text("currency" if rest else "currencyCode"),
    )
    node.currency = order.currency
    created = node.timestamp("createdAt")
    order.order_date = created.date() if created else None
    order.updated_at = node.timestamp("updatedAt")
    order.purpose = "01" if node.raw("cancelledAt") is not None else "00"
    shipped = node.raw("fulfillmentStatus" if rest else "displayFulfillmentStatus")
    order.already_shipped = isinstance(shipped, str) and shipped.lower() == "fulfilled"
    financial = node.raw("financialStatus" if rest else "displayFinancialStatus")
    if isinstance(financial, str) and financial.lower() == "pending":
        order.awaiting = "payment"
    for role, key in (("ST", "shippingAddress"), ("BT", "billingAddress")):
        address = node.child(key)
        if address is not None:
            order.parties.append(_party(role, address))
    email = node.text("email") or (node.text("contactEmail") if rest else None)
    phone = node.text("phone")
    if email or phone:
        order.contacts.append(Contact(email=email, phone=phone))
    applications = node.data.get("discount_applications") if rest else None
    items, shipping = node.children("lineItems"), node.children("shippingLines")
    order.lines = [_line(item, i + 1, applications) for i, item in enumerate(items)]
    order.shipping_lines = [
        ShippingLine(
            code=item.text("code"),
            title=item.text("title"),
            amount=item.need_money("originalPriceSet", "price_set", "price"),
            taxes=_taxes(item),
            discounts=_discounts(item, applications),
        )
        for item in shipping
    ]
    if not any(x.taxes for x in order.lines) and not any(x.taxes for x in order.shipping_lines):
        order.taxes = _taxes(node)
    if rest and not any("discount_allocations" in x.data for x in [*items, *shipping]):
        order.discounts = [
            Discount(code=code.text("code"), amount=code.need_money("", "", "amount"))
            for code in node.children("discountCodes")
        ]
    order.total_amount = node.money("totalPriceSet", "total_price_set", "total_price")
    return order


order_from_payload = order_from_shopify  # the name the channel pipeline calls


def order_gid(order_id: str) -> str:
    """The GID of an order given by its numeric id (REST, a webhook) or already as a GID."""
    text = order_id.strip()
    match = _GID.fullmatch(text)
    if match and match.group(1) == "Order":
        return text
    if not text.isdecimal():
        raise ValueError(f"{order_id!r} is not a Shopify order id")
    return f"gid://shopify/Order/{text}"


def fulfilment_request(
    fulfilment: Fulfilment,
    fulfillment_order: Mapping[str, Any],
    *,
    notify_customer: bool = True,
    tracking_url: str | None = None,
) -> dict[str, Any]:
    """The variables of ``FULFILLMENT_CREATE`` shipping ``fulfilment``'s lines from one open fulfillment order.

    Lines are matched by the order line id (``FulfilmentLine.line_number``, numeric or GID) to the fulfillment
    order's ``lineItems {id remainingQuantity lineItem {id}}``. A line not on it, more than remains, or nothing to
    ship (an empty list would fulfil every line) is a ``ValueError``; an unreadable fulfillment order a DecodeError.
    """
    where = f"shopify fulfilment {fulfilment.shipment_id} of order {fulfilment.po_number}"
    fo = _Node(fulfillment_order, "", f"fulfillment order {fulfillment_order.get('id')}", False)
    fo_id = fo.gid("id", "FulfillmentOrder")
    if (status := fo.text("status")) not in (None, *_OPEN):
        raise ValueError(f"{where}: fulfillment order {fo_id} is {status}, not open")
    open_lines: dict[str, tuple[str, Decimal]] = {}
    for item in fo.children("lineItems"):
        line = item.child("lineItem") or item.fail("lineItem", "missing")
        item_id = item.gid("id", "FulfillmentOrderLineItem")
        open_lines[line.need_numeric_id("id", "LineItem")] = (item_id, item.quantity("remainingQuantity"))
    wanted = _wanted(fulfilment, where)
    items = []
    for key, quantity in wanted.items():
        if key not in open_lines:
            raise ValueError(f"{where}: line {key} is not on fulfillment order {fo_id}")
        item_id, remaining = open_lines[key]
        if quantity > remaining:
            raise ValueError(f"{where}: line {key}: {quantity} to ship but {remaining} remain")
        items.append({"id": item_id, "quantity": int(quantity)})
    if not items:
        raise ValueError(f"{where}: no lines to ship (an empty list would fulfil the whole fulfillment order)")
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}],
        "notifyCustomer": notify_customer,
    }
    numbers = [n for n in fulfilment.tracking_numbers if n.strip()]
    one = numbers[0] if len(numbers) == 1 else None  # url goes with number, urls with numbers (not sent)
    scac = fulfilment.carrier_scac
    tracking = {
        "company": _CARRIERS.get(scac.upper(), scac) if scac else None,
        "number": one,
        "numbers": numbers if len(numbers) > 1 else None,
        "url": tracking_url if one else None,
    }
    if any(tracking.values()):
        fulfillment["trackingInfo"] = {k: v for k, v in tracking.items() if v}
    return {"fulfillment": fulfillment}


def fulfilment_requests(
    fulfilment: Fulfilment,
    fulfillment_orders: Mapping[str, Any],
    fulfillments: Any = None,
    *,
    notify_customer: bool = True,
    tracking_url: str | None = None,
) -> list[dict[str, Any]]:
    """The ``FULFILLMENT_CREATE`` variables that ship what is left of ``fulfilment``: one per open fulfillment
    order its lines are on (an order's lines can be split over locations), [] when nothing is left.

    ``fulfillment_orders`` is the ``order`` of ``FULFILLMENT_ORDERS_QUERY``; ``fulfillments`` the ``fulfillments``
    list of ``FULFILLMENTS_QUERY``; every connection in them read to its last page. Since the mutation takes no
    idempotency key, a repeated send must not ship twice: what an existing fulfilment carrying one of the shipment's
    tracking numbers holds is subtracted first. A shipment without tracking cannot be recognised so: it counts as
    sent when none of its lines remains open anywhere. What is left that no open fulfillment order holds is a
    ``ValueError``."""
    where = f"shopify fulfilment {fulfilment.shipment_id} of order {fulfilment.po_number}"
    wanted = _wanted(fulfilment, where)
    numbers = {n.strip() for n in fulfilment.tracking_numbers if n.strip()}
    source = f"fulfillments of order {fulfilment.external_id}"
    for i, done in enumerate(fulfillments or []):
        made = _Node(done, f"fulfillments[{i}]", source, False)
        if (made.text("status") or "").upper() in _VOID or not numbers:
            continue
        if not any(t.text("number") in numbers for t in made.children("trackingInfo")):
            continue
        for item in made.children("fulfillmentLineItems"):
            line = item.child("lineItem") or item.fail("lineItem", "missing")
            key = line.need_numeric_id("id", "LineItem")
            if key in wanted:
                wanted[key] -= min(wanted[key], item.quantity("quantity"))
    wanted = {k: v for k, v in wanted.items() if v > 0}
    order = _Node(fulfillment_orders, "", f"fulfillment orders of order {fulfilment.external_id}", False)
    open_orders = []
    for fo in order.children("fulfillmentOrders"):
        if fo.text("status") in _OPEN:
            remaining: dict[str, Decimal] = {}
            for item in fo.children("lineItems"):
                line = item.child("lineItem") or item.fail("lineItem", "missing")
                key = line.need_numeric_id("id", "LineItem")
                remaining[key] = remaining.get(key, Decimal(0)) + item.quantity("remainingQuantity")
            open_orders.append((fo.data, remaining))
    if not numbers and not any(r.get(k, 0) > 0 for _, r in open_orders for k in wanted):
        return []
    requests = []
    for data, remaining in open_orders:
        share = {k: min(v, remaining.get(k, Decimal(0))) for k, v in wanted.items()}
        share = {k: v for k, v in share.items() if v > 0}
        if not share:
            continue
        lines = [FulfilmentLine(line_number=k, quantity=v) for k, v in share.items()]  # what this one holds
        sub = fulfilment.model_copy(update={"lines": lines})
        requests.append(fulfilment_request(sub, data, notify_customer=notify_customer, tracking_url=tracking_url))
        wanted = {k: v - share.get(k, Decimal(0)) for k, v in wanted.items()}
    left = {k: v for k, v in wanted.items() if v > 0}
    if left:
        key, quantity = next(iter(left.items()))
        raise ValueError(f"{where}: line {key}: {quantity} more to ship than any open fulfillment order holds")
    return requests


def _wanted(fulfilment: Fulfilment, where: str) -> dict[str, Decimal]:
    """The quantity to ship of each order line, by its numeric id; a line given twice is summed."""
    wanted: dict[str, Decimal] = {}
    for i, shipped in enumerate(fulfilment.lines, 1):
        match = _GID.fullmatch(shipped.line_number or "")
        key = match.group(2) if match else (shipped.line_number or "").strip()
        if not key.isdecimal():
            raise ValueError(f"{where}: line {i}: {shipped.line_number!r} is not a Shopify line item id")
        if shipped.quantity <= 0 or shipped.quantity != shipped.quantity.to_integral_value():
            raise ValueError(f"{where}: line {key}: {shipped.quantity} is not a whole quantity to ship")
        wanted[key] = wanted.get(key, Decimal(0)) + shipped.quantity
    return wanted


def _party(role: str, node: _Node) -> Party:
    name = node.text("name") or " ".join(x for x in (node.text("firstName"), node.text("lastName")) if x) or None
    company = node.text("company")
    country = node.text("countryCodeV2" if not node.rest else "countryCode")
    phone = node.text("phone")
    return Party(
        role=role,
        name=name,
        extra_names=[company] if company else [],
        address=Address(
            lines=[x for x in (node.text("address1"), node.text("address2")) if x],
            city=node.text("city"),
            state=node.text("provinceCode"),
            postal_code=node.text("zip"),
            country=country.upper() if country else None,
        ),
        contacts=[Contact(phone=phone)] if phone else [],
    )


def _line(node: _Node, position: int, applications: Any) -> OrderLine:
    ids: dict[str, str] = {}
    sku = node.text("sku")
    if sku:
        ids["SK"] = sku
    variant = None if node.rest else node.child("variant")  # REST has variant_id and no barcode
    variant_id = (
        variant.numeric_id("id", "ProductVariant") if variant else node.numeric_id("variantId", "ProductVariant")
    )
    barcode = variant.text("barcode") if variant else None
    if barcode:
        ids[_GTIN.get(len(barcode), "GTIN") if barcode.isdecimal() else "GTIN"] = barcode
    if variant_id:
        ids["VARIANT"] = variant_id
    return OrderLine(
        position=position,
        line_number=node.need_numeric_id("id", "LineItem"),
        quantity=node.quantity("quantity"),
        uom="EA",
        unit_price=node.need_money("originalUnitPriceSet", "price_set", "price"),
        description=node.text("name") or node.text("title"),
        product_ids=ids,
        taxes=_taxes(node),
        discounts=_discounts(node, applications),
    )


def _taxes(node: _Node) -> list[TaxLine]:
    return [
        TaxLine(title=t.text("title"), rate=t.decimal("rate"), amount=t.need_money("priceSet", "price_set", "price"))
        for t in node.children("taxLines")
    ]


def _discounts(node: _Node, applications: Any) -> list[Discount]:
    out = []
    for a in node.children("discountAllocations"):
        amount = a.need_money("allocatedAmountSet", "amount_set", "amount")
        found = a.data.get("discountApplication")
        if a.rest:  # REST: an index into the order's discount_applications [unverified]
            index = a.data.get("discount_application_index")
            ok = isinstance(applications, list) and isinstance(index, int) and 0 <= index < len(applications)
            found = applications[index] if ok else None
        application = found if isinstance(found, Mapping) else {}
        code, title = application.get("code"), application.get("title") or application.get("description")
        code, title = (x.strip() or None if isinstance(x, str) else None for x in (code, title))
        out.append(Discount(code=code, description=title, amount=amount))
    return out


class _Node(JsonNode):
    """Shopify's JSON in either shape: keys are given in GraphQL's camelCase and read snake_case in a REST payload;
    ids are numbers or GIDs; money is in ``MoneyBag``s (REST: also plain strings) in the order's currency."""

    __slots__ = ("currency", "rest")

    def __init__(self, data: Any, path: str, source: str, rest: bool, currency: str | None = None) -> None:
        super().__init__(data, path, source)
        self.rest, self.currency = rest, currency

    def _spawn(self, data: Any, path: str) -> Self:
        return type(self)(data, path, self.source, self.rest, self.currency)

    def key(self, key: str) -> str:
        return _SNAKE.sub("_", key).lower() if self.rest else key

    def at(self, key: str) -> str:
        return super().at(self.key(key))

    def raw(self, key: str) -> Any:
        return self.data.get(self.key(key))

    def children(self, key: str, *, required: bool = False) -> list[Self]:
        """A list, or a GraphQL connection read whole (``nodes`` or ``edges``); a further page is refused."""
        value = self.raw(key)
        if self.rest or not isinstance(value, Mapping):
            return super().children(key, required=required)
        path = self.at(key)
        if (value.get("pageInfo") or {}).get("hasNextPage"):
            self.fail(key, "more than one page: read the rest before mapping")
        if isinstance(value.get("nodes"), list):
            return [self._spawn(v, f"{path}.nodes[{i}]") for i, v in enumerate(value["nodes"])]
        if isinstance(value.get("edges"), list):
            edges = [self._spawn(v, f"{path}.edges[{i}]") for i, v in enumerate(value["edges"])]
            return [e.child("node") or e.fail("node", "missing") for e in edges]
        self.fail(key, "a connection without nodes or edges")

    def numeric_id(self, key: str, kind: str) -> str | None:
        """A Shopify id as its decimal digits: a REST number, digits, or a GraphQL GID of ``kind``."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)
        if isinstance(value, str):
            match = _GID.fullmatch(value.strip())
            if match and match.group(1) == kind:
                return match.group(2)
            if value.strip().isdecimal():
                return value.strip()
        self.fail(key, f"{value!r} is not a {kind} id")

    def need_numeric_id(self, key: str, kind: str) -> str:
        return self.required(key, self.numeric_id(key, kind))

    def gid(self, key: str, kind: str) -> str:
        value = self.need_text(key)
        match = _GID.fullmatch(value)
        return value if match and match.group(1) == kind else self.fail(key, f"{value!r} is not a {kind} GID")

    def money(self, gql_set: str, rest_set: str, rest_plain: str) -> Decimal | None:
        """An amount in the shop's currency: ``<set>.shopMoney.amount``; REST: ``<set>.shop_money`` or the plain
        string. The bag's currency must be the order's."""
        bag_key = rest_set if self.rest else gql_set
        bag = self.data.get(bag_key) if bag_key else None
        if bag is None:
            return self.decimal(rest_plain) if self.rest and rest_plain else None
        shop = self._spawn(bag, self.at(bag_key)).child("shopMoney") or self.fail(bag_key, "no shop money")
        currency = shop.text("currencyCode")
        if currency and self.currency and currency != self.currency:
            shop.fail("currencyCode", f"{currency!r} is not the order's currency {self.currency!r}")
        return shop.need_decimal("amount")

    def need_money(self, gql_set: str, rest_set: str, rest_plain: str) -> Decimal:
        amount = self.money(gql_set, rest_set, rest_plain)
        return self.fail(gql_set if not self.rest else rest_plain or rest_set, "missing") if amount is None else amount
