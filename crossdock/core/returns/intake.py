"""Returns in: a channel's return (an Inbound of kind ``return``) or an EDI buyer's 180, tied to its order and stored.

A return is stored by its natural key (the source's name and the channel's return id), so a return read again
(a re-poll, its next status) updates the row, never adds one. It is tied to its stored order by the channel's
order id (external id) from the same source, else by PO number. A return whose order crossdock does not hold is
kept ``held`` with the reason, and applies when its document is replayed once the order is in. The warehouse that
was sent the order (each one that holds part of a split order, its lines only: ``return_split``) is told to expect
the goods (``return_notice``), once for each version of what comes back, and told again when the return is
cancelled while it is still expected.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.failures import PROCESSABLE, fail_document, reason_of
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.plan import Plan, Processed
from crossdock.core.returns.models import Return
from crossdock.core.returns.notice import plan_notice
from crossdock.core.returns.split import destinations
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import orders, returns
from crossdock.core.storage.store import to_json

KIND = "return"  # Inbound.kind and documents.kind of a channel's return
FURTHER = ("received", "approval", "refunded", "closed")  # a return past these is not told to the warehouse again


def return_documents(hub: Hub, rows: list[Any], source: str) -> list[Processed]:
    """A channel source's return documents: each decoded with the channel's ``<channel>_returns`` mapping and
    recorded in its own transaction; one that does not decode fails alone, its raw bytes kept."""
    channel = hub.config.sources[source].format
    return [_one(hub, row, source, channel) for row in rows]


def _one(hub: Hub, row: Any, source: str, channel: str) -> Processed:
    document_id = int(row.id)
    name = row.remote_name or f"document {document_id}"
    try:
        found = registry.mapping(f"{channel}_returns").returns_from_json(bytes(row.data), name)
    except KeyError:
        reason = f"{name}: crossdock reads no returns from {channel} yet (no mapping {channel}_returns)"
        return fail_document(hub, document_id, reason, source, source, name)
    except Exception as exc:
        return fail_document(hub, document_id, reason_of(exc, name), source, source, name)
    with hub.store.transaction() as conn:
        state = hub.store.claim_document(conn, document_id)
        if state not in PROCESSABLE:
            return Processed(document_id, state)
        plan = Plan()
        problems: list[str] = []
        for ret in found:
            ret.channel = source
            if problem := record_return(hub, conn, plan, document_id, ret):
                problems.append(problem)
        plan.write(hub.store, conn)
        error = "; ".join(problems)[:4000] or None
        hub.store.update_document(conn, document_id, state="processed", error=error, partner=source, kind=KIND)
    return Processed(document_id, "processed", error)


def record_return(hub: Hub, conn: Connection, plan: Plan, document_id: int, ret: Return) -> str | None:
    """Store one return (new, or the same return read again), tie it to its order and tell its warehouse;
    returns why it is held, or None."""
    now = utcnow()
    existing = conn.execute(
        select(returns).where(returns.c.channel == ret.channel, returns.c.return_id == ret.return_id)
    ).first()
    found = order_for(conn, ret)
    values: dict[str, Any] = {
        "rma_number": ret.rma_number or (existing.rma_number if existing is not None else None),
        "po_number": ret.po_number,
        "external_id": ret.external_id,
        "data": to_json(ret.model_dump(mode="json")),
        "document_id": document_id,
        "updated_at": now,
    }
    what = f"return {ret.return_id} of order {ret.po_number} from {ret.channel}"
    if found is None and (existing is None or existing.order_id is None):
        reason = (
            f"{what} held: crossdock holds no such order (by its id {ret.external_id or '-'} or PO number); "
            f"after the order is in, crossdock replay {document_id}"
        )
        values.update(state="held", reason=reason, order_id=None)
        _save(conn, existing, ret, values, now)
        plan.event("held", reason, document=document_id)
        return reason
    # an order once tied stays tied, even when it is no longer found the same way
    if found is not None:
        order_id, order, who = found
    else:
        assert existing is not None
        order_id, order, who = int(existing.order_id), None, ""
    values["order_id"] = order_id
    state = str(existing.state) if existing is not None and existing.state in FURTHER else "open"
    if ret.status == "cancelled" and state == "open":
        state = "cancelled"  # the buyer's or the channel's: nothing more is expected
    values.update(state=state, reason=None)
    parts = destinations(hub, conn, order_id, order, ret) if order is not None else []
    told = (existing.warehouse if existing is not None else None) or ""
    values["warehouse"] = ",".join(sink for sink, _ in parts)[:64] or told or None
    _save(conn, existing, ret, values, now)
    plan.event("return", f"{what}: {state}, {len(ret.lines)} line(s)", order=order_id, document=document_id)
    if state == "cancelled" and existing is not None and existing.state == "open" and order is not None and told:
        return _tell_cancelled(hub, conn, plan, document_id, (order_id, order, who), return_of(existing), told)
    if state != "open" or order is None:
        return None
    if not parts:
        plan.event("return", f"{what}: no destination was sent the order, so none is told", order=order_id)
    problems = [plan_notice(hub, conn, plan, document_id, order_id, order, who, part, sink) for sink, part in parts]
    return "; ".join(p for p in problems if p) or None


def _tell_cancelled(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, found: tuple[int, Order, str], was: Return, told: str
) -> str | None:
    """Each destination told of the return, told of its part again as cancelled (the lines it was told of)."""
    order_id, order, who = found
    was = was.model_copy(update={"status": "cancelled"})
    problems = [
        plan_notice(hub, conn, plan, document_id, order_id, order, who, part, sink, cancel=True)
        for sink, part in destinations(hub, conn, order_id, order, was)
        if sink in told.split(",")
    ]
    return "; ".join(p for p in problems if p) or None


def _save(conn: Connection, existing: Any, ret: Return, values: dict[str, Any], now: Any) -> None:
    if existing is None:
        conn.execute(returns.insert().values(channel=ret.channel, return_id=ret.return_id, created_at=now, **values))
    else:
        conn.execute(returns.update().where(returns.c.id == existing.id).values(**values))


def order_for(conn: Connection, ret: Return) -> tuple[int, Order, str] | None:
    """The stored order a return belongs to: by the channel's order id from the same source (or EDI buyer),
    else by PO number; None when crossdock holds no such order, or several match the PO number alone."""
    who = ret.partner or ret.channel
    columns = select(orders.c.id, orders.c.data, orders.c.partner).where(orders.c.partner == who)
    rows = []
    if ret.external_id:
        rows = list(conn.execute(columns.where(orders.c.external_id == ret.external_id)))
    if not rows:
        rows = list(conn.execute(columns.where(orders.c.po_number == ret.po_number)))
    if len(rows) != 1 or not rows[0].data:
        return None
    return int(rows[0].id), stored_order(rows[0].data), str(rows[0].partner)


def stored_order(data: str) -> Order:
    """An order back from the JSON the store keeps."""
    found: Order = registry.mapping("x12").order_from_dict(json.loads(data))
    return found


def return_of(row: Any) -> Return:
    return Return.model_validate_json(row.data)


def received_of(row: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = json.loads(row.received) if row.received else []
    return got
