"""The dispatcher's round, the same on a worker's thread and in its own process (``outbox.process``).

Batches are sent back to back while each finds work; then the dispatcher waits ``outbox.every`` for more. A
delivery queued meanwhile by this worker (a poll's chunk recorded, a webhook's order, a stored document processed)
cuts the wait short, so an order goes out when it is recorded rather than up to ``every`` later, and a dispatcher
that has caught up with a busy poll does not sit idle beside it. Deliveries queued by another worker or by a
command are found at the next look, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from crossdock.core.outbox import Dispatcher

ROUNDS = 20  # batches sent back to back before the loop looks again for a stop and its parent


class Outage(Protocol):
    """How a failed round is said (``scheduler._Outage``: a store outage once, anything else with its traceback)."""

    def failed(self, exc: Exception, then: str) -> None: ...

    def worked(self) -> None: ...


def dispatch_rounds(dispatcher: Dispatcher, going: Callable[[], bool], outage: Outage, every: float) -> bool:
    """Send batches back to back, up to ``ROUNDS``, while each claims something; True when the last one did
    (more may be due: look again at once). A round that fails is said through ``outage`` and waits ``every``."""
    try:
        for _ in range(ROUNDS):
            if not going() or dispatcher.run_once().claimed == 0:
                outage.worked()
                return False
    except Exception as exc:
        outage.failed(exc, f"trying again in {every} s")
        return False
    outage.worked()
    return True
