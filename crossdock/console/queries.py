"""What the console's pages read from the store: searches a page at a time (keyset: newest first, ``before`` an
id), a document's thread, and the figures of the Now page. Every read is bounded."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from crossdock.console.revisions import revisions
from crossdock.core.acknowledgments.as2_receipts import receipts
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.queries import NEEDS_A_PERSON, utc_text
from crossdock.core.storage.schema import cursors, deliveries, documents, events, order_holds, orders, shipments

PAGE = 50
LONGEST_TERM = 128
THREAD_MOST = 200  # documents shown in one thread
# what the thread's orders asked of a channel or a warehouse besides the order itself, each its own step
CHANNEL_CALLS = ("fulfilment", "cancel", "refund", "return", "stock")
ALERT_DAYS = 7
SLACK = dt.timedelta(minutes=10)

DOC_COLUMNS = [c for c in documents.c if c.name not in ("data", "insert_sentinel", "identity")]
ORDER_COLUMNS = [c for c in orders.c if c.name not in ("data", "insert_sentinel")]


@dataclass(frozen=True, slots=True)
class Filters:
    """A search: a term (PO or control number), and the fields it is narrowed by; all optional."""

    term: str = ""
    partner: str = ""
    channel: str = ""
    state: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def of(cls, params: Any) -> Filters:
        def text(name: str) -> str:
            return str(params.get(name) or "").strip()[:LONGEST_TERM]

        return cls(
            text("q"), text("partner"), text("channel"), text("state"), _date(text("since")), _date(text("until"))
        )


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def row(found: Any) -> dict[str, Any]:
    return {k: (utc_text(v) if isinstance(v, dt.datetime) else v) for k, v in found._mapping.items()}


def _dates(conn: Connection, table: Any, f: Filters) -> list[Any]:
    """The window ``f`` asks for, bounded also by id, so that a page newest first walks the primary key instead
    of sorting every row of the window (a day can hold 100,000). Ids grow with creation times but not exactly
    (a transaction stamps its rows before it inserts them), so the id bounds are those of the rows created
    ``SLACK`` outside the window: a row inside it is within them unless its transaction took longer than that."""
    where: list[Any] = []
    if f.since:
        start = dt.datetime.combine(f.since, dt.time())
        where.append(table.c.created_at >= start)
        first = select(table.c.id).where(table.c.created_at >= start - SLACK).order_by(table.c.created_at).limit(1)
        where.append(table.c.id >= (conn.execute(first).scalar() or 0))
    if f.until:
        end = dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time())
        where.append(table.c.created_at < end)
        if end + SLACK < utcnow():  # else no row is past the window: the newest by time need not be the last id
            last = select(table.c.id).where(table.c.created_at < end + SLACK).order_by(table.c.created_at.desc())
            where.append(table.c.id <= (conn.execute(last.limit(1)).scalar() or 0))
    return where


def _ways(term: str) -> list[Any]:
    """Each way a term names documents, a query of ids on its own index: ISA13, GS06, ST02, or the PO number of an
    order a document carries (one OR across them leads PostgreSQL to walk the whole table newest first)."""
    carried = orders.join(documents, documents.c.id == orders.c.document_id)
    return [
        select(documents.c.id).where(documents.c.interchange_control == term),
        select(documents.c.id).where(documents.c.group_control == term),
        select(documents.c.id).where(documents.c.transaction_controls == term),
        select(documents.c.id).distinct().select_from(carried).where(orders.c.po_number == term),
    ]


def search_orders(conn: Connection, f: Filters, before: int | None) -> list[dict[str, Any]]:
    """Orders matching ``f``, newest first, at most a page, older than ``before``."""
    where = _dates(conn, orders, f)
    if f.term:
        where.append(or_(orders.c.po_number == f.term, orders.c.external_id == f.term))
    if f.partner:
        where.append(orders.c.partner == f.partner)
    if f.channel:
        where.append(orders.c.channel == f.channel)
    if f.state:
        where.append(orders.c.status == f.state)
    if before:
        where.append(orders.c.id < before)
    query = select(*ORDER_COLUMNS).where(*where).order_by(orders.c.id.desc()).limit(PAGE)
    return [row(r) for r in conn.execute(query)]


def search_documents(conn: Connection, f: Filters, before: int | None) -> list[dict[str, Any]]:
    """Documents matching ``f``, newest first: the term is a control number (ISA13, GS06, ST02) or the PO number
    of an order the document carries; ``channel`` is the source or sink it came from or went to. With a term,
    each way of naming a document gives its own newest page below ``before`` and the newest of them make the
    page, so paging goes through every match however many there are."""
    where = _dates(conn, documents, f)
    if f.partner:
        where.append(documents.c.partner == f.partner)
    if f.channel:
        where.append(documents.c.endpoint == f.channel)
    if f.state:
        where.append(documents.c.state == f.state)
    if before:
        where.append(documents.c.id < before)
    if not f.term:
        query = select(*DOC_COLUMNS).where(*where).order_by(documents.c.id.desc()).limit(PAGE)
        return [row(r) for r in conn.execute(query)]
    found: set[int] = set()
    for way in _ways(f.term):
        newest = way.where(*where).order_by(documents.c.id.desc()).limit(PAGE)
        found.update(int(i) for i in conn.execute(newest).scalars())
    page = sorted(found, reverse=True)[:PAGE]
    query = select(*DOC_COLUMNS).where(documents.c.id.in_(page)).order_by(documents.c.id.desc())
    return [row(r) for r in conn.execute(query)]


def document(conn: Connection, document_id: int) -> dict[str, Any] | None:
    found = conn.execute(select(*DOC_COLUMNS).where(documents.c.id == document_id)).first()
    if found is None:
        return None
    out = row(found)
    sends = select(deliveries).where(deliveries.c.document_id == document_id).order_by(deliveries.c.id)
    out["deliveries"] = [row(r) for r in conn.execute(sends)]
    out["events"] = _events(conn, events.c.document_id == document_id)
    out["mdns"] = receipts(conn, document_id)  # the AS2 panel (as2 helper)
    return out


def thread(conn: Connection, document_id: int) -> list[dict[str, Any]]:
    """Every document linked to this one, oldest first: up its parents to the first, then down their children,
    the orders they carry and those orders' deliveries and shipments (850 -> 997 -> 855 -> 940 -> 945 -> 856 ...)."""
    root = document_id
    for _ in range(THREAD_MOST):
        parent = conn.execute(select(documents.c.parent_id).where(documents.c.id == root)).scalar()
        if parent is None:
            break
        root = int(parent)
    seen: set[int] = set()
    todo = [root]
    while todo and len(seen) < THREAD_MOST:
        batch = [i for i in todo if i not in seen][: THREAD_MOST - len(seen)]
        seen.update(batch)
        linked = set(conn.execute(select(documents.c.id).where(documents.c.parent_id.in_(batch))).scalars())
        order_ids = list(conn.execute(select(orders.c.id).where(orders.c.document_id.in_(batch))).scalars())
        if order_ids:
            linked |= set(
                conn.execute(select(deliveries.c.document_id).where(deliveries.c.order_id.in_(order_ids))).scalars()
            )
            shipped = select(shipments.c.document_id).where(shipments.c.order_id.in_(order_ids))
            linked |= {int(i) for i in conn.execute(shipped).scalars() if i is not None}
        todo = sorted(linked - seen)
    query = select(*DOC_COLUMNS).where(documents.c.id.in_(seen)).order_by(documents.c.id)
    return [row(r) for r in conn.execute(query)]


def channel_calls(conn: Connection, document_ids: list[int]) -> list[dict[str, Any]]:
    """The channel calls of the orders a thread's documents carry (fulfilment with tracking, cancel, refund, a
    return notice, a stock push), oldest first, each with its state and attempts: a call to a channel's API
    leaves no X12 behind, so the documents alone do not show it. Found by order (``purpose || ''``: SQLite would
    otherwise walk the purposes' index, every channel call of the store)."""
    if not document_ids:
        return []
    carried = select(orders.c.id).where(orders.c.document_id.in_(document_ids))
    sent = select(deliveries.c.order_id).where(deliveries.c.document_id.in_(document_ids))
    order_ids = {int(i) for q in (carried, sent) for i in conn.execute(q).scalars() if i is not None}
    if not order_ids:
        return []
    query = (
        select(
            deliveries.c.id,
            deliveries.c.order_id,
            deliveries.c.document_id,
            deliveries.c.sink,
            deliveries.c.purpose,
            deliveries.c.state,
            deliveries.c.attempts,
            deliveries.c.last_error,
            deliveries.c.created_at,
            deliveries.c.sent_at,
        )
        .where(deliveries.c.order_id.in_(sorted(order_ids)), (deliveries.c.purpose + "").in_(CHANNEL_CALLS))
        .order_by(deliveries.c.id)
        .limit(THREAD_MOST)
    )
    return [row(r) for r in conn.execute(query)]


def order(conn: Connection, order_id: int) -> dict[str, Any] | None:
    found = conn.execute(select(orders).where(orders.c.id == order_id)).first()
    if found is None:
        return None
    out = row(found)
    out["data"] = json.loads(found.data)
    sends = select(deliveries).where(deliveries.c.order_id == order_id).order_by(deliveries.c.id)
    out["deliveries"] = [row(r) for r in conn.execute(sends)]
    out["events"] = _events(conn, events.c.order_id == order_id)
    out["hold"] = conn.execute(select(order_holds.c.reason).where(order_holds.c.order_id == order_id)).scalar()
    ships = select(shipments.c.id, shipments.c.state, shipments.c.document_id, shipments.c.created_at)
    out["shipments"] = [row(r) for r in conn.execute(ships.where(shipments.c.order_id == order_id))]
    out["revisions"] = revisions(conn, order_id)
    return out


def _events(conn: Connection, where: Any) -> list[dict[str, Any]]:
    query = select(events.c.at, events.c.kind, events.c.message).where(where).order_by(events.c.id.desc()).limit(500)
    return [row(r) for r in conn.execute(query)][::-1]


def now(conn: Connection) -> dict[str, Any]:
    """What is happening today and what is broken right now: counts, not lists (the Search page lists)."""
    today = dt.datetime.combine(utcnow().date(), dt.time())
    per: dict[tuple[str, str], dict[str, int]] = {}
    counted = (
        select(documents.c.partner, documents.c.endpoint, documents.c.direction, documents.c.state, func.count())
        .where(documents.c.created_at >= today)
        .group_by(documents.c.partner, documents.c.endpoint, documents.c.direction, documents.c.state)
    )
    for partner, endpoint, direction, state, count in conn.execute(counted):
        figures = per.setdefault((str(partner or "-"), str(endpoint or "-")), {"in": 0, "out": 0, "failed": 0})
        figures[str(direction)] = figures.get(str(direction), 0) + int(count)
        if state in NEEDS_A_PERSON:
            figures["failed"] += int(count)
    pending = conn.execute(
        select(func.count(), func.min(deliveries.c.created_at)).where(deliveries.c.state == "pending")
    ).one()
    overdue = or_(
        documents.c.ack_state == "overdue", (documents.c.ack_state == "waiting") & (documents.c.ack_due_at < utcnow())
    )
    polls = conn.execute(select(cursors).where(cursors.c.name.like("poll:%")).order_by(cursors.c.name).limit(500))
    failing = []
    for poll in polls:
        value = json.loads(poll.value)
        if value.get("error"):
            failing.append(
                {
                    "source": poll.name.removeprefix("poll:"),
                    "error": str(value["error"])[:500],
                    "since": utc_text(value.get("since")),
                }
            )
    return {
        "today": sorted(
            ({"partner": p, "endpoint": e, **f} for (p, e), f in per.items()),
            key=lambda r: (r["partner"], r["endpoint"]),
        ),
        "failed": _count(conn, documents.c.state.in_(NEEDS_A_PERSON), documents),
        "held_orders": _count(conn, orders.c.status == "held", orders),
        "dead": _count(conn, deliveries.c.state == "dead", deliveries),
        "overdue_acks": _count(conn, overdue, documents),
        "outbox": int(pending[0]),
        "oldest": utc_text(pending[1]),
        "failing_sources": failing,
        "alerts": alerts(conn),
        "dead_letters": [
            row(r)
            for r in conn.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.sink,
                    deliveries.c.purpose,
                    deliveries.c.document_id,
                    deliveries.c.order_id,
                    deliveries.c.attempts,
                    deliveries.c.last_error,
                )
                .where(deliveries.c.state == "dead")
                .order_by(deliveries.c.id.desc())
                .limit(PAGE)
            )
        ],
    }


def alerts(conn: Connection) -> list[dict[str, Any]]:
    """The alerts of the last ``ALERT_DAYS`` days nobody has acknowledged, newest first."""
    since = utcnow() - dt.timedelta(days=ALERT_DAYS)
    first = select(documents.c.id).where(documents.c.created_at >= since).order_by(documents.c.created_at).limit(1)
    low = conn.execute(first).scalar()
    if low is None:
        return []
    acks = events.alias("acks")
    seen = select(acks.c.id).where(acks.c.document_id == documents.c.id, acks.c.kind == "acknowledged")
    query = (
        select(documents.c.id, documents.c.created_at, documents.c.remote_name, events.c.message)
        .join(events, (events.c.document_id == documents.c.id) & (events.c.kind == "alert"))
        .where(documents.c.kind == "alert", documents.c.id >= low, documents.c.created_at >= since, ~seen.exists())
        .order_by(documents.c.id.desc())
        .limit(PAGE)
    )
    return [row(r) for r in conn.execute(query)]


def _count(conn: Connection, where: Any, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
