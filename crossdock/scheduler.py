"""``crossdock run``: APScheduler polls each source on its schedule and keeps house, a thread of its own (or a child
process, ``outbox.process``) dispatches the outbox, woken as soon as this worker queues deliveries; and
when the configuration declares HTTP endpoints (http sources, channel webhooks), they are answered here too,
exactly as ``crossdock serve`` answers them.

Each job runs at most once at a time in this process (``max_instances=1``, missed runs coalesced), and a
source's poll also holds the source's lease in the store, so several processes on several machines can
run the same configuration without two of them reading the same folder at once. Processing is not tied to
the lease: every worker's processing thread claims stored documents nobody holds (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), so on one database the work grows with the workers.

A poll works in chunks (see ``poller``), so the dispatcher sends beside a long poll. SIGTERM or SIGINT sets the
worker's stop event: a poll ends after its chunk in hand, the dispatcher and the processing thread after their
batch, nothing is cut half-way, and what was not reached waits in the source or the store for the next start.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import InterfaceError, OperationalError

from crossdock.connectors.archives import prune_archives
from crossdock.core.acknowledgments.as2_receipts import overdue as as2_overdue
from crossdock.core.acknowledgments.reconcile import mark_overdue
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.connectors import Schedule
from crossdock.core.dispatch_loop import dispatch_rounds
from crossdock.core.dispatch_process import DispatchProcess
from crossdock.core.fulfilment.invoicing import invoice_day
from crossdock.core.fulfilment.ship_by import alert_late_orders
from crossdock.core.hub import Hub
from crossdock.core.metrics_counts import polling
from crossdock.core.pipeline import process_received
from crossdock.core.poller import poll
from crossdock.core.stock.catalogue import pushing
from crossdock.core.stock.incoming import pull
from crossdock.core.stock.inventory import publish
from crossdock.core.stock.push import push
from crossdock.core.storage.retention import purge
from crossdock.core.storage.workers import worker_id
from crossdock.server import Server, declared_paths, make_server, serve_in_background
from crossdock.signals import Signals

log = logging.getLogger("crossdock.scheduler")
STARTING = 60.0  # seconds the polls wait at most for the dispatcher's own process to open the store
PROCESS_CHUNK = 100  # stored documents claimed and recorded per transaction by the processing thread


def _trigger(schedule: Schedule) -> IntervalTrigger | CronTrigger:
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone="UTC")
    assert schedule.every is not None
    return IntervalTrigger(seconds=schedule.every)


def _guarded(name: str, job: Callable[[], Any]) -> Callable[[], None]:
    """A job that logs its failure and lets the next run try again, instead of killing the scheduler. A store
    that cannot be reached is said once per job, in one line, until the job works again (an outage would
    otherwise log a traceback from every job every few seconds)."""
    outage = _Outage(f"job {name}")

    def run() -> None:
        try:
            job()
        except Exception as exc:
            outage.failed(exc, "it runs again on its schedule")
        else:
            outage.worked()

    return run


class _Outage:
    """Whether one job last failed because the store could not be reached, so that is logged once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.down = False

    def failed(self, exc: Exception, then: str) -> None:
        if not isinstance(exc, OperationalError | InterfaceError):
            log.exception("%s failed; %s", self.name, then)
            return
        if not self.down:
            said = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            log.error("%s: the store cannot be reached (%s); %s", self.name, said, then)
        self.down = True

    def worked(self) -> None:
        if self.down:
            log.warning("%s: the store answers again", self.name)
        self.down = False


class Worker:
    """Everything ``crossdock run`` does, startable and stoppable from a test."""

    def __init__(self, config: Config, hub: Hub | None = None) -> None:
        self.config = config
        self.hub = hub or Hub(config)
        self.owner = worker_id()
        self.dispatcher = self.hub.dispatcher(self.owner)
        self.dispatching = DispatchProcess(config) if config.outbox.process else None  # else the sending thread
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max(4, len(config.sources) + 2))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone="UTC",
        )
        self.stopped = threading.Event()
        self.stopping = threading.Event()  # set first by stop(): running jobs end after the batch in hand
        self.received = threading.Event()  # a poll stored documents: the processing thread looks at once
        self.processing = threading.Thread(target=self._process, name="crossdock-process", daemon=True)
        self.queued = threading.Event()  # deliveries were queued here: the sending thread looks at once
        self.sending = threading.Thread(target=self._send, name="crossdock-dispatch", daemon=True)
        self.hub.on_queued = self.dispatching.wake if self.dispatching is not None else self.queued.set
        self.server: Server | None = None

    def _poll(self, name: str) -> None:
        shared = self.received if self.hub.store.is_postgres else None  # every worker processes what it stores
        with polling(name) as error:
            error[0] = (report := poll(self.hub, name, self.owner, stop=self.stopping, hand_off=shared)).error
        if report.error:
            return  # already logged and recorded by poll
        if report.received or report.already:
            said = "%s: %d new document(s), %d already stored"
            log.info(said, name, report.received, report.already, extra={"source": name})

    def _send(self) -> None:
        """Dispatch the outbox until the worker stops: batches back to back while there is work, then a wait of
        ``outbox.every`` that a delivery queued by this worker cuts short (``core.dispatch_loop``)."""
        outage = _Outage("job dispatch")

        def going() -> bool:
            return not self.stopping.is_set()

        while going():
            self.queued.clear()
            if not dispatch_rounds(self.dispatcher, going, outage, self.config.outbox.every):
                self.queued.wait(self.config.outbox.every)

    def _process(self) -> None:
        """Claim and record stored documents nobody holds, a chunk at a time, until the worker stops: on
        PostgreSQL every worker's thread shares what any poll stored; on SQLite, where a poll records what it
        stores, this finishes what a crash left. Woken by a poll of this worker, else it looks every
        ``process_every`` seconds."""
        outage = _Outage("processing stored documents")
        while not self.stopping.is_set():
            self.received.clear()
            try:
                claimed = len(process_received(self.hub, PROCESS_CHUNK))
            except Exception as exc:
                outage.failed(exc, f"trying again in {self.config.process_every} s")
                claimed = 0
            else:
                outage.worked()
            if claimed < PROCESS_CHUNK:
                self.received.wait(self.config.process_every)

    def _running(self) -> bool:
        """For /readyz: the jobs are scheduled and the processing thread goes on."""
        child = self.sending.is_alive() if self.dispatching is None else self.dispatching.alive()
        return bool(self.scheduler.running) and self.processing.is_alive() and child and not self.stopping.is_set()

    def _housekeeping(self) -> None:
        mark_overdue(self.hub)
        alert_late_orders(self.hub)
        as2_overdue(self.hub.store, self.config)

    def start(self) -> None:
        for name, source in self.config.sources.items():
            if source.type in ("http", "as2"):
                continue  # posted to, not polled: the server below answers it
            self.scheduler.add_job(
                _guarded(f"poll {name}", functools.partial(self._poll, name)),
                _trigger(source.schedule),
                id=f"poll:{name}",
                name=f"poll {name}",
                next_run_time=_now(),
            )
        for name, partner in self.config.partners.items():
            if partner.invoice == "daily":
                self.scheduler.add_job(
                    _guarded(f"invoices {name}", functools.partial(invoice_day, self.hub, name)),
                    _trigger(partner.invoice_schedule),
                    id=f"invoices:{name}",
                    name=f"invoices {name}",
                )
        for name, feed in self.config.inventory.items():
            self.scheduler.add_job(
                _guarded(f"inventory {name}", functools.partial(publish, self.hub, name)),
                _trigger(feed.schedule),
                id=f"inventory:{name}",
                name=f"inventory {name}",
            )
        if pushing(self.config):
            self.scheduler.add_job(
                _guarded("stock push", functools.partial(push, self.hub)),
                _trigger(self.config.stock.push),
                id="stock-push",
                name="stock push",
            )
        for name, stock_source in self.config.stock.sources.items():
            self.scheduler.add_job(
                _guarded(f"stock {name}", functools.partial(pull, self.hub, name)),
                _trigger(stock_source.schedule),
                id=f"stock:{name}",
                name=f"stock {name}",
                next_run_time=_now(),
            )
        self.scheduler.add_job(
            _guarded("housekeeping", self._housekeeping),
            IntervalTrigger(seconds=self.config.housekeeping_every),
            id="housekeeping",
        )
        self.scheduler.add_job(
            _guarded("prune archives", functools.partial(prune_archives, self.config.sources)),
            IntervalTrigger(hours=6),
            id="prune-archives",
            next_run_time=_now(),
        )
        self.scheduler.add_job(
            _guarded("retention", functools.partial(purge, self.hub.store, self.config.retention)),
            IntervalTrigger(seconds=self.config.retention.every),
            id="retention",
        )
        paths = declared_paths(self.config)
        if paths or self.config.server.metrics:  # whatever serve would answer, answered here too
            self.server = make_server(self.hub, scheduler=self._running)  # bound first: a port in use stops run
        if self.dispatching is not None:  # sending from the first poll on; a child that fails is restarted
            self.dispatching.start()
            self.dispatching.wait_ready(STARTING)
        self.scheduler.start()
        self.processing.start()
        if self.dispatching is None:
            self.sending.start()
        if self.server is not None:
            serve_in_background(self.server)
            host, port = self.server.server_address[:2]
            log.info("answering http://%s:%s: %s", host, port, ", ".join([*paths, "/healthz", "/readyz", "/metrics"]))
        log.info(
            "crossdock running as %s: %d source(s), %d sink(s)",
            self.owner,
            len(self.config.sources),
            len(self.config.sinks),
        )

    def stop(self) -> None:
        self.stopping.set()
        self.received.set()
        self.queued.set()
        if self.dispatching is not None:
            self.dispatching.stop(wait=False)  # the child ends its batch while the jobs end theirs
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if self.processing.is_alive():
            self.processing.join()
        if self.sending.is_alive():
            self.sending.join()  # the batch in hand is finished and recorded
        if self.dispatching is not None:
            self.dispatching.stop()
        self.hub.close()
        self.stopped.set()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def run_forever(config: Config, hub: Hub | None = None) -> int:
    """Run until SIGTERM or SIGINT, then stop gracefully; returns the exit code."""
    worker = Worker(config, hub)
    signals = Signals()
    worker.start()
    try:
        log.info("received %s, stopping after the running jobs", signals.wait().name)
    finally:
        worker.stop()
    return 0
