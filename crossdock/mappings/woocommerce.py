"""WooCommerce REST v3 orders -> canonical Order, and a canonical Fulfilment -> the store's request bodies.

Pure: no I/O. What it relies on is in ``../shared/docs/channel-apis.md`` §6 (from the owner's REST API docs):

- Amounts are strings (``"29.35"``, and ``taxes[].total`` may be ``"0.9"``, unpadded); line-item ``price`` is a
  JSON number. Money is ``Decimal`` from its text: str, int or Decimal are read, a float is refused (the JSON
  was parsed lossy: use ``json.loads(..., parse_float=Decimal)``). ``price`` is not read at all: ``unit_price``
  is ``subtotal / quantity`` from the strings (before discounts, without tax), exact when the division is
  exact, else rounded half-even to 6 places.
- Dates without ``_gmt`` are the store's local time with no offset: ``updated_at`` is ``date_modified_gmt`` as
  aware UTC and ``order_date`` the UTC date of ``date_created_gmt``; the local fields are never read.
- ``purpose`` is ``01`` (cancel) for ``cancelled``, ``refunded`` (everything paid back: nothing left to ship),
  ``failed`` (payment failed: nothing to ship unless it is paid later, which comes as a new version) and
  ``trash``; any other status, plugin statuses included, is ``00``. ``pending`` (no payment yet) and ``on-hold``
  (a payment to confirm, such as a bank transfer) are ``awaiting="payment"``, ``checkout-draft`` (a block
  checkout in progress) ``awaiting="checkout"``: kept, not shipped until a later version says it is paid.
  ``completed`` is ``already_shipped``: an order first read completed is not sent to a warehouse.
- Line ``taxes[]`` point at ``tax_lines[].rate_id``; the ``label`` (else ``rate_code``) is the title. Line
  discounts are ``subtotal - total``; ``coupon_lines`` become order-level discounts only when no line has one
  (the line totals already carry the coupons, so both would count them twice). ``tax_lines`` become order-level
  taxes only when no line or shipping line has taxes; fee taxes are always order-level, fees are charges.
- Line ``meta_data`` (``{key, value}``): keys starting with ``_`` are hidden and skipped, others become the
  line's notes as ``key: value`` (a list or object value as compact JSON); a 12/13/14-digit value under a GTIN-like
  key (``gtin``, ``upc``, ``ean``, ``barcode``, ``_gtin`` ...) becomes ``UP``/``EN``/``UK``. Names are HTML-unescaped.
- Refunds: the order lists only ``refunds[] {id, reason, total}``; the connector puts each refund's own record
  (``GET /orders/<id>/refunds``: ``line_items[]`` with negative ``quantity``) in its place (``merge``). A refund
  line names its order line by the ``_refunded_item_id`` meta [unverified: WooCommerce core keeps it so], else by
  the one order line with its product and variation. A line's ``quantity`` is what is left to ship; what was
  refunded stays in its notes (``ordered 3, 1 refunded or removed``).
- Order lines carry no virtual flag: the connector merges the product's (or variation's) ``virtual`` into each
  line (``merge``). A virtual line needs no shipping (a downloadable product that is not virtual still ships:
  WooCommerce asks shipping of it). A line with nothing left leaves the order and is named in its notes; an
  order with nothing left is a cancel, one that never had anything to ship is ``already_shipped``
  (``left_to_ship.settle``).
- Fulfilment back: core WooCommerce has no shipment object. ``order_update`` completes the order (which e-mails
  the customer) only when everything shipped; ``tracking_note`` is a customer note; ``shipment_tracking`` the
  Shipment Tracking extension's bodies.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.models import Address, Charge, Contact, Discount, Order, OrderLine, Party, ShippingLine, TaxLine
from crossdock.mappings.jsonnode import LooseJsonNode
from crossdock.mappings.left_to_ship import NO_SHIPPING, settle, taken_out
from crossdock.mappings.packages import per_package

CANCEL_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
AWAITING = {"pending": "payment", "on-hold": "payment", "checkout-draft": "checkout"}
_GTIN = {12: "UP", 13: "EN", 14: "UK"}  # a GTIN's X12 qualifier by length: UPC-A, EAN-13, GTIN-14
_GTIN_KEYS = frozenset({"gtin", "upc", "ean", "barcode", "gtin_code", "global_unique_id"})
_PLACES = Decimal("0.000001")
# Carrier names for people (notes); a SCAC not here is written as it is.
CARRIER_NAMES = {"UPSN": "UPS", "UPSS": "UPS", "FDEG": "FedEx", "FDE": "FedEx", "FXFE": "FedEx", "USPS": "USPS"}
# Shipment Tracking's predefined provider names by SCAC. "USPS" is the docs' own example; "UPS" and "Fedex" are
# [unverified] (a third-party copy of the extension's list). Pass ``providers`` to use the store's own list.
TRACKING_PROVIDERS = {"USPS": "USPS", "UPSN": "UPS", "UPSS": "UPS", "FDEG": "Fedex", "FDE": "Fedex", "FXFE": "Fedex"}


def merge(
    order: Mapping[str, Any], refunds: list[Any] | None = None, virtual: Mapping[str, bool] | None = None
) -> dict[str, Any]:
    """The payload ``order_from_payload`` reads: the order with its refunds' own records in place of their summary,
    and each line's product ``virtual`` flag (``virtual`` is keyed by ``product_key``)."""
    merged = dict(order)
    if refunds is not None:
        merged["refunds"] = refunds
    lines = merged.get("line_items")
    if virtual and isinstance(lines, list):
        marked = []
        for line in lines:
            key = product_key(line) if isinstance(line, dict) else None
            marked.append({**line, "virtual": virtual[key]} if key is not None and key in virtual else line)
        merged["line_items"] = marked
    return merged


def product_key(line: Mapping[str, Any]) -> str | None:
    """``<product_id>`` or ``<product_id>/<variation_id>``: where a line's product is read; None for a deleted one."""
    product, variation = str(line.get("product_id") or "0"), str(line.get("variation_id") or "0")
    if not product.isdecimal() or product == "0" or not variation.isdecimal():
        return None
    return product if variation == "0" else f"{product}/{variation}"


def order_from_woocommerce(payload: Mapping[str, Any], *, name: str = "order") -> Order:
    """Map one REST v3 order object (``GET /orders/<id>``, or one element of ``GET /orders``)."""
    return _order(_At(payload, "", name))


order_from_payload = order_from_woocommerce  # the name the channel pipeline calls


def orders_from_woocommerce(payload: Any, *, name: str = "orders") -> list[Order]:
    """Map a page of orders (``GET /orders``); an error names the order by its index: ``[3].line_items[0]...``."""
    if not isinstance(payload, list):
        raise DecodeError(f"a page of orders is a list, not {type(payload).__name__}", source=name)
    return [_order(_At(item, f"[{i}]", name)) for i, item in enumerate(payload)]


def _order(node: _At) -> Order:
    order_id = node.need_id("id")
    number = node.text("number")
    status = node.text("status")
    order = Order(
        channel="woocommerce",
        po_number=number or order_id,
        external_id=order_id,
        currency=node.need_text("currency"),
        purpose="01" if status in CANCEL_STATUSES else "00",
        awaiting=AWAITING.get(status or ""),
        already_shipped=status == "completed",
    )
    created = node.gmt("date_created_gmt")
    order.order_date = created.date() if created else None
    order.updated_at = node.gmt("date_modified_gmt")
    for role, key in (("ST", "shipping"), ("BT", "billing")):
        address = node.child(key)
        party = _party(role, address) if address is not None else None
        if party is not None:
            order.parties.append(party)
    billing = node.child("billing")
    if billing is not None and (billing.text("email") or billing.text("phone")):
        names = (billing.text("first_name"), billing.text("last_name"))
        order.contacts.append(
            Contact(
                name=" ".join(n for n in names if n) or None, email=billing.text("email"), phone=billing.text("phone")
            )
        )
    labels = {str(t.raw("rate_id")): t.text("label") or t.text("rate_code") for t in node.children("tax_lines")}
    coupons = [(c.text("code"), c.decimal("discount")) for c in node.children("coupon_lines")]
    items = node.children("line_items")
    refunded = _refunded(node, items)
    order.lines = [_line(item, i + 1, labels, coupons, refunded) for i, item in enumerate(items)]
    order.shipping_lines = [
        ShippingLine(
            code=s.text("method_id"),
            title=s.text("method_title"),
            amount=s.need_decimal("total"),
            taxes=_taxes(s, labels),
        )
        for s in node.children("shipping_lines")
    ]
    for fee in node.children("fee_lines"):
        amount = fee.need_decimal("total")
        indicator = "A" if amount < 0 else "C"
        order.charges.append(Charge(indicator=indicator, amount=abs(amount), description=fee.text("name")))
        order.taxes.extend(_taxes(fee, labels))
    line_taxes = any(x.taxes for x in order.lines) or any(x.taxes for x in order.shipping_lines)
    if not order.taxes and not line_taxes:
        for tax in node.children("tax_lines"):
            both = (tax.decimal("tax_total") or Decimal(0)) + (tax.decimal("shipping_tax_total") or Decimal(0))
            if both:
                order.taxes.append(TaxLine(title=tax.text("label") or tax.text("rate_code"), amount=both))
    if not any(x.discounts for x in order.lines):
        order.discounts = [Discount(code=code, amount=amount) for code, amount in coupons if amount]
    order.total_amount = node.decimal("total")
    note = node.text("customer_note")
    if note:
        order.notes.append(note)
    settle(order, [item.raw("virtual") is not True for item in items])
    return order


def _refunded(node: _At, items: list[_At]) -> dict[str, Decimal]:
    """Units refunded per order line id, from the refunds' own records (``merge``)."""
    ids = {item.need_id("id") for item in items}
    by_product: dict[tuple[str | None, str | None], list[str]] = {}
    for item in items:
        by_product.setdefault((item.optional_id("product_id"), item.optional_id("variation_id")), []).append(
            item.need_id("id")
        )
    out: dict[str, Decimal] = {}
    for refund in node.children("refunds"):
        for item in refund.children("line_items"):
            named = next(
                (m.text("value") for m in item.children("meta_data") if m.text("key") == "_refunded_item_id"), None
            )
            same = by_product.get((item.optional_id("product_id"), item.optional_id("variation_id")), [])
            line_id = named if named in ids else (same[0] if len(same) == 1 else None)
            if line_id is None:
                item.fail("meta_data", "a refunded line that names no line of the order")
            out[line_id] = out.get(line_id, Decimal(0)) + abs(item.need_decimal("quantity"))
    return out


def _party(role: str, node: _At) -> Party | None:
    lines = [x for x in (node.text("address_1"), node.text("address_2")) if x]
    address = Address(
        lines=lines,
        city=node.text("city"),
        state=node.text("state"),
        postal_code=node.text("postcode"),
        country=node.text("country"),
    )
    name = " ".join(x for x in (node.text("first_name"), node.text("last_name")) if x) or None
    company = node.text("company")
    if not (name or company or lines or address.city or address.state or address.postal_code or address.country):
        return None  # WooCommerce sends every field empty when there is no such address (a virtual order)
    party = Party(role=role, name=name or company, extra_names=[company] if name and company else [], address=address)
    if role == "ST" and node.text("phone"):  # newer versions add shipping.phone [unverified]
        party.contacts.append(Contact(name=name, phone=node.text("phone")))
    return party


def _line(
    node: _At,
    position: int,
    labels: Mapping[str, str | None],
    coupons: list[tuple[str | None, Decimal | None]],
    refunded: Mapping[str, Decimal],
) -> OrderLine:
    quantity = node.need_decimal("quantity")
    if quantity <= 0:
        node.fail("quantity", f"{quantity} is not a positive quantity")
    subtotal = node.need_decimal("subtotal")
    total = node.decimal("total")
    line_id = node.need_id("id")
    left = max(Decimal(0), quantity - refunded.get(line_id, Decimal(0)))
    line = OrderLine(
        position=position,
        line_number=line_id,
        quantity=left,
        uom="EA",
        unit_price=_divide(subtotal, quantity),
        description=html.unescape(node.text("name") or "") or None,
        taxes=_taxes(node, labels),
    )
    if sku := node.text("sku"):
        line.product_ids["SK"] = sku
    for qualifier, field in (("PRODUCT", "product_id"), ("VARIATION", "variation_id")):
        if (found := node.optional_id(field)) and found != "0":
            line.product_ids[qualifier] = found
    for meta in node.children("meta_data"):
        key, value = meta.text("key") or "", meta.raw("value")
        text = value.strip() if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
        gtin = _GTIN.get(len(text)) if text.isdecimal() else None
        if gtin and key.lstrip("_").lower() in _GTIN_KEYS:
            line.product_ids.setdefault(gtin, text)
        if key and not key.startswith("_"):
            line.notes.append(f"{key}: {text}")
    if left < quantity:
        line.notes.append(taken_out(quantity, left))
    if node.raw("virtual") is True:
        line.quantity = Decimal(0)
        line.notes.append(NO_SHIPPING)
    if total is not None and subtotal > total:
        codes = [code for code, _ in coupons if code]
        line.discounts.append(
            Discount(
                code=codes[0] if len(codes) == 1 else None,
                description=", ".join(codes) or None,
                amount=subtotal - total,
            )
        )
    return line


def _taxes(node: _At, labels: Mapping[str, str | None]) -> list[TaxLine]:
    out = []
    for tax in node.children("taxes"):
        amount = tax.decimal("total")
        if amount is not None:
            out.append(TaxLine(title=labels.get(str(tax.raw("id"))), amount=amount))
    return out


def _divide(amount: Decimal, quantity: Decimal) -> Decimal:
    exact = amount / quantity
    return exact if exact * quantity == amount else exact.quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def order_update(fulfilment: Fulfilment) -> dict[str, Any]:
    """The ``PUT /orders/<id>`` body: ``completed`` once everything shipped (WooCommerce then e-mails the
    customer its "Completed order" mail); empty, so nothing is sent, while part of the order is still to ship."""
    return {"status": "completed"} if fulfilment.order_status == "shipped" else {}


def tracking_note(fulfilment: Fulfilment) -> dict[str, Any]:
    """The ``POST /orders/<id>/notes`` body: a note the customer sees (and is e-mailed), naming the carrier, the
    service, the tracking numbers and the lines shipped (quantity, SKU when known, the order line's id); when the
    warehouse said which lines went in each package, each package's tracking number with its own lines."""
    whole = fulfilment.order_status == "shipped"
    text = ["Your order has shipped." if whole else "Part of your order has shipped."]
    carrier = _carrier_name(fulfilment.carrier_scac)
    if carrier or fulfilment.carrier_service:
        service = f", service {fulfilment.carrier_service}" if fulfilment.carrier_service else ""
        text.append(f"Carrier: {carrier or 'unknown'}{service}")
    packages = per_package(fulfilment)
    if len(packages) > 1:
        text.extend(f"Package {p.tracking_numbers[0]}: {_items(p)}" for p in packages)
    else:
        numbers = list(dict.fromkeys(n.strip() for n in fulfilment.tracking_numbers if n.strip()))
        if numbers:
            text.append(f"Tracking number{'s' if len(numbers) > 1 else ''}: {', '.join(numbers)}")
        if fulfilment.lines:
            text.append(f"Items: {_items(fulfilment)}")
    shipped = f", shipped {fulfilment.ship_date.isoformat()}" if fulfilment.ship_date else ""
    text.append(f"Shipment {fulfilment.shipment_id}{shipped}.")
    return {"note": "\n".join(text), "customer_note": True}


def _items(fulfilment: Fulfilment) -> str:
    items = []
    for line in fulfilment.lines:
        sku = line.product_ids.get("SK")
        what = f"{sku} (line {line.line_number})" if sku and line.line_number else sku or f"line {line.line_number}"
        items.append(f"{_quantity(line.quantity)} × {what}")
    return "; ".join(items)


def shipment_tracking(
    fulfilment: Fulfilment,
    *,
    providers: Mapping[str, str] | None = None,
    links: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One Shipment Tracking body per tracking number (``POST /wp-json/wc-shipment-tracking/v3/orders/<id>/
    shipment-trackings``). A carrier in ``providers`` (SCAC -> the store's provider name; default
    ``TRACKING_PROVIDERS``) is sent as ``tracking_provider``; any other as ``custom_tracking_provider`` with
    ``custom_tracking_link`` from ``links`` (SCAC -> URL with ``%1$s``) when there is one: the extension's docs
    call the link required for a custom provider. ``date_shipped`` is YYYY-MM-DD (omitted: the extension uses
    today). Without a carrier there is nothing to name the provider by: no bodies, the note carries the numbers."""
    scac = (fulfilment.carrier_scac or "").strip().upper()
    if not scac:
        return []
    known = TRACKING_PROVIDERS if providers is None else {k.upper(): v for k, v in providers.items()}
    link = {k.upper(): v for k, v in (links or {}).items()}.get(scac)
    out = []
    for number in dict.fromkeys(n.strip() for n in fulfilment.tracking_numbers if n.strip()):
        body: dict[str, Any] = {}
        if scac in known:
            body["tracking_provider"] = known[scac]
        else:
            body["custom_tracking_provider"] = _carrier_name(scac)
            if link:
                body["custom_tracking_link"] = link
        body["tracking_number"] = number
        if fulfilment.ship_date:
            body["date_shipped"] = fulfilment.ship_date.isoformat()
        out.append(body)
    return out


def _carrier_name(scac: str | None) -> str | None:
    if not scac or not scac.strip():
        return None
    return CARRIER_NAMES.get(scac.strip().upper(), scac.strip())


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


class _At(LooseJsonNode):
    """WooCommerce's JSON, with its ``*_gmt`` dates."""

    __slots__ = ()

    def gmt(self, key: str) -> dt.datetime | None:
        """A ``*_gmt`` field: UTC without an offset (``2017-03-22T19:28:08``); one with an offset is converted."""
        return self.utc_time(key, dt.datetime.fromisoformat, "a date and time")
