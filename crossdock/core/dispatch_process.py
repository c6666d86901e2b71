"""The outbox dispatcher of ``crossdock run`` in a child process of its own (``outbox.process: true``).

In one process the polls and the dispatcher take turns at Python's interpreter lock, so a worker uses one CPU core
however many the machine has. A child that only dispatches puts the sending (files written, requests made, outcomes
recorded) on a second core beside the polls. The child opens the same store and claims deliveries exactly as the
thread does (leases, attempts counted before each send), so a child killed mid-batch is no different from a
dispatcher thread killed mid-batch: its claims lapse and are sent again under the same keys.

The parent watches the child: a child that exits while the worker runs is logged with its exit code and started
again after a pause that doubles up to a minute (a child that cannot even start does not spin). On stop the parent
asks the child to stop after the batch in hand and waits for it, as the scheduler waits for the dispatcher thread.
The child stops by itself when its parent is gone, and leaves SIGINT to the parent (a Ctrl-C reaches the whole
process group); SIGTERM sent to the child alone also stops it after its batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
from multiprocessing.process import BaseProcess
from typing import Any

from crossdock.core.config import Config

log = logging.getLogger("crossdock.dispatch")
WAIT = 0.25  # seconds between looks at a SIGTERM while the child waits for its next round
ROUNDS = 20  # batches sent back to back before the child looks at its stop event and its parent again
FIRST_PAUSE = 1.0  # seconds before a child that died is started again; doubled each time, up to LONGEST_PAUSE
LONGEST_PAUSE = 60.0
STEADY = 60.0  # a child that ran this long before dying is started again after FIRST_PAUSE


def _child(config: Config, stop: Any, ready: Any) -> None:
    """The child's life: dispatch until told to stop (by the parent's event or a SIGTERM) or orphaned."""
    from crossdock.core import heap
    from crossdock.core.hub import Hub
    from crossdock.core.workers import worker_id
    from crossdock.logs import for_service

    termed: list[int] = []  # a signal handler only notes the signal: taking the event's lock there could deadlock
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent hears Ctrl-C and tells this child to stop
    signal.signal(signal.SIGTERM, lambda signum, _frame: termed.append(signum))
    for_service(config.logging)
    hub = Hub(config)
    heap.settle()
    dispatcher = hub.dispatcher(worker_id())
    parent = mp.parent_process()
    ready.set()

    def going() -> bool:
        return not termed and not stop.is_set() and (parent is None or parent.is_alive())

    try:
        while going():
            busy = False
            try:
                for _ in range(ROUNDS):
                    if not going() or not (busy := dispatcher.run_once().claimed > 0):
                        break
            except Exception:
                log.exception("dispatching failed; trying again in %s s", config.outbox.every)
            waited = 0.0 if not busy else config.outbox.every  # after ROUNDS full batches: on at once
            while waited < config.outbox.every and going():  # short waits: a SIGTERM is seen within one
                stop.wait(min(WAIT, config.outbox.every - waited))
                waited += WAIT
    finally:
        hub.close()


class DispatchProcess:
    """The child that dispatches, started, watched and restarted by the worker's process."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._context = mp.get_context("spawn")  # a fresh interpreter: no store connection or thread is inherited
        self._stop = self._context.Event()
        self.ready = self._context.Event()  # set by each child once its store is open (tests and the bench wait on it)
        self._stopping = threading.Event()
        self._child: BaseProcess | None = None
        self._watcher = threading.Thread(target=self._watch, name="crossdock-dispatch-watch", daemon=True)
        self.restarts = 0

    def start(self) -> None:
        self._child = self._spawn()
        self._watcher.start()

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        return None if self._child is None else self._child.pid

    def alive(self) -> bool:
        """For /readyz: the child runs (a restart pending is not ready)."""
        return self._child is not None and self._child.is_alive()

    def stop(self, *, wait: bool = True) -> None:
        """Ask the child to stop after its batch in hand and (``wait``) wait for it."""
        self._stopping.set()
        self._stop.set()
        if not wait:
            return
        if self._watcher.is_alive():
            self._watcher.join()
        elif self._child is not None:
            self._child.join()

    def _spawn(self) -> BaseProcess:
        self.ready.clear()
        child = self._context.Process(
            target=_child, args=(self.config, self._stop, self.ready), name="crossdock-dispatch"
        )
        child.start()
        log.info("outbox dispatcher running in process %s", child.pid)
        return child

    def _watch(self) -> None:
        import time

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
            self.restarts += 1
            self._child = self._spawn()
