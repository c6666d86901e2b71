"""The stock ledger: the latest on-hand figure per SKU and location, and the movements recorded on top of it.

A figure (from an 846, a stock file, a 3PL's or an ERP's API) says how many were on hand at a time; an older
figure never replaces a newer one, whatever order they arrive in. A movement (units returned sellable, an
operator's adjustment) counts on top of the figure only when it happened after the figure was true: a newer
figure already includes it. A movement is recorded once per (SKU, location, reason, reference), so a replayed
receipt does not count its units twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.errors import CrossdockError
from crossdock.core.storage.engine import sqlite_value, utcnow
from crossdock.core.storage.schema import stock_levels, stock_movements

SKU_MAX = 128
LOCATION_MAX = 64
REASON_MAX = 32
REFERENCE_MAX = 256
QUANTITY_MAX = 1_000_000_000  # more than any real stock; bounds what a partner's file can make us store


@dataclass(frozen=True, slots=True)
class Figure:
    """On hand for a SKU at a location at a time, as a stock source reported it."""

    sku: str
    location: str
    on_hand: int
    as_of: dt.datetime
    source: str
    document_id: int | None = None


def naive_utc(at: dt.datetime) -> dt.datetime:
    """The store's clock: naive UTC (an aware time is converted, a naive one is taken as UTC already)."""
    return at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def _check(sku: str, location: str, quantity: int, what: str) -> None:
    if not sku or len(sku) > SKU_MAX:
        raise CrossdockError(f"stock: SKU {sku[:SKU_MAX]!r} must have 1 to {SKU_MAX} characters")
    if not location or len(location) > LOCATION_MAX:
        shown = location[:LOCATION_MAX]
        raise CrossdockError(f"stock: location {shown!r} for SKU {sku!r} must have 1 to {LOCATION_MAX} characters")
    if abs(quantity) > QUANTITY_MAX:
        raise CrossdockError(f"stock: {what} {quantity} for SKU {sku!r} at {location!r} is beyond {QUANTITY_MAX}")


def _insert(conn: Connection, table: object) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)  # type: ignore[arg-type]


def record_movement(
    conn: Connection, *, sku: str, location: str, delta: int, at: dt.datetime, reason: str, reference: str
) -> None:
    """Count ``delta`` units in (positive) or out (negative) of ``location`` at ``at``, on top of the latest
    figure for the SKU there; the same (sku, location, reason, reference) recorded again changes nothing."""
    _check(sku, location, delta, "movement")
    if not reason or len(reason) > REASON_MAX or not reference or len(reference) > REFERENCE_MAX:
        raise CrossdockError(
            f"stock: movement of {sku!r} needs a reason (up to {REASON_MAX} characters) "
            f"and a reference (up to {REFERENCE_MAX})"
        )
    stmt = _insert(conn, stock_movements).values(
        sku=sku,
        location=location,
        delta=delta,
        at=naive_utc(at),
        reason=reason,
        reference=reference,
        created_at=utcnow(),
    )
    conn.execute(stmt.on_conflict_do_nothing())


_UPSERT = (
    "INSERT INTO stock_levels (sku, location, on_hand, as_of, source, document_id, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand, "
    "as_of = excluded.as_of, source = excluded.source, document_id = excluded.document_id, "
    "updated_at = excluded.updated_at WHERE stock_levels.as_of <= excluded.as_of"
)
_ALL_LEVELS = "SELECT sku, location, on_hand FROM stock_levels"
_ALL_MOVED = (
    "SELECT m.sku, m.location, SUM(m.delta) FROM stock_movements m LEFT JOIN stock_levels l "
    "ON l.sku = m.sku AND l.location = m.location WHERE l.as_of IS NULL OR m.at > l.as_of GROUP BY m.sku, m.location"
)
_HELD_BY = 200  # SKUs one lookup of held times names: one statement text, compiled once


def record_figures(conn: Connection, figures: Sequence[Figure]) -> list[Figure]:
    """Keep each figure unless the store holds a newer one for its SKU and location; returns those kept.

    Written for the driver with one statement text each (a stock file holds 100,000s of figures, and building a
    statement of a different size for each chunk cost ten times the writing)."""
    for f in figures:
        _check(f.sku, f.location, f.on_hand, "on hand")
    latest: dict[tuple[str, str], Figure] = {}
    for f in figures:  # within one batch too, the newest figure wins
        key = (f.sku, f.location)
        if key not in latest or naive_utc(f.as_of) >= naive_utc(latest[key].as_of):
            latest[key] = f
    held = _held_times(conn, sorted({sku for sku, _ in latest}))
    kept = [f for key, f in latest.items() if key not in held or naive_utc(f.as_of) >= held[key]]
    now = _driver(conn, utcnow())
    rows = [
        (f.sku, f.location, f.on_hand, _driver(conn, naive_utc(f.as_of)), f.source[:64], f.document_id, now)
        for f in kept
    ]
    if rows:
        conn.exec_driver_sql(_sql(conn, _UPSERT), rows)
    return kept


def _sql(conn: Connection, text: str) -> str:
    return text.replace("?", "%s") if conn.dialect.name == "postgresql" else text


def _driver(conn: Connection, value: dt.datetime) -> Any:
    return value if conn.dialect.name == "postgresql" else sqlite_value(value)


def _stamp(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _held_times(conn: Connection, skus: list[str]) -> dict[tuple[str, str], dt.datetime]:
    held: dict[tuple[str, str], dt.datetime] = {}
    query = _sql(
        conn,
        f"SELECT sku, location, as_of FROM stock_levels WHERE sku IN ({', '.join(['?'] * _HELD_BY)})",
    )
    for i in range(0, len(skus), _HELD_BY):
        part = skus[i : i + _HELD_BY]
        part += [part[-1]] * (_HELD_BY - len(part))  # the same text every time
        held.update(((sku, loc), _stamp(as_of)) for sku, loc, as_of in conn.exec_driver_sql(query, tuple(part)))
    return held


def on_hand(conn: Connection, skus: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
    """On hand per (SKU, location): the latest figure plus the movements after it (none: from zero)."""
    totals: dict[tuple[str, str], int] = {}
    chunks: list[Sequence[str] | None] = [None]
    if skus is not None:
        chunks = [skus[i : i + 500] for i in range(0, len(skus), 500)]
    for part in chunks:
        levels = select(stock_levels.c.sku, stock_levels.c.location, stock_levels.c.on_hand)
        if part is not None:
            levels = levels.where(stock_levels.c.sku.in_(part))
        if part is None:  # every figure: read by the driver, 300,000 rows cost a third as much
            totals.update(((sku, loc), qty) for sku, loc, qty in conn.exec_driver_sql(_ALL_LEVELS))
        else:
            totals.update(((sku, loc), int(qty)) for sku, loc, qty in conn.execute(levels))
        m, lv = stock_movements, stock_levels
        moved = (
            select(m.c.sku, m.c.location, func.sum(m.c.delta))
            .select_from(m.outerjoin(lv, and_(lv.c.sku == m.c.sku, lv.c.location == m.c.location)))
            .where((lv.c.as_of.is_(None)) | (m.c.at > lv.c.as_of))
            .group_by(m.c.sku, m.c.location)
        )
        if part is not None:
            moved = moved.where(m.c.sku.in_(part))
        for sku, loc, delta in conn.execute(moved):
            totals[(sku, loc)] = totals.get((sku, loc), 0) + int(delta)
    return totals


def on_hand_by_location(conn: Connection, skus: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
    """``on_hand`` as location -> SKU -> on hand; for every SKU, read straight from the driver's cursor (the
    whole table is read each time availability is worked out: 300,000 rows for 100,000 SKUs at 3 locations)."""
    out: dict[str, dict[str, int]] = {}
    if skus is not None:
        for (sku, loc), qty in on_hand(conn, skus).items():
            out.setdefault(loc, {})[sku] = qty
        return out
    cursor = conn.connection.cursor()
    try:
        cursor.execute(_ALL_LEVELS)
        for sku, loc, qty in cursor.fetchall():
            found = out.get(loc)
            if found is None:
                found = out[loc] = {}
            found[sku] = qty
        cursor.execute(_ALL_MOVED)
        for sku, loc, delta in cursor.fetchall():
            found = out.setdefault(loc, {})
            found[sku] = found.get(sku, 0) + int(delta)
    finally:
        cursor.close()
    return out


def figures(conn: Connection, sku: str) -> list[tuple[str, int, dt.datetime, str]]:
    """A SKU's figures as held: (location, on hand, when it was true, source), by location."""
    query = (
        select(stock_levels.c.location, stock_levels.c.on_hand, stock_levels.c.as_of, stock_levels.c.source)
        .where(stock_levels.c.sku == sku)
        .order_by(stock_levels.c.location)
    )
    return [(str(loc), int(qty), as_of, str(src)) for loc, qty, as_of, src in conn.execute(query)]
