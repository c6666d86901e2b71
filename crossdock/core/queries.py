"""Read-only views of the store for the command line: lists, details and what needs a person."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from crossdock.core.engine import utcnow
from crossdock.core.schema import cursors, deliveries, documents, events, orders, shipments
from crossdock.core.store import Store


def _row(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row._mapping.items()}


# Inbound document states that stop a document short of the flow until someone replays or dismisses it.
NEEDS_A_PERSON = ("failed", "rejected", "quarantined", "duplicate")

_DOC_COLUMNS = [c for c in documents.c if c.name != "data"]


class Queries:
    """Read-only views for the command line: lists and details, as plain dictionaries."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def counts(self, conn: Connection) -> dict[str, dict[str, int]]:
        """Rows by state: documents in and out, orders, deliveries."""
        out: dict[str, dict[str, int]] = {}
        for direction in ("in", "out"):
            query = select(documents.c.state, func.count()).where(documents.c.direction == direction)
            out[f"documents {direction}"] = dict(_pairs(conn.execute(query.group_by(documents.c.state))))
        out["orders"] = dict(_pairs(conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status))))
        query = select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
        out["deliveries"] = dict(_pairs(conn.execute(query)))
        return out

    def orders(
        self,
        conn: Connection,
        *,
        po: str | None = None,
        partner: str | None = None,
        status: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        cols = [c for c in orders.c if c.name != "data"]
        query = select(*cols).order_by(orders.c.id.desc()).limit(limit)
        if po:
            query = query.where(orders.c.po_number.like(po.replace("*", "%")))
        if partner:
            query = query.where(orders.c.partner == partner)
        if status:
            query = query.where(orders.c.status == status)
        return [_row(r) for r in conn.execute(query)]

    def order(self, conn: Connection, ref: str) -> dict[str, Any] | None:
        """An order by id, or by PO number (the newest when several partners used it)."""
        query = select(orders)
        query = query.where(orders.c.id == int(ref)) if ref.isdecimal() else query.where(orders.c.po_number == ref)
        row = conn.execute(query.order_by(orders.c.id.desc()).limit(1)).first()
        if row is None:
            query = select(orders).where(orders.c.po_number == ref).order_by(orders.c.id.desc()).limit(1)
            row = conn.execute(query).first()
        if row is None:
            return None
        out = _row(row)
        out["data"] = json.loads(row.data)
        out["deliveries"] = [
            _row(r)
            for r in conn.execute(select(deliveries).where(deliveries.c.order_id == row.id).order_by(deliveries.c.id))
        ]
        out["events"] = self._events(conn, events.c.order_id == row.id)
        return out

    def documents(
        self,
        conn: Connection,
        *,
        direction: str | None = None,
        partner: str | None = None,
        state: str | None = None,
        name: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        query = select(*_DOC_COLUMNS).order_by(documents.c.id.desc()).limit(limit)
        if direction:
            query = query.where(documents.c.direction == direction)
        if partner:
            query = query.where(documents.c.partner == partner)
        if state:
            query = query.where(documents.c.state == state)
        if name:
            query = query.where(documents.c.remote_name.like(name.replace("*", "%")))
        return [_row(r) for r in conn.execute(query)]

    def document(self, conn: Connection, document_id: int) -> dict[str, Any] | None:
        row = conn.execute(select(*_DOC_COLUMNS).where(documents.c.id == document_id)).first()
        if row is None:
            return None
        out = _row(row)
        out["deliveries"] = [
            _row(r)
            for r in conn.execute(
                select(deliveries).where(deliveries.c.document_id == document_id).order_by(deliveries.c.id)
            )
        ]
        children = select(*_DOC_COLUMNS).where(documents.c.parent_id == document_id).order_by(documents.c.id)
        out["children"] = [_row(r) for r in conn.execute(children)]
        out["events"] = self._events(conn, events.c.document_id == document_id)
        return out

    def data(self, conn: Connection, document_id: int) -> bytes | None:
        value = conn.execute(select(documents.c.data).where(documents.c.id == document_id)).scalar()
        return bytes(value) if value is not None else None

    def _events(self, conn: Connection, where: Any) -> list[dict[str, Any]]:
        query = select(events.c.at, events.c.kind, events.c.message).where(where).order_by(events.c.id)
        return [_row(r) for r in conn.execute(query)]

    def problems(self, conn: Connection, stuck_after: float = 900.0) -> dict[str, list[dict[str, Any]]]:
        """What needs a person: failing sources, failed and quarantined documents, dead letters, unsent,
        retrying and stuck deliveries."""
        docs = select(*_DOC_COLUMNS).order_by(documents.c.id)
        stuck_since = utcnow() - dt.timedelta(seconds=stuck_after)
        polls = conn.execute(select(cursors).where(cursors.c.name.like("poll:%")).order_by(cursors.c.name))
        return {
            "failing_sources": [
                {"source": r.name.removeprefix("poll:"), **json.loads(r.value)}
                for r in polls
                if json.loads(r.value).get("error")
            ],
            "failed_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state.in_(NEEDS_A_PERSON)))],
            "flagged_documents": [_row(r) for r in conn.execute(docs.where(documents.c.flags.is_not(None)))],
            "unsent_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state == "unsent"))],
            "unacknowledged_documents": [
                _row(r)
                for r in conn.execute(
                    docs.where(
                        or_(
                            documents.c.ack_state.in_(["overdue", "rejected"]),
                            and_(documents.c.ack_state == "waiting", documents.c.ack_due_at < utcnow()),
                        )
                    )
                )
            ],
            "held_shipments": [
                _row(r)
                for r in conn.execute(
                    select(
                        shipments.c.id,
                        shipments.c.partner,
                        shipments.c.external_id,
                        shipments.c.po_number,
                        shipments.c.error,
                        shipments.c.document_id,
                    )
                    .where(shipments.c.state == "held")
                    .order_by(shipments.c.id)
                )
            ],
            "dead_deliveries": [
                _row(r)
                for r in conn.execute(select(deliveries).where(deliveries.c.state == "dead").order_by(deliveries.c.id))
            ],
            "retrying_deliveries": [
                _row(r)
                for r in conn.execute(
                    select(deliveries)
                    .where(deliveries.c.state == "pending", deliveries.c.attempts > 0)
                    .order_by(deliveries.c.id)
                )
            ],
            "overdue_deliveries": [
                _row(r)
                for r in conn.execute(
                    select(deliveries)
                    .where(deliveries.c.state == "pending", deliveries.c.created_at < stuck_since)
                    .order_by(deliveries.c.id)
                )
            ],
        }

    def retry(self, conn: Connection, delivery_id: int) -> bool:
        """Put a dead (or cancelled) delivery back in the queue, due now, with its attempts reset."""
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_(["dead", "pending"]))
            .values(state="pending", attempts=0, next_attempt_at=utcnow(), lease_owner=None, lease_until=None)
        )
        if result.rowcount:
            row = conn.execute(select(deliveries.c.document_id).where(deliveries.c.id == delivery_id)).scalar()
            conn.execute(update(documents).where(documents.c.id == row).values(state="queued", error=None))
            self.store.log(conn, "retry", f"delivery {delivery_id} queued again by hand", delivery_id=delivery_id)
        return bool(result.rowcount)


def _pairs(rows: Any) -> Iterator[tuple[str, int]]:
    for key, count in rows:
        yield str(key), int(count)
