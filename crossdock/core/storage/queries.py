"""Read-only views of the store for the command line: lists, details and what needs a person."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from crossdock.core.acknowledgments.as2_receipts import receipts
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.order_json import document_bytes
from crossdock.core.storage.schema import cursors, deliveries, documents, events, orders, shipments
from crossdock.core.storage.store import Store


def utc_text(value: dt.datetime | str | None) -> str | None:
    """A store time as an operator reads it everywhere: UTC, ISO 8601, to the second, with its zone (``Z``).

    The store keeps naive UTC (``engine.utcnow``); cursors keep it as ISO text, which is read back the same way.
    """
    if value is None:
        return None
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat() + "Z"


def _row(row: Any) -> dict[str, Any]:
    return {k: (utc_text(v) if isinstance(v, dt.datetime) else v) for k, v in row._mapping.items()}


# Inbound document states that stop a document short of the flow until someone replays or dismisses it.
NEEDS_A_PERSON = ("failed", "rejected", "quarantined")

_DOC_COLUMNS = [c for c in documents.c if c.name != "data"]
# What ``status`` shows of a document or a delivery: what an operator acts on, not the store's bookkeeping
# (insert sentinels, a connector's raw identity of the remote object, idempotency keys, leases).
_STATUS_DOC_COLUMNS = [
    c for c in _DOC_COLUMNS if c.name not in ("insert_sentinel", "identity", "ack_document_id", "transaction_controls")
]
_STATUS_DELIVERY_COLUMNS = [c for c in deliveries.c if c.name not in ("key", "lease_owner", "lease_until")]


@dataclass(frozen=True, slots=True)
class Retried:
    """What ``retry`` did: ``state`` is the delivery's state before (None: there is no such delivery)."""

    delivery_id: int
    state: str | None
    queued: bool
    purpose: str | None = None
    sink: str | None = None
    document_id: int | None = None


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
        query = select(*cols).where(*_order_filters(po, partner, status)).order_by(orders.c.id.desc()).limit(limit)
        return [_row(r) for r in conn.execute(query)]

    def order_count(
        self, conn: Connection, *, po: str | None = None, partner: str | None = None, status: str | None = None
    ) -> int:
        """How many orders ``orders`` would list without its limit."""
        query = select(func.count()).select_from(orders).where(*_order_filters(po, partner, status))
        return int(conn.execute(query).scalar_one())

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
        where = _document_filters(direction, partner, state, name)
        query = select(*_DOC_COLUMNS).where(*where).order_by(documents.c.id.desc()).limit(limit)
        return [_row(r) for r in conn.execute(query)]

    def document_count(
        self,
        conn: Connection,
        *,
        direction: str | None = None,
        partner: str | None = None,
        state: str | None = None,
        name: str | None = None,
    ) -> int:
        """How many documents ``documents`` would list without its limit."""
        where = _document_filters(direction, partner, state, name)
        return int(conn.execute(select(func.count()).select_from(documents).where(*where)).scalar_one())

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
        out["mdns"] = receipts(conn, document_id)  # an AS2 message's receipt, as sent or received
        return out

    def data(self, conn: Connection, document_id: int) -> bytes | None:
        return document_bytes(conn, document_id)

    def _events(self, conn: Connection, where: Any) -> list[dict[str, Any]]:
        query = select(events.c.at, events.c.kind, events.c.message).where(where).order_by(events.c.id)
        return [_row(r) for r in conn.execute(query)]

    def problems(self, conn: Connection, stuck_after: float = 900.0) -> dict[str, list[dict[str, Any]]]:
        """What needs a person: failing sources, failed and quarantined documents, dead letters, unsent and held,
        retrying and stuck deliveries; and, apart from the failures, documents kept as duplicates."""
        docs = select(*_STATUS_DOC_COLUMNS).order_by(documents.c.id)
        sends = select(*_STATUS_DELIVERY_COLUMNS).order_by(deliveries.c.id)
        stuck_since = utcnow() - dt.timedelta(seconds=stuck_after)
        polls = conn.execute(select(cursors).where(cursors.c.name.like("poll:%")).order_by(cursors.c.name))
        return {
            "failing_sources": [
                _source_status(r.name.removeprefix("poll:"), json.loads(r.value))
                for r in polls
                if json.loads(r.value).get("error")
            ],
            "failed_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state.in_(NEEDS_A_PERSON)))],
            "duplicate_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state == "duplicate"))],
            "flagged_documents": [_row(r) for r in conn.execute(docs.where(documents.c.flags.is_not(None)))],
            "unsent_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state == "unsent"))],
            "held_documents": [_row(r) for r in conn.execute(docs.where(documents.c.state == "held"))],
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
            "dead_deliveries": [_row(r) for r in conn.execute(sends.where(deliveries.c.state == "dead"))],
            "retrying_deliveries": [
                _row(r) for r in conn.execute(sends.where(deliveries.c.state == "pending", deliveries.c.attempts > 0))
            ],
            "overdue_deliveries": [
                _row(r)
                for r in conn.execute(
                    sends.where(deliveries.c.state == "pending", deliveries.c.created_at < stuck_since)
                )
            ],
        }

    def retry(self, conn: Connection, delivery_id: int) -> Retried:
        """Put a dead (or pending) delivery back in the queue, due now, with its attempts reset; a sent or
        cancelled one is left as it is, and one that does not exist is said not to."""
        row = conn.execute(
            select(deliveries.c.state, deliveries.c.purpose, deliveries.c.sink, deliveries.c.document_id).where(
                deliveries.c.id == delivery_id
            )
        ).first()
        if row is None:
            return Retried(delivery_id, None, False)
        found = Retried(delivery_id, str(row.state), False, str(row.purpose), str(row.sink), int(row.document_id))
        result = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.state.in_(["dead", "pending"]))
            .values(state="pending", attempts=0, next_attempt_at=utcnow(), lease_owner=None, lease_until=None)
        )
        if not result.rowcount:
            return found
        conn.execute(update(documents).where(documents.c.id == row.document_id).values(state="queued", error=None))
        self.store.log(conn, "retry", f"delivery {delivery_id} queued again by hand", delivery_id=delivery_id)
        return Retried(delivery_id, found.state, True, found.purpose, found.sink, found.document_id)

    def document_exists(self, conn: Connection, document_id: int) -> bool:
        return conn.execute(select(documents.c.id).where(documents.c.id == document_id)).first() is not None


def _order_filters(po: str | None, partner: str | None, status: str | None) -> list[Any]:
    where: list[Any] = []
    if po:
        where.append(orders.c.po_number.like(po.replace("*", "%")))
    if partner:
        where.append(orders.c.partner == partner)
    if status:
        where.append(orders.c.status == status)
    return where


def _document_filters(direction: str | None, partner: str | None, state: str | None, name: str | None) -> list[Any]:
    where: list[Any] = []
    if direction:
        where.append(documents.c.direction == direction)
    if partner:
        where.append(documents.c.partner == partner)
    if state:
        where.append(documents.c.state == state)
    if name:
        where.append(documents.c.remote_name.like(name.replace("*", "%")))
    return where


def _source_status(name: str, value: dict[str, Any]) -> dict[str, Any]:
    """A source's last poll as ``status`` shows it: its times with their zone."""
    return {"source": name, **value, "at": utc_text(value.get("at")), "since": utc_text(value.get("since"))}


def _pairs(rows: Any) -> Iterator[tuple[str, int]]:
    for key, count in rows:
        yield str(key), int(count)
