"""What the channels' stock pushes share: batches cut to an API's limit, a pace kept to its published rate, a
throttled call waited out within a budget, and an outcome that never lets a partial failure pass for success.

Every level in a ``StockPush`` is absolute, so sending a push again sets the same figures: a push interrupted
half-way (a channel that stays throttled, a timeout) raises ``TransientError`` and the outbox sends it all again
later. Per-SKU refusals in an answer are collected while the rest goes on. At the end, when any refusal may
pass next time (a 5xx for one item, an answer that says nothing) the push raises ``TransientError`` naming each
refused SKU; when every one is the channel saying the data is wrong (an unknown product, a SKU not listed), which
a retry cannot mend, the push is done and returns those SKUs with the channel's words (``StockSent``): core
records them per SKU, so one bad SKU never fails the channel's later pushes. A batch the channel refuses outright
is sent again in halves (``call_split``), so a batch refused for one SKU refuses that SKU alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from crossdock.connectors.throttle import Patience
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.stock.models import StockPush, StockSent

T = TypeVar("T")
R = TypeVar("R")
NAMED = 20  # refused SKUs named in an error: the rest counted
SAID = 300  # characters of the channel's words kept for one refused SKU
STREAK = 5  # calls refused outright in a row: the account or the request is wrong, not the SKUs; the push stops


def _clock() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in lists of at most ``size``, in order."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


class Pace:
    """A published rate limit kept on our side: ``rate`` calls a second, at most ``burst`` at once. ``wait`` sleeps
    until the next call is within the limit (a rate of 0 never waits: the channel publishes none)."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate, self.burst = rate, max(1, burst)
        self.tokens, self.stamp = float(self.burst), _clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if self.rate <= 0:
            return
        with self.lock:
            now = _clock()
            self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= 1
            seconds = 0.0 if self.tokens >= 0 else -self.tokens / self.rate
        if seconds:
            _sleep(seconds)


def patience(seconds: float) -> Patience:
    """A push's budget for waiting out throttled calls (429s), on this module's sleep."""
    return Patience(seconds, lambda wait: _sleep(wait))


@dataclass
class Outcome:
    """What one push did: levels set, SKUs refused (and whether a retry may help), calls made."""

    where: str  # "<channel> <sink name>", the head of every message
    push: StockPush
    sent: int = 0
    calls: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # sku -> the channel's words
    permanent: set[str] = field(default_factory=set)  # refused SKUs a retry cannot mend
    streak: int = 0  # calls refused outright since the last one the channel took

    def refuse(self, sku: str, said: str, *, permanent: bool = False) -> None:
        self.refused[sku] = said[:SAID]
        if permanent:
            self.permanent.add(sku)
        else:
            self.permanent.discard(sku)

    def call(self, attempt: Callable[[], T], skus: Sequence[str] = ()) -> T | None:
        """One call of the push: counted, and a throttle past the budget (or any transient failure) raised as
        the push's interruption, saying how far it got. A call the channel refuses outright (a 4xx) refuses the
        ``skus`` it carried, and the push goes on with the next: None."""
        try:
            found = self._attempt(attempt)
        except PermanentError as exc:
            if not skus:
                raise
            self._refused_call(skus, exc)
            return None
        self.streak = 0
        return found

    def call_split(
        self, attempt: Callable[[list[T]], R], batch: Sequence[T], sku: Callable[[T], str]
    ) -> list[tuple[list[T], R]]:
        """One call for ``batch``; refused outright (a 4xx), its halves are sent apart, down to single items, so
        that a batch refused for one bad SKU refuses that SKU alone. The parts taken, with the answers."""
        taken: list[tuple[list[T], R]] = []
        parts = [list(batch)]
        while parts:
            part = parts.pop()
            try:
                found = self._attempt(partial(attempt, part))
            except PermanentError as exc:
                if len(part) > 1:
                    half = len(part) // 2
                    parts += [part[half:], part[:half]]
                else:
                    self._refused_call([sku(item) for item in part], exc)
                continue
            self.streak = 0
            taken.append((part, found))
        return taken

    def _attempt(self, attempt: Callable[[], T]) -> T:
        self.calls += 1
        try:
            return attempt()
        except TransientError as exc:
            raise TransientError(
                f"{self.where}: stock push {self.push.push_id} stopped after {self.sent} of "
                f"{len(self.push.levels)} levels (sent again in full later: the levels are absolute): {exc}",
                retry_after=exc.retry_after,
            ) from None

    def _refused_call(self, skus: Sequence[str], exc: PermanentError) -> None:
        for sku in skus:
            self.refuse(sku, str(exc), permanent=True)
        self.streak += 1
        if self.streak >= STREAK:
            raise PermanentError(
                f"{self.where}: stock push {self.push.push_id} stopped: {STREAK} calls refused in a row "
                f"({self.sent} of {len(self.push.levels)} levels set before), the last: {exc}"
            ) from None

    def result(self, how: str, done_as: str = "set", feeds: Sequence[str] = ()) -> StockSent:
        """The push's summary (levels ``set``, or ``submitted`` in ``feeds`` the channel applies later) with the
        SKUs refused for good, or the error naming every refused SKU when a retry may help."""
        total = len(self.push.levels)
        done = f"{self.where}: stock push {self.push.push_id}: {self.sent} of {total} levels {done_as} {how}"
        if not self.refused:
            return StockSent(f"{done} ({self.calls} calls)", feeds=list(feeds))
        named = "; ".join(f"{sku}: {said}" for sku, said in list(self.refused.items())[:NAMED])
        more = len(self.refused) - NAMED
        said = f"{done}; {len(self.refused)} refused: {named}" + (f"; and {more} more" if more > 0 else "")
        if set(self.refused) <= self.permanent:
            return StockSent(said, refused=self.refused, feeds=list(feeds))
        raise TransientError(said)
