"""What an operator does to one order from the command line: cancel it or some of its lines, hold it, release it.

A cancel takes the path a source's own change takes: the order's next revision (lines reduced, or the whole order
cancelled) goes through ``orders.upsert_orders``, so destinations are told as they are of a source's cancel or
change, and the source is told back with a Cancellation (``cancel_back``). The operator's request is kept first,
as an inbound document (kind ``operator``) of the order's source, so the revision has a document like any
other and the order still names where it came from. What shipped already cannot be cancelled.

A hold stops what has not left yet (pending deliveries become ``held``) and any later revision from being
routed; a destination that has the order already cannot be told to hold it, so a person is alerted. A release
lets the held deliveries go and routes what is missing, as a held order replayed is.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, get_args

from sqlalchemy import Connection, delete, insert, or_, select, update

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.errors import CrossdockError
from crossdock.core.fulfilment.shipment_checks import shipped_so_far
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancel_back import cancellation_for, plan_cancellation
from crossdock.core.lifecycle.cancellations import Reason
from crossdock.core.lifecycle.order_changes import CHANGE
from crossdock.core.lifecycle.order_holds import operator_hold
from crossdock.core.models import Order
from crossdock.core.orders import upsert_orders
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan, Processed
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, order_holds, orders
from crossdock.core.storage.store import to_json

DONE = ("cancelled", "shipped", "invoiced")  # nothing left to cancel or hold
LONGEST_REASON = 500  # characters of an operator's reason kept; it may reach a channel as a note


def _reason(text: str) -> str:
    reason = " ".join(text.split())[:LONGEST_REASON]
    if not reason:
        raise CrossdockError("--reason is empty: say why")
    return reason


@dataclass(slots=True)
class Found:
    """One stored order, locked, as ``upsert_orders`` takes it back."""

    row: Any  # the orders row as ``Store.find_orders`` gives it
    order: Order
    partner: Partner | str  # the EDI partner, or a channel's source name
    origin: str | None  # the source its latest revision was read from
    who: str  # the order's partner as the store keys it: the EDI partner's name, or the channel source's


def find_order(hub: Hub, conn: Connection, po: str, source: str | None) -> Found:
    """The order with PO number ``po`` (from ``source`` when given); refused when none or several match."""
    query = (
        select(orders.c.channel, orders.c.partner, orders.c.external_id, documents.c.endpoint)
        .outerjoin(documents, documents.c.id == orders.c.document_id)
        .where(orders.c.po_number == po)
    )
    rows = [r for r in conn.execute(query) if source is None or source in (r.partner, r.endpoint)]
    if not rows:
        raise CrossdockError(f"no order with PO number {po!r}" + (f" from {source}" if source else ""))
    if len(rows) > 1:
        names = ", ".join(sorted(str(r.partner) for r in rows))
        raise CrossdockError(f"{len(rows)} orders carry PO number {po!r} (from {names}): name one with --source")
    one = rows[0]
    row = hub.store.find_orders(conn, one.channel, one.partner, [one.external_id])[one.external_id]
    order = registry.mapping("x12").order_from_dict(json.loads(row.data))
    partner: Partner | str = hub.partners.get(one.partner) or str(one.partner)
    return Found(row, order, partner, one.endpoint, str(one.partner))


def parse_lines(text: str) -> list[tuple[str, Decimal | None]]:
    """``L1,L2:3``: each order line (its number, or its position) and how many of it, all when no quantity."""
    out: list[tuple[str, Decimal | None]] = []
    for item in text.split(","):
        line, _, quantity = item.strip().partition(":")
        if not line:
            raise CrossdockError(f"--lines {text!r}: an empty line number")
        try:
            amount = Decimal(quantity) if quantity else None
        except ArithmeticError:
            raise CrossdockError(f"--lines {text!r}: {quantity!r} is not a quantity") from None
        if amount is not None and (not amount.is_finite() or amount <= 0):
            raise CrossdockError(f"--lines {text!r}: {quantity!r} is not a quantity")
        out.append((line, amount))
    return out


def _cut(
    order: Order, shipped: dict[int, Decimal], lines: list[tuple[str, Decimal | None]] | None
) -> dict[int, Decimal]:
    """Per line position, what the operator cancels: every unshipped unit, or what ``lines`` names."""
    left = {ol.position: max(ol.quantity - shipped.get(ol.position, Decimal(0)), Decimal(0)) for ol in order.lines}
    if lines is None:
        return {pos: q for pos, q in left.items() if q > 0}
    cut: dict[int, Decimal] = {}
    for name, quantity in lines:
        line = next((ol for ol in order.lines if (ol.line_number or "").strip() == name), None)
        line = line or next((ol for ol in order.lines if str(ol.position) == name), None)
        if line is None:
            known = ", ".join((ol.line_number or str(ol.position)).strip() for ol in order.lines)
            raise CrossdockError(f"order {order.po_number} has no line {name!r} (its lines: {known})")
        wanted = cut.get(line.position, Decimal(0)) + (left[line.position] if quantity is None else quantity)
        if wanted > left[line.position]:
            raise CrossdockError(
                f"line {name} of order {order.po_number} has {left[line.position]} left to cancel "
                f"({shipped.get(line.position, Decimal(0))} of {line.quantity} shipped)"
            )
        if wanted > 0:
            cut[line.position] = wanted
    return cut


def cancel_order(hub: Hub, po: str, *, source: str | None, lines: str | None, reason: str) -> str:
    """Cancel order ``po`` (or ``lines`` of it) as its next revision, and tell its source; returns what was done."""
    reason = _reason(reason)
    with hub.store.transaction() as conn:
        found = find_order(hub, conn, po, source)
        row, order = found.row, found.order
        if row.status in DONE:
            raise CrossdockError(f"order {po} is {row.status}: nothing to cancel")
        shipped = shipped_so_far(conn, int(row.id), order)
        cut = _cut(order, shipped, parse_lines(lines) if lines is not None else None)
        if not cut:
            raise CrossdockError(f"order {po}: nothing left to cancel, every line shipped")
        whole = not any(shipped.values()) and all(cut.get(ol.position, 0) >= ol.quantity for ol in order.lines)
        revised = _revised(order, cut, whole)
        request = {"command": "orders cancel", "po_number": po, "source": source, "lines": lines, "reason": reason}
        document_id = hub.store.add_document(
            conn,
            direction="in",
            data=to_json(request).encode("utf-8") + b"\n",
            state="processed",
            endpoint=found.origin,
            remote_name=f"orders cancel {po}"[:200],
            kind="operator",
            partner=found.who,
        )
        plan = Plan()
        result = Processed(document_id, "processed")
        key = str(row.external_id)
        upsert_orders(hub, conn, plan, document_id, found.origin, [revised], found.partner, result, {key: row})
        if result.orders_changed != 1:
            raise CrossdockError(f"order {po}: the cancellation could not be recorded as a new revision")
        if any(shipped.values()):  # routing the revision does not undo what shipped
            done = all(shipped.get(line.position, Decimal(0)) >= line.quantity for line in revised.lines)
            hub.store.update_order(conn, int(row.id), status="shipped" if done else "partially shipped")
        kind: Reason = reason if reason in get_args(Reason) else "other"  # type: ignore[assignment]
        told = cancellation_for(
            order, cut, reason=kind, by="operator", note=reason, whole=whole, tag=f"r{int(row.revision) + 1}"
        )
        where = plan_cancellation(hub, conn, plan, int(row.id), order, found.origin, told, cut, document_id)
        plan.write(hub.store, conn)
    what = f"order {po} cancelled" if whole else f"order {po}: {len(cut)} line(s) cut, revision {int(row.revision) + 1}"
    return what + (f"; its source is told through {', '.join(where)}" if where else "; nothing can tell its source")


def _revised(order: Order, cut: dict[int, Decimal], whole: bool) -> Order:
    """The order's next revision: cancelled whole (purpose 01), or its lines reduced by ``cut`` (a line cut
    whole stays, at quantity 0, so its shipments and answers still find it) as a change (purpose 04, as an 860
    change is: a destination that reads the order's JSON sees a change, not the order again). A channel's order
    is stamped now, so a page of the channel that still shows the old version is older than it and changes
    nothing."""
    revised = order.model_copy(deep=True)
    if whole:
        revised.purpose = "01"
    else:
        revised.purpose = CHANGE
        for line in revised.lines:
            line.quantity -= cut.get(line.position, Decimal(0))
    if revised.updated_at is not None:
        now = dt.datetime.now(dt.UTC)
        revised.updated_at = max(now, revised.updated_at + dt.timedelta(seconds=1))
    return revised


def hold_order(hub: Hub, po: str, *, source: str | None, reason: str) -> str:
    """Hold order ``po``: what has not left stays, later revisions are not routed; returns what was done."""
    reason = _reason(reason)
    with hub.store.transaction() as conn:
        found = find_order(hub, conn, po, source)
        order_id = int(found.row.id)
        if found.row.status in DONE:
            raise CrossdockError(f"order {po} is {found.row.status}: nothing to hold")
        if (already := operator_hold(conn, order_id)) is not None:
            raise CrossdockError(f"order {po} is on hold already ({already})")
        conn.execute(insert(order_holds).values(order_id=order_id, reason=reason, created_at=utcnow()))
        stopped = conn.execute(
            update(deliveries)
            .where(
                deliveries.c.order_id == order_id,
                deliveries.c.purpose == "order",
                deliveries.c.state == "pending",
                # one being sent right now is gone already; a lease that ran out is a sender that died
                or_(deliveries.c.lease_owner.is_(None), deliveries.c.lease_until < utcnow()),
            )
            .values(state="held")
        ).rowcount
        hub.store.update_order(conn, order_id, status="held")
        hub.store.log(conn, "hold", f"order {po} held by an operator: {reason}", order_id=order_id)
        sent = select(deliveries.c.sink).where(
            deliveries.c.order_id == order_id, deliveries.c.purpose == "order", deliveries.c.state == "sent"
        )
        reached = sorted(set(conn.execute(sent).scalars()))
        for sink in reached:
            why = f"order {po} was held ({reason}) after it was sent to {sink}: hold it there"
            raise_alert(hub.store, conn, hub.config, f"hold:{order_id}:{sink}", f"crossdock: {why}", why)
    told = f"; {', '.join(reached)} had it already: alerted" if reached else ""
    return f"order {po} on hold: {stopped} delivery(ies) stopped{told}"


def release_order(hub: Hub, po: str, *, source: str | None) -> str:
    """Release order ``po``: its held deliveries go, and it is routed where it has not been; returns what was done."""
    with hub.store.transaction() as conn:
        found = find_order(hub, conn, po, source)
        row, order_id = found.row, int(found.row.id)
        if operator_hold(conn, order_id) is None:
            raise CrossdockError(f"order {po} is not on hold")
        conn.execute(delete(order_holds).where(order_holds.c.order_id == order_id))
        resumed = conn.execute(
            update(deliveries)
            .where(deliveries.c.order_id == order_id, deliveries.c.state == "held")
            .values(state="pending", next_attempt_at=utcnow())
        ).rowcount
        hub.store.log(conn, "hold", f"order {po} released by an operator", order_id=order_id)
        if row.status != "held" or row.document_id is None:  # cancelled or shipped meanwhile: nothing to route
            return f"order {po} released ({row.status}): {resumed} delivery(ies) resumed"
        plan = Plan()
        result = Processed(int(row.document_id), "processed")
        key = str(row.external_id)
        upsert_orders(
            hub, conn, plan, int(row.document_id), found.origin, [found.order], found.partner, result, {key: row}
        )
        plan.write(hub.store, conn)
    return f"order {po} released: {resumed} delivery(ies) resumed, {result.deliveries} planned"
