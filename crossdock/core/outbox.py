"""The outbox dispatcher: claim due deliveries with a lease, send them, and record what happened.

Sending is at-least-once. A worker renews the lease on what it claimed while it works and sends only what it
still holds; each attempt is counted before its send. A worker that dies mid-send leaves its lease to lapse
(or, on the same host, to be released by the next process at once) and another worker sends the same bytes
again under the same idempotency key (file sinks write the same name, so the second write replaces the first).
Transient failures are rescheduled by the one retry policy, up to its attempt limit, then dead-lettered with
the reason; permanent failures are dead-lettered at once. A dead delivery stays in the store until
``crossdock retry`` puts it back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from functools import partial

from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError, TooLate, TransientError
from crossdock.core.masking import mask, secrets_of
from crossdock.core.metrics_counts import recorded, sending
from crossdock.core.outbox_outcomes import DispatchReport, Outcome, tell, write_outcomes
from crossdock.core.ports import X12_CONTENT_TYPE, Outbound, Sink
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.order_json import document_pieces
from crossdock.core.storage.outbox_records import Claimed
from crossdock.core.storage.store import Store
from crossdock.core.storage.workers import heartbeat, is_dead_local, worker_id

__all__ = ["DispatchReport", "Dispatcher"]

log = logging.getLogger("crossdock.outbox")


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
        lease: float = 15.0,
    ) -> None:
        self.store = store
        self.config = config
        self.sinks = sinks
        self.policy = policy
        self.owner = owner or worker_id()
        self.batch = batch
        self.lease = lease
        self._released = False  # dead local claims are released once, by the first round
        self._secrets: dict[str, list[str]] = {}

    def run_once(self) -> DispatchReport:
        """Claim one batch and send it, keeping its lease alive meanwhile. A send to a sink that takes documents
        as they come (HTTP, mail, an SFTP upload) has its outcome committed right after it; documents a sink
        delivers at ``flush`` (a folder's files, bundles) are flushed once for the batch and then recorded, since
        none of them is delivered before that. A kill so repeats at most the sends in flight."""
        report = DispatchReport()
        if not self._released:
            self._release_dead()
        with self.store.transaction() as conn:
            claimed = self.store.claim(conn, self.owner, limit=self.batch, lease=self.lease)
        if not claimed:
            return report
        held = {item.id for item in claimed}
        ids = sorted(held)

        def renew() -> None:
            with self.store.transaction() as conn:
                held.difference_update(self.store.renew_claims(conn, ids, self.owner, self.lease))

        with heartbeat(renew, self.lease / 3):
            later = {item.id: self._at_flush(item) for item in claimed}
            at_flush = [item for item in claimed if later[item.id]]
            self._one_by_one([item for item in claimed if not later[item.id]], held, report)
            if at_flush:
                self._record(self._flush(self._deliver(at_flush, held, report)), report)
        return report

    def _one_by_one(self, items: list[Claimed], held: set[int], report: DispatchReport) -> None:
        """Send each and commit its outcome before the next send, in one transaction with the next's attempt."""
        done: list[Outcome] = []
        for item in items:
            if self.policy.gives_up(item.attempts):
                done.append(self._poison(item))
                continue
            begun = self._record(done, report, begin=[item.id])
            done = []
            if item.id in begun and item.id in held:
                done.append(self._send(item, begun[item.id]))
            else:
                self._lost(item, report)
        self._record(done, report)

    def _at_flush(self, item: Claimed) -> bool:
        """Whether the sink delivers this document at its ``flush`` (a folder's files, SFTP bundles) rather than
        at ``send``; a sink with a flush and no ``at_flush`` delivers everything at its flush."""
        try:
            sink = self.sinks(item.sink)
        except Exception:
            return False  # no such sink: its send dead-letters with the reason
        if not callable(getattr(sink, "flush", None)):
            return False
        at_flush = getattr(sink, "at_flush", None)
        return bool(at_flush(_outbound(item))) if callable(at_flush) else True

    def _deliver(self, items: list[Claimed], held: set[int], report: DispatchReport) -> list[Outcome]:
        """Count an attempt for each item (committed), then send those this worker still holds. A delivery whose
        attempts are already used up was interrupted by crashes each time (a poison): it is dead, not sent."""
        outcomes: list[Outcome] = []
        todo: list[Claimed] = []
        for item in items:
            if self.policy.gives_up(item.attempts):
                outcomes.append(self._poison(item))
            else:
                todo.append(item)
        if not todo:
            return outcomes
        with self.store.transaction() as conn:
            begun = self.store.begin_sends(conn, [item.id for item in todo], self.owner, self.lease)
        for item in todo:
            if item.id in begun and item.id in held:
                outcomes.append(self._send(item, begun[item.id]))
            else:
                self._lost(item, report)
        return outcomes

    def _poison(self, item: Claimed) -> Outcome:
        why = f"gave up after {item.attempts} attempts, the last interrupted before its outcome was recorded"
        return Outcome(item, "dead", item.attempts, why)

    def _lost(self, item: Claimed, report: DispatchReport) -> None:
        """Another worker took this claim (its lease ran out): that worker sends it, not this one."""
        log.warning("delivery %s: lease lost to another worker, not sent", item.id)
        report.lost_lease += 1

    def _release_dead(self) -> None:
        """Put back at once what dead processes of this host had claimed, instead of waiting out their lease."""
        with self.store.transaction() as conn:
            dead = self.store.release_claims(conn, is_dead_local)
            if dead:
                self.store.log(conn, "lease", f"released the deliveries held by {', '.join(dead)}: not running")
        self._released = True

    def _mask(self, sink_name: str, text: str) -> str:
        """An error text with every secret of that sink's configuration masked."""
        secrets = self._secrets.get(sink_name)
        if secrets is None:
            config = self.config
            found = None if config is None else (config.sinks.get(sink_name) or config.sources.get(sink_name))
            secrets = self._secrets[sink_name] = [] if found is None else secrets_of(found)
        return mask(text, secrets)

    def _flush(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Let each sink that took documents make them durable. A sink that cannot fails all its sends; one that
        names the documents it could not make durable (by idempotency key) fails those alone."""
        sent = [o for o in outcomes if o.kind == "sent"]
        failed: dict[tuple[str, str], CrossdockError] = {}  # (sink, idempotency key) -> why
        for sink_name in {o.item.sink for o in sent}:
            flush = getattr(self.sinks(sink_name), "flush", None)
            if flush is None:
                continue
            try:
                refused = flush()
            except Exception as exc:
                error = exc if isinstance(exc, CrossdockError) else TransientError(f"{type(exc).__name__}: {exc}")
                if not isinstance(exc, CrossdockError):
                    log.error("flushing sink %s failed: %s", sink_name, self._mask(sink_name, str(error)))
                refused = {o.item.key: error for o in sent if o.item.sink == sink_name}
            if isinstance(refused, Mapping):
                failed |= {(sink_name, key): why for key, why in refused.items()}
        if not failed:
            return outcomes
        return [
            self._unsent(o, failed[(o.item.sink, o.item.key)])
            if o.kind == "sent" and (o.item.sink, o.item.key) in failed
            else o
            for o in outcomes
        ]

    def _unsent(self, outcome: Outcome, exc: CrossdockError) -> Outcome:
        """A send its sink could not make durable: retried when that may pass, else dead, as a failed send."""
        if isinstance(exc, TransientError):
            return self._transient(outcome.item, outcome.attempts, exc)
        return Outcome(outcome.item, "dead", outcome.attempts, self._mask(outcome.item.sink, str(exc)))

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

    def _send(self, item: Claimed, attempts: int) -> Outcome:
        """Send one delivery; what the sink raised becomes the outcome, its text masked (connector errors enter
        core here, and the text goes on to the store, the log and ``crossdock status``)."""
        try:
            sink = self.sinks(item.sink)
            with sending(item.sink):
                remote = sink.send(self._streamed(item, sink) if item.streamed else _outbound(item))
        except TransientError as exc:
            return self._transient(item, attempts, exc)
        except TooLate as exc:  # the destination shipped the order before its cancel or change: it wins
            return Outcome(item, "late", attempts, self._mask(item.sink, str(exc)))
        except CrossdockError as exc:  # permanent, or any other refusal: not retried
            return Outcome(item, "dead", attempts, self._mask(item.sink, str(exc)))
        except Exception as exc:  # a bug or an unforeseen library error: retried like a transient one, then dead
            error = TransientError(f"{type(exc).__name__}: {exc}")
            said = self._mask(item.sink, str(error))
            log.error("delivery %s to %s failed unexpectedly: %s", item.id, item.sink, said)
            return self._transient(item, attempts, error)
        return Outcome(item, "sent", attempts, remote)

    def _streamed(self, item: Claimed, sink: Sink) -> Outbound:
        """A large order's JSON: read from the store piece by piece by a sink that streams, whole for any other."""
        pieces = partial(document_pieces, self.store.engine, item.document_id)
        if getattr(sink, "streams", False):
            return Outbound(item.name, b"", item.key, stream=pieces, purpose=item.purpose)
        return Outbound(item.name, b"".join(pieces()), item.key, purpose=item.purpose)

    def _transient(self, item: Claimed, attempts: int, exc: TransientError) -> Outcome:
        said = self._mask(item.sink, str(exc))
        if self.policy.gives_up(attempts):
            return Outcome(item, "dead", attempts, f"gave up after {attempts} attempts: {said}")
        return Outcome(item, "retry", attempts, said, self.policy.delay(attempts, exc))

    def _record(
        self, outcomes: list[Outcome], report: DispatchReport, begin: list[int] | None = None
    ) -> dict[int, int]:
        """Write the outcomes of sends in one transaction, for the deliveries this worker still holds, and in the
        same transaction count the attempt of the ``begin`` deliveries sent next (``begin_sends``: their attempts)."""
        told: list[tuple[Outcome, dt.datetime]] = []  # failed sends, dead letters, alerts sent
        with self.store.transaction() as conn:
            if outcomes:
                told = write_outcomes(self.store, conn, self.config, outcomes, report, self.owner)
            begun = self.store.begin_sends(conn, begin, self.owner, self.lease) if begin else {}
        recorded((o.item.sink, o.item.purpose, o.kind) for o in outcomes)  # sends made, held or not
        for o, at in told:  # once committed, so the log never says what the store does not
            tell(o, at)
        return begun


def _outbound(item: Claimed) -> Outbound:
    if item.purpose == "alert":
        text = item.data.decode("utf-8", "replace")
        subject = text.split("\n", 1)[0]
        return Outbound(item.name, item.data, item.key, "text/plain; charset=utf-8", subject, purpose=item.purpose)
    if item.data.startswith(b"ISA"):  # every X12 document crossdock writes opens with its ISA
        return Outbound(item.name, item.data, item.key, X12_CONTENT_TYPE, purpose=item.purpose)
    return Outbound(name=item.name, data=item.data, idempotency_key=item.key, purpose=item.purpose)
