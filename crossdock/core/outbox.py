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
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from crossdock.connectors.base import Outbound, Sink
from crossdock.core.errors import CrossdockError, PermanentError, TransientError
from crossdock.core.retry import RetryPolicy
from crossdock.core.store import Claimed, Store, deliveries, utcnow
from crossdock.core.workers import worker_id

log = logging.getLogger("crossdock.outbox")


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
        owner: str | None = None,
        batch: int = 100,
        lease: float = 120.0,
    ) -> None:
        self.store = store
        self.sinks = sinks
        self.policy = policy
        self.owner = owner or worker_id()
        self.batch = batch
        self.lease = lease

    def run_once(self) -> DispatchReport:
        """Claim one batch and send it; returns what happened."""
        report = DispatchReport()
        with self.store.transaction() as conn:
            claimed = self.store.claim(conn, self.owner, limit=self.batch, lease=self.lease)
        for item in claimed:
            self._send(item, report)
        return report

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

    def _send(self, item: Claimed, report: DispatchReport) -> None:
        attempts = item.attempts + 1
        try:
            sink = self.sinks(item.sink)
            remote = sink.send(Outbound(name=item.name, data=item.data, idempotency_key=item.key))
        except PermanentError as exc:
            self._dead(item, attempts, str(exc), report)
        except TransientError as exc:
            if self.policy.gives_up(attempts):
                self._dead(item, attempts, f"gave up after {attempts} attempts: {exc}", report)
            else:
                self._retry(item, attempts, exc, report)
        except CrossdockError as exc:
            self._dead(item, attempts, str(exc), report)
        except Exception as exc:  # a bug or an unforeseen library error: retried like a transient one, then dead
            log.exception("delivery %s to %s failed unexpectedly", item.id, item.sink)
            error = TransientError(f"{type(exc).__name__}: {exc}")
            if self.policy.gives_up(attempts):
                self._dead(item, attempts, f"gave up after {attempts} attempts: {error}", report)
            else:
                self._retry(item, attempts, error, report)
        else:
            self._sent(item, attempts, remote, report)

    def _sent(self, item: Claimed, attempts: int, remote: str, report: DispatchReport) -> None:
        with self.store.transaction() as conn:
            if not self.store.finish_delivery(
                conn,
                item.id,
                self.owner,
                state="sent",
                attempts=attempts,
                sent_at=utcnow(),
                remote_ref=remote,
                last_error=None,
            ):
                report.lost_lease += 1
                return
            self.store.update_document(conn, item.document_id, state="sent")
            self.store.log(
                conn,
                "sent",
                f"{item.purpose} sent to {item.sink}: {remote}",
                order_id=item.order_id,
                document_id=item.document_id,
                delivery_id=item.id,
            )
            if item.order_id is not None and item.purpose == "order":
                _order_delivered(self.store, conn, item.order_id)
        report.sent += 1

    def _retry(self, item: Claimed, attempts: int, exc: TransientError, report: DispatchReport) -> None:
        delay = self.policy.delay(attempts, exc)
        with self.store.transaction() as conn:
            ok = self.store.finish_delivery(
                conn,
                item.id,
                self.owner,
                attempts=attempts,
                last_error=str(exc),
                next_attempt_at=utcnow() + dt.timedelta(seconds=delay),
            )
            if ok:
                self.store.log(
                    conn,
                    "retry",
                    f"{item.purpose} to {item.sink} failed (attempt {attempts}), next in {delay:.0f}s: {exc}",
                    order_id=item.order_id,
                    delivery_id=item.id,
                )
        if ok:
            report.retried += 1
            report.errors.append(str(exc))
        else:
            report.lost_lease += 1

    def _dead(self, item: Claimed, attempts: int, reason: str, report: DispatchReport) -> None:
        with self.store.transaction() as conn:
            ok = self.store.finish_delivery(
                conn, item.id, self.owner, state="dead", attempts=attempts, last_error=reason
            )
            if ok:
                self.store.update_document(conn, item.document_id, state="dead", error=reason)
                self.store.log(
                    conn,
                    "dead",
                    f"{item.purpose} to {item.sink} dead-lettered: {reason}",
                    order_id=item.order_id,
                    document_id=item.document_id,
                    delivery_id=item.id,
                )
        if ok:
            report.dead += 1
            report.errors.append(reason)
        else:
            report.lost_lease += 1


def _order_delivered(store: Store, conn: Connection, order_id: int) -> None:
    """An order is delivered when every one of its order deliveries is sent."""
    open_count = conn.execute(
        select(func.count())
        .select_from(deliveries)
        .where(deliveries.c.order_id == order_id, deliveries.c.purpose == "order", deliveries.c.state != "sent")
        .where(deliveries.c.state != "cancelled")
    ).scalar_one()
    if open_count == 0:
        row = store.order(conn, order_id)
        if row is not None and row.status == "routed":
            store.update_order(conn, order_id, status="delivered")
