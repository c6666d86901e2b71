"""Waiting in the main thread for SIGTERM or SIGINT (``crossdock run`` and ``crossdock serve``).

The kernel hands a signal sent to a process to any of its threads that does not block it, and CPython runs the
Python handler only in the main thread, the next time that thread runs Python code. A main thread asleep in
``Event.wait()`` without a timeout never does when another thread (a scheduler's, a server's) took the signal: the
handler waited forever and ``crossdock run`` never stopped (seen under strace, which makes the kernel pick another
thread more often, and once as a test that timed out under load). So the main thread wakes every ``WAKE`` seconds
to run what is pending, and the handler only notes the signal (no lock is taken inside it).
"""

from __future__ import annotations

import signal
import time

WAKE = 0.2  # seconds: how late at most a signal another thread took is acted on


class Signals:
    """SIGTERM and SIGINT caught from now on (installed before any work starts, so neither kills the process
    half-way), until ``wait`` has returned one."""

    def __init__(self) -> None:
        self._got: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._note)

    def _note(self, signum: int, _frame: object) -> None:
        self._got.append(signum)

    def wait(self) -> signal.Signals:
        """Block until one of the signals came; the first one."""
        while not self._got:
            time.sleep(WAKE)
        return signal.Signals(self._got[0])
