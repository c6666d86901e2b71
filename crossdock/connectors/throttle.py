"""How long one call to a channel's API waits out being throttled (429) before it gives up.

A throttled call used to fail the whole poll at once (an alert, the rest of the orders left for later). Now it
waits as long as the channel says (``Retry-After``, or the channel's own header), or a few seconds when it says
nothing, and tries again, until ``BUDGET`` seconds of waiting are spent on that one call: past that the call
fails as before (TransientError with the channel's wait), so a channel that stays throttled still ends the poll
rather than holding a worker for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BUDGET = 60.0  # seconds one call may spend waiting out 429s
UNSAID = 2.0  # the first wait when the channel says none; doubled at each 429 after


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class Patience:
    """One call's budget for 429s: ``wait`` sleeps and says to try again while the budget lasts."""

    def __init__(self, budget: float = BUDGET, sleep: Callable[[float], None] | None = None) -> None:
        self.left = budget
        self.next_unsaid = UNSAID
        self._sleep = sleep or _sleep

    def wait(self, said: float | None) -> bool:
        """Sleep ``said`` seconds (or the next doubling wait) when the budget still holds that much; else False."""
        seconds = said if said is not None and said >= 0 else self.next_unsaid
        if said is None:
            self.next_unsaid *= 2
        if seconds > self.left:
            return False
        self._sleep(seconds)
        self.left -= seconds
        return True
