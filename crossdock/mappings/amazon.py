"""Amazon SP-API orders (Orders API 2026-01-01) -> canonical Order (what crossdock sends back is built in
``amazon_requests``). Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §1 and the owner's specs ``orders_2026-01-01.json`` / ``ordersV0.json``.
Choices:

- ``po_number`` and ``external_id`` are ``orderId``; ``line_number`` is ``orderItemId`` (confirmShipment needs it).
- ``order_date`` is the UTC date of ``createdTime``; ``updated_at`` is ``lastUpdatedTime``, aware UTC.
- ``purpose`` is ``01`` when ``fulfillment.fulfillmentStatus`` is cancelled, spelt ``CANCELLED`` (2026) or
  ``Canceled`` (v0), else ``00``. An item whose ``cancellation.cancellationExecution`` is there is cancelled:
  its unfulfilled units are taken out as ``taken_out`` says (every item cancelled: ``01``). A buyer's cancel
  request on an item not yet executed holds the order, ``awaiting="cancellation"`` (an MFN seller must not ship
  it [docs]; released when a later read no longer shows the request), and is a note on its line.
  ``PENDING`` (not yet charged: Amazon says not to ship) is ``awaiting="payment"``, ``PENDING_AVAILABILITY`` (a
  pre-order) ``awaiting="availability"``. ``SHIPPED`` is ``already_shipped``. ``fulfillment.shipByWindow``'s
  latest time is the ship-by date ``038`` (its earliest ``037``).
- Money (``{"amount": "…", "currencyCode": "…"}``) is ``Decimal`` from str, int or Decimal; a float is refused
  (parse with ``parse_float=Decimal``). One currency per order: the first amount read (``proceeds.grandTotal``)
  sets it, another currency is refused. An order without any amount (a pending order can carry none) takes
  ``currency=``; ``order_from_payload``, which the pipeline calls, passes the currency of the order's
  ``salesChannel.marketplaceId``, so such an order is stored and waits instead of failing.
- ``unit_price`` is ``product.price.unitPrice`` [spec: "for a single unit"]; without it, the ``ITEM`` proceeds
  ÷ quantity when that divides exactly.
- Per item, ``proceeds.breakdowns``: ``TAX`` and ``DISCOUNT`` are split by ``detailedBreakdowns[].subtype``
  (``SHIPPING`` goes to the shipping line, the rest to the line); ``SHIPPING`` is the shipping price;
  ``GIFT_WRAP``, ``COD_FEE``, ``OTHER`` are line charges. Taxes of an item whose ``tax.taxCollections`` has model
  ``MARKETPLACE_FACILITATOR`` are ``collected_by="marketplace"``, else ``"seller"`` (so ask for
  ``includedData=TAX``, or every tax reads as the seller's). Discounts are positive, coded with the item's
  promotion id when it has only one; promotion ids are line references ``PROMOTION``.
- Order-level ``proceeds.breakdowns`` are the items' sums and are not read again, except ``TAX`` when no item
  has one and ``DELIVERY_TIP`` (an order charge). ``total_amount`` is ``proceeds.grandTotal``.
- Parties: ``ST`` from ``recipient.deliveryAddress`` (restricted: often absent), ``BT`` from the buyer's tax
  registration address when given, ``BY`` from ``buyer``; the buyer's name and e-mail are a ``BD`` contact.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from decimal import Decimal, Inexact, localcontext
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import (
    Address,
    Charge,
    Collector,
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
from crossdock.mappings.jsonnode import MoneyNode, OrderCurrency
from crossdock.mappings.taken_out import take_out

_CHARGES = {"GIFT_WRAP", "COD_FEE", "OTHER"}

_AWAITING = {"PENDING": "payment", "PENDINGAVAILABILITY": "availability"}

# Each marketplace's currency: the ids and countries are Amazon's list [docs developer-docs.amazon.com/sp-api/docs/
# marketplace-ids]; the currency is that country's own. Used only for an order that carries no amount at all.
MARKETPLACE_CURRENCIES = {
    "A2EUQ1WTGCTBG2": "CAD",  # CA
    "ATVPDKIKX0DER": "USD",  # US
    "A1AM78C64UM0Y8": "MXN",  # MX
    "A2Q3Y263D00KWC": "BRL",  # BR
    "A28R8C7NBKEWEA": "EUR",  # IE
    "A1RKKUPIHCS9HS": "EUR",  # ES
    "A1F83G8C2ARO7P": "GBP",  # UK
    "A13V1IB3VIYZZH": "EUR",  # FR
    "AMEN7PMS3EDWL": "EUR",  # BE
    "A1805IZSGTT6HS": "EUR",  # NL
    "A1PA6795UKMFR9": "EUR",  # DE
    "APJ6JRA9NG5V4": "EUR",  # IT
    "A2NODRKZP88ZB9": "SEK",  # SE
    "AE08WJ6YKNBMC": "ZAR",  # ZA
    "A1C3SOZRARQ6R3": "PLN",  # PL
    "ARBP9OOSHTCHU": "EGP",  # EG
    "A33AVAJ2PDY3EV": "TRY",  # TR
    "A17E79C6D8DWNP": "SAR",  # SA
    "A2VIGQ35RCS4UG": "AED",  # AE
    "A21TJRUUN4KGV": "INR",  # IN
    "A19VAU5U5O7RUS": "SGD",  # SG
    "A39IBJ37TRP1C6": "AUD",  # AU
    "A1VC38T7YXB528": "JPY",  # JP
}


def order_from_amazon(payload: Mapping[str, Any], *, name: str = "order", currency: str | None = None) -> Order:
    """Map one 2026-01-01 ``Order`` (an element of ``searchOrders``' ``orders`` or ``getOrder``'s ``order``; the
    ``{"order": …}`` wrapper is read too). ``currency`` is used only when the order carries no amount at all."""
    if not isinstance(payload, Mapping):
        raise DecodeError(f"an order is an object, not {type(payload).__name__}", source=name)
    path = ""
    if "orderId" not in payload and isinstance(payload.get("order"), Mapping):
        payload, path = payload["order"], "order"
    if "orderId" not in payload and isinstance(payload.get("errors"), list):
        errors = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in payload["errors"] if isinstance(e, Mapping))
        raise DecodeError(f"an error response, not an order ({errors or 'no details'})", source=name)
    node = _Node(payload, path, name, OrderCurrency())
    order_id = node.need_text("orderId")
    order = Order(channel="amazon", po_number=order_id, external_id=order_id)
    order.order_date = node.need_timestamp("createdTime").date()
    order.updated_at = node.need_timestamp("lastUpdatedTime")
    proceeds = node.child("proceeds")
    order.total_amount = proceeds.money("grandTotal") if proceeds else None
    fulfillment = node.child("fulfillment")
    status = fulfillment.text("fulfillmentStatus") if fulfillment else None
    plain = status.upper().replace("_", "") if status else ""
    order.purpose = "01" if plain in ("CANCELLED", "CANCELED") else "00"
    order.awaiting = _AWAITING.get(plain)
    order.already_shipped = plain == "SHIPPED"
    _header(node, order, fulfillment)
    items = node.children("orderItems", required=True)
    if not items:
        node.fail("orderItems", "no items")
    shipping = _Shipping()
    order.lines = [_line(item, i + 1, shipping) for i, item in enumerate(items)]
    if order.purpose == "00":
        take_out(
            order, {line.line_number or "": _cancelled(item) for line, item in zip(order.lines, items, strict=True)}
        )
    if order.purpose == "00" and order.awaiting is None and any(_cancel_requested(item) for item in items):
        order.awaiting = "cancellation"  # the buyer asked: not to ship until Amazon or the seller settles it
    if shipping.seen:
        code = fulfillment.text("fulfillmentServiceLevel") if fulfillment else None
        order.shipping_lines.append(shipping.line(code))
    if proceeds:
        collected: Collector = "marketplace" if items and all(_facilitated(i) for i in items) else "seller"
        for breakdown in proceeds.children("breakdowns"):
            kind, amount = breakdown.need_text("type"), breakdown.need_money("subtotal")
            if kind == "TAX" and not any(line.taxes for line in order.lines) and not shipping.taxes:
                order.taxes.append(TaxLine(amount=amount, collected_by=collected))
            elif kind == "DELIVERY_TIP":
                order.charges.append(Charge(indicator="C", amount=amount, description="DELIVERY_TIP"))
    order.currency = node.currency.code or currency or node.fail("proceeds", "no amount to take the currency from")
    return order


def order_from_payload(payload: Any, *, name: str = "order") -> Order:
    """What the pipeline calls: ``order_from_amazon`` with the currency of the order's marketplace, for an order
    that carries no amount yet (an unknown marketplace leaves it unknown: such an order fails)."""
    body = payload.get("order", payload) if isinstance(payload, Mapping) and "orderId" not in payload else payload
    channel = body.get("salesChannel") if isinstance(body, Mapping) else None
    marketplace = channel.get("marketplaceId") if isinstance(channel, Mapping) else None
    currency = MARKETPLACE_CURRENCIES.get(marketplace) if isinstance(marketplace, str) else None
    return order_from_amazon(payload, name=name, currency=currency)


def _header(node: _Node, order: Order, fulfillment: _Node | None) -> None:
    recipient = node.child("recipient")
    address = recipient.child("deliveryAddress") if recipient else None
    if address:
        order.parties.append(_party("ST", address))
    tax = node.child("tax")
    for registration in tax.children("taxRegistrations") if tax else []:
        billing = registration.child("taxRegistrationAddress")
        if registration.text("entityType") == "BUYER" and billing:
            order.parties.append(_party("BT", billing, registration.text("legalName")))
            break
    buyer = node.child("buyer")
    if buyer:
        name, company, email = buyer.text("buyerName"), buyer.text("buyerCompanyName"), buyer.text("buyerEmail")
        if name or company:
            order.parties.append(
                Party(role="BY", name=name or company, extra_names=[company] if name and company else [])
            )
        if name or email:
            order.contacts.append(Contact(function="BD", name=name, email=email))
        if po := buyer.text("buyerPurchaseOrderNumber"):
            order.references.append(Reference(qualifier="CO", value=po, description="buyer purchase order number"))
    for alias in node.children("orderAliases"):
        order.references.append(Reference(qualifier=alias.need_text("aliasType"), value=alias.need_text("aliasId")))
    channel = node.child("salesChannel")
    if channel and (marketplace := channel.text("marketplaceId")):
        order.references.append(
            Reference(qualifier="MARKETPLACE", value=marketplace, description=channel.text("marketplaceName"))
        )
    if fulfillment:
        if by := fulfillment.text("fulfilledBy"):  # AMAZON (FBA): read-only, never for a warehouse
            order.references.append(Reference(qualifier="FULFILLED_BY", value=by))
        window = fulfillment.child("shipByWindow")
        for qualifier, key in (("037", "earliestDateTime"), ("038", "latestDateTime")):
            stamp = window.timestamp(key) if window else None
            if stamp:
                order.dates.append(
                    DateRef(qualifier=qualifier, date=stamp.date(), time=f"{stamp:%H%M}", time_zone="UT")
                )


def _party(role: str, node: _Node, name: str | None = None) -> Party:
    company, phone = node.text("companyName"), node.text("phone")
    person = node.text("name")
    return Party(
        role=role,
        name=name or person or company,
        extra_names=[x for x in (person, company) if x and x != (name or person or company)],
        address=Address(
            lines=[x for x in (node.text(f"addressLine{n}") for n in (1, 2, 3)) if x],
            city=node.text("city"),
            state=node.text("stateOrRegion"),
            postal_code=node.text("postalCode"),
            country=(node.text("countryCode") or "").upper() or None,
        ),
        contacts=[Contact(phone=phone)] if phone else [],
    )


class _Shipping:
    """The items' shipping charges, taxes and discounts, summed into the order's one shipping line."""

    def __init__(self) -> None:
        self.seen = False
        self.amount = Decimal(0)
        self.taxes: dict[Collector, Decimal] = {}
        self.discounts: dict[str | None, Decimal] = {}

    def line(self, code: str | None) -> ShippingLine:
        return ShippingLine(
            code=code,
            amount=self.amount,
            taxes=[TaxLine(amount=a, collected_by=c) for c, a in self.taxes.items()],
            discounts=[Discount(code=c, amount=a) for c, a in self.discounts.items()],
        )


def _facilitated(item: _Node) -> bool:
    tax = item.child("tax")
    return any(c.text("model") == "MARKETPLACE_FACILITATOR" for c in (tax.children("taxCollections") if tax else []))


def _line(item: _Node, position: int, shipping: _Shipping) -> OrderLine:
    product = item.child("product") or item.fail("product", "missing")
    quantity = item.quantity("quantityOrdered")
    ids = {k: v for k, v in (("SK", product.text("sellerSku")), ("ASIN", product.text("asin"))) if v}
    price = product.child("price")
    line = OrderLine(
        position=position,
        line_number=item.need_text("orderItemId"),
        quantity=quantity,
        uom="EA",
        unit_price=price.money("unitPrice") if price else None,
        product_ids=ids,
        description=product.text("title"),
    )
    promotion = item.child("promotion")
    promotions = [x for p in (promotion.children("breakdowns") if promotion else []) if (x := p.text("promotionId"))]
    code = promotions[0] if len(promotions) == 1 else None
    collected: Collector = "marketplace" if _facilitated(item) else "seller"
    proceeds = item.child("proceeds")
    for breakdown in proceeds.children("breakdowns") if proceeds else []:
        kind, total = breakdown.need_text("type"), breakdown.need_money("subtotal")
        parts = [(d.text("subtype") or "ITEM", d.need_money("value")) for d in breakdown.children("detailedBreakdowns")]
        if kind == "ITEM" and line.unit_price is None and quantity:
            with localcontext() as context, suppress(Inexact):  # only a price that divides exactly
                context.traps[Inexact] = True
                line.unit_price = total / quantity
        elif kind == "SHIPPING":
            shipping.seen, shipping.amount = True, shipping.amount + total
        elif kind in _CHARGES:
            line.charges.append(Charge(indicator="C", amount=total, description=kind))
        elif kind in ("TAX", "DISCOUNT"):
            for subtype, amount in parts or [("ITEM", total)]:
                if kind == "TAX" and subtype == "SHIPPING":
                    shipping.seen = True
                    shipping.taxes[collected] = shipping.taxes.get(collected, Decimal(0)) + amount
                elif kind == "TAX":
                    line.taxes.append(
                        TaxLine(title=None if subtype == "ITEM" else subtype, amount=amount, collected_by=collected)
                    )
                elif amount and subtype == "SHIPPING":
                    shipping.seen = True
                    shipping.discounts[code] = shipping.discounts.get(code, Decimal(0)) + abs(amount)
                elif amount:
                    description = None if subtype == "ITEM" else subtype
                    line.discounts.append(Discount(code=code, description=description, amount=abs(amount)))
    line.references += [Reference(qualifier="PROMOTION", value=p) for p in promotions]
    request = _cancel_requested(item)
    if request:
        who, why = request.text("requester") or "someone", request.text("cancelReason")
        line.notes.append(f"cancellation requested by {who}" + (f": {why}" if why else ""))
    return line


def _cancel_requested(item: _Node) -> _Node | None:
    """The item's open cancellation request: asked for, not yet executed."""
    cancellation = item.child("cancellation")
    if not cancellation or cancellation.child("cancellationExecution"):
        return None
    return cancellation.child("cancellationRequest")


def _cancelled(item: _Node) -> tuple[Decimal, str]:
    """Units of the item Amazon cancelled, and how: an executed cancellation takes out what was not fulfilled
    (``fulfillment.quantityUnfulfilled``, else all but ``quantityFulfilled``)."""
    cancellation = item.child("cancellation")
    execution = cancellation.child("cancellationExecution") if cancellation else None
    if not execution:
        return Decimal(0), ""
    ordered = item.quantity("quantityOrdered")
    fulfillment = item.child("fulfillment")
    unfulfilled = fulfillment.raw("quantityUnfulfilled") if fulfillment else None
    fulfilled = fulfillment.raw("quantityFulfilled") if fulfillment else None
    if isinstance(unfulfilled, int) and not isinstance(unfulfilled, bool) and 0 <= unfulfilled <= ordered:
        units = Decimal(unfulfilled)
    elif isinstance(fulfilled, int) and not isinstance(fulfilled, bool) and 0 <= fulfilled <= ordered:
        units = ordered - fulfilled
    else:
        units = ordered
    who, why = execution.text("cancelledBy"), execution.text("cancelReason")
    return units, "cancelled at Amazon" + (f" by {who}" if who else "") + (f": {why}" if why else "")


class _Node(MoneyNode):
    """Amazon's ``Money`` is ``{"amount": "…", "currencyCode": "…"}``."""

    __slots__ = ()

    AMOUNT, CURRENCY = "amount", "currencyCode"
