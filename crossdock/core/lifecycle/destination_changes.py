"""A change or cancellation of an order that a destination already holds, told to it by its own means (each
written in ``destination_forms``).

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
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from crossdock.core import registry
from crossdock.core.errors import CrossdockError
from crossdock.core.lifecycle.destination_forms import (
    CANCEL_PURPOSE,
    ORDER,
    SAME_AS_NEW,
    Held,
    Told,
    cannot_tell,
    means_of,
    picked_lines,
    previous_lines,
    tell_cancel,
    tell_change,
)
from crossdock.core.lifecycle.left_to_ship import (
    Progress,
    left_of,
    progress,
    same_part,
    shipped_any,
)
from crossdock.core.models import Order
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan, delivery_key, safe_name
from crossdock.core.routing import Assignment
from crossdock.core.storage.schema import deliveries

if TYPE_CHECKING:  # the Hub is only named in annotations here
    from crossdock.core.hub import Hub

NONE_SHIPPED = Progress({}, frozenset())


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
    told = Told(hub, conn, plan, ref, document_id, order, _order(previous_data), who, source, partner, shipped)
    rest: list[Assignment] = []
    for a in assignments:
        holder = holders.pop(a.sink, None)
        picked = picked_lines(order, a.positions if a.split else None)
        left = left_of(picked, shipped)  # a line cancelled whole (quantity 0) is left out too
        if holder is None and not partly:
            rest.append(a)
            continue
        if holder is not None:
            before = previous_lines(told, a.sink)
            was = left_of(before, shipped)
            if holder.current and same_part(was, left):  # a line cancelled at another destination, say
                plan.event("routed", f"order {order.po_number} revision {revision}: {a.sink} unchanged", order=ref)
                continue
            if not left.lines:  # what it held shipped in full or was cancelled: cancel what it still had to ship
                if was.lines:
                    tell_cancel(told, holder, "nothing is left of it to ship there", before)
                continue
            if not partly and left == picked and means_of(hub, a.sink) in SAME_AS_NEW:
                rest.append(a)
                continue
        elif not left.lines:
            continue
        key = delivery_key("order", order.channel, who, order.external_id or order.po_number, revision, a.sink)
        base = f"{safe_name(who)}-{safe_name(order.po_number)}-r{revision}-{safe_name(a.sink)}"
        try:
            tell_change(told, a.sink, holder, left, key, base)
        except (CrossdockError, ValueError) as exc:
            cannot_tell(told, a.sink, f"the change cannot be written for {a.sink}: {exc}")
            continue
        what = "change" if holder is not None else "what is left to ship"
        plan.event("routed", f"order {order.po_number} revision {revision}: {what} to {a.sink}", order=ref)
    for holder in holders.values():
        tell_cancel(told, holder, "no longer routed there by the new revision", previous_lines(told, holder.sink))
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
    told = Told(hub, conn, plan, ref, document_id, order, _order(previous_data), who, source, who, NONE_SHIPPED)
    for holder in held(conn, ref).values():
        tell_cancel(told, holder, "cancelled by its source", order)


# --- the forms -------------------------------------------------------------------------------------------------


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


def _order(data: str) -> Order:
    x12 = registry.mapping("x12")
    order: Order = x12.order_from_dict(json.loads(data))
    return order
