"""Database engines: SQLite made safe for several writers, PostgreSQL with a checked pool."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError


def utcnow() -> dt.datetime:
    """Naive UTC, the one clock of the store (both engines compare it the same way)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")  # SQLAlchemy's DateTime text on SQLite
    return value


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _create_private(path)
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_connection.cursor()
        if cur.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new store gives purged pages back (retention.py):
            cur.execute("PRAGMA auto_vacuum=INCREMENTAL")  # set before WAL writes its first page; never on an old one
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # a read_only connection (blobs.snapshot: a large value read in pieces) takes no lock while it reads
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")

    return engine


def _create_private(path: str) -> None:
    """Create a new store's file readable by its owner only (0600): it holds raw documents and customers'
    names and addresses. SQLite gives its -wal and -shm files the same mode; an existing file is left as it is."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return _pg_engine(url)


PING_AFTER_IDLE = 1.0  # seconds a pooled PostgreSQL connection may sit unused and still be handed out unchecked


def _pg_engine(url: str) -> Engine:
    """A pool that checks a connection before handing it out only when it sat unused for a second or more.

    SQLAlchemy's ``pool_pre_ping`` checks at every checkout: one more round trip for every transaction, which was
    an eighth of a processing thread's time on one-PO files. A connection used a moment ago is as likely to be
    alive as one just pinged, and one that breaks mid-transaction fails its job either way (the job runs again);
    one that sat idle (a restarted server, a dropped link) is still found out before it is used.
    """
    engine = create_engine(url, pool_size=5, max_overflow=5)

    @event.listens_for(engine.pool, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["used"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("used", 0.0) < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:  # the pool drops it and hands out another
            raise DisconnectionError(f"a pooled connection no longer answers: {exc}") from exc

    return engine
