"""Mail an order's buyer at each event, for sources whose channel does not (``notify:`` on the source).

A notice is planned in the transaction that records its event, keyed by the order, the event and what it is
about (the shipment's id, the cancel's or refund's id), so a document read again, a replay or a second worker
never mails twice. An order with no buyer address gets an event saying so, nothing else.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial

from sqlalchemy import Connection

from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.notices import CustomerNotices
from crossdock.core.errors import ConfigError
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.models import Order, Party
from crossdock.core.notices.models import NOTICE, Event, Notice
from crossdock.core.notices.templates import templates
from crossdock.core.plan import Id, Plan, delivery_key, outbound, queued, safe_name
from crossdock.core.storage.store import to_json
from crossdock.mappings.notices import REASONS, block, item_line, one_line, render, tracking_link

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def buyer_address(order: Order) -> str | None:
    """The buyer's mail address: the order's contacts first, then the ship-to's and bill-to's; one that is not a
    plain address (several, a display name, line breaks) is not used."""
    candidates = [c.email for c in order.contacts]
    for role in ("ST", "BT", "BY"):
        party = order.party(role)
        candidates += [c.email for c in party.contacts] if party is not None else []
    for email in candidates:
        if email and len(email) <= 254 and _ADDRESS.match(email.strip()):
            return email.strip()
    return None


def notify(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    *,
    source: str | None,
    event: Event,
    order: Order,
    ref: Id,
    document_id: int | None,
    about: str = "",
    items: list[tuple[Decimal, str | None, str | None]] | None = None,
    shipment: Shipment | None = None,
    reason: str = "",
    amount: str = "",
) -> None:
    """Plan the notice of ``event`` for ``order`` when its source asks for one. ``about`` tells two events of one
    kind apart (a shipment's id); ``items`` are (quantity, SKU, description), the order's lines when omitted;
    ``reason`` is a Cancellation's reason code, told in the template's language."""
    config = _config(hub, source)
    if config is None or event not in config.events:
        return
    external = order.external_id or order.po_number
    key = delivery_key(NOTICE, source, external, event, about)
    if any(row["key"] == key for row, _, _ in plan.deliveries) or queued(conn, key):
        return
    to = buyer_address(order)
    if to is None:
        plan.event("notice", f"order {order.po_number}: no buyer e-mail address to tell of {event}", order=ref)
        return
    try:
        template = templates(config)[event]
    except ConfigError as exc:  # a folder gone since the start: the order goes on, a person is told
        plan.event("notice", f"order {order.po_number}: no {event} mail: {exc}", order=ref)
        raise_alert(hub.store, conn, hub.config, f"notice-templates:{source}", f"crossdock: {source}: {exc}", str(exc))
        return
    subject, text, markup = render(template, _values(order, config, items, shipment, reason, amount))
    notice = Notice(to=to, subject=subject, text=text, html=markup, event=event, po_number=order.po_number)
    data = to_json(notice.model_dump(mode="json")).encode("utf-8")
    name = f"notice-{safe_name(order.po_number)}-{event}.json"
    outbound(plan, source or "", data, name, NOTICE, key, document_id, ref, sink=config.sink)


def _config(hub: Hub, source: str | None) -> CustomerNotices | None:
    found = hub.config.sources.get(source) if source else None
    return getattr(found, "notify", None)


def _values(
    order: Order,
    config: CustomerNotices,
    items: list[tuple[Decimal, str | None, str | None]] | None,
    shipment: Shipment | None,
    reason: str,
    amount: str,
) -> dict[str, str]:
    ship_to = order.ship_to
    buyer = next((c.name for c in order.contacts if c.name), None) or (ship_to.name if ship_to else None)
    if items is None:
        items = [(line.quantity, _sku(line.product_ids), line.description) for line in order.lines]
    values = {
        "store_name": config.store_name,
        "po_number": order.po_number,
        "order_number": order.po_number,
        "buyer_name": buyer or "",
        "lines": block(item_line(quantity, sku, description) for quantity, sku, description in items),
        "ship_to": block(_address_lines(ship_to)) if ship_to is not None else "",
        "reason": REASONS.get(config.language, {}).get(reason, ""),
        "refund_amount": amount,
    }
    if shipment is not None:
        carrier = shipment.carrier_scac or shipment.carrier_service or ""
        numbers = list(dict.fromkeys(shipment.tracking_numbers + _package_numbers(shipment)))
        values["carrier"] = one_line(" ".join(p for p in (shipment.carrier_scac, shipment.carrier_service) if p))
        values["ship_date"] = shipment.ship_date.isoformat() if shipment.ship_date else ""
        values["tracking"] = block(tracking_link(carrier, n, config.tracking_urls) for n in numbers)
    return values


def _address_lines(party: Party) -> list[str]:
    address = party.address
    rows = [party.name or ""]
    if address is not None:
        rows += address.lines
        rows.append(" ".join(p for p in (address.postal_code, address.city, address.state) if p))
        rows.append(address.country or "")
    return [row for row in rows if row]


def _package_numbers(shipment: Shipment) -> list[str]:
    return [
        package.tracking_number
        for shipped in shipment.orders
        for package in shipped.packages + [p for pallet in shipped.pallets for p in pallet.packages]
        if package.tracking_number
    ]


def _sku(product_ids: dict[str, str]) -> str | None:
    for qualifier in ("SK", "VN", "IN", "UP", "EN", "BP"):
        if product_ids.get(qualifier):
            return product_ids[qualifier]
    return next(iter(product_ids.values()), None)


def _shipment_notice(
    event: Event,
    hub: Hub,
    conn: Connection,
    plan: Plan,
    order: Order,
    ref: Id,
    source: str | None,
    one: Shipment,
    about: str,
    doc: int,
) -> None:
    items = [
        (line.quantity, _sku(line.product_ids), line.description)
        for shipped_order in one.orders
        for line in shipped_order.all_lines()
        if line.quantity
    ]
    notify(
        hub, conn, plan, source=source, event=event, order=order, ref=ref, document_id=doc, about=about,
        items=items, shipment=one,
    )  # fmt: skip


# The buyer's notice for one recorded shipment of an order (what shipped, carrier and tracking): when it is
# recorded, and when the warehouse or carrier says it arrived.
shipped = partial(_shipment_notice, "shipped")
delivered = partial(_shipment_notice, "delivered")


def cancelled(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    order: Order,
    ref: Id,
    source: str | None,
    told: Cancellation,
    doc: int | None,
) -> None:
    """The buyer's "cancelled" notice: the lines that will not ship (all of them for a whole order), and why."""
    by_number = {line.line_number: line for line in order.lines}
    items = [
        (line.quantity, _sku(line.product_ids), getattr(by_number.get(line.line_number), "description", None))
        for line in told.lines
    ] if told.lines else None  # fmt: skip
    notify(
        hub, conn, plan, source=source, event="cancelled", order=order, ref=ref, document_id=doc,
        about=told.cancellation_id, items=items, reason=told.reason,
    )  # fmt: skip
