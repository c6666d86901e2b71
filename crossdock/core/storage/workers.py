"""Who holds a lease: ``host:pid:nonce``, so a restarted process can tell its dead predecessor's leases apart.

A lease normally runs out by time, which is all a worker on another machine can know. On the same host a
process whose pid is gone will never renew its lease, so waiting for it to expire only delays the restart:
such a lease is taken over at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("crossdock.workers")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_dead_local(owner: str) -> bool:
    """True when ``owner`` names a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdecimal() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def heartbeat(renew: Callable[[], None], every: float) -> Iterator[None]:
    """Call ``renew`` every ``every`` seconds on a thread while the block runs: a lease held by a worker that is
    busy (a slow send, a long batch) stays its own, and lapses within one lease once the process is gone.
    A renewal that fails is logged and tried again at the next beat."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                renew()
            except Exception:
                log.warning("renewing a lease failed; trying again in %.1f s", every, exc_info=True)

    thread = threading.Thread(target=beat, name="crossdock-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
