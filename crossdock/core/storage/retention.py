"""Retention: what is older than its kind's age goes, in small batches, and the space is given back.

Raw bytes of documents go first (90 days by default): the row stays, with its digest, size and the date its
bytes were purged, so lineage, ``documents show`` and a replay that explains itself still work. Orders that can
change no more (shipped, invoiced, cancelled) go later (400 days) with their thread: shipments, deliveries and
events. An open order is never purged, nor anything it still needs; a document goes only once no order,
delivery, shipment or child document points at it; nothing still waiting to be processed or sent is touched.

Each batch is its own transaction of at most ``batch`` rows, so a purge never holds the store for long. SQLite
gives the freed pages back with an incremental vacuum (a store created before this module needs one full
``VACUUM``, which ``crossdock purge`` runs once); PostgreSQL's autovacuum reuses the space of deleted rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, exists, not_, or_, select, update

from crossdock.core.configuration.house import CLOSED_STATUSES, DAY, RetentionConfig
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, events, order_holds, orders, shipments
from crossdock.core.storage.store import Store

log = logging.getLogger("crossdock.retention")

# How long the one-time VACUUM waits for other writers (a running ``crossdock run``) before giving up.
VACUUM_WAIT_MS = 60_000
# Documents still to be processed (in) or sent (out) keep everything.
_WORKING = ("received", "queued")


@dataclass
class Purged:
    """What a purge removed (or, dry, would remove), by kind of record."""

    raw_documents: int = 0
    raw_bytes: int = 0
    documents: int = 0
    orders: int = 0
    shipments: int = 0
    deliveries: int = 0
    events: int = 0
    batches: int = 0
    largest_batch: int = 0
    dry_run: bool = False
    vacuum: str = "none"
    cutoffs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        verb = "would purge" if self.dry_run else "purged"
        lines = [
            f"{verb}: raw bytes of {self.raw_documents:,} document(s) ({self.raw_bytes:,} bytes), "
            f"{self.documents:,} document(s), {self.orders:,} order(s), {self.shipments:,} shipment(s), "
            f"{self.deliveries:,} deliveries, {self.events:,} event(s) in {self.batches:,} batch(es)"
        ]
        lines += [f"  {kind}: older than {when}" for kind, when in self.cutoffs.items()]
        if self.vacuum != "none":
            lines.append(f"space given back: {self.vacuum}")
        return lines


def purged_note(document_id: int, when: dt.datetime | str) -> str:
    """Why a document's bytes are not there: what replay, resend and ``documents show --raw`` say (``when`` as
    the store gives it, or as the queries show it: ISO text)."""
    day = when.date().isoformat() if isinstance(when, dt.datetime) else when[:10]
    return f"document {document_id}: its raw bytes were purged on {day} (retention.raw); nothing to read"


def cutoffs(config: RetentionConfig, older_than_days: float | None = None) -> dict[str, dt.datetime]:
    """Per kind, the time before which a record goes: the configured ages, or one age for all."""
    now = utcnow()
    ages = {
        "raw": config.raw,
        "orders": config.orders,
        "deliveries": config.deliveries,
        "documents": config.documents,
        "events": config.events,
    }
    if older_than_days is not None:
        ages = dict.fromkeys(ages, older_than_days * DAY)
    return {kind: now - dt.timedelta(seconds=age) for kind, age in ages.items()}


def purge(
    store: Store,
    config: RetentionConfig,
    *,
    older_than_days: float | None = None,
    dry_run: bool = False,
    convert: bool = False,
) -> Purged:
    """Purge every kind in batches of ``config.batch`` rows, then give the space back (``convert``: see
    ``give_back``). Dry, the same work in one transaction that is rolled back: exact counts, nothing changed."""
    when = cutoffs(config, older_than_days)
    result = Purged(dry_run=dry_run, cutoffs={k: v.isoformat(sep=" ", timespec="seconds") for k, v in when.items()})
    steps: list[Callable[[Connection], int]] = [
        lambda c: _orders(c, when["orders"], config.batch, result),
        lambda c: _deliveries(c, when["deliveries"], config.batch, result),
        lambda c: _documents(c, when["documents"], config.batch, result),
        lambda c: _events(c, when["events"], config.batch, result),
        lambda c: _raw(c, when["raw"], config.batch, result),
    ]
    if dry_run:
        conn = store.engine.connect()
        trans = conn.begin()
        try:
            for step in steps:
                while _counted(step(conn), result):
                    pass
        finally:
            trans.rollback()
            conn.close()
        return result
    for step in steps:
        while True:
            with store.transaction() as conn:
                if not _counted(step(conn), result):
                    break
    result.vacuum = give_back(store, convert=convert)
    if result.batches:
        log.info("retention: %s", result.lines()[0])
    return result


def _counted(rows: int, result: Purged) -> bool:
    if rows:
        result.batches += 1
        result.largest_batch = max(result.largest_batch, rows)
    return rows > 0


def _open_order(order_id: Any) -> ColumnElement[bool]:
    return exists().where(orders.c.id == order_id, orders.c.status.not_in(CLOSED_STATUSES))


def _ids(conn: Connection, query: Any) -> list[int]:
    return [int(i) for i in conn.execute(query).scalars()]


def _orders(conn: Connection, before: dt.datetime, batch: int, result: Purged) -> int:
    """Closed orders last changed before ``before``, none with a delivery still pending, and their thread."""
    pending = exists().where(deliveries.c.order_id == orders.c.id, deliveries.c.state == "pending")
    ids = _ids(
        conn,
        select(orders.c.id)
        .where(orders.c.status.in_(CLOSED_STATUSES), orders.c.updated_at < before, not_(pending))
        .order_by(orders.c.id)
        .limit(batch),
    )
    if not ids:
        return 0
    sends = select(deliveries.c.id).where(deliveries.c.order_id.in_(ids))
    carried = select(deliveries.c.document_id).where(deliveries.c.order_id.in_(ids))
    now = utcnow()  # documents whose bytes were the order's JSON lose them with the order
    conn.execute(
        update(documents)
        .where(documents.c.id.in_(carried), documents.c.data_ref.is_not(None))
        .values(data_ref=None, purged_at=now, updated_at=now)
    )
    result.events += conn.execute(
        delete(events).where(or_(events.c.order_id.in_(ids), events.c.delivery_id.in_(sends)))
    ).rowcount
    result.deliveries += conn.execute(delete(deliveries).where(deliveries.c.order_id.in_(ids))).rowcount
    result.shipments += conn.execute(delete(shipments).where(shipments.c.order_id.in_(ids))).rowcount
    conn.execute(delete(order_holds).where(order_holds.c.order_id.in_(ids)))
    result.orders += conn.execute(delete(orders).where(orders.c.id.in_(ids))).rowcount
    return len(ids)


def _deliveries(conn: Connection, before: dt.datetime, batch: int, result: Purged) -> int:
    """Finished deliveries (sent, dead, cancelled) created before ``before``, of no open order."""
    ids = _ids(
        conn,
        select(deliveries.c.id)
        .where(deliveries.c.state != "pending", deliveries.c.created_at < before)
        .where(or_(deliveries.c.order_id.is_(None), not_(_open_order(deliveries.c.order_id))))
        .order_by(deliveries.c.id)
        .limit(batch),
    )
    if ids:
        result.deliveries += conn.execute(delete(deliveries).where(deliveries.c.id.in_(ids))).rowcount
    return len(ids)


def _documents(conn: Connection, before: dt.datetime, batch: int, result: Purged) -> int:
    """Documents created before ``before`` that nothing points at any more (children go before their parent)."""
    child = documents.alias("child")
    needed = or_(
        exists().where(orders.c.document_id == documents.c.id),
        exists().where(deliveries.c.document_id == documents.c.id),
        exists().where(shipments.c.document_id == documents.c.id),
        exists().where(child.c.parent_id == documents.c.id),
    )
    ids = _ids(
        conn,
        select(documents.c.id)
        .where(documents.c.created_at < before, documents.c.state.not_in(_WORKING), not_(needed))
        .order_by(documents.c.id.desc())
        .limit(batch),
    )
    if ids:
        result.documents += conn.execute(delete(documents).where(documents.c.id.in_(ids))).rowcount
    return len(ids)


def _events(conn: Connection, before: dt.datetime, batch: int, result: Purged) -> int:
    """Events before ``before`` that are not an open order's history."""
    ids = _ids(
        conn,
        select(events.c.id)
        .where(events.c.at < before)
        .where(or_(events.c.order_id.is_(None), not_(_open_order(events.c.order_id))))
        .order_by(events.c.id)
        .limit(batch),
    )
    if ids:
        result.events += conn.execute(delete(events).where(events.c.id.in_(ids))).rowcount
    return len(ids)


def _raw(conn: Connection, before: dt.datetime, batch: int, result: Purged) -> int:
    """Empty the bytes of documents created before ``before``, unless still to be processed or sent."""
    pending = exists().where(deliveries.c.document_id == documents.c.id, deliveries.c.state == "pending")
    rows = conn.execute(
        select(documents.c.id, documents.c.size)
        .where(documents.c.created_at < before, documents.c.purged_at.is_(None), documents.c.data_ref.is_(None))
        .where(documents.c.state.not_in(_WORKING), not_(pending))
        .order_by(documents.c.id)
        .limit(batch)
    ).all()
    if not rows:
        return 0
    now = utcnow()
    conn.execute(
        update(documents)
        .where(documents.c.id.in_([int(r.id) for r in rows]))
        .values(data=b"", purged_at=now, updated_at=now)
    )
    result.raw_documents += len(rows)
    result.raw_bytes += sum(int(r.size) for r in rows)
    return len(rows)


def give_back(store: Store, *, convert: bool = False) -> str:
    """Return SQLite's free pages to the file system; ``convert``: a store made before incremental vacuum gets
    one full ``VACUUM`` (long on a big store, and it holds the store meanwhile). PostgreSQL: autovacuum's job."""
    if store.is_postgres:
        return "autovacuum (PostgreSQL)"
    raw = store.engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        assert sqlite is not None
        mode = int(sqlite.execute("PRAGMA auto_vacuum").fetchone()[0])
        free = int(sqlite.execute("PRAGMA freelist_count").fetchone()[0])
        if mode == 2:
            if free:
                sqlite.executescript("PRAGMA incremental_vacuum;")  # stepped to the end: execute() frees one page
            return f"incremental vacuum ({free:,} page(s) freed)"
        if convert:
            sqlite.execute("PRAGMA auto_vacuum=INCREMENTAL")
            sqlite.execute(f"PRAGMA busy_timeout={VACUUM_WAIT_MS}")
            try:
                sqlite.execute("VACUUM")  # which makes the mode stick
            except sqlite3.OperationalError as exc:
                return f"none: VACUUM could not run ({exc}); run crossdock purge again while crossdock run is stopped"
            return "VACUUM (once: the store now gives space back incrementally)"
        return "none: this store predates incremental vacuum; crossdock purge runs one VACUUM to convert it"
    finally:
        raw.close()
