"""The store: every document in and out, orders, the outbox, control numbers, cursors, leases and events.

SQLAlchemy Core on SQLite (default) or PostgreSQL, same code and same tests on both. The schema is created
and upgraded by the alembic migrations in ``crossdock/migrations`` when the store opens.

SQLite runs in WAL mode with a busy timeout, and every transaction starts with ``BEGIN IMMEDIATE``: the
write lock is taken up front, so two writers (an APScheduler poll job and the dispatcher, or two
processes) queue for it instead of failing with "database is locked" when one upgrades a read to a write.
On PostgreSQL, workers claim deliveries with ``FOR UPDATE SKIP LOCKED`` and control numbers are rows
updated in the transaction that records the document, so a rollback returns the number and none is
ever skipped or used twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    insert_sentinel,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),  # in / out
    Column("endpoint", String(64)),  # the source it came from or the sink it goes to
    Column("remote_name", String(1024)),
    Column("identity", String(1024)),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("kind", String(32)),  # x12, 997, 855, order-json ...
    Column("partner", String(64)),
    Column("sender", String(256)),
    Column("interchange_control", String(16)),
    Column("group_control", String(16)),
    Column("transaction_controls", String(256)),
    Column("state", String(16), nullable=False),
    Column("error", Text),
    Column("flags", String(256)),
    Column("parent_id", Id, ForeignKey("documents.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    insert_sentinel("insert_sentinel"),  # lets one multi-row INSERT .. RETURNING give ids in order on SQLite too
    Index("ix_documents_identity", "endpoint", "identity"),
    Index("ix_documents_sha256", "sha256"),
    Index("ix_documents_interchange", "partner", "direction", "interchange_control"),
    Index("ix_documents_state", "state"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("partner", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("po_number", String(128), nullable=False),
    Column("status", String(24), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("document_id", Id, ForeignKey("documents.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    insert_sentinel("insert_sentinel"),
    UniqueConstraint("channel", "partner", "external_id", name="uq_orders_natural_key"),
    Index("ix_orders_po_number", "po_number"),
    Index("ix_orders_status", "status"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("sink", String(64), nullable=False),
    Column("purpose", String(16), nullable=False),  # order, 997, 999, 855, alert
    Column("order_id", Id, ForeignKey("orders.id")),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("state", String(16), nullable=False),  # pending, sent, dead, cancelled
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", DateTime),
    Column("last_error", Text),
    Column("remote_ref", String(1024)),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_order", "order_id"),
)

sequences = Table(
    "sequences",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("until", DateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
    Column("order_id", Id),
    Column("document_id", Id),
    Column("delivery_id", Id),
    Index("ix_events_order", "order_id"),
    Index("ix_events_document", "document_id"),
)

_EVENTS_INSERT = "INSERT INTO events (at, kind, message, order_id, document_id, delivery_id) VALUES (?, ?, ?, ?, ?, ?)"

# Control numbers that an X12 envelope limits: ISA13 is nine digits, GS06 and ST02 nine at most.
CONTROL_LIMITS = {"isa": 999_999_999, "gs": 999_999_999, "st": 999_999_999}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")  # SQLAlchemy's DateTime text on SQLite
    return value


def utcnow() -> dt.datetime:
    """Naive UTC, the one clock of the store (both engines compare it the same way)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


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


class Store:
    """The database and the operations on it; each operation runs inside a transaction the caller opens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        engine = make_engine(url)
        if migrate:
            from crossdock.core.migrate import upgrade

            upgrade(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
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

    def delete_document(self, conn: Connection, document_id: int) -> None:
        """Remove an outbound document that was never queued (an alert already raised); inbound ones are kept."""
        conn.execute(documents.delete().where(documents.c.id == document_id, documents.c.direction == "out"))

    def document(self, conn: Connection, document_id: int) -> Row[Any] | None:
        return conn.execute(select(documents).where(documents.c.id == document_id)).first()

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

    def find_interchange(self, conn: Connection, partner: str, control: str, exclude: int) -> int | None:
        """The first other inbound document from ``partner`` that carried ISA13 ``control``."""
        query = (
            select(documents.c.id)
            .where(documents.c.partner == partner, documents.c.direction == "in")
            .where(documents.c.interchange_control == control, documents.c.id != exclude)
            .order_by(documents.c.id)
            .limit(1)
        )
        found = conn.execute(query).scalar()
        return int(found) if found is not None else None

    def documents_in_state(self, conn: Connection, state: str, limit: int = 100) -> list[int]:
        query = (
            select(documents.c.id)
            .where(documents.c.direction == "in", documents.c.state == state)
            .order_by(documents.c.id)
            .limit(limit)
        )
        return [int(i) for i in conn.execute(query).scalars()]

    # --- orders ---------------------------------------------------------------------------------------------

    def find_orders(self, conn: Connection, channel: str, partner: str, external_ids: list[str]) -> dict[str, Any]:
        """The stored orders among ``external_ids``, by external id (locked on PostgreSQL until commit)."""
        found: dict[str, Any] = {}
        for start in range(0, len(external_ids), 500):
            chunk = external_ids[start : start + 500]
            query = select(orders.c.id, orders.c.external_id, orders.c.revision, orders.c.data).where(
                orders.c.channel == channel, orders.c.partner == partner, orders.c.external_id.in_(chunk)
            )
            if self.is_postgres:
                query = query.with_for_update()
            for row in conn.execute(query):
                found[row.external_id] = row
        return found

    def insert_orders(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new orders, returning their ids in order; a concurrent insert of the same order raises OrderRace."""
        if not rows:
            return []
        now = utcnow()
        stmt = insert(orders).returning(orders.c.id, sort_by_parameter_order=True)
        try:
            result = conn.execute(stmt, [{**row, "created_at": now, "updated_at": now} for row in rows])
        except IntegrityError as exc:
            raise OrderRace(str(rows[0].get("channel")), str(rows[0].get("partner")), "one of the orders") from exc
        return [int(r[0]) for r in result]

    def insert_documents(self, conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Insert outbound documents, returning their ids in order."""
        if not rows:
            return []
        now = utcnow()
        params = [
            {
                "endpoint": None,
                "remote_name": None,
                "identity": None,
                "kind": None,
                "partner": None,
                "sender": None,
                "error": None,
                "flags": None,
                "parent_id": None,
                "interchange_control": None,
                "group_control": None,
                "transaction_controls": None,
                **row,
                "sha256": sha256(row["data"]),
                "size": len(row["data"]),
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ]
        result = conn.execute(insert(documents).returning(documents.c.id, sort_by_parameter_order=True), params)
        return [int(r[0]) for r in result]

    def enqueue_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Queue deliveries; a key already queued is left alone."""
        if not rows:
            return
        now = utcnow()
        ins = postgresql.insert(deliveries) if self.is_postgres else sqlite.insert(deliveries)
        params = [
            {
                **row,
                "next_attempt_at": row.get("next_attempt_at") or now,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            }
            for row in rows
        ]
        conn.execute(ins.on_conflict_do_nothing(), params)

    def update_order(self, conn: Connection, order_id: int, **values: Any) -> None:
        conn.execute(update(orders).where(orders.c.id == order_id).values(updated_at=utcnow(), **values))

    def order(self, conn: Connection, order_id: int) -> Row[Any] | None:
        return conn.execute(select(orders).where(orders.c.id == order_id)).first()

    # --- outbox ---------------------------------------------------------------------------------------------

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
            )
            .join(documents, documents.c.id == deliveries.c.document_id)
            .where(deliveries.c.id.in_(ids))
            .order_by(deliveries.c.id)
        )
        return [Claimed(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or f"document-{r[6]}", r[8], r[9]) for r in rows]

    def still_held(self, conn: Connection, delivery_ids: list[int], owner: str) -> set[int]:
        """Which of ``delivery_ids`` this worker still holds the lease on (locked on PostgreSQL)."""
        query = select(deliveries.c.id).where(deliveries.c.id.in_(delivery_ids), deliveries.c.lease_owner == owner)
        if self.is_postgres:
            query = query.with_for_update()
        return {int(i) for i in conn.execute(query).scalars()}

    def finish_deliveries(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write send outcomes (``_id`` plus the new values) and release their leases."""
        self._many(
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
        self._many(
            conn,
            "UPDATE documents SET state = ?, error = ?, updated_at = ? WHERE id = ?",
            [(r["state"], r["error"], now, r["_id"]) for r in rows],
        )

    def _many(self, conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
        """One driver-level executemany: for the statements run once per row of a batch, where SQLAlchemy's
        per-row parameter handling cost more than the statement (measured on the dispatcher and the event log).
        ``sql`` is written with ``?``; datetimes are stored as SQLAlchemy stores them on SQLite."""
        if not params:
            return
        if self.is_postgres:
            conn.exec_driver_sql(sql.replace("?", "%s"), params)
            return
        conn.exec_driver_sql(sql, [tuple(_sqlite_value(v) for v in row) for row in params])

    def delivery(self, conn: Connection, delivery_id: int) -> Row[Any] | None:
        return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()

    # --- control numbers ------------------------------------------------------------------------------------

    def next_numbers(self, conn: Connection, scope: str, kind: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of a sequence and return the first; rolled back with the caller."""
        ins = postgresql.insert(sequences) if self.is_postgres else sqlite.insert(sequences)
        conn.execute(ins.values(scope=scope, kind=kind, value=0).on_conflict_do_nothing())
        last = conn.execute(
            update(sequences)
            .where(sequences.c.scope == scope, sequences.c.kind == kind)
            .values(value=sequences.c.value + count)
            .returning(sequences.c.value)
        ).scalar_one()
        limit = CONTROL_LIMITS.get(kind)
        if limit is not None and last > limit:
            raise OverflowError(f"control number sequence {scope}/{kind} passed {limit}")
        return int(last) - count + 1

    # --- cursors and leases ---------------------------------------------------------------------------------

    def cursor(self, conn: Connection, name: str) -> str | None:
        value = conn.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar()
        return str(value) if value is not None else None

    def set_cursor(self, conn: Connection, name: str, value: str) -> None:
        ins = postgresql.insert(cursors) if self.is_postgres else sqlite.insert(cursors)
        now = utcnow()
        stmt = ins.values(name=name, value=value, updated_at=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": now}))

    def acquire_lease(self, conn: Connection, name: str, owner: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` unless someone else holds it now; renewing your own lease succeeds."""
        now = utcnow()
        until = now + dt.timedelta(seconds=seconds)
        ins = postgresql.insert(leases) if self.is_postgres else sqlite.insert(leases)
        stmt = ins.values(name=name, owner=owner, until=until).on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": owner, "until": until},
            where=or_(leases.c.until < now, leases.c.owner == owner),
        )
        conn.execute(stmt)
        holder = conn.execute(select(leases.c.owner).where(leases.c.name == name)).scalar()
        return bool(holder == owner)

    def lease_holder(self, conn: Connection, name: str) -> str | None:
        holder = conn.execute(select(leases.c.owner).where(leases.c.name == name)).scalar()
        return str(holder) if holder is not None else None

    def take_lease(self, conn: Connection, name: str, owner: str, previous: str, seconds: float) -> bool:
        """Take over a lease from ``previous`` (known dead), only if it still holds it."""
        until = utcnow() + dt.timedelta(seconds=seconds)
        result = conn.execute(
            update(leases).where(leases.c.name == name, leases.c.owner == previous).values(owner=owner, until=until)
        )
        return result.rowcount == 1

    def release_lease(self, conn: Connection, name: str, owner: str) -> None:
        conn.execute(leases.delete().where(leases.c.name == name, leases.c.owner == owner))

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
        self._many(conn, _EVENTS_INSERT, params)

    # --- reports --------------------------------------------------------------------------------------------

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


def _pairs(rows: Any) -> Iterator[tuple[str, int]]:
    for key, count in rows:
        yield str(key), int(count)


class OrderRace(Exception):
    """Two workers inserted the same order at once; the loser's transaction is retried from the start."""

    def __init__(self, channel: str, partner: str, external_id: str) -> None:
        super().__init__(f"order {channel}/{partner}/{external_id} was inserted concurrently")


def to_json(data: Any) -> str:
    """Compact JSON in the data's own key order (the models' field order, so equal data gives equal text)."""
    return json.dumps(data, separators=(",", ":"), default=str)


def _row(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row._mapping.items()}


# Inbound document states that stop a document short of the flow until someone replays or dismisses it.
NEEDS_A_PERSON = ("failed", "rejected", "quarantined", "duplicate")

_DOC_COLUMNS = [c for c in documents.c if c.name != "data"]


class Queries:
    """Read-only views for the command line: lists and details, as plain dictionaries."""

    def __init__(self, store: Store) -> None:
        self.store = store

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
        query = query.where(orders.c.id == int(ref)) if ref.isdigit() else query.where(orders.c.po_number == ref)
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
