"""Orders from a document: upserted by natural key, routed, and answered with deliveries and an 855."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.fulfilment.shipment_checks import shipped_so_far
from crossdock.core.hub import Hub
from crossdock.core.large_orders import streams
from crossdock.core.lifecycle import destination_changes
from crossdock.core.lifecycle.order_gate import gate, outdated, stored_version
from crossdock.core.lifecycle.order_holds import operator_hold
from crossdock.core.lifecycle.order_versions import Verdict, Version, after
from crossdock.core.models import Order
from crossdock.core.notices import buyer_mail as customer_notices
from crossdock.core.order_deliveries import hold_order, plan_deliveries, send_855, supersede
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan, Processed, Ref
from crossdock.core.routing import Assignment, Unroutable, route
from crossdock.core.stock import guard as stock_guard
from crossdock.core.storage.order_json import OrderText, keep_sent
from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.spool import SpooledLines
from crossdock.core.storage.store import to_json


def upsert_orders(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    source: str | None,
    found: list[Order],
    partner: Partner | str,
    result: Processed,
    existing: dict[str, Any] | None = None,
    spooled: dict[int, SpooledLines] | None = None,
    versions: Mapping[int, Version] | None = None,
    force: bool = False,
) -> list[str]:
    """Insert new orders, update changed ones, leave re-read (and outdated) ones alone; route what is new or changed.

    ``partner`` is the EDI partner, or for a sales channel's order the name of its source. An order is known by
    (channel, partner, its external id: the channel's order id, else the PO number). ``existing`` is the stored
    orders already looked up for a run of documents (``find_orders``), none of them in this plan yet. ``spooled``
    holds the lines of large orders read as a stream, by ``id(order)`` (``large_orders``). ``versions`` is each
    X12 order's version, by ``id(order)``: an older or conflicting one changes nothing (``order_gate``), unless
    ``force``. Returns why any order was held back as conflicting.
    """
    store = hub.store
    who = partner if isinstance(partner, str) else partner.name
    latest: dict[str, Order] = {}
    for order in found:
        key = order.external_id or order.po_number
        if key in latest:
            plan.event(
                "order",
                f"order {order.po_number} appears twice in the document; the later one is kept",
                document=document_id,
            )
        latest[key] = order
    if existing is None:
        existing = store.find_orders(conn, found[0].channel if found else "x12", who, list(latest))
    x12 = registry.mapping("x12")
    conflicts: list[str] = []
    recorded: list[int | Ref] = []  # new and changed orders: the oversell guard reserves their units
    for key, order in latest.items():
        po = order.po_number
        again = False
        row = existing.get(key)
        version = (versions or {}).get(id(order))
        lines = (spooled or {}).get(id(order))
        order.source = who
        if lines is not None and not streams(hub, order, lines, row, partner, source):
            order.lines = list(lines.lines())  # this order needs its lines as objects
            lines = None
        dumped = x12.order_dict(order)
        data: str | OrderText = to_json(dumped) if lines is None else OrderText(dumped, lines)
        if row is None:
            assignments, status = _assign(hub, order, source, lines)
            ref: int | Ref = plan.order(
                {
                    "channel": order.channel,
                    "partner": who,
                    "external_id": key,
                    "po_number": po,
                    "status": "cancelled" if order.purpose == "01" else status,
                    "revision": 1,
                    "version": version.text() if version else None,
                    "data": data,
                    "document_id": document_id,
                }
            )
            revision = 1
            result.orders_new += 1
            plan.event("order", f"order {po} from {who} received", order=ref, document=document_id)
            if order.purpose != "01":
                customer_notices.notify(
                    hub, conn, plan, source=source, event="received", order=order, ref=ref, document_id=document_id
                )
        elif not isinstance(data, str):
            raise AssertionError("a stored order is compared with its lines in memory (large_orders.streams)")
        elif _same(row.data, data, dumped) and row.status == "held":  # replayed after a fix: planned again
            ref, revision, again = int(row.id), int(row.revision), True
            assignments, status = _assign(hub, order, source)
            store.update_order(conn, ref, status=status)
            plan.event("order", f"order {po} was held: routed again", order=ref, document=document_id)
        else:
            ref = int(row.id)
            if _same(row.data, data, dumped):
                if row.data != data and not outdated(order, row.data):  # the same order, stamped later
                    keep_sent(conn, ref)
                    store.update_order(conn, ref, data=data)
                result.orders_unchanged += 1
                plan.event("order", f"order {po} read again, unchanged", order=ref, document=document_id)
                continue
            verdict = gate(hub, conn, plan, order, row, document_id, version, who, force)
            if verdict.verdict is not Verdict.APPLY:
                result.orders_unchanged += 1
                if verdict.verdict is Verdict.CONFLICT:
                    conflicts.append(verdict.reason)
                continue
            revision = int(row.revision) + 1
            result.orders_changed += 1
            assignments, status = _assign(hub, order, source)
            status = _with_shipments(conn, ref, order, status)
            what = "replaced (BEG01=05)" if order.is_replacement else "changed"
            keep_sent(conn, ref)
            store.update_order(
                conn,
                ref,
                data=data,
                revision=revision,
                document_id=document_id,
                status="cancelled" if order.purpose == "01" else status,
                **({"version": after(version, stored_version(row)).text()} if version else {}),
            )
            supersede(conn, ref)
            plan.event("order", f"order {po} {what}, revision {revision}", order=ref, document=document_id)
            if order.purpose == "01":
                _notify_cancelled(hub, conn, plan, ref, order, who, document_id, str(row.data), source)
                customer_notices.notify(
                    hub, conn, plan, source=source, event="cancelled", order=order, ref=ref, document_id=document_id
                )
        recorded.append(ref)
        if order.purpose == "01":
            plan.event("order", f"order {po} cancelled by {who}", order=ref)
            continue
        if order.already_shipped:
            plan.event("order", f"order {po} is shipped already at {who}: not routed", order=ref)
            continue
        if order.awaiting:
            plan.event("order", f"order {po} waits for {order.awaiting} at {who}: not routed yet", order=ref)
            if revision > 1:
                _notify_paused(hub, conn, plan, ref, order, who, document_id)
            continue
        if not order.lines and lines is None:  # a large order's lines are in ``lines``, not on the order
            hold_order(hub, conn, plan, ref, po, who, [f"order {po} from {who} has no lines: nothing to ship"])
            continue
        if isinstance(ref, int) and (held := operator_hold(conn, ref)) is not None:
            store.update_order(conn, ref, status="held")
            plan.event("held", f"order {po} is on hold ({held}): not routed until released", order=ref)
            continue
        if assignments is None:
            plan.event("held", f"order {po}: no routing rule or default destination takes it", order=ref)
            continue
        if row is not None and revision > 1 and not again and isinstance(ref, int):
            assignments = destination_changes.tell_changed(
                hub, conn, plan, ref, revision, document_id, order, str(row.data), assignments, partner, source
            )
        problems = plan_deliveries(
            hub, conn, plan, ref, revision, document_id, order, dumped, data, assignments, partner, result, again
        )
        acks = partner if revision == 1 and not isinstance(partner, str) and partner.config.send_855 else None
        if problems:
            hold_order(hub, conn, plan, ref, po, who, problems)
            if acks is not None:
                plan.event("855", f"order {po} is held: its 855 waits until it is routed (replay)", order=ref)
        elif acks is not None:
            send_855(hub, conn, plan, ref, document_id, order, acks)
    if recorded and stock_guard.enabled(hub.config):
        plan.after_write.append(stock_guard.after_orders(hub, recorded))
    return conflicts


def _notify_cancelled(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    ref: int,
    order: Order,
    who: str,
    document_id: int,
    previous: str,
    source: str | None,
) -> None:
    """A cancellation after the order reached destinations: each is told by its own means (destination_changes)."""
    destination_changes.tell_cancelled(hub, conn, plan, ref, order, previous, who, document_id, source)


def _notify_paused(
    hub: Hub, conn: Connection, plan: Plan, ref: int | Ref, order: Order, who: str, document_id: int
) -> None:
    """An order the channel put back on hold (awaiting payment or review) after it reached a destination: nothing
    crossdock can send means "hold it" to a warehouse, so a person is told, once per destination."""
    if isinstance(ref, Ref):
        return
    external = order.external_id or order.po_number
    for sink_name in _sent_to(conn, ref):
        reason = (
            f"order {order.po_number} from {who} waits for {order.awaiting} again after it was sent to {sink_name}:"
            " hold it there"
        )
        plan.event("hold", reason, order=ref, document=document_id)
        raise_alert(hub.store, conn, hub.config, f"paused:{who}:{external}:{sink_name}", f"crossdock: {reason}", reason)


def _sent_to(conn: Connection, ref: int) -> list[str]:
    """The destinations an order (any revision) has already been delivered to."""
    sent = select(deliveries.c.sink).where(
        deliveries.c.order_id == ref, deliveries.c.purpose == "order", deliveries.c.state == "sent"
    )
    return sorted(set(conn.execute(sent).scalars()))


def _same(stored: str, data: str, dumped: dict[str, Any]) -> bool:
    """Whether the stored order is this one: compared as text, and when the text differs, once more after the
    stored JSON is read through today's model, so an order stored before a field was added is not taken
    for a changed one (which would send it again as a new revision). ``updated_at`` is left out: a channel
    stamps an order anew when crossdock itself marks it fulfilled, and that is not a change to ship; nor is the
    channel's saying it shipped (``already_shipped``), nor the ``source`` an order stored before that field lacks."""
    if stored == data:
        return True
    x12 = registry.mapping("x12")
    before = x12.order_dict(x12.order_from_dict(json.loads(stored)))
    quiet = {"updated_at": None, "already_shipped": None, "source": None}
    return bool({**before, **quiet} == {**dumped, **quiet})


def _assign(
    hub: Hub, order: Order, source: str | None, lines: SpooledLines | None = None
) -> tuple[list[Assignment] | None, str]:
    if order.awaiting:
        return None, "waiting"
    if order.already_shipped:
        return None, "shipped"
    try:
        return route(order, hub.config.routing, source, lines.positions if lines else None), "routed"
    except Unroutable:
        return None, "held"


def _with_shipments(conn: Connection, ref: int, order: Order, status: str) -> str:
    """A revision of an order that shipped in part is still partially shipped (shipped, when nothing is left of
    it to ship): routing the revision does not undo what left the warehouse."""
    if status != "routed":
        return status
    shipped = shipped_so_far(conn, ref, order)
    if not any(shipped.values()):
        return status
    done = all(shipped.get(line.position, Decimal(0)) >= line.quantity for line in order.lines)
    return "shipped" if done else "partially shipped"
