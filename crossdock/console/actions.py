"""What an operator does from the console, through the same functions as the command line, each recorded as an
event naming who did it (the events table is the console's audit trail)."""

from __future__ import annotations

from sqlalchemy import select

from crossdock.console.sessions import Session
from crossdock.core.acknowledgments.reconcile import resend
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import hold_order, release_order
from crossdock.core.pipeline import replay
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents, orders

MOST_AT_ONCE = 200  # dead letters retried in one go


def _record(hub: Hub, who: Session, message: str, **ids: int | None) -> None:
    with hub.store.transaction() as conn:
        hub.store.log(conn, "console", f"{message} (by {who.user} in the console)", **ids)


def retry(hub: Hub, who: Session, delivery_ids: list[int]) -> list[str]:
    """Queue dead (or pending) deliveries again; one line per delivery saying what became of it."""
    lines = []
    for delivery_id in delivery_ids[:MOST_AT_ONCE]:
        with hub.store.transaction() as conn:
            done = Queries(hub.store).retry(conn, delivery_id)
            if done.queued:
                hub.store.log(conn, "console", f"delivery {delivery_id} retried by {who.user}", delivery_id=delivery_id)
        if done.state is None:
            lines.append(f"delivery {delivery_id}: no such delivery")
        elif done.queued:
            lines.append(f"delivery {delivery_id} ({done.purpose} to {done.sink}) queued again")
        else:
            lines.append(f"delivery {delivery_id} is {done.state}: nothing to retry")
    return lines


def replay_document(hub: Hub, who: Session, document_id: int) -> list[str]:
    result = replay(hub, document_id)
    _record(hub, who, f"document {document_id} replayed: {result.state}", document_id=document_id)
    error = f": {result.error}" if result.error else ""
    return [f"document {document_id} replayed: {result.state}{error}"]


def resend_document(hub: Hub, who: Session, document_id: int) -> list[str]:
    new_id = resend(hub, document_id)
    _record(hub, who, f"document {document_id} resent as document {new_id}", document_id=document_id)
    return [f"document {document_id} queued again as document {new_id}, with new control numbers"]


def _po(hub: Hub, order_id: int) -> tuple[str, str]:
    with hub.store.transaction() as conn:
        found = conn.execute(select(orders.c.po_number, orders.c.partner).where(orders.c.id == order_id)).first()
    if found is None:
        raise CrossdockError(f"no order {order_id}")
    return str(found.po_number), str(found.partner)


def hold(hub: Hub, who: Session, order_id: int, reason: str) -> list[str]:
    po, partner = _po(hub, order_id)
    done = hold_order(hub, po, source=partner, reason=f"{reason} (by {who.user})")
    _record(hub, who, f"order {po} held", order_id=order_id)
    return [done]


def release(hub: Hub, who: Session, order_id: int) -> list[str]:
    po, partner = _po(hub, order_id)
    done = release_order(hub, po, source=partner)
    _record(hub, who, f"order {po} released", order_id=order_id)
    return [done]


def acknowledge(hub: Hub, who: Session, document_ids: list[int]) -> list[str]:
    """Mark alerts as seen: the Now page stops listing them (the alert itself was sent once, as always)."""
    lines = []
    with hub.store.transaction() as conn:
        for document_id in document_ids[:MOST_AT_ONCE]:
            found = conn.execute(select(documents.c.kind).where(documents.c.id == document_id)).scalar()
            if found != "alert":
                lines.append(f"document {document_id} is not an alert")
                continue
            hub.store.log(conn, "acknowledged", f"alert acknowledged by {who.user}", document_id=document_id)
            lines.append(f"alert {document_id} acknowledged")
    return lines
