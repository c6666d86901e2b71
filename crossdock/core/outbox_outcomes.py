"""The dispatcher's records of what its sends came to (``outbox.py`` sends): each delivery's new state, its
document's, its event, an alert for a dead letter and the orders now delivered, in the transaction that also
counts the next attempt; and, once that commits, one log line for each failed send, dead letter or alert sent."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.config import Config
from crossdock.core.lifecycle.too_late import too_late
from crossdock.core.returns import refund_checks
from crossdock.core.returns.models import RefundSent
from crossdock.core.stock import results as stock_results
from crossdock.core.stock.models import StockSent
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.outbox_records import Claimed
from crossdock.core.storage.schema import deliveries, orders
from crossdock.core.storage.store import Store

log = logging.getLogger("crossdock.outbox")
alert_log = logging.getLogger("crossdock.alerts")


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.dead + self.lost_lease


@dataclass(slots=True)
class Outcome:
    """What one send came to, before it is recorded."""

    item: Claimed
    kind: str  # sent, retry, dead, late (a destination says it shipped the order: ``TooLate``)
    attempts: int
    detail: str  # the remote name when sent, else the error
    delay: float = 0.0


def write_outcomes(
    store: Store, conn: Connection, config: Config | None, outcomes: list[Outcome], report: DispatchReport, owner: str
) -> list[tuple[Outcome, dt.datetime]]:
    """Record the outcomes of sends for the deliveries ``owner`` still holds: their rows, their documents' states,
    their events, alerts for dead letters and the orders now delivered. Returns what the log is to be told once
    this commits (failed sends, dead letters, alerts sent)."""
    now = utcnow()
    held = store.still_held(conn, [o.item.id for o in outcomes], owner)
    rows: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    delivered: set[int] = set()
    told: list[tuple[Outcome, dt.datetime]] = []  # failed sends, dead letters, alerts sent
    for o in outcomes:
        item = o.item
        if item.id not in held:
            report.lost_lease += 1
            continue
        row: dict[str, Any] = {
            "_id": item.id,
            "attempts": o.attempts,
            "state": "pending",
            "sent_at": None,
            "remote_ref": None,
            "last_error": None,
            "next_attempt_at": now,
        }
        event = {"order_id": item.order_id, "document_id": item.document_id, "delivery_id": item.id}
        if o.kind == "sent":
            row.update(state="sent", sent_at=now, remote_ref=o.detail)
            docs.append({"_id": item.document_id, "state": "sent", "error": None})
            events.append({**event, "kind": "sent", "message": f"{item.purpose} sent to {item.sink}: {o.detail}"})
            if item.order_id is not None and item.purpose == "order":
                delivered.add(item.order_id)
            if item.purpose == "alert":
                told.append((o, now))
            if isinstance(o.detail, StockSent) and config is not None:  # refused SKUs, feeds to read back
                stock_results.record(store, conn, config, item, o.detail)
            if isinstance(o.detail, RefundSent) and config is not None:  # a refund's feed to read back, its answer
                refund_checks.record(store, conn, config, item, o.detail)
            report.sent += 1
        elif o.kind == "retry":
            row.update(last_error=o.detail, next_attempt_at=now + dt.timedelta(seconds=o.delay))
            events.append(
                {
                    **event,
                    "document_id": None,
                    "kind": "retry",
                    "message": f"{item.purpose} to "
                    f"{item.sink} failed (attempt {o.attempts}), next in {o.delay:.0f}s: {o.detail}",
                }
            )
            report.retried += 1
            report.errors.append(o.detail)
            told.append((o, row["next_attempt_at"]))
        elif o.kind == "late":  # nothing to retry: the order is marked shipped and a person told
            row.update(state="cancelled", last_error=f"too late: {o.detail}")
            docs.append({"_id": item.document_id, "state": "cancelled", "error": o.detail})
            if item.order_id is not None and config is not None:
                too_late(store, conn, config, item.order_id, item.sink, o.detail, item.document_id)
            report.dead += 1
            report.errors.append(o.detail)
        else:
            row.update(state="dead", last_error=o.detail)
            docs.append({"_id": item.document_id, "state": "dead", "error": o.detail})
            events.append(
                {**event, "kind": "dead", "message": f"{item.purpose} to {item.sink} dead-lettered: {o.detail}"}
            )
            if config is not None and item.purpose != "alert":
                raise_alert(
                    store,
                    conn,
                    config,
                    f"dead:{item.id}",
                    f"crossdock: {item.purpose} to {item.sink} dead-lettered",
                    f"Delivery {item.id} ({item.name}) gave up after {o.attempts} attempt(s): {o.detail}\n\n"
                    f"After fixing the cause: crossdock retry {item.id}",
                )
            report.dead += 1
            report.errors.append(o.detail)
            told.append((o, now))
        rows.append(row)
    store.finish_deliveries(conn, rows)
    store.update_documents(conn, docs)
    store.log_many(conn, events)
    if delivered:
        _orders_delivered(store, conn, delivered)
    return told


def tell(o: Outcome, next_attempt: dt.datetime) -> None:
    """One log line for a failed send (what, where, why, and what happens next), a dead letter, or an alert sent."""
    item = o.item
    if o.kind == "sent":
        subject = item.data.decode("utf-8", "replace").split("\n", 1)[0]  # an alert's first line is its subject
        fields = {"delivery": item.id, "sink": item.sink}
        alert_log.warning("alert sent to %s: %s", item.sink, subject.removeprefix("crossdock: "), extra=fields)
        return
    fields = {"delivery": item.id, "sink": item.sink, "purpose": item.purpose, "attempts": o.attempts}
    if o.kind == "retry":
        at = next_attempt.strftime("%Y-%m-%dT%H:%M:%SZ")
        log.warning(
            "delivery %s (%s) to %s failed, attempt %d, next attempt %s: %s",
            item.id,
            item.purpose,
            item.sink,
            o.attempts,
            at,
            o.detail,
            extra={**fields, "next_attempt": at, "reason": o.detail},
        )
    elif o.kind == "dead":
        log.error(
            "delivery %s (%s) to %s dead-lettered after %d attempt(s): %s; after fixing the cause: crossdock retry %s",
            item.id,
            item.purpose,
            item.sink,
            o.attempts,
            o.detail,
            item.id,
            extra={**fields, "reason": o.detail},
        )


def _orders_delivered(store: Store, conn: Connection, order_ids: set[int]) -> None:
    """An order is delivered when every one of its order deliveries is sent (or cancelled)."""
    still_open = set(
        conn.execute(
            select(deliveries.c.order_id)
            .where(deliveries.c.order_id.in_(order_ids), deliveries.c.purpose == "order")
            .where(deliveries.c.state.not_in(["sent", "cancelled"]))
        ).scalars()
    )
    done = order_ids - still_open
    if done:
        conn.execute(
            update(orders).where(orders.c.id.in_(done), orders.c.status == "routed").values(status="delivered")
        )
