"""The dispatcher's round, the same on a worker's thread and in its own process (``outbox.process``).

Batches are sent back to back while each finds work; then the dispatcher waits ``outbox.every`` for more. A
delivery queued meanwhile by this worker (a poll's chunk recorded, a webhook's order, a stored document processed)
cuts the wait short, so an order goes out when it is recorded rather than up to ``every`` later, and a dispatcher
that has caught up with a busy poll does not sit idle beside it. Deliveries queued by another worker or by a
command are found at the next look, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from crossdock.core.outbox import Dispatcher

ROUNDS = 20  # batches sent back to back before the loop looks again for a stop and its parent


def dispatch_rounds(dispatcher: Dispatcher, going: Callable[[], bool]) -> bool:
    """Send batches back to back, up to ``ROUNDS``, while each claims something; True when the last one did
    (more may be due: look again at once)."""
    busy = False
    for _ in range(ROUNDS):
        if not going():
            return False
        busy = dispatcher.run_once().claimed > 0
        if not busy:
            return False
    return busy
