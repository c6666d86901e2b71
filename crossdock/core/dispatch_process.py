"""The outbox dispatcher of ``crossdock run`` in a child process of its own (``outbox.process: true``).

In one process the polls and the dispatcher take turns at Python's interpreter lock, so a worker uses one CPU core
however many the machine has. A child that only dispatches puts the sending (files written, requests made, outcomes
recorded) on a second core beside the polls. The child opens the same store and claims deliveries exactly as the
thread does (leases, attempts counted before each send), so a child killed mid-batch is no different from a
dispatcher thread killed mid-batch: its claims lapse and are sent again under the same keys.

The parent watches the child: a child that exits while the worker runs is logged with its exit code and started
again after a pause that doubles up to a minute (a child that cannot even start does not spin). On stop the parent
tells the child to stop after the batch in hand and waits for it, as the scheduler waits for the dispatcher thread.
The child stops by itself when its parent is gone, and leaves SIGINT to the parent (a Ctrl-C reaches the whole
process group). The parent stops the child with SIGTERM, as an operator may: the child ends its batch in hand.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from crossdock.core import metrics_counts
from crossdock.core.configuration.config import Config
from crossdock.core.dispatch_loop import dispatch_rounds
from crossdock.logs import JsonFormatter

log = logging.getLogger("crossdock.dispatch")
WAIT = 0.25  # seconds between looks at a SIGTERM while the child waits for its next round
FIRST_PAUSE = 1.0  # seconds before a child that died is started again; doubled each time, up to LONGEST_PAUSE
LONGEST_PAUSE = 60.0
STEADY = 60.0  # a child that ran this long before dying is started again after FIRST_PAUSE


def _child(config: Config, ready: Connection, woken: Connection, figures: Connection, level: str, form: str) -> None:
    """The child's life: dispatch until a SIGTERM (the parent's stop) or until orphaned.

    Nothing is shared with the parent but pipes: one to say it is ready, one the parent writes a byte to when it
    queued deliveries (``DispatchProcess.wake``), and one for what the child counted for /metrics, handed over
    after each round. A lock shared across processes (an ``Event``'s) stays taken forever when a child is killed
    holding it, and would hang the parent's stop."""
    from crossdock.core import heap
    from crossdock.core.hub import Hub
    from crossdock.core.storage.store import Store
    from crossdock.core.storage.workers import worker_id
    from crossdock.logs import for_service, setup, watch
    from crossdock.scheduler import _Outage

    termed: list[int] = []  # the signal handler only notes the signal, taking no lock
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent hears Ctrl-C and tells this child to stop
    signal.signal(signal.SIGTERM, lambda signum, _frame: termed.append(signum))
    setup(level, form)  # the parent's level and format, and its secrets kept out of the log
    watch(config)
    for_service(config.logging)
    hub = Hub(config, Store.open(config.store_url, migrate=False))  # the parent migrated it
    heap.settle()
    dispatcher = hub.dispatcher(worker_id())
    parent = mp.parent_process()
    ready.send_bytes(b"ready")
    ready.close()

    outage = _Outage("dispatching in its own process")  # a store outage is said once, not every round

    def going() -> bool:
        return not termed and (parent is None or parent.is_alive())

    os.set_blocking(woken.fileno(), False)
    metrics_counts.tap()
    try:
        while going():
            busy = dispatch_rounds(dispatcher, going, outage, config.outbox.every)
            _hand_over(figures, metrics_counts.taken())
            until = time.monotonic() + (0.0 if busy else config.outbox.every)  # after ROUNDS full batches: on
            while going() and (left := until - time.monotonic()) > 0:  # short waits: a SIGTERM is seen within one
                watched: list[Connection | int] = [woken] if parent is None else [woken, parent.sentinel]
                if woken in wait(watched, min(WAIT, left)):
                    _drain(woken)
                    break
    finally:
        _hand_over(figures, metrics_counts.taken())
        hub.close()


def _hand_over(figures: Connection, counted: list[metrics_counts.Counted]) -> None:
    """Send the parent what was counted (a parent that is gone hears nothing)."""
    if counted:
        with contextlib.suppress(OSError):
            figures.send(counted)


def _drain(woken: Connection) -> None:
    """Empty the wake-up pipe: any number of wake-ups since the last look ask for one round."""
    with contextlib.suppress(BlockingIOError):
        while os.read(woken.fileno(), 4096):
            pass


class DispatchProcess:
    """The child that dispatches, started, watched and restarted by the worker's process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._context = mp.get_context("spawn")  # a fresh interpreter: no store connection or thread is inherited
        self._lock = threading.Lock()  # a child is started, or told to stop, by one thread at a time
        self._stopping = threading.Event()
        self._child: BaseProcess | None = None
        self._ready: Connection | None = None
        self._wake: Connection | None = None  # the parent's end of the running child's wake-up pipe
        self._watcher = threading.Thread(target=self._watch, name="crossdock-dispatch-watch", daemon=True)
        self.restarts = 0

    def start(self) -> None:
        with self._lock:
            self._child = self._spawn()
        self._watcher.start()

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        return None if self._child is None else self._child.pid

    def alive(self) -> bool:
        """For /readyz: the child runs (a restart pending is not ready)."""
        return self._child is not None and self._child.is_alive()

    def wait_ready(self, timeout: float) -> bool:
        """Whether the running child opened its store within ``timeout`` seconds (true at once when it died)."""
        ready = self._ready
        return ready is not None and ready.poll(timeout)

    def wake(self) -> None:
        """Tell the child deliveries were queued, so it sends now rather than at its next look. Never blocks: a
        full pipe already holds a wake-up, and a child that is gone is started again by the watcher."""
        with self._lock, contextlib.suppress(OSError):  # the lock: a restart closes the old end (_spawn)
            if self._wake is not None:  # full (BlockingIOError), or the child gone (BrokenPipeError): no matter
                os.write(self._wake.fileno(), b"\0")

    def stop(self, *, wait: bool = True) -> None:
        """Tell the child to stop after its batch in hand (SIGTERM) and, with ``wait``, wait for it."""
        with self._lock:
            self._stopping.set()
            if self._child is not None and self._child.is_alive():
                self._child.terminate()
        if not wait:
            return
        if self._watcher.is_alive():
            self._watcher.join()
        elif self._child is not None:
            self._child.join()

    def _spawn(self) -> BaseProcess:
        for end in (self._ready, self._wake):
            if end is not None:
                end.close()
        self._ready, ready = self._context.Pipe(duplex=False)
        woken, self._wake = self._context.Pipe(duplex=False)
        os.set_blocking(self._wake.fileno(), False)
        counted, figures = self._context.Pipe(duplex=False)
        root = logging.getLogger()
        form = "json" if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers) else "text"
        level = logging.getLevelName(root.getEffectiveLevel())
        child = self._context.Process(
            target=_child, args=(self.config, ready, woken, figures, level, form), name="crossdock-dispatch"
        )
        child.start()
        for end in (ready, woken, figures):  # the child holds these ends
            end.close()
        threading.Thread(target=_count, args=(counted,), name="crossdock-dispatch-figures", daemon=True).start()
        log.info("outbox dispatcher running in process %s", child.pid)
        return child

    def _watch(self) -> None:
        pause = FIRST_PAUSE
        while True:
            child = self._child
            assert child is not None
            began = time.monotonic()
            child.join()
            if self._stopping.is_set():
                return
            if time.monotonic() - began >= STEADY:
                pause = FIRST_PAUSE
            log.error(
                "the outbox dispatcher's process %s exited with code %s; starting it again in %.0f s",
                child.pid,
                child.exitcode,
                pause,
            )
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, LONGEST_PAUSE)
            with self._lock:
                if self._stopping.is_set():
                    return
                self.restarts += 1
                self._child = self._spawn()


def _count(counted: Connection) -> None:
    """Count in this process what the child counted, until the child is gone (its pipe ends)."""
    try:
        while True:
            metrics_counts.replay(counted.recv())
    except (EOFError, OSError):
        pass
    finally:
        counted.close()
