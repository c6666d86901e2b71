"""Reading a source once: store each document, settle it remotely after the commit, then process it."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from crossdock.core.alerts import raise_alert
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.masking import masked
from crossdock.core.pipeline import ingest_many, process_many
from crossdock.core.plan import Processed
from crossdock.core.ports import Inbound, Refusing, Syncing, Watching
from crossdock.core.storage.among import among
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import orders
from crossdock.core.storage.store import to_json
from crossdock.core.storage.workers import is_dead_local

log = logging.getLogger("crossdock.poller")
# An API source's documents are stored, then recorded, this many at a time (one page of a channel's orders),
# the next ones read meanwhile. A file source's are read in chunks of up to this many files, this many bytes
# or this many seconds of reading, whichever comes first: a chunk is stored in one transaction, its files
# settled on the server after that commit, and its documents recorded together; between chunks the outbox
# gets its turn and a stopping worker stops. What a chunk costs whatever its size (its transactions and
# lookups) is shared by up to 500 small files, while the bytes bound keeps a chunk of large files to about
# what 100 files of 100 POs were.
API_BATCH = 100
FILE_CHUNK = 500
CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_SECONDS = 1.0


@dataclass(slots=True)
class PollReport:
    source: str
    skipped: str | None = None
    error: str | None = None
    received: int = 0
    already: int = 0
    processed: list[Processed] = field(default_factory=list)


def _batches(
    items: Iterator[Inbound],
    size: int,
    seconds: float | None = None,
    stop: threading.Event | None = None,
    most_bytes: int | None = None,
) -> Iterator[list[Inbound]]:
    """The source's documents ``size`` at a time (or as many as hold ``most_bytes``), or what ``seconds`` of
    reading gave, or what was read when ``stop`` is set; when the source fails mid-way, what it gave is still
    handed on (to be stored) before the error goes up."""
    batch: list[Inbound] = []
    began = time.monotonic()
    held = 0
    try:
        for item in items:
            batch.append(item)
            held += len(item.data)
            full = len(batch) >= size or (seconds is not None and time.monotonic() - began >= seconds)
            if full or (most_bytes is not None and held >= most_bytes) or (stop is not None and stop.is_set()):
                yield batch
                batch = []
                held = 0
                began = time.monotonic()
    except CrossdockError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


@contextmanager
def _read_ahead(batches: Iterator[list[Inbound]]) -> Iterator[Iterator[list[Inbound]]]:
    """The source's next batches read on a thread while this one is stored and recorded, so an API's latency
    overlaps crossdock's own work. Batches and the source's error come out in order, as they would unthreaded;
    the thread stops, and is joined, before the source's connection closes."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_on(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not hand_on("batch", batch):
                    return
        except BaseException as exc:  # handed to the polling thread, which raises it there
            hand_on("error", exc)
            return
        hand_on("end", None)

    def given() -> Iterator[list[Inbound]]:
        while True:
            kind, value = ahead.get()
            if kind == "error":
                raise value
            if kind == "end":
                return
            yield value

    reader = threading.Thread(target=read, name="crossdock-read-ahead", daemon=True)
    reader.start()
    try:
        yield given()
    finally:
        stop.set()
        reader.join()


def poll(
    hub: Hub,
    source_name: str,
    owner: str,
    *,
    lease: float = 300.0,
    progress: Callable[[PollReport], None] | None = None,
    stop: threading.Event | None = None,
    hand_off: threading.Event | None = None,
) -> PollReport:
    """Read one source once: store each document, settle it remotely after the commit, then process it.

    ``progress`` is shown the report so far after each batch (``crossdock poll`` draws its progress line with it).
    ``stop`` ends the poll after the chunk in hand (a worker told to stop): what was not read stays where it is,
    for the next poll. With ``hand_off`` a file source's documents are only stored: every worker's processing
    claims them (``process_received``), and the event is set after each chunk to wake this worker's.

    A source that fails (a refused login, a connection dropped mid-transfer) ends the poll with ``error``
    set and recorded for ``crossdock status``; what was stored before the failure stays stored, and what was
    not is read again next time.
    """
    report = PollReport(source_name)
    source_config = hub.config.sources.get(source_name)
    if source_config is not None and source_config.type in ("http", "as2"):
        report.skipped = "an http source is posted to, not polled (crossdock serve answers it)"
        return report
    store = hub.store
    lease_name = f"source:{source_name}"
    with store.transaction() as conn:
        if not store.acquire_lease(conn, lease_name, owner, lease):
            holder = store.lease_holder(conn, lease_name)
            stale = holder is not None and is_dead_local(holder)
            if not stale or not store.take_lease(conn, lease_name, owner, str(holder), lease):
                report.skipped = f"worker {holder} holds this source's lease"
                return report
            store.log(conn, "lease", f"took over {lease_name} from {holder}, which is no longer running")
    renewed = time.monotonic()  # the lease is renewed as the poll goes on, a tenth of its length apart
    watched: object = None  # the source, for _watched, even when the poll fails half-way
    looked = None
    try:
        source = watched = hub.source(source_name)
        sync = f"sync:{source_name}"
        if isinstance(source, Syncing):
            with store.transaction() as conn:
                source.since = store.cursor(conn, sync)
        if isinstance(source, Watching):
            with store.transaction() as conn:
                source.looks = looked = store.cursor(conn, f"looks:{source_name}")
        api = isinstance(source, Syncing)
        stopped = False
        with (
            source.receive() as items,
            _read_ahead(_batches(items, API_BATCH))
            if api
            else nullcontext(_batches(items, FILE_CHUNK, CHUNK_SECONDS, stop, CHUNK_BYTES)) as batches,
        ):
            for batch in batches:
                stored = ingest_many(hub, source_name, batch)
                for item, got in zip(batch, stored, strict=True):
                    if got.state == "refused":  # not stored: left on the server (pipeline.ingest_many)
                        continue
                    _settle(hub, source_name, item, got.document_id)
                    if got.new:
                        report.received += 1
                    else:
                        report.already += 1
                marks = [item.checkpoint for item in batch if item.checkpoint]
                checkpoint = (sync, marks[-1]) if marks else None
                todo = [got.document_id for got in stored if got.state == "received"]
                states: dict[int, str] = {}
                if todo and hand_off is not None and not api:
                    hand_off.set()
                elif todo:
                    report.processed.extend(done := process_many(hub, todo, checkpoint, skip_locked=True))
                    checkpoint = None  # saved with the orders it covers
                    states.update({p.document_id: p.state for p in done})
                _imported(hub, source_name, batch, [states.get(got.document_id, got.state) for got in stored], stored)
                if progress is not None:
                    progress(report)
                if checkpoint is not None or time.monotonic() - renewed > lease / 10:
                    with store.transaction() as conn:
                        if checkpoint is not None:  # documents stored and recorded by an earlier poll
                            store.set_cursor(conn, *checkpoint)
                        store.acquire_lease(conn, lease_name, owner, lease)
                    renewed = time.monotonic()
                if stop is not None and stop.is_set():
                    stopped = True
                    break
        if isinstance(source, Syncing) and source.reached and not stopped:  # read to the end, nothing in it to store
            with store.transaction() as conn:
                store.set_cursor(conn, sync, source.reached)
    except CrossdockError as exc:
        report.error = masked(str(exc), source_config)  # a peer may quote a secret back: never stored or logged
        log.warning("source %s: %s", source_name, report.error, extra={"source": source_name, "reason": report.error})
    finally:
        _watched(hub, source_name, watched, looked)
        with store.transaction() as conn:
            cursor = f"poll:{source_name}"
            previous = json.loads(store.cursor(conn, cursor) or "{}")
            since = previous.get("since") if previous.get("error") else utcnow().isoformat()
            status = {"at": utcnow().isoformat(), "error": report.error, "since": since if report.error else None}
            store.set_cursor(conn, cursor, to_json(status))
            if report.error:
                store.log(conn, "source_error", f"source {source_name}: {report.error}")
                raise_alert(
                    store,
                    conn,
                    hub.config,
                    f"source:{source_name}:{since}",
                    f"crossdock: source {source_name} fails",
                    f"{report.error}\n\nFailing since {since} UTC; nothing is lost, it is read again on the next poll.",
                )
            store.release_lease(conn, lease_name, owner)
    return report


def _settle(hub: Hub, source_name: str, item: Inbound, document_id: int) -> None:
    """Archive or delete the remote object; if that fails the document is safe and the next poll tries again."""
    try:
        item.settle()
    except CrossdockError as exc:
        said = masked(str(exc), hub.config.sources.get(source_name))
        with hub.store.transaction() as conn:
            hub.store.log(
                conn, "settle", f"{item.name} on {source_name} not archived yet: {said}", document_id=document_id
            )


def _imported(hub: Hub, source_name: str, batch: list[Inbound], states: list[str], stored: list[Any]) -> None:
    """Tell the source which documents are processed (``Inbound.imported``) and their orders routed: an order
    held (no route, a destination's document not written, an operator's hold) is not, so a channel hears "we will
    ship it" only once crossdock can. A failure is logged, and the next poll, reading the order again, tries again."""
    ids = [got.document_id for got, state in zip(stored, states, strict=True) if state == "processed"]
    held = _held(hub, ids) if ids else set()
    for item, state, got in zip(batch, states, stored, strict=True):
        if state != "processed" or got.document_id in held:
            continue
        try:
            item.imported()
        except CrossdockError as exc:
            said = masked(str(exc), hub.config.sources.get(source_name))
            with hub.store.transaction() as conn:
                hub.store.log(conn, "settle", f"{item.name} on {source_name}: {said}")


def _held(hub: Hub, document_ids: list[int]) -> set[int]:
    """Which of the documents made or last changed an order that is held."""
    query = select(orders.c.document_id).where(
        among(orders.c.document_id, document_ids, postgres=hub.store.is_postgres), orders.c.status == "held"
    )
    with hub.store.transaction() as conn:
        return set(conn.execute(query).scalars())


def _watched(hub: Hub, source_name: str, source: object, looked: str | None) -> None:
    """Keep what a file source saw for its next poll (when it changed); record and alert each file it refused."""
    looks = source.looks if isinstance(source, Watching) and source.looks != looked else None
    refused = source.refused if isinstance(source, Refusing) else []
    if looks is None and not refused:
        return
    with hub.store.transaction() as conn:
        if looks is not None:
            hub.store.set_cursor(conn, f"looks:{source_name}", looks)
        for reason in refused:
            hub.store.log(conn, "refused", reason)
            subject = f"crossdock: {source_name} refused a file"
            raise_alert(hub.store, conn, hub.config, f"refused:{reason}", subject, reason)


def joined(first: PollReport, then: PollReport) -> PollReport:
    """Two polls of one source as one report (a one-shot poll that took its second look)."""
    return PollReport(
        first.source,
        then.skipped,
        then.error,
        first.received + then.received,
        first.already + then.already,
        [*first.processed, *then.processed],
    )
