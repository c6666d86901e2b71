"""The store: every document in and out, orders, the outbox, control numbers, cursors, leases and events.

SQLAlchemy Core on SQLite (default) or PostgreSQL, same code and same tests on both. The tables are in
``schema.py``; the alembic migrations in ``crossdock/migrations`` create and upgrade them when a store opens.

SQLite runs in WAL mode with a busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``: the
write lock is taken up front, so two writers (an APScheduler poll job and the dispatcher, or two
processes) queue for it instead of failing with "database is locked" when one upgrades a read to a write.
On PostgreSQL, workers claim deliveries with ``FOR UPDATE SKIP LOCKED`` and control numbers are rows
updated in the transaction that records the document, so a rollback returns the number and none is
ever skipped or used twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from crossdock.core.storage import blobs
from crossdock.core.storage.among import among
from crossdock.core.storage.blobs import chunked, reading, write_pieces
from crossdock.core.storage.coordination_records import CoordinationRecords
from crossdock.core.storage.engine import make_engine, utcnow
from crossdock.core.storage.inbound_records import UNLESS_LARGE, InboundRecords
from crossdock.core.storage.order_json import OrderText, write_order_text
from crossdock.core.storage.outbox_records import OutboxRecords
from crossdock.core.storage.schema import documents, events, orders
from crossdock.core.storage.turns import Turns

_DOCUMENT_FIELDS = (
    "direction",
    "data",
    "state",
    "endpoint",
    "remote_name",
    "identity",
    "kind",
    "partner",
    "sender",
    "error",
    "flags",
    "parent_id",
    "ack_state",
    "ack_due_at",
    "interchange_control",
    "group_control",
    "transaction_controls",
    "data_ref",
)
_DOCUMENTS_INSERT = (
    f"INSERT INTO documents (id, {', '.join(_DOCUMENT_FIELDS)}, sha256, size, created_at, updated_at) "
    f"VALUES ({', '.join(['?'] * (len(_DOCUMENT_FIELDS) + 5))})"
)


# Every column a new order row gives, read from the table so that a column added later is never dropped here.
_ORDER_FIELDS = tuple(c.name for c in orders.columns if c.name not in ("id", "created_at", "updated_at"))
_ORDERS_INSERT = (
    f"INSERT INTO orders (id, {', '.join(_ORDER_FIELDS)}, created_at, updated_at) "
    f"VALUES ({', '.join(['?'] * (len(_ORDER_FIELDS) + 3))})"
)
_DATA_AT = 1 + _DOCUMENT_FIELDS.index("data")  # where a document's bytes stand in its insert's values
_DOCUMENT_UNLESS_LARGE = UNLESS_LARGE.where(documents.c.id == bindparam("id"))
_DOCUMENTS_UNLESS_LARGE = UNLESS_LARGE.where(documents.c.id.in_(bindparam("ids", expanding=True)))


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    """``values`` in pieces small enough for one IN (...)."""
    return [values[i : i + size] for i in range(0, len(values), size)]


_EVENTS_INSERT = "INSERT INTO events (at, kind, message, order_id, document_id, delivery_id) VALUES (?, ?, ?, ?, ?, ?)"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _large(row: dict[str, Any]) -> bool:
    """A document whose own bytes the store is given in pieces (``blobs.write_pieces``)."""
    return not row.get("data_ref") and len(row["data"]) >= blobs.PIECES_AT


def _digest(data: bytes | OrderText) -> tuple[str, int]:
    """A document's sha256 and size; for one that refers to a large order's JSON, of that JSON as it sends it."""
    return data.document_digest() if isinstance(data, OrderText) else (sha256(data), len(data))


class Store(OutboxRecords, InboundRecords, CoordinationRecords):
    """The database and the operations on it; each operation runs inside a transaction the caller opens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        # SQLite has one writer at a time: this process's writers queue for it in order (turns.py)
        self._turns: AbstractContextManager[None] = nullcontext() if self.is_postgres else Turns()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        engine = make_engine(url)
        if migrate:
            from crossdock.core.storage.migrate import upgrade

            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self._turns, self.engine.begin() as conn:
            yield conn

    # --- documents ------------------------------------------------------------------------------------------

    def add_document(
        self,
        conn: Connection,
        *,
        direction: str,
        data: bytes,
        state: str,
        endpoint: str | None = None,
        remote_name: str | None = None,
        identity: str | None = None,
        kind: str | None = None,
        partner: str | None = None,
        sender: str | None = None,
        error: str | None = None,
        parent_id: int | None = None,
        interchange_control: str | None = None,
        group_control: str | None = None,
        transaction_controls: str | None = None,
        digest: str | None = None,
    ) -> int:
        now = utcnow()
        result = conn.execute(
            insert(documents).values(
                direction=direction,
                endpoint=endpoint,
                remote_name=remote_name,
                identity=identity,
                sha256=digest or sha256(data),
                size=len(data),
                data=data,
                kind=kind,
                partner=partner,
                sender=sender,
                state=state,
                error=error,
                parent_id=parent_id,
                interchange_control=interchange_control,
                group_control=group_control,
                transaction_controls=transaction_controls,
                created_at=now,
                updated_at=now,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_document(self, conn: Connection, document_id: int, **values: Any) -> None:
        conn.execute(update(documents).where(documents.c.id == document_id).values(updated_at=utcnow(), **values))

    def claim_document(self, conn: Connection, document_id: int) -> str:
        """The document's state, read under a row lock held to the end of the transaction (PostgreSQL; SQLite's
        BEGIN IMMEDIATE already serialises), so two workers never record the same document twice."""
        query = select(documents.c.state).where(documents.c.id == document_id)
        if self.is_postgres:
            query = query.with_for_update()
        return str(conn.execute(query).scalar_one())

    def claim_documents(self, conn: Connection, document_ids: list[int]) -> dict[int, str]:
        """``claim_document`` for many: their states, the rows locked to the end of the transaction."""
        found: dict[int, str] = {}
        for chunk in _chunks(document_ids):
            query = select(documents.c.id, documents.c.state).where(documents.c.id.in_(chunk))
            if self.is_postgres:
                query = query.with_for_update()
            found.update((int(i), str(state)) for i, state in conn.execute(query))
        return found

    def set_document_states(self, conn: Connection, states: list[tuple[int, str]], partner: str, kind: str) -> None:
        """Record many inbound documents' outcome at once: (document id, state) pairs, all from ``partner``."""
        now = utcnow()
        self.execute_many(
            conn,
            "UPDATE documents SET state = ?, partner = ?, kind = ?, updated_at = ? WHERE id = ?",
            [(state, partner, kind, now, document_id) for document_id, state in states],
        )

    def delete_document(self, conn: Connection, document_id: int) -> None:
        """Remove an outbound document that was never queued (an alert already raised); inbound ones are kept."""
        conn.execute(documents.delete().where(documents.c.id == document_id, documents.c.direction == "out"))

    def document(self, conn: Connection, document_id: int, *, large: bool = True) -> Row[Any] | None:
        """A document's row; without ``large`` the bytes of a large one are left in the store (``data`` None)."""
        if large:
            return conn.execute(select(documents).where(documents.c.id == document_id)).first()
        return conn.execute(_DOCUMENT_UNLESS_LARGE, {"id": document_id, "large_at": blobs.PIECES_AT}).first()

    def raw(self, document_id: int, data: bytes | None) -> AbstractContextManager[bytes | BinaryIO]:
        """A document's bytes: ``data`` when its row brought them, else read from the store as a stream, outside any
        transaction of the caller's (a large file is never held whole)."""
        if data is not None:
            return nullcontext(bytes(data))
        return reading(self.engine, documents, "data", document_id)

    def find_inbound(self, conn: Connection, endpoint: str, identity: str, digest: str) -> tuple[Any, Any]:
        """Earlier inbound documents from ``endpoint``: (the same remote object, the same bytes), each or None."""
        base = (
            select(documents.c.id, documents.c.state, documents.c.remote_name)
            .where(documents.c.direction == "in", documents.c.endpoint == endpoint)
            .order_by(documents.c.id)
            .limit(1)
        )
        same_object = conn.execute(base.where(documents.c.identity == identity)).first()
        if same_object is not None:
            return same_object, None
        return None, conn.execute(base.where(documents.c.sha256 == digest)).first()

    def find_inbound_many(
        self, conn: Connection, endpoint: str, wanted: list[tuple[str, str]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``find_inbound`` for many (identity, sha256) pairs at once: the earliest document per identity, and per
        digest among the pairs whose identity is new."""
        cols = select(
            documents.c.id, documents.c.state, documents.c.remote_name, documents.c.identity, documents.c.sha256
        ).where(documents.c.direction == "in", documents.c.endpoint == endpoint)
        by_identity: dict[str, Any] = {}
        for chunk in _chunks(sorted({identity for identity, _ in wanted})):
            for row in conn.execute(
                cols.where(among(documents.c.identity, chunk, postgres=self.is_postgres)).order_by(documents.c.id)
            ):
                by_identity.setdefault(row.identity, row)
        by_digest: dict[str, Any] = {}
        for chunk in _chunks(sorted({digest for identity, digest in wanted if identity not in by_identity})):
            for row in conn.execute(
                cols.where(among(documents.c.sha256, chunk, postgres=self.is_postgres)).order_by(documents.c.id)
            ):
                by_digest.setdefault(row.sha256, row)
        return by_identity, by_digest

    def documents_by_id(self, conn: Connection, document_ids: list[int], *, large: bool = True) -> dict[int, Row[Any]]:
        """Documents' rows by id; without ``large`` the bytes of large ones are left in the store (``data`` None)."""
        found: dict[int, Row[Any]] = {}
        for chunk in _chunks(document_ids):
            if large:
                rows = conn.execute(select(documents).where(among(documents.c.id, chunk, postgres=self.is_postgres)))
            else:
                rows = conn.execute(_DOCUMENTS_UNLESS_LARGE, {"ids": chunk, "large_at": blobs.PIECES_AT})
            for row in rows:
                found[int(row.id)] = row
        return found

    # --- orders ---------------------------------------------------------------------------------------------

    def find_orders(self, conn: Connection, channel: str, partner: str, external_ids: list[str]) -> dict[str, Any]:
        """The stored orders among ``external_ids``, by external id (locked on PostgreSQL until commit)."""
        found: dict[str, Any] = {}
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            columns = (orders.c.id, orders.c.external_id, orders.c.revision, orders.c.status, orders.c.data)
            query = select(*columns, orders.c.document_id, orders.c.version).where(
                orders.c.channel == channel,
                orders.c.partner == partner,
                among(orders.c.external_id, chunk, postgres=self.is_postgres),
            )
            if self.is_postgres:
                query = query.with_for_update()
            for row in conn.execute(query):
                found[row.external_id] = row
        return found

    def insert_orders(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new orders, returning their ids in order; a concurrent insert of the same order raises OrderRace.

        As for documents, the ids are taken first and the rows go in as one driver-level executemany: through
        SQLAlchemy's multi-row INSERT .. RETURNING this cost about 60 µs an order, a tenth of a one-PO file.
        """
        if not rows:
            return []
        now = utcnow()
        ids = self.new_ids(conn, "orders", len(rows))
        texts = {i: row["data"] for i, row in zip(ids, rows, strict=True) if isinstance(row["data"], OrderText)}
        params = [
            (id_, *("" if c == "data" and id_ in texts else row.get(c) for c in _ORDER_FIELDS), now, now)
            for id_, row in zip(ids, rows, strict=True)
        ]
        try:
            self.execute_many(conn, _ORDERS_INSERT, params)
        except IntegrityError as exc:
            raise OrderRace(str(rows[0].get("channel")), str(rows[0].get("partner")), "one of the orders") from exc
        for id_, text in texts.items():  # a large order's JSON, written in pieces
            write_order_text(conn, id_, text)
        return ids

    def insert_documents(self, conn: Connection, rows: list[dict[str, Any]], ids: list[int] | None = None) -> list[int]:
        """Insert documents, returning their ids in order (``ids`` when the caller took them with ``new_ids``).

        The ids are taken first (the table's sequence on PostgreSQL; on SQLite the next free ones, safe because
        ``BEGIN IMMEDIATE`` holds the write lock) and the rows go in as one driver-level executemany: half the
        cost of a multi-row INSERT .. RETURNING through SQLAlchemy, for a statement run for every document.
        """
        if not rows:
            return []
        now = utcnow()
        ids = ids if ids is not None else self.new_ids(conn, "documents", len(rows))
        large = {i: r["data"] for i, r in zip(ids, rows, strict=True) if _large(r)}
        params = []
        for id_, row in zip(ids, rows, strict=True):  # a plain loop: run for every document, it was 8% of a poll
            get = row.get
            values = [id_, *[get(c) for c in _DOCUMENT_FIELDS], *_digest(row["data"]), now, now]
            if id_ in large or get("data_ref"):  # no bytes of its own here: in pieces, or its order's JSON
                values[_DATA_AT] = b""
            params.append(tuple(values))
        self.execute_many(conn, _DOCUMENTS_INSERT, params)
        for id_, data in large.items():  # bound as one value, it would be copied twice more (blobs.py)
            write_pieces(conn, documents, "data", id_, len(data), chunked(data))
        return ids

    def new_ids(self, conn: Connection, table: str, count: int) -> list[int]:
        if self.is_postgres:
            sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)"
            return [int(v) for v in conn.exec_driver_sql(sql, (count,)).scalars()]
        top = int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar_one())
        return list(range(top + 1, top + 1 + count))

    def set_order_statuses(self, conn: Connection, statuses: list[tuple[str, int]]) -> None:
        """Set several orders' status at once: (status, order id) pairs."""
        now = utcnow()
        self.execute_many(
            conn, "UPDATE orders SET status = ?, updated_at = ? WHERE id = ?", [(st, now, i) for st, i in statuses]
        )

    def update_order(self, conn: Connection, order_id: int, **values: Any) -> None:
        conn.execute(update(orders).where(orders.c.id == order_id).values(updated_at=utcnow(), **values))

    def order(self, conn: Connection, order_id: int) -> Row[Any] | None:
        return conn.execute(select(orders).where(orders.c.id == order_id)).first()

    # --- events ---------------------------------------------------------------------------------------------

    def log(
        self,
        conn: Connection,
        kind: str,
        message: str,
        *,
        order_id: int | None = None,
        document_id: int | None = None,
        delivery_id: int | None = None,
    ) -> None:
        conn.execute(
            insert(events).values(
                at=utcnow(),
                kind=kind,
                message=message,
                order_id=order_id,
                document_id=document_id,
                delivery_id=delivery_id,
            )
        )

    def log_many(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Append events: several rows per order, so one driver-level executemany."""
        if not rows:
            return
        now = utcnow()
        params = [
            (now, r["kind"], r["message"], r.get("order_id"), r.get("document_id"), r.get("delivery_id")) for r in rows
        ]
        self.execute_many(conn, _EVENTS_INSERT, params)


class OrderRace(Exception):
    """Two workers inserted the same order at once; the loser's transaction is retried from the start."""

    def __init__(self, channel: str, partner: str, external_id: str) -> None:
        super().__init__(f"order {channel}/{partner}/{external_id} was inserted concurrently")


_COMPACT = json.JSONEncoder(separators=(",", ":"), default=str)  # what json.dumps would build for every call


def to_json(data: Any) -> str:
    """Compact JSON in the data's own key order (the models' field order, so equal data gives equal text)."""
    return _COMPACT.encode(data)
