"""eBay Sell Fulfillment ``Order`` -> canonical Order, and a canonical Fulfilment -> the ``shipping_fulfillment``
request body. Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §2 (eBay's Sell Fulfillment spec, as summarised there). No order
payload is published under an open licence, so the field names below are the documented ones; those marked
[unverified] are not in the notes and come from eBay's type reference as recalled. Choices:

- ``po_number`` and ``external_id`` are ``orderId`` (the new non-parsable id); ``legacyOrderId`` and
  ``salesRecordReference`` are references. ``line_number`` is ``lineItemId`` (the fulfilment call needs it).
- ``order_date`` is the UTC date of ``creationDate``; ``updated_at`` is ``lastModifiedDate`` (bumped by every
  change: the poll's high-water mark), aware UTC.
- ``purpose`` is ``01`` when ``cancelStatus.cancelState`` is ``CANCELED`` or ``orderPaymentStatus`` is
  ``FULLY_REFUNDED`` (everything paid back) or ``FAILED`` (nothing was paid); else ``00``. ``PENDING`` payment is
  ``awaiting="payment"``; a cancel request still open (``cancelState`` ``IN_PROGRESS``) is
  ``awaiting="cancellation"``: the buyer asked to cancel, so it must not ship until the request is settled.
  ``orderFulfillmentStatus`` ``FULFILLED`` is ``already_shipped``.
  Both statuses and ``orderFulfillmentStatus`` are kept as references. eBay cancels whole orders only [docs
  post-order cancellation]; a line is taken out in part or whole by its refunds (``lineItems[].refunds[]``, in
  whole units of what one unit cost), as ``taken_out`` says.
- Money is ``{"value": "12.34", "currency": "USD"}``: ``Decimal`` from the text (str, int or Decimal; a float is
  refused: parse with ``parse_float=Decimal``). ``value`` is in the seller's currency (``convertedFrom*`` is the
  buyer's original and is not read). One currency per order: ``pricingSummary.total`` sets it, another refused.
- ``unit_price`` is ``lineItemCost`` (all units, before discounts) ÷ ``quantity``, exact or rounded half-even to
  6 places. Line discounts are ``appliedPromotions[].discountAmount`` [unverified] (coded with the promotion id),
  else ``lineItemCost - discountedLineItemCost``.
- Taxes: ``lineItems[].ebayCollectAndRemitTaxes[]`` are ``collected_by="marketplace"`` (eBay collects and remits
  them: not seller revenue); ``lineItems[].taxes[]`` are the seller's, except an entry with the same type and
  amount as an eBay-collected one (the same tax listed twice is counted once). ``pricingSummary.tax`` is an
  order-level tax only when no line has one (marketplace when ``ebayCollectAndRemitTax`` is true).
- Shipping: one line, ``pricingSummary.deliveryCost`` (else the lines' ``deliveryCost.shippingCost`` summed), coded
  with the ship-to step's ``shippingServiceCode``; ``pricingSummary.deliveryDiscount`` [unverified] is its discount.
  ``pricingSummary.priceDiscount`` is an order discount only when no line has one. ``total_amount`` is
  ``pricingSummary.total``.
- Parties: ``ST`` from ``fulfillmentStartInstructions[0].shippingStep.shipTo`` (the buyer is not the ship-to; for
  the Global Shipping Program it is eBay's hub, noted when ``finalDestinationAddress`` [unverified] is given);
  ``BY`` from ``buyer`` (``username`` as its id, ``buyerRegistrationAddress`` [unverified] or ``taxAddress``).
  The ship-to's e-mail is masked by eBay 14 days after the order: kept as given.
- ``lineItemFulfillmentInstructions.shipByDate`` [unverified] is the line's ship-by date (``038``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.models import (
    Address,
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
from crossdock.mappings.packages import per_package, whole_quantities
from crossdock.mappings.taken_out import take_out

_PLACES = Decimal("0.000001")
# eBay shippingCarrierCode by SCAC: the names eBay's GeteBayDetails lists for these carriers [unverified]. Any
# other SCAC is sent as it is; pass ``carriers`` to use the seller's own table.
CARRIERS = {
    "UPSN": "UPS",
    "UPSS": "UPS",
    "FDEG": "FedEx",
    "FDE": "FedEx",
    "FXFE": "FedEx",
    "USPS": "USPS",
    "DHLE": "DHL",
}
CANCEL_PAYMENT = frozenset({"FULLY_REFUNDED", "FAILED"})


def order_from_ebay(payload: Mapping[str, Any], *, name: str = "order") -> Order:
    """Map one ``Order`` (``GET /order/{orderId}``, or an element of ``GET /order``'s ``orders``)."""
    if not isinstance(payload, Mapping):
        raise DecodeError(f"an order is an object, not {type(payload).__name__}", source=name)
    node = _Node(payload, "", name, OrderCurrency())
    order_id = node.need_text("orderId")
    order = Order(channel="ebay", po_number=order_id, external_id=order_id)
    pricing = node.child("pricingSummary")
    order.total_amount = pricing.money("total") if pricing else None
    order.order_date = node.need_timestamp("creationDate").date()
    order.updated_at = node.need_timestamp("lastModifiedDate")
    payment = node.text("orderPaymentStatus")
    fulfilment_status = node.text("orderFulfillmentStatus")
    cancel = node.child("cancelStatus")
    cancel_state = cancel.text("cancelState") if cancel else None
    cancelled = cancel_state == "CANCELED" or payment in CANCEL_PAYMENT
    order.purpose = "01" if cancelled else "00"
    order.already_shipped = fulfilment_status == "FULFILLED"
    if not cancelled and payment == "PENDING":
        order.awaiting = "payment"
    elif not cancelled and cancel_state == "IN_PROGRESS":
        order.awaiting = "cancellation"
        order.notes.append("the buyer asked to cancel: do not ship until the request is settled")
    for qualifier, value in (
        ("LEGACY_ORDER_ID", node.text("legacyOrderId")),
        ("SALES_RECORD", node.text("salesRecordReference")),
        ("PAYMENT_STATUS", payment),
        ("FULFILLMENT_STATUS", fulfilment_status),
        ("CANCEL_STATE", cancel_state),
    ):
        if value:
            order.references.append(Reference(qualifier=qualifier, value=value))
    _parties(node, order)
    items = node.children("lineItems", required=True)
    if not items:
        node.fail("lineItems", "no line items")
    order.lines = [_line(item, i + 1) for i, item in enumerate(items)]
    if not cancelled:
        take_out(
            order, {line.line_number or "": _refunded(item) for line, item in zip(order.lines, items, strict=True)}
        )
    marketplace_tax = node.raw("ebayCollectAndRemitTax") is True
    if pricing:
        _pricing(node, pricing, order, items, marketplace_tax)
    if note := node.text("buyerCheckoutNotes"):
        order.notes.append(note)
    currency = node.currency.code
    if currency is None:
        node.fail("pricingSummary", "no amount anywhere: the order's currency is unknown")
    order.currency = currency
    return order


order_from_payload = order_from_ebay  # the name the channel pipeline calls


def _pricing(node: _Node, pricing: _Node, order: Order, items: list[_Node], marketplace_tax: bool) -> None:
    delivery = pricing.money("deliveryCost")
    if delivery is None:
        costs = [
            c for item in items if (d := item.child("deliveryCost")) and (c := d.money("shippingCost")) is not None
        ]
        delivery = sum(costs, Decimal(0)) if costs else None
    if delivery is not None:
        step = _shipping_step(node)
        shipping = ShippingLine(code=step.text("shippingServiceCode") if step else None, amount=delivery)
        off = pricing.money("deliveryDiscount")
        if off:
            shipping.discounts.append(Discount(amount=abs(off)))
        order.shipping_lines.append(shipping)
    tax = pricing.money("tax")
    if tax and not any(line.taxes for line in order.lines):
        order.taxes.append(TaxLine(amount=tax, collected_by="marketplace" if marketplace_tax else "seller"))
    discount = pricing.money("priceDiscount")
    if discount and not any(line.discounts for line in order.lines):
        order.discounts.append(Discount(amount=abs(discount)))


def _shipping_step(node: _Node) -> _Node | None:
    instructions = node.children("fulfillmentStartInstructions")
    return instructions[0].child("shippingStep") if instructions else None


def _parties(node: _Node, order: Order) -> None:
    step = _shipping_step(node)
    ship_to = step.child("shipTo") if step else None
    if ship_to:
        order.parties.append(_party("ST", ship_to))
    instructions = node.children("fulfillmentStartInstructions")
    if instructions and instructions[0].child("finalDestinationAddress"):
        order.notes.append("Global Shipping Program: the ship-to is eBay's hub, not the buyer")
    buyer = node.child("buyer")
    if buyer:
        registration = buyer.child("buyerRegistrationAddress")
        party = _party("BY", registration) if registration else Party(role="BY")
        if not party.address and (tax_address := buyer.child("taxAddress")):
            party.address = _address(tax_address)
        party.id = buyer.text("username")
        if party.id or party.name or party.address:
            order.parties.append(party)
    if ship_to and ship_to.text("email"):
        order.contacts.append(Contact(function="BD", name=ship_to.text("fullName"), email=ship_to.text("email")))


def _party(role: str, node: _Node) -> Party:
    person, company = node.text("fullName"), node.text("companyName")
    contact = node.child("contactAddress")
    phone_node = node.child("primaryPhone")
    phone, email = (phone_node.text("phoneNumber") if phone_node else None), node.text("email")
    return Party(
        role=role,
        name=person or company,
        extra_names=[company] if person and company else [],
        address=_address(contact) if contact else None,
        contacts=[Contact(name=person, phone=phone, email=email)] if phone or email else [],
    )


def _address(node: _Node) -> Address:
    return Address(
        lines=[x for x in (node.text("addressLine1"), node.text("addressLine2")) if x],
        city=node.text("city"),
        state=node.text("stateOrProvince"),
        postal_code=node.text("postalCode"),
        country=(node.text("countryCode") or "").upper() or None,
    )


def _line(item: _Node, position: int) -> OrderLine:
    quantity = item.quantity("quantity")
    cost = item.need_money("lineItemCost")
    line = OrderLine(
        position=position,
        line_number=item.need_text("lineItemId"),
        quantity=quantity,
        uom="EA",
        unit_price=_divide(cost, quantity),
        description=item.text("title"),
    )
    for qualifier, key in (("SK", "sku"), ("ITEM", "legacyItemId"), ("VARIATION", "legacyVariationId")):
        if found := item.text(key):
            line.product_ids[qualifier] = found
    for aspect in item.children("variationAspects"):
        aspect_name, aspect_value = aspect.text("name"), aspect.text("value")
        if aspect_name and aspect_value:
            line.notes.append(f"{aspect_name}: {aspect_value}")
    remitted: list[tuple[str | None, Decimal]] = []
    for tax in item.children("ebayCollectAndRemitTaxes"):
        amount, kind = tax.need_money("amount"), tax.text("taxType")
        remitted.append((kind, amount))
        line.taxes.append(TaxLine(title=kind, amount=amount, collected_by="marketplace"))
    for tax in item.children("taxes"):
        amount, kind = tax.need_money("amount"), tax.text("taxType")
        if (kind, amount) in remitted:
            remitted.remove((kind, amount))
        elif amount:
            line.taxes.append(TaxLine(title=kind, amount=amount))
    for promotion in item.children("appliedPromotions"):
        off = promotion.money("discountAmount")
        if off:
            code, said = promotion.text("promotionId"), promotion.text("description")
            line.discounts.append(Discount(code=code, description=said, amount=abs(off)))
    discounted = item.money("discountedLineItemCost")
    if not line.discounts and discounted is not None and discounted < cost:
        line.discounts.append(Discount(amount=cost - discounted))
    instructions = item.child("lineItemFulfillmentInstructions")
    ship_by = instructions.timestamp("shipByDate") if instructions else None
    if ship_by:
        line.dates.append(DateRef(qualifier="038", date=ship_by.date(), time=f"{ship_by:%H%M}", time_zone="UT"))
    return line


def _refunded(item: _Node) -> tuple[Decimal, str]:
    """Units of the line refunded, and how: ``lineItems[].refunds[].amount`` summed, in whole units of what the
    buyer paid for one (``discountedLineItemCost``, else ``lineItemCost``, over the quantity). A refund short of a
    unit's price (a price adjustment) takes no unit out."""
    refunded = sum((r.money("amount") or Decimal(0) for r in item.children("refunds")), Decimal(0))
    quantity = item.quantity("quantity")
    paid = item.money("discountedLineItemCost") or item.need_money("lineItemCost")
    if refunded <= 0 or paid <= 0:
        return Decimal(0), ""
    units = min(quantity, (refunded * quantity / paid).to_integral_value(rounding=ROUND_FLOOR))
    return units, "refunded at eBay"


def _divide(amount: Decimal, quantity: Decimal) -> Decimal:
    exact = amount / quantity
    return exact if exact * quantity == amount else exact.quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def shipping_fulfillments(fulfilment: Fulfilment, *, carriers: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One ``shipping_fulfillment`` body per package: when the warehouse said which lines went in which tracked
    package (``packages``, covering every tracking number), one per package with its lines; else the whole
    shipment as one package (``shipping_fulfillment``)."""
    return [shipping_fulfillment(package, carriers=carriers) for package in per_package(fulfilment)]


def shipping_fulfillment(fulfilment: Fulfilment, *, carriers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``POST /order/{orderId}/shipping_fulfillment`` body for one package: its line items (``lineItemId`` is
    the line's ``line_number``; quantities summed per item, whole and positive), ``shippedDate`` (midnight UTC of
    ``ship_date``, omitted when unknown), and ``shippingCarrierCode`` with ``trackingNumber``, which eBay takes
    only together: a tracking number needs a carrier (``carriers``: SCAC -> eBay code, default ``CARRIERS``; a
    SCAC not there is sent as it is), and a carrier without a tracking number is left out.

    eBay takes one call per package, so more than one tracking number here (a Fulfilment whose packages do not
    say their lines) is a ``ValueError``, as are missing lines or a line without its item id.
    """
    where = f"ebay fulfilment {fulfilment.shipment_id} of order {fulfilment.external_id or fulfilment.po_number}"
    numbers = list(dict.fromkeys(n.strip() for n in fulfilment.tracking_numbers if n.strip()))
    if len(numbers) > 1:
        raise ValueError(f"{where}: {len(numbers)} tracking numbers: eBay takes one package per call, with its lines")
    quantities = whole_quantities(fulfilment, where, "eBay line item")
    if not quantities:
        raise ValueError(f"{where}: no lines shipped")
    body: dict[str, Any] = {"lineItems": [{"lineItemId": k, "quantity": q} for k, q in quantities.items()]}
    if fulfilment.ship_date is not None:
        body["shippedDate"] = f"{fulfilment.ship_date.isoformat()}T00:00:00.000Z"
    if numbers:
        scac = (fulfilment.carrier_scac or "").strip()
        if not scac:
            raise ValueError(f"{where}: tracking number {numbers[0]} without a carrier (eBay needs both)")
        table = CARRIERS if carriers is None else {k.upper(): v for k, v in carriers.items()}
        body["shippingCarrierCode"] = table.get(scac.upper(), scac)
        body["trackingNumber"] = numbers[0]
    return body


class _Node(MoneyNode):
    """eBay's ``Amount`` is ``{"value": "…", "currency": "…"}``."""

    __slots__ = ()

    AMOUNT, CURRENCY = "value", "currency"

    def quantity(self, key: str) -> Decimal:
        """A line of eBay's is at least one unit."""
        number = self.need_decimal(key)
        if number <= 0 or number != number.to_integral_value():
            self.fail(key, f"{self.raw(key)!r} is not a positive whole quantity")
        return number


def is_buyers(payload: Mapping[str, Any], username: str | None, user_id: str | None) -> bool:
    """Whether an order is the buyer's named by an account deletion notice (``buyer.username``, or
    ``buyer.userId`` [unverified: eBay's announced immutable id])."""
    buyer = payload.get("buyer")
    if not isinstance(buyer, Mapping):
        return False
    return bool(username and buyer.get("username") == username) or bool(user_id and buyer.get("userId") == user_id)


def buyer_texts(payload: Mapping[str, Any]) -> set[str]:
    """The buyer's own words an order may carry into crossdock's order (its checkout note)."""
    note = payload.get("buyerCheckoutNotes")
    return {note} if isinstance(note, str) and note else set()


def anonymise_buyer(payload: dict[str, Any]) -> None:
    """An eBay order without its buyer's personal data: the buyer (username kept as ``erased``), every ship-to
    and final destination down to state, postal code and country, and the checkout note."""
    buyer = payload.get("buyer")
    if isinstance(buyer, dict):
        payload["buyer"] = {"username": "erased"} if buyer.get("username") else {}
    payload.pop("buyerCheckoutNotes", None)
    for instruction in payload.get("fulfillmentStartInstructions") or []:
        if not isinstance(instruction, dict):
            continue
        step = instruction.get("shippingStep")
        if isinstance(step, dict) and isinstance(step.get("shipTo"), dict):
            step["shipTo"] = {"fullName": "erased", "contactAddress": _area(step["shipTo"].get("contactAddress"))}
        if isinstance(instruction.get("finalDestinationAddress"), dict):
            instruction["finalDestinationAddress"] = _area(instruction["finalDestinationAddress"])


def _area(address: Any) -> dict[str, Any]:
    keep = ("stateOrProvince", "postalCode", "countryCode")
    return {k: address[k] for k in keep if k in address} if isinstance(address, dict) else {}
