"""Telling the channels: per channel, only the SKUs whose available-to-sell changed since the channel was last
told, as one ``StockPush`` delivery through the outbox to the channel's sink.

A channel has at most one stock delivery waiting. A newer push supersedes the waiting one: that delivery is
cancelled and its SKUs go into the new push with today's figures, so an older figure can never be sent after a
newer one, not even by a retry. A waiting push that a worker is sending at that moment is not touched: the new
one waits for the next run (``in flight``). What a channel was told moves from queued to told once its
delivery is sent. A push that failed for good (dead) is cancelled by the next push, which carries its SKUs with
today's figures: ``crossdock retry`` can never send its older figures after newer ones. A SKU the channel refused
(``stock_results``) is pushed again only when its figure changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.plan import delivery_key
from crossdock.core.stock.available import availability, reserve_unread
from crossdock.core.stock.catalogue import load, pushing
from crossdock.core.stock.models import STOCK, StockLevel, StockPush
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, stock_told


@dataclass
class Pushed:
    channel: str
    levels: list[StockLevel] = field(default_factory=list)
    key: str | None = None
    note: str = ""


def settle(conn: Connection, channel: str) -> None:
    """What the channel's sent stock deliveries carried becomes what it was told."""
    keys = (
        conn.execute(
            select(stock_told.c.queued_key)
            .where(stock_told.c.channel == channel, stock_told.c.queued_key.is_not(None))
            .distinct()
        )
        .scalars()
        .all()
    )
    for key in keys:
        found = conn.execute(select(deliveries.c.state, deliveries.c.sent_at).where(deliveries.c.key == key)).first()
        if found is None or found.state == "cancelled":
            values: dict[str, Any] = {"queued": None, "queued_key": None, "queued_at": None}
        elif found.state == "sent":
            values = {"told": stock_told.c.queued, "told_at": found.sent_at, "queued": None, "queued_key": None}
            values.update(refused=None, refused_said=None, refused_at=None)  # taken: no longer refused
        else:
            continue  # pending: still on its way; dead: its figure stays the base until it changes
        conn.execute(
            update(stock_told).where(stock_told.c.channel == channel, stock_told.c.queued_key == key).values(**values)
        )


def _serialise(conn: Connection, channel: str) -> bool:
    """On PostgreSQL, hold the channel's stock lock to the end of the transaction, so two workers never queue
    two pushes for one channel at once (SQLite's BEGIN IMMEDIATE already serialises). True when it was taken."""
    if conn.dialect.name != "postgresql":
        return False
    key = int.from_bytes(hashlib.sha256(f"stock:{channel}".encode()).digest()[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    return True


def _supersede(conn: Connection, channel: str) -> tuple[bool, list[str]]:
    """Cancel the channel's waiting stock deliveries, and its dead ones (so that no retry ever sends their older
    figures); returns their SKUs, to push again with today's figures. (False, []) when one is being sent now."""
    now = utcnow()
    older = conn.execute(
        select(deliveries.c.id, deliveries.c.key, deliveries.c.document_id, deliveries.c.lease_until).where(
            deliveries.c.sink == channel, deliveries.c.purpose == STOCK, deliveries.c.state.in_(("pending", "dead"))
        )
    ).all()
    if any(w.lease_until is not None and w.lease_until >= now for w in older):
        return False, []
    for w in older:
        done = conn.execute(
            update(deliveries)
            .where(deliveries.c.id == w.id, deliveries.c.state.in_(("pending", "dead")))
            .where(or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until < now))
            .values(state="cancelled", last_error="superseded by a newer stock push")
        ).rowcount
        if not done:
            return False, []
        conn.execute(update(documents).where(documents.c.id == w.document_id).values(state="cancelled", updated_at=now))
    keys = [w.key for w in older]
    skus: list[str] = []
    for i in range(0, len(keys), 500):
        mine = (stock_told.c.channel == channel) & stock_told.c.queued_key.in_(keys[i : i + 500])
        skus += conn.execute(select(stock_told.c.sku).where(mine)).scalars().all()
    return True, skus


def _told(conn: Connection, channel: str, skus: Sequence[str] | None) -> dict[str, Any]:
    query = select(stock_told).where(stock_told.c.channel == channel)
    rows: dict[str, Any] = {}
    if skus is None:
        rows.update((r.sku, r) for r in conn.execute(query))
    else:
        for i in range(0, len(skus), 500):
            rows.update((r.sku, r) for r in conn.execute(query.where(stock_told.c.sku.in_(skus[i : i + 500]))))
    return rows


def _changed(figures: Mapping[str, int], told: Mapping[str, Any], only_zero: bool, again: bool = False) -> list[str]:
    """The SKUs whose figure differs from what the channel was told (or has queued to it), and from the figure it
    refused for the SKU: a refused SKU is tried again only with a different figure, or ``again``."""
    changed = []
    for sku, qty in figures.items():
        row = told.get(sku)
        base = None if row is None else row.queued if row.queued is not None else row.told
        refused = row is not None and row.queued is None and row.refused == qty
        if refused and not again:
            continue
        if (base != qty or refused) and (not only_zero or qty == 0):
            changed.append(sku)
    return changed


def queue_channel(
    hub: Any,
    conn: Connection,
    channel: str,
    figures: Mapping[str, int],
    ids: Mapping[str, Mapping[str, str]],
    *,
    dry_run: bool = False,
    only_zero: bool = False,
    again: bool = False,
) -> Pushed:
    """Queue one push of what changed of ``figures`` (SKU -> available) for ``channel``; with ``only_zero``
    (the oversell guard) only the SKUs that reached zero; ``again``: with the SKUs it refused, figure unchanged."""
    store = hub.store
    settle(conn, channel)
    told = _told(conn, channel, list(figures))
    changed = _changed(figures, told, only_zero, again)
    result = Pushed(channel)
    if not changed:
        return result
    if not dry_run and _serialise(conn, channel):  # another worker may have queued for it meanwhile: read again
        settle(conn, channel)
        told = _told(conn, channel, list(figures))
        changed = _changed(figures, told, only_zero, again)
        if not changed:
            return result
    if dry_run:
        result.levels = [_level(sku, figures[sku], ids, told, hub.config.sources[channel]) for sku in sorted(changed)]
        return result
    free, merged = _supersede(conn, channel)
    if not free:
        result.note = "a stock push is being sent to it right now: the next run pushes"
        return result
    extra = [s for s in merged if s not in figures]
    if extra:  # a superseded push's SKUs not worked out here: work them out now
        channels = {channel: hub.config.sources[channel]}
        figures = {**figures, **availability(conn, channels, {channel: dict(ids)}, extra)[channel]}
        told.update(_told(conn, channel, extra))
    wanted = sorted(set(changed) | {s for s in merged if s in figures})
    source = hub.config.sources[channel]
    levels = [_level(sku, figures[sku], ids, told, source) for sku in wanted]
    as_of = dt.datetime.now(dt.UTC)
    key = delivery_key("stock-push", channel, as_of.isoformat(), *(f"{lv.sku}={lv.available}" for lv in levels))
    push = StockPush(channel=channel, push_id=key, as_of=as_of, levels=levels)
    doc = store.add_document(
        conn,
        direction="out",
        data=json.dumps(push.model_dump(mode="json"), separators=(",", ":")).encode(),
        state="queued",
        endpoint=channel,
        remote_name=f"stock-{channel}-{as_of:%Y%m%dT%H%M%S}-{key[:8]}.json",
        kind=STOCK,
        partner=channel,
    )
    store.enqueue(conn, key=key, sink=channel, purpose=STOCK, document_id=doc)
    _mark_queued(conn, store, channel, {lv.sku: lv.available for lv in levels}, key)
    result.levels, result.key = levels, key
    return result


def _level(
    sku: str, qty: int, ids: Mapping[str, Mapping[str, str]], told: Mapping[str, Any], source: Any
) -> StockLevel:
    own = dict(ids.get(sku, {}))
    location = own.pop("location_id", None) or source.stock.location_id
    row = told.get(sku)
    return StockLevel(sku=sku, available=qty, ids=own, location=location, told=row.told if row is not None else None)


def _mark_queued(conn: Connection, store: Any, channel: str, levels: Mapping[str, int], key: str) -> None:
    now = utcnow()
    ins = postgresql.insert(stock_told) if store.is_postgres else sqlite.insert(stock_told)
    rows = [{"channel": channel, "sku": s, "queued": q, "queued_key": key, "queued_at": now} for s, q in levels.items()]
    for i in range(0, len(rows), 500):
        stmt = ins.values(rows[i : i + 500])
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["channel", "sku"],
                set_={"queued": stmt.excluded.queued, "queued_key": stmt.excluded.queued_key, "queued_at": now},
            )
        )


def push(
    hub: Any, *, channels: Sequence[str] | None = None, dry_run: bool = False, retry_refused: bool = False
) -> list[Pushed]:
    """Work out every pushing channel's figures now and queue what changed (``crossdock stock push``); with
    ``retry_refused``, also the SKUs the channels refused, whose figure has not changed (after a fix)."""
    config = hub.config
    targets = pushing(config)
    if channels:
        targets = {n: s for n, s in targets.items() if n in channels}
    catalogue = load(config).by_channel()
    out = []
    with hub.store.transaction() as conn:
        reserve_unread(conn, config, catalogue)
        figures = availability(conn, targets, catalogue, None)
        for name in targets:
            ids = catalogue.get(name, {})
            out.append(queue_channel(hub, conn, name, figures[name], ids, dry_run=dry_run, again=retry_refused))
    return out
