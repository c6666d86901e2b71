"""A poll that is throttled waits and goes on, within a budget: the channels' APIs throttle in short windows
(a cost bucket refilling, a 30-second quota), so waiting out a few is better than abandoning the rest of a poll
to the next one. Past the budget the throttle is raised as the transient error it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from crossdock.core.errors import TransientError

T = TypeVar("T")
UNSAID = 1.0  # seconds waited when a throttled answer does not say how long


class Throttled(TransientError):
    """The peer said "too many requests" (a 429, Shopify's THROTTLED): worth waiting for within a poll."""


class Patience:
    """How many seconds one poll may still spend waiting for throttled calls, in all."""

    def __init__(self, seconds: float, sleep: Callable[[float], None]) -> None:
        self.left = seconds
        self._sleep = sleep

    def call(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, again after each throttle as long as the wait it asks fits in what is left."""
        while True:
            try:
                return attempt()
            except Throttled as exc:
                wait = exc.retry_after if exc.retry_after is not None else UNSAID
                if wait > self.left:
                    raise
                self.left -= wait
                self._sleep(wait)
