"""A change or a cancel written for one destination in its own form (the table in ``destination_changes``):
a revision or cancel as JSON, mapped JSON or CSV rows, 940s with their control numbers, or the request of an
order API; a destination that cannot be told is a person alerted, once. Apart from ``destination_changes``
(which decides who holds the order and what each is told) so the forms read on their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.blocks import DELIVERED_APIS, ORDER_APIS, SHIPMENT_APIS
from crossdock.core.configuration.connectors import OrderFormat
from crossdock.core.errors import CrossdockError
from crossdock.core.fulfilment.carton_labels import labels_for, sscc_of
from crossdock.core.lifecycle.left_to_ship import (
    Progress,
    known_numbers,
    left_of,
    with_counts,
)
from crossdock.core.models import Order
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name, sent_keys, warehouse_order_number
from crossdock.core.routing import Unroutable, route
from crossdock.core.storage.store import to_json

if TYPE_CHECKING:  # the Hub is only named in annotations here
    from crossdock.core.hub import Hub

ORDER = "order"  # delivery purpose: an order or a revision of it


CANCEL_PURPOSE = "cancel"  # delivery purpose: stop the order the destination holds


ORIGINAL, CANCEL, CHANGE = "N", "F", "R"  # a 940's W0501 (whse940.py)
SAME_AS_NEW = ("json", "mapped")  # destinations a revision reaches exactly as a new order does


@dataclass(frozen=True, slots=True)
class Held:
    """A destination that holds the order: the key of the delivery that brought it there (ShipBob's
    ``reference_id`` and Odoo's origin marker are made from it); ``current`` when nothing was planned there
    since, so what it holds is the order's last revision as far as its part goes."""

    sink: str
    key: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Told:
    """Who is told: the order as it is now, as the destinations last had it, and where it came from."""

    hub: Hub
    conn: Connection
    plan: Plan
    ref: int
    document_id: int
    order: Order
    previous: Order
    who: str
    source: str | None
    recipient: Partner | str
    shipped: Progress  # what shipped of each line so far, and the lines a warehouse closed


def tell_change(told: Told, sink_name: str, holder: Held | None, picked: Order, key: str, base: str) -> None:
    """``picked`` (the new revision's lines routed here, cut to what is left to ship) for a destination that
    holds an earlier revision (``holder``), or that gets a partly shipped order only now, in its own form."""
    hub = told.hub
    sink = hub.config.sinks[sink_name]
    means = means_of(hub, sink_name)
    labelled = isinstance(sink, OrderFormat) and sink.labels == "sscc"
    labels = labels_for(hub, told.conn, sink_name, picked, told.recipient) if labelled else []
    if means in ORDER_APIS:
        counted: dict[str, Any] = {"shipped": told.shipped.shipments} if means in SHIPMENT_APIS and holder else {}
        if means in DELIVERED_APIS and holder:
            counted = {"earlier": sent_keys(told.conn, told.ref, sink_name)}
        data = registry.mapping(means).order_request(picked, sink, replaces=holder.key if holder else None, **counted)
        outbound(
            told.plan, told.recipient, data, f"{base}.json", ORDER, key, told.document_id, told.ref, sink=sink_name
        )
    elif means in SAME_AS_NEW:
        dumped = _dumped(told, picked)
        if means == "mapped":
            assert isinstance(sink, OrderFormat)
            data = registry.mapping("json").mapped_order(dumped, sink.fields, sink.line_fields, sink.lines_key)
        else:
            if labels:
                dumped["labels"] = [label.model_dump(mode="json") for label in labels]
            data = (to_json(dumped) + "\n").encode("utf-8")
        outbound(
            told.plan, told.recipient, data, f"{base}.json", ORDER, key, told.document_id, told.ref, sink=sink_name
        )
    elif means == "csv":
        assert isinstance(sink, OrderFormat)
        action, name = ("change", f"{base}-change.csv") if holder is not None else ("new", f"{base}.csv")
        data = _csv(sink, _dumped(told, picked), action)
        outbound(told.plan, told.recipient, data, name, ORDER, key, told.document_id, told.ref, sink=sink_name)
    elif means == "x12-940":
        assert isinstance(sink, OrderFormat)
        if holder is None:
            sets = [(picked, ORIGINAL)]
        elif sink.changes == "change":
            sets = [(picked, CHANGE)]
        else:
            sets = [(previous_lines(told, sink_name), CANCEL), (picked, ORIGINAL)]
        _send_940(told, sink_name, sink, sets, key, ORDER, sscc_of(labels), holder)
    else:
        raise ValueError(f"no way to tell {sink_name} of a change")


def tell_cancel(told: Told, holder: Held, why: str, what: Order) -> None:
    """A cancel in the destination's form; for a destination that has none, a person is told. ``what`` is the
    order the JSON forms carry, marked cancelled: the cancelling document's, or as the destination had it."""
    hub, order, sink_name = told.hub, told.order, holder.sink
    sink = hub.config.sinks.get(sink_name)
    external = order.external_id or order.po_number
    key = delivery_key("cancel", order.channel, told.who, external, sink_name, holder.key)
    name = f"{safe_name(told.who)}-{safe_name(order.po_number)}-cancelled"
    means = means_of(hub, sink_name) if sink is not None else None
    plan, recipient, doc, ref = told.plan, told.recipient, told.document_id, told.ref
    cancelled = what.model_copy(update={"purpose": "01"})
    try:
        if means == "json":
            data = (to_json(registry.mapping("x12").order_dict(cancelled)) + "\n").encode("utf-8")
            outbound(plan, recipient, data, f"{name}.json", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        elif means == "mapped":
            assert isinstance(sink, OrderFormat)
            dumped = registry.mapping("x12").order_dict(cancelled)
            data = registry.mapping("json").mapped_order(dumped, sink.fields, sink.line_fields, sink.lines_key)
            outbound(plan, recipient, data, f"{name}.json", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        elif means == "csv":
            assert isinstance(sink, OrderFormat)
            held_there = previous_lines(told, sink_name)
            cut = left_of(held_there, told.shipped) if told.shipped.shipped else held_there  # what it had to ship
            dumped = with_counts(registry.mapping("x12").order_dict(cut), held_there, told.shipped.shipped)
            data = _csv(sink, dumped, "cancel")
            outbound(plan, recipient, data, f"{name}-cancel.csv", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        elif means == "x12-940":
            assert isinstance(sink, OrderFormat)
            sets = [(previous_lines(told, sink_name), CANCEL)]
            _send_940(told, sink_name, sink, sets, key, CANCEL_PURPOSE, None, holder)
        elif means in ORDER_APIS:
            counted = {"shipped": told.shipped.shipments} if means in SHIPMENT_APIS else {}
            data = registry.mapping(str(means)).cancel_request(order.po_number, holder.key, **counted)
            outbound(plan, recipient, data, f"{name}.json", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        else:
            cannot_tell(told, sink_name, f"{why}; {sink_name} has no way to hear of a cancel: stop it there")
            return
    except (CrossdockError, ValueError) as exc:
        cannot_tell(told, sink_name, f"{why}; the cancel cannot be written for {sink_name} ({exc}): stop it there")
        return
    plan.event("cancel", f"order {order.po_number} {why}: cancel to {sink_name}", order=ref, document=doc)


def _send_940(
    told: Told,
    sink_name: str,
    sink: OrderFormat,
    sets: list[tuple[Order, str]],
    key: str,
    purpose: str,
    cartons: dict[int, list[str]] | None = None,
    holder: Held | None = None,
) -> None:
    """One interchange to the 3PL holding the 940s in order (a cancel before the order that replaces it); a cancel
    or change names the order by the W0502 of the 940 that brought it (``holder``), whatever rule numbered it. One
    the 3PL's guide holds gives its control numbers back, as every held outbound document does."""
    hub, conn = told.hub, told.conn
    assert sink.partner is not None
    recipient = hub.partners[sink.partner]
    x12, warehouse = registry.mapping("x12"), registry.mapping("x12_warehouse")
    count = warehouse.count_940s([order for order, _ in sets], sink.ship_to_per_line)  # a set per ship-to
    controls = reserve(hub.store, conn, recipient.name, sets=count)
    out = x12.Outgoing(**recipient.envelope(controls, created_now()))
    try:
        order = told.order
        number = warehouse_order_number(order.channel, told.who, order.external_id or order.po_number, order.po_number)
        known = known_numbers(conn, holder.sink, holder.key) if holder is not None else []
        per_line = sink.ship_to_per_line
        data = warehouse.write_940s(
            sets, out, sink.depositor, cartons, ship_to_per_line=per_line, order_number=number, known=known
        )
    except ValueError:
        hub.store.return_numbers(conn, recipient.name, {"isa": 1, "gs": 1, "st": count})
        raise
    what = "940" if purpose == ORDER else "940-cancel"
    name = f"{safe_name(recipient.name)}-{what}-{safe_name(told.order.po_number)}-{controls.interchange:09d}.edi"
    held = outbound(
        told.plan,
        recipient,
        data,
        name,
        purpose,
        key,
        told.document_id,
        told.ref,
        controls,
        sink=sink_name,
        sets=count,
    )
    if held:  # a held 940 takes no number: the next one sent gets them, and a replay new ones
        hub.store.return_numbers(conn, recipient.name, {"isa": 1, "gs": 1, "st": count})


def _csv(sink: OrderFormat, dumped: dict[str, Any], action: str) -> bytes:
    columns = [(c.header, c.field) for c in sink.columns]
    return bytes(
        registry.mapping("csv").order_rows(dumped, columns, neutralise=sink.neutralise_formulas, action=action)
    )


def _dumped(told: Told, picked: Order) -> dict[str, Any]:
    """``picked`` as JSON, each line saying what the revision orders and what shipped beside what is left."""
    dumped: dict[str, Any] = registry.mapping("x12").order_dict(picked)
    return with_counts(dumped, told.order, told.shipped.shipped)


def cannot_tell(told: Told, sink_name: str, reason: str) -> None:
    """A destination crossdock cannot tell: a person is, once per order, destination and revision of it."""
    order = told.order
    text = f"order {order.po_number} from {told.who} at {sink_name}: {reason}"
    told.plan.event("cancel", text, order=told.ref, document=told.document_id)
    cause = f"cancel:{told.who}:{order.external_id or order.po_number}:{sink_name}:{told.document_id}"
    raise_alert(told.hub.store, told.conn, told.hub.config, cause, f"crossdock: {text}", text)


def means_of(hub: Hub, sink_name: str) -> str:
    """How a destination takes orders: its format, or its API's name (shipbob, odoo)."""
    sink = hub.config.sinks[sink_name]
    if sink.type in ORDER_APIS:
        return str(sink.type)
    return sink.format if isinstance(sink, OrderFormat) else "json"


def picked_lines(order: Order, positions: tuple[int, ...] | None) -> Order:
    if positions is None:
        return order
    return order.model_copy(update={"lines": [line for line in order.lines if line.position in positions]})


def previous_lines(told: Told, sink_name: str) -> Order:
    """The order as ``sink_name`` last had it: the earlier revision, cut to the lines routing sent there (all of
    them when that cannot be told again, say after the routing changed)."""
    previous = told.previous
    try:
        assignments = route(previous, told.hub.config.routing, told.source)
    except (Unroutable, ValueError):
        return previous
    for a in assignments:
        if a.sink == sink_name and a.split:
            return picked_lines(previous, a.positions)
    return previous
