"""Group commit for documents that arrive one a request (a channel's webhooks): the documents waiting at one
moment are stored in one transaction and recorded in one, then each waiting request is answered.

A request stored and recorded on its own costs two transactions and their queries for one order; a few dozen
requests at once then queue for the store's write lock one by one. Here each request hands its document to
its source's ``Intake`` and waits; one thread takes everything waiting (up to ``batch``), stores the raw bytes
(``ingest_many``, committed), records them (``process_many``: a channel's orders in one transaction), and only
then answers each request. The laws hold per document: nothing is answered as taken before its raw bytes and
everything it causes are committed; a document that cannot be recorded fails alone, its bytes kept; a store
that fails answers with the error, so the sender sends again, and what was committed stays committed.

Nothing here knows HTTP: a handler calls ``record`` (or waits on ``submit``'s future, from async code).
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from crossdock.core.errors import CrossdockError, PermanentError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import Ingested, ingest_many, process, process_many
from crossdock.core.plan import Processed
from crossdock.core.ports import Inbound

log = logging.getLogger("crossdock.intake")
BATCH = 100  # documents stored and recorded together at most (a channel's page)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What became of a document: stored (``new``, or found already stored), and ``processed`` when this
    request's group recorded it (None when it was recorded before, or is not to be)."""

    document_id: int
    new: bool
    state: str
    processed: Processed | None


def record_group(hub: Hub, source: str, items: list[Inbound]) -> list[Recorded | Exception]:
    """Store the raw bytes of ``items`` from ``source`` in one transaction, then record every new one in one
    more; each item's outcome, or the exception that kept it from being committed (its request must fail so
    the sender sends again). When the group's transaction fails, each item is tried alone, so one item's
    failure is only its own."""
    try:
        stored: list[Ingested | Exception] = list(ingest_many(hub, source, items))
    except Exception as exc:
        if len(items) == 1:
            return [exc]
        stored = [_stored_alone(hub, source, item) for item in items]
    received = (got.document_id for got in stored if isinstance(got, Ingested) and got.state == "received")
    todo = list(dict.fromkeys(received))  # once each: a webhook delivered twice in one group is one document
    done = _recorded(hub, todo)
    out: list[Recorded | Exception] = []
    for got in stored:
        if isinstance(got, Exception):
            out.append(got)
            continue
        if got.state == "refused":  # not stored: its sender must send it again
            out.append(PermanentError(got.reason or "refused by the store"))
            continue
        result = done.get(got.document_id)
        if isinstance(result, Exception):
            out.append(result)
        else:
            out.append(Recorded(got.document_id, got.new, result.state if result else got.state, result))
    return out


def _stored_alone(hub: Hub, source: str, item: Inbound) -> Ingested | Exception:
    try:
        return ingest_many(hub, source, [item])[0]
    except Exception as exc:
        return exc


def _recorded(hub: Hub, document_ids: list[int]) -> dict[int, Processed | Exception]:
    """The stored documents recorded together; when that fails as a whole, each alone (``process`` fails a bad
    document alone and keeps it; an error it raises leaves the document ``received`` for the next try)."""
    if not document_ids:
        return {}
    try:
        return {p.document_id: p for p in process_many(hub, document_ids)}
    except Exception as exc:
        if len(document_ids) == 1:
            return {document_ids[0]: exc}
        log.warning("recording %d documents together failed (%s): recording each alone", len(document_ids), exc)
    done: dict[int, Processed | Exception] = {}
    for document_id in document_ids:
        try:
            done[document_id] = process(hub, document_id)
        except Exception as exc:
            done[document_id] = exc
    return done


class Intake:
    """One source's documents, stored and recorded in groups by one thread (started on the first document,
    stopped by ``close`` after what is waiting is recorded)."""

    def __init__(self, hub: Hub, source: str, batch: int = BATCH) -> None:
        self.hub = hub
        self.source = source
        self.batch = batch
        self._waiting: queue.SimpleQueue[tuple[Inbound, Future[Recorded]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, item: Inbound) -> Recorded:
        """Store and record ``item`` with whatever else is waiting; raises what kept it from being committed."""
        return self.submit(item).result()

    def submit(self, item: Inbound) -> Future[Recorded]:
        answer: Future[Recorded] = Future()
        answer.set_running_or_notify_cancel()  # not cancellable: the document is committed or not all the same
        with self._lock:
            if self._closed:
                raise CrossdockError(f"{self.source}: the intake is closed (crossdock is stopping)")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"crossdock-intake-{self.source}", daemon=True)
                self._thread.start()
            self._waiting.put((item, answer))
        return answer

    def close(self) -> None:
        """Record what is waiting, then stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._waiting.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._waiting.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.batch:
                try:
                    more = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                group.append(more)
            self._answer(group)

    def _answer(self, group: list[tuple[Inbound, Future[Recorded]]]) -> None:
        try:
            outcomes = record_group(self.hub, self.source, [item for item, _ in group])
        except Exception as exc:  # a bug, not a store error: the requests fail, the thread goes on
            log.error("%s: recording %d documents failed", self.source, len(group), exc_info=exc)
            outcomes = [exc] * len(group)
        for (_, answer), outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Exception):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)
