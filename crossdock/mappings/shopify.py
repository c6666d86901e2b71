"""Shopify orders -> canonical Order.

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
- A line's ``quantity`` is what is left to ship: ``currentQuantity`` (ordered less refunded and removed units;
  REST ``current_quantity``, else the ordered quantity less its ``refunds[].refund_line_items``). What was taken
  out stays visible as a line note (``ordered 3, 1 refunded or removed``). A line that ``requiresShipping`` false
  (a gift card, an e-book) has nothing to ship (``needs no shipping``). A line with nothing left leaves the order
  and is named in its notes; an order with nothing left is a cancel, one that never had anything to ship is
  ``already_shipped`` (``left_to_ship.settle``).
- The order is a cancel (``purpose`` ``01``) too when it is cancelled (``cancelledAt``) or refunded or voided in
  full (``displayFinancialStatus`` REFUNDED/VOIDED).
- A ``pending`` financial status (``financial_status``, ``displayFinancialStatus``: no payment yet, such as a bank
  transfer) makes the order ``awaiting="payment"``: kept, not shipped. ``authorized`` is shippable (captured on
  fulfilment). A ``fulfilled`` fulfilment status (``fulfillment_status``, ``displayFulfillmentStatus``) is
  ``already_shipped``: an order first read fulfilled is not sent to a warehouse.
- Holds: an open fulfillment order ON_HOLD makes the order ``awaiting="fulfillment hold"``, SCHEDULED
  ``awaiting="scheduled"`` (Shopify releases it at ``fulfillAt``), and a risk assessment at or above
  ``hold_risk`` (HIGH by default; PENDING never holds) ``awaiting="risk HIGH"``; a later read that no longer
  says so releases it. The earliest ``fulfillBy`` of the open fulfillment orders is the ship-by date,
  ``DateRef(qualifier="038")``. The REST shape carries neither.
- Fulfilments back: ``shopify_fulfilment``.
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
    DateRef,
    Discount,
    Order,
    OrderLine,
    Party,
    ShippingLine,
    TaxLine,
)
from crossdock.mappings.jsonnode import JsonNode
from crossdock.mappings.left_to_ship import NO_SHIPPING, settle, taken_out

_GID = re.compile(r"gid://shopify/(\w+)/(\d+)(?:\?.*)?")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
RISK_LEVELS = ("NONE", "LOW", "MEDIUM", "HIGH")  # RiskAssessmentResult, lowest first; PENDING is not assessed yet
_VOIDED = {"refunded", "voided"}  # financial statuses of an order paid back (or never captured) in full
_HOLDS = {"ON_HOLD": "fulfillment hold", "SCHEDULED": "scheduled"}  # fulfillment order statuses that wait
_DONE = {"CLOSED", "CANCELLED"}  # fulfillment orders with nothing left to do
_GTIN = {12: "UP", 13: "EN", 14: "UK"}  # a barcode's X12 qualifier by length: UPC-A, EAN-13, GTIN-14; else GTIN


def order_from_shopify(payload: Mapping[str, Any], *, name: str = "order", hold_risk: str | None = "HIGH") -> Order:
    """Map one Shopify order, GraphQL node or REST object (told apart by the GID in ``id``). ``hold_risk`` is the
    lowest risk level that holds the order (one of ``RISK_LEVELS``; None: risk never holds)."""
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
    refunded = _refunded(node) if rest else {}
    order.lines = [_line(item, i + 1, applications, refunded) for i, item in enumerate(items)]
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
    if isinstance(financial, str) and financial.lower() in _VOIDED:
        order.purpose = "01"
    settle(order, [item.raw("requiresShipping") is not False for item in items])
    _holds(order, node, hold_risk)
    return order


def _holds(order: Order, node: _Node, hold_risk: str | None) -> None:
    """What the order waits for on Shopify's side (a fulfillment hold, a schedule, its risk) and its ship-by."""
    open_orders = [fo for fo in node.children("fulfillmentOrders") if fo.text("status") not in _DONE]
    ship_by = sorted(when for fo in open_orders if (when := fo.timestamp("fulfillBy")) is not None)
    if ship_by:
        order.dates.append(DateRef(qualifier="038", date=ship_by[0].date()))
    if order.awaiting:
        return
    for fo in open_orders:
        if (hold := _HOLDS.get(fo.text("status") or "")) is not None:
            order.awaiting = hold
            return
    risk = node.child("risk")
    levels = {(a.text("riskLevel") or "").upper() for a in risk.children("assessments")} if risk else set()
    if hold_risk is not None and hold_risk.upper() in RISK_LEVELS:
        held = [lv for lv in RISK_LEVELS[RISK_LEVELS.index(hold_risk.upper()) :] if lv in levels]
        if held:
            order.awaiting = f"risk {held[-1]}"


def _refunded(node: _Node) -> dict[str, Decimal]:
    """REST: the units refunded per line id, from ``refunds[].refund_line_items`` (for versions without
    ``current_quantity``)."""
    out: dict[str, Decimal] = {}
    for refund in node.children("refunds"):
        for item in refund.children("refundLineItems"):
            key = item.need_numeric_id("lineItemId", "LineItem")
            out[key] = out.get(key, Decimal(0)) + item.quantity("quantity")
    return out


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


def _line(node: _Node, position: int, applications: Any, refunded: Mapping[str, Decimal]) -> OrderLine:
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
    line_id = node.need_numeric_id("id", "LineItem")
    ordered = node.quantity("quantity")
    left = node.quantity("currentQuantity") if node.raw("currentQuantity") is not None else ordered
    left = min(left, ordered - refunded.get(line_id, Decimal(0)))
    if left < 0:
        node.fail("currentQuantity", f"{left}: less than nothing left of {ordered} ordered")
    notes = [taken_out(ordered, left)] if left < ordered else []
    if node.raw("requiresShipping") is False:
        left, notes = Decimal(0), [*notes, NO_SHIPPING]
    return OrderLine(
        position=position,
        line_number=line_id,
        quantity=left,
        uom="EA",
        unit_price=node.need_money("originalUnitPriceSet", "price_set", "price"),
        description=node.text("name") or node.text("title"),
        product_ids=ids,
        notes=notes,
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
