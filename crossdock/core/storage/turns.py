"""Writers of one process take the SQLite store in turns, first come first served.

SQLite lets one writer in at a time and makes the others poll for the lock (its busy handler sleeps up to 100 ms
between tries), so a thread that commits and begins again at once (a long poll, chunk after chunk) can win every
time and starve the outbox and the webhooks beside it. Queueing the process's own writers before ``BEGIN
IMMEDIATE`` hands the lock over in the order they asked; other processes still meet SQLite's busy handler.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class Turns:
    """A first-come, first-served lock, reentrant for the thread that holds it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._waiting: deque[int] = deque()
        self._holder: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._changed:
            if self._holder == me:
                self._depth += 1
                return
            self._waiting.append(me)
            while self._holder is not None or self._waiting[0] != me:
                self._changed.wait()
            self._waiting.popleft()
            self._holder, self._depth = me, 1

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._holder = None
                self._changed.notify_all()

    @property
    def waiting(self) -> int:
        """How many threads wait for their turn."""
        with self._changed:
            return len(self._waiting)
