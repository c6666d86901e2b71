"""The outbox's rows: queueing deliveries, claiming them under a lease, and recording what sending did.

A mixin of ``Store`` (it uses the store's engine and dialect), kept apart because it is the one part of the
store that workers on many machines contend for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, case, null, or_, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.storage.delivery_names import Unnamed, name_deliveries
from crossdock.core.storage.engine import sqlite_value, utcnow
from crossdock.core.storage.order_json import STREAMED_SIZE, resolve, streamed
from crossdock.core.storage.schema import OrderData, deliveries, documents, orders


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker holds the lease on, with the bytes to send."""

    id: int
    key: str
    sink: str
    purpose: str
    attempts: int
    order_id: int | None
    document_id: int
    name: str
    data: bytes
    kind: str | None = None
    streamed: bool = False  # a large order's JSON: ``data`` is empty, the bytes are read in pieces when sent


def _ids(delivery_ids: list[int]) -> str:
    """Delivery ids for ``IN (...)``: integers from the store, each made an int again before it is written."""
    return ", ".join(str(int(i)) for i in delivery_ids)


_ENQUEUE = (
    "INSERT INTO deliveries (key, sink, purpose, order_id, document_id, state, attempts, next_attempt_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (key) DO NOTHING"
)


class OutboxRecords:
    is_postgres: bool

    def enqueue_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Queue deliveries; a key already queued is left alone."""
        if not rows:
            return
        now = utcnow()
        self.execute_many(
            conn,
            _ENQUEUE,
            [
                (
                    row["key"],
                    row["sink"],
                    row["purpose"],
                    row.get("order_id"),
                    row["document_id"],
                    row.get("next_attempt_at") or now,
                    now,
                )
                for row in rows
            ],
        )

    def enqueue(
        self,
        conn: Connection,
        *,
        key: str,
        sink: str,
        purpose: str,
        document_id: int,
        order_id: int | None = None,
        not_before: dt.datetime | None = None,
    ) -> int | None:
        """Queue a delivery; a key already queued is left alone and None returned (a replay re-queues nothing)."""
        now = utcnow()
        stmt = (postgresql.insert(deliveries) if self.is_postgres else sqlite.insert(deliveries)).values(
            key=key,
            sink=sink,
            purpose=purpose,
            order_id=order_id,
            document_id=document_id,
            state="pending",
            attempts=0,
            next_attempt_at=not_before or now,
            created_at=now,
        )
        new_id = conn.execute(stmt.on_conflict_do_nothing().returning(deliveries.c.id)).scalar()
        return int(new_id) if new_id is not None else None

    def claim(self, conn: Connection, owner: str, *, limit: int, lease: float) -> list[Claimed]:
        """Take the lease on up to ``limit`` due deliveries that nobody else holds."""
        now = utcnow()
        query = (
            select(deliveries.c.id)
            .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= now)
            .where(or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        ids = [int(i) for i in conn.execute(query).scalars()]
        if not ids:
            return []
        until = now + dt.timedelta(seconds=lease)
        conn.execute(update(deliveries).where(deliveries.c.id.in_(ids)).values(lease_owner=owner, lease_until=until))
        rows = conn.execute(
            select(
                deliveries.c.id,
                deliveries.c.key,
                deliveries.c.sink,
                deliveries.c.purpose,
                deliveries.c.attempts,
                deliveries.c.order_id,
                deliveries.c.document_id,
                documents.c.remote_name,
                documents.c.data,
                documents.c.kind,
                documents.c.data_ref,
                type_coerce(case((documents.c.size >= STREAMED_SIZE, null()), else_=orders.c.data), OrderData),
                documents.c.size,
                deliveries.c.file_name,
            )
            .join(documents, documents.c.id == deliveries.c.document_id)
            .outerjoin(orders, (orders.c.id == deliveries.c.order_id) & documents.c.data_ref.is_not(None))
            .where(deliveries.c.id.in_(ids))
            .order_by(deliveries.c.id)
        ).all()
        named = name_deliveries(
            conn, [Unnamed(r[0], r[2], r[1], r[7] or f"document-{r[6]}") for r in rows if r[13] is None]
        )
        return [
            Claimed(*r[:7], r[13] or named[r[0]], resolve(r[8], r[10], r[11]), r[9], streamed(r[10], r[12]))
            for r in rows
        ]

    def begin_sends(self, conn: Connection, delivery_ids: list[int], owner: str, lease: float) -> dict[int, int]:
        """Count an attempt and renew the lease of each of ``delivery_ids`` this worker still holds, before it
        sends them: the attempt is committed first, so a send that kills the process still counts. Returns each
        held id's attempts; an id missing was taken by another worker and must not be sent.

        Written for the driver, as the other statements run once per send (building them through SQLAlchemy
        cost more than running them); the ids are the store's own integers, written into the statement."""
        sql = (
            f"UPDATE deliveries SET attempts = attempts + 1, lease_until = ? WHERE id IN ({_ids(delivery_ids)}) "
            "AND lease_owner = ? AND state = 'pending' RETURNING id, attempts"
        )
        rows = conn.exec_driver_sql(self._driver_sql(sql), (self._until(lease), owner)).all()
        return {int(r[0]): int(r[1]) for r in rows}

    def renew_claims(self, conn: Connection, delivery_ids: list[int], owner: str, lease: float) -> set[int]:
        """Extend the lease on those of ``delivery_ids`` this worker still holds and has not finished; returns
        those another worker holds now. On PostgreSQL a row this worker's sending transaction has locked is
        skipped (that transaction renews it itself), so the heartbeat never waits on it nor deadlocks with it."""
        ids = _ids(delivery_ids)
        mine = f"id IN ({ids}) AND lease_owner = ? AND state = 'pending'"
        if self.is_postgres:
            mine = f"id IN (SELECT id FROM deliveries WHERE {mine} FOR UPDATE SKIP LOCKED)"
        sql = f"UPDATE deliveries SET lease_until = ? WHERE {mine}"
        conn.exec_driver_sql(self._driver_sql(sql), (self._until(lease), owner))
        taken = f"SELECT id FROM deliveries WHERE id IN ({ids}) AND state = 'pending' AND lease_owner <> ?"
        return {int(i) for i in conn.exec_driver_sql(self._driver_sql(taken), (owner,)).scalars()}

    def _until(self, lease: float) -> Any:
        """When a lease taken now runs out, as the driver stores it."""
        until = utcnow() + dt.timedelta(seconds=lease)
        return until if self.is_postgres else sqlite_value(until)

    def release_claims(self, conn: Connection, is_dead: Callable[[str], bool]) -> list[str]:
        """Put back at once the deliveries held by owners ``is_dead`` names (processes known to be gone), so
        they are sent without waiting out the lease. Returns those owners."""
        owners = conn.execute(
            select(deliveries.c.lease_owner)
            .where(deliveries.c.state == "pending", deliveries.c.lease_owner.is_not(None))
            .distinct()
        ).scalars()
        dead = sorted(o for o in owners if is_dead(o))
        if dead:
            conn.execute(
                update(deliveries).where(deliveries.c.lease_owner.in_(dead)).values(lease_owner=None, lease_until=None)
            )
        return dead

    def still_held(self, conn: Connection, delivery_ids: list[int], owner: str) -> set[int]:
        """Which of ``delivery_ids`` this worker still holds the lease on (locked on PostgreSQL)."""
        sql = f"SELECT id FROM deliveries WHERE id IN ({_ids(delivery_ids)}) AND lease_owner = ?"
        if self.is_postgres:
            sql += " FOR UPDATE"
        return {int(i) for i in conn.exec_driver_sql(self._driver_sql(sql), (owner,)).scalars()}

    def finish_deliveries(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write send outcomes (``_id`` plus the new values) and release their leases."""
        self.execute_many(
            conn,
            "UPDATE deliveries SET state = ?, attempts = ?, sent_at = ?, remote_ref = ?, last_error = ?, "
            "next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
            [
                (
                    r["state"],
                    r["attempts"],
                    r["sent_at"],
                    r["remote_ref"],
                    r["last_error"],
                    r["next_attempt_at"],
                    r["_id"],
                )
                for r in rows
            ],
        )

    def update_documents(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Set ``state`` and ``error`` of several documents (``_id`` each)."""
        now = utcnow()
        self.execute_many(
            conn,
            "UPDATE documents SET state = ?, error = ?, updated_at = ? WHERE id = ?",
            [(r["state"], r["error"], now, r["_id"]) for r in rows],
        )

    def execute_many(self, conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
        """One driver-level executemany: for the statements run once per row of a batch, where SQLAlchemy's
        per-row parameter handling cost more than the statement (measured on the dispatcher and the event log).
        ``sql`` is written with ``?``; datetimes are stored as SQLAlchemy stores them on SQLite."""
        if not params:
            return
        if self.is_postgres:
            conn.exec_driver_sql(self._driver_sql(sql), params)
            return
        stamps: dict[Any, str] = {}  # a batch's rows share a few timestamps: each is formatted once

        def stamp(value: Any) -> str:
            text = stamps.get(value)
            if text is None:
                text = stamps[value] = sqlite_value(value)
            return text

        datetime = dt.datetime
        conn.exec_driver_sql(sql, [tuple([stamp(v) if isinstance(v, datetime) else v for v in row]) for row in params])

    def _driver_sql(self, sql: str) -> str:
        """SQL written with ``?`` in the driver's own placeholder style (psycopg takes ``%s``)."""
        return sql.replace("?", "%s") if self.is_postgres else sql

    def delivery(self, conn: Connection, delivery_id: int) -> Row[Any] | None:
        return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
