"""The outbox dispatcher: claim due deliveries with a lease, send them, and record what happened.

Sending is at-least-once. A worker that dies mid-send leaves its lease to expire and another worker sends
the same bytes again under the same idempotency key (file sinks write the same name, so the second write
replaces the first). Transient failures are rescheduled by the one retry policy, up to its attempt limit,
then dead-lettered with the reason; permanent failures are dead-lettered at once. A dead delivery stays in
the store until ``crossdock retry`` puts it back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.connectors.base import X12_CONTENT_TYPE, Outbound, Sink
from crossdock.core.alerts import raise_alert
from crossdock.core.config import Config
from crossdock.core.engine import utcnow
from crossdock.core.errors import CrossdockError, PermanentError, TransientError
from crossdock.core.outbox_records import Claimed
from crossdock.core.retry import RetryPolicy
from crossdock.core.schema import deliveries, orders
from crossdock.core.store import Store
from crossdock.core.workers import worker_id

log = logging.getLogger("crossdock.outbox")
alert_log = logging.getLogger("crossdock.alerts")

FLUSH_SECONDS = 5.0  # outcomes are written at least this often, well inside any lease


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


class Dispatcher:
    def __init__(
        self,
        store: Store,
        sinks: Callable[[str], Sink],
        policy: RetryPolicy,
        *,
        config: Config | None = None,
        owner: str | None = None,
        batch: int = 100,
        lease: float = 120.0,
    ) -> None:
        self.store = store
        self.config = config
        self.sinks = sinks
        self.policy = policy
        self.owner = owner or worker_id()
        self.batch = batch
        self.lease = lease

    def run_once(self) -> DispatchReport:
        """Claim one batch, send it, and record the outcomes (every few seconds, and at the end)."""
        report = DispatchReport()
        with self.store.transaction() as conn:
            claimed = self.store.claim(conn, self.owner, limit=self.batch, lease=self.lease)
        outcomes: list[_Outcome] = []
        flushed = time.monotonic()
        for item in claimed:
            outcomes.append(self._send(item))
            if time.monotonic() - flushed > FLUSH_SECONDS:
                self._record(self._flush(outcomes), report)
                outcomes, flushed = [], time.monotonic()
        self._record(self._flush(outcomes), report)
        return report

    def _flush(self, outcomes: list[_Outcome]) -> list[_Outcome]:
        """Let each sink that took documents make them durable; a sink that cannot fails its sends."""
        failed: dict[str, CrossdockError] = {}
        for sink_name in {o.item.sink for o in outcomes if o.kind == "sent"}:
            flush = getattr(self.sinks(sink_name), "flush", None)
            if flush is None:
                continue
            try:
                flush()
            except CrossdockError as exc:
                failed[sink_name] = exc
            except Exception as exc:
                log.exception("flushing sink %s failed", sink_name)
                failed[sink_name] = TransientError(f"{type(exc).__name__}: {exc}")
        if not failed:
            return outcomes
        return [
            self._unsent(o, failed[o.item.sink]) if o.kind == "sent" and o.item.sink in failed else o for o in outcomes
        ]

    def _unsent(self, outcome: _Outcome, exc: CrossdockError) -> _Outcome:
        """A send its sink could not make durable: retried when that may pass, else dead, as a failed send."""
        if isinstance(exc, TransientError):
            return self._transient(outcome.item, outcome.attempts, exc)
        return _Outcome(outcome.item, "dead", outcome.attempts, str(exc))

    def drain(self, max_rounds: int = 1000) -> DispatchReport:
        """Dispatch until nothing is due (used by the demo, ``poll`` and tests)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total.sent += report.sent
            total.retried += report.retried
            total.dead += report.dead
            total.lost_lease += report.lost_lease
            total.errors.extend(report.errors)
            if report.claimed == 0:
                break
        return total

    def _send(self, item: Claimed) -> _Outcome:
        attempts = item.attempts + 1
        try:
            sink = self.sinks(item.sink)
            remote = sink.send(_outbound(item))
        except PermanentError as exc:
            return _Outcome(item, "dead", attempts, str(exc))
        except TransientError as exc:
            return self._transient(item, attempts, exc)
        except CrossdockError as exc:
            return _Outcome(item, "dead", attempts, str(exc))
        except Exception as exc:  # a bug or an unforeseen library error: retried like a transient one, then dead
            log.exception("delivery %s to %s failed unexpectedly", item.id, item.sink)
            return self._transient(item, attempts, TransientError(f"{type(exc).__name__}: {exc}"))
        return _Outcome(item, "sent", attempts, remote)

    def _transient(self, item: Claimed, attempts: int, exc: TransientError) -> _Outcome:
        if self.policy.gives_up(attempts):
            return _Outcome(item, "dead", attempts, f"gave up after {attempts} attempts: {exc}")
        return _Outcome(item, "retry", attempts, str(exc), self.policy.delay(attempts, exc))

    def _record(self, outcomes: list[_Outcome], report: DispatchReport) -> None:
        """Write the outcomes of sends in one transaction, for the deliveries this worker still holds."""
        if not outcomes:
            return
        store = self.store
        now = utcnow()
        with store.transaction() as conn:
            held = store.still_held(conn, [o.item.id for o in outcomes], self.owner)
            rows: list[dict[str, Any]] = []
            docs: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            delivered: set[int] = set()
            told: list[tuple[_Outcome, dt.datetime]] = []  # failed sends, dead letters, alerts sent
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
                    events.append(
                        {**event, "kind": "sent", "message": f"{item.purpose} sent to {item.sink}: {o.detail}"}
                    )
                    if item.order_id is not None and item.purpose == "order":
                        delivered.add(item.order_id)
                    if item.purpose == "alert":
                        told.append((o, now))
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
                else:
                    row.update(state="dead", last_error=o.detail)
                    docs.append({"_id": item.document_id, "state": "dead", "error": o.detail})
                    events.append(
                        {**event, "kind": "dead", "message": f"{item.purpose} to {item.sink} dead-lettered: {o.detail}"}
                    )
                    if self.config is not None and item.purpose != "alert":
                        raise_alert(
                            store,
                            conn,
                            self.config,
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
        for o, at in told:  # once committed, so the log never says what the store does not
            _tell(o, at)


def _tell(o: _Outcome, next_attempt: dt.datetime) -> None:
    """One log line for a failed send (what, where, why, and what happens next), a dead letter, or an alert sent."""
    item = o.item
    if o.kind == "sent":
        subject = _outbound(item).subject or ""
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


def _outbound(item: Claimed) -> Outbound:
    if item.purpose == "alert":
        text = item.data.decode("utf-8", "replace")
        return Outbound(item.name, item.data, item.key, "text/plain; charset=utf-8", subject=text.split("\n", 1)[0])
    if item.data.startswith(b"ISA"):  # every X12 document crossdock writes opens with its ISA
        return Outbound(item.name, item.data, item.key, X12_CONTENT_TYPE)
    return Outbound(name=item.name, data=item.data, idempotency_key=item.key)


@dataclass(slots=True)
class _Outcome:
    item: Claimed
    kind: str  # sent, retry, dead
    attempts: int
    detail: str  # the remote name when sent, else the error
    delay: float = 0.0


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
