"""How long a channel's throttled calls wait before they give up: a poll that is throttled waits and goes on.

The channels' APIs throttle in short windows (a cost bucket refilling, a 30-second quota), so waiting out a few
is better than abandoning the rest of a poll to the next one. A throttled call waits as long as the channel says
(``Retry-After``, or the channel's own header), or a few seconds, doubling, when it says nothing, and tries
again while its budget lasts; past that it fails as before (a TransientError with the channel's wait), so a
channel that stays throttled still ends the poll rather than holding a worker for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from crossdock.core.errors import TransientError

T = TypeVar("T")
BUDGET = 60.0  # seconds of waiting out throttles that one budget allows
UNSAID = 2.0  # the first wait when the channel says none; doubled at each throttle after


class Throttled(TransientError):
    """The peer said "too many requests" (a 429, Shopify's THROTTLED): worth waiting for within a poll."""


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class Patience:
    """A budget of seconds to spend waiting for throttled calls (one call's, or a whole poll's)."""

    def __init__(self, seconds: float = BUDGET, sleep: Callable[[float], None] | None = None) -> None:
        self.left = seconds
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

    def call(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, again after each throttle as long as the wait it asks fits in what is left."""
        while True:
            try:
                return attempt()
            except Throttled as exc:
                if not self.wait(exc.retry_after):
                    raise
