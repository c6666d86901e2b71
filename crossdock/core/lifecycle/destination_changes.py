"""A change or cancellation of an order that a destination already holds, told to it by its own means.

When an order delivered somewhere gets a new revision or is cancelled, each destination that holds it (its last
order delivery there was sent, and no cancel since) hears of it in the same transaction, as deliveries the
outbox retries under stable keys:

    json            the new revision (as for a new order) / the cancelled order (purpose 01)
    mapped          the same, through the destination's field mapping (map ``purpose``: 01 is a cancel)
    x12-940         a 940 cancel (W0501 F) and the new order (N) in one interchange, the cancel first; with
                    ``changes: change`` a 940 change (R) instead / a 940 cancel (F) alone
    csv             a file of the new revision's rows ``-change.csv`` / of the rows it held ``-cancel.csv``;
                    the column field ``action`` says new, change or cancel
    shipbob, odoo   the new revision's order, which the sink creates only after cancelling the one it replaces
                    (``replaces``: the key that order was created under) / a cancel of that order

Each destination gets its own part of the revision as what is left to ship (``left_to_ship``): a line's quantity
ordered less what shipped, a line shipped in full or cancelled whole (quantity 0) left out, so a warehouse that
shipped part of an order never ships that part again; the JSON and CSV forms say what was ordered and shipped
too. A destination whose part is the same as before (a line cancelled at another warehouse, say) hears
nothing; one left with nothing to ship gets a cancel; one that gets a partly shipped order only now, what is
left of it.

A change goes as a delivery of purpose ``order`` (it brings a revision), a cancel as purpose ``cancel``; a sink
that takes both tells them apart by ``Outbound.purpose``. A destination no longer routed the order by the new
revision gets a cancel. A destination of any other kind cannot be told: a person is alerted, once.

A destination that answers the cancel with "already shipped" wins (``TooLate``): the outbox hands it to
``too_late.py``, which marks the order shipped and tells the buyer side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

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
    progress,
    same_part,
    shipped_any,
    with_counts,
)
from crossdock.core.models import Order
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name, sent_keys, warehouse_order_number
from crossdock.core.routing import Assignment, Unroutable, route
from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.store import to_json

if TYPE_CHECKING:  # the Hub is only named in annotations here
    from crossdock.core.hub import Hub

ORDER = "order"  # delivery purpose: an order or a revision of it
CANCEL_PURPOSE = "cancel"  # delivery purpose: stop the order the destination holds
SAME_AS_NEW = ("json", "mapped")  # destinations a revision reaches exactly as a new order does
ORIGINAL, CANCEL, CHANGE = "N", "F", "R"  # a 940's W0501 (whse940.py)
NONE_SHIPPED = Progress({}, frozenset())


@dataclass(frozen=True, slots=True)
class Held:
    """A destination that holds the order: the key of the delivery that brought it there (ShipBob's
    ``reference_id`` and Odoo's origin marker are made from it); ``current`` when nothing was planned there
    since, so what it holds is the order's last revision as far as its part goes."""

    sink: str
    key: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class _Told:
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


def held(conn: Connection, order_id: int) -> dict[str, Held]:
    """The destinations holding the order: the last sent order or cancel delivery there is an order."""
    rows = conn.execute(
        select(deliveries.c.id, deliveries.c.sink, deliveries.c.key, deliveries.c.purpose, deliveries.c.state)
        .where(deliveries.c.order_id == order_id)
        .order_by(deliveries.c.id)
    ).all()
    last: dict[str, Any] = {}
    newest: dict[str, int] = {}
    for row in rows:
        if row.purpose in (ORDER, CANCEL_PURPOSE):
            newest[str(row.sink)] = int(row.id)  # superseded or not: the destination's part changed then
            if row.state == "sent":
                last[str(row.sink)] = row
    return {
        sink: Held(sink, str(row.key), newest[sink] == int(row.id))
        for sink, row in last.items()
        if row.purpose == ORDER
    }


def tell_changed(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    ref: int,
    revision: int,
    document_id: int,
    order: Order,
    previous_data: str,
    assignments: list[Assignment],
    partner: Partner | str,
    source: str | None,
) -> list[Assignment]:
    """Plan the change for each destination that holds an earlier revision and needs more than the new one
    (a 940, CSV, ShipBob, Odoo), and a cancel where the new revision is no longer routed; returns the
    assignments left to deliver as a new order is (``order_deliveries.plan_deliveries``)."""
    _drop_pending_cancels(conn, ref)
    holders = held(conn, ref)
    shipped = progress(conn, ref, order)
    partly = shipped_any(shipped)
    if not holders and not partly:
        return assignments
    who = partner if isinstance(partner, str) else partner.name
    told = _Told(hub, conn, plan, ref, document_id, order, _order(previous_data), who, source, partner, shipped)
    rest: list[Assignment] = []
    for a in assignments:
        holder = holders.pop(a.sink, None)
        picked = _picked(order, a.positions if a.split else None)
        left = left_of(picked, shipped)  # a line cancelled whole (quantity 0) is left out too
        if holder is None and not partly:
            rest.append(a)
            continue
        if holder is not None:
            before = _previous_lines(told, a.sink)
            was = left_of(before, shipped)
            if holder.current and same_part(was, left):  # a line cancelled at another destination, say
                plan.event("routed", f"order {order.po_number} revision {revision}: {a.sink} unchanged", order=ref)
                continue
            if not left.lines:  # what it held shipped in full or was cancelled: cancel what it still had to ship
                if was.lines:
                    _tell_cancel(told, holder, "nothing is left of it to ship there", before)
                continue
            if not partly and left == picked and _means(hub, a.sink) in SAME_AS_NEW:
                rest.append(a)
                continue
        elif not left.lines:
            continue
        key = delivery_key("order", order.channel, who, order.external_id or order.po_number, revision, a.sink)
        base = f"{safe_name(who)}-{safe_name(order.po_number)}-r{revision}-{safe_name(a.sink)}"
        try:
            _change(told, a.sink, holder, left, key, base)
        except (CrossdockError, ValueError) as exc:
            _cannot(told, a.sink, f"the change cannot be written for {a.sink}: {exc}")
            continue
        what = "change" if holder is not None else "what is left to ship"
        plan.event("routed", f"order {order.po_number} revision {revision}: {what} to {a.sink}", order=ref)
    for holder in holders.values():
        _tell_cancel(told, holder, "no longer routed there by the new revision", _previous_lines(told, holder.sink))
    return rest


def tell_cancelled(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    ref: int,
    order: Order,
    previous_data: str,
    who: str,
    document_id: int,
    source: str | None,
) -> None:
    """A cancelled order: each destination that holds it gets a cancel in its own form."""
    told = _Told(hub, conn, plan, ref, document_id, order, _order(previous_data), who, source, who, NONE_SHIPPED)
    for holder in held(conn, ref).values():
        _tell_cancel(told, holder, "cancelled by its source", order)


# --- the forms -------------------------------------------------------------------------------------------------


def _change(told: _Told, sink_name: str, holder: Held | None, picked: Order, key: str, base: str) -> None:
    """``picked`` (the new revision's lines routed here, cut to what is left to ship) for a destination that
    holds an earlier revision (``holder``), or that gets a partly shipped order only now, in its own form."""
    hub = told.hub
    sink = hub.config.sinks[sink_name]
    means = _means(hub, sink_name)
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
            sets = [(_previous_lines(told, sink_name), CANCEL), (picked, ORIGINAL)]
        _send_940(told, sink_name, sink, sets, key, ORDER, sscc_of(labels), holder)
    else:
        raise ValueError(f"no way to tell {sink_name} of a change")


def _tell_cancel(told: _Told, holder: Held, why: str, what: Order) -> None:
    """A cancel in the destination's form; for a destination that has none, a person is told. ``what`` is the
    order the JSON forms carry, marked cancelled: the cancelling document's, or as the destination had it."""
    hub, order, sink_name = told.hub, told.order, holder.sink
    sink = hub.config.sinks.get(sink_name)
    external = order.external_id or order.po_number
    key = delivery_key("cancel", order.channel, told.who, external, sink_name, holder.key)
    name = f"{safe_name(told.who)}-{safe_name(order.po_number)}-cancelled"
    means = _means(hub, sink_name) if sink is not None else None
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
            held_there = _previous_lines(told, sink_name)
            cut = left_of(held_there, told.shipped) if told.shipped.shipped else held_there  # what it had to ship
            dumped = with_counts(registry.mapping("x12").order_dict(cut), held_there, told.shipped.shipped)
            data = _csv(sink, dumped, "cancel")
            outbound(plan, recipient, data, f"{name}-cancel.csv", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        elif means == "x12-940":
            assert isinstance(sink, OrderFormat)
            sets = [(_previous_lines(told, sink_name), CANCEL)]
            _send_940(told, sink_name, sink, sets, key, CANCEL_PURPOSE, None, holder)
        elif means in ORDER_APIS:
            counted = {"shipped": told.shipped.shipments} if means in SHIPMENT_APIS else {}
            data = registry.mapping(str(means)).cancel_request(order.po_number, holder.key, **counted)
            outbound(plan, recipient, data, f"{name}.json", CANCEL_PURPOSE, key, doc, ref, sink=sink_name)
        else:
            _cannot(told, sink_name, f"{why}; {sink_name} has no way to hear of a cancel: stop it there")
            return
    except (CrossdockError, ValueError) as exc:
        _cannot(told, sink_name, f"{why}; the cancel cannot be written for {sink_name} ({exc}): stop it there")
        return
    plan.event("cancel", f"order {order.po_number} {why}: cancel to {sink_name}", order=ref, document=doc)


def _send_940(
    told: _Told,
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


def _dumped(told: _Told, picked: Order) -> dict[str, Any]:
    """``picked`` as JSON, each line saying what the revision orders and what shipped beside what is left."""
    dumped: dict[str, Any] = registry.mapping("x12").order_dict(picked)
    return with_counts(dumped, told.order, told.shipped.shipped)


def _cannot(told: _Told, sink_name: str, reason: str) -> None:
    """A destination crossdock cannot tell: a person is, once per order, destination and revision of it."""
    order = told.order
    text = f"order {order.po_number} from {told.who} at {sink_name}: {reason}"
    told.plan.event("cancel", text, order=told.ref, document=told.document_id)
    cause = f"cancel:{told.who}:{order.external_id or order.po_number}:{sink_name}:{told.document_id}"
    raise_alert(told.hub.store, told.conn, told.hub.config, cause, f"crossdock: {text}", text)


# --- helpers ---------------------------------------------------------------------------------------------------


def _drop_pending_cancels(conn: Connection, order_id: int) -> None:
    """Cancels not sent yet are void once a new revision comes: the change tells each destination what holds
    now, and a 940 cancel sent after it would cancel the order just sent again."""
    pending = (
        deliveries.c.order_id == order_id,
        deliveries.c.purpose == CANCEL_PURPOSE,
        deliveries.c.state == "pending",
    )
    reason = "superseded by a newer revision of the order"
    conn.execute(update(deliveries).where(*pending).values(state="cancelled", last_error=reason))


def _means(hub: Hub, sink_name: str) -> str:
    """How a destination takes orders: its format, or its API's name (shipbob, odoo)."""
    sink = hub.config.sinks[sink_name]
    if sink.type in ORDER_APIS:
        return str(sink.type)
    return sink.format if isinstance(sink, OrderFormat) else "json"


def _order(data: str) -> Order:
    x12 = registry.mapping("x12")
    order: Order = x12.order_from_dict(json.loads(data))
    return order


def _picked(order: Order, positions: tuple[int, ...] | None) -> Order:
    if positions is None:
        return order
    return order.model_copy(update={"lines": [line for line in order.lines if line.position in positions]})


def _previous_lines(told: _Told, sink_name: str) -> Order:
    """The order as ``sink_name`` last had it: the earlier revision, cut to the lines routing sent there (all of
    them when that cannot be told again, say after the routing changed)."""
    previous = told.previous
    try:
        assignments = route(previous, told.hub.config.routing, told.source)
    except (Unroutable, ValueError):
        return previous
    for a in assignments:
        if a.sink == sink_name and a.split:
            return _picked(previous, a.positions)
    return previous
