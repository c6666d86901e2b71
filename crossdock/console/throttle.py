"""Sign-in attempts bounded per user name: after ``MOST`` wrong passwords within ``WINDOW`` seconds the name is
refused until the oldest of them ages out, so a password cannot be guessed at the server's speed. In memory,
per process; the table is bounded (the names tried come from whoever connects)."""

from __future__ import annotations

import threading
import time
from collections import deque

MOST = 5
WINDOW = 300.0
NAMES = 10_000


class Throttle:
    def __init__(self, most: int = MOST, window: float = WINDOW) -> None:
        self.most = most
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str, now: float | None = None) -> bool:
        with self._lock:
            recent = self._recent(name, now or time.monotonic())
            return recent is not None and len(recent) >= self.most

    def failed(self, name: str, now: float | None = None) -> None:
        at = now or time.monotonic()
        with self._lock:
            if len(self._failures) >= NAMES and name not in self._failures:
                self._failures.clear()  # a flood of made-up names: start over rather than grow
            recent = self._recent(name, at) or deque()
            recent.append(at)
            self._failures[name] = recent

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)

    def _recent(self, name: str, now: float) -> deque[float] | None:
        recent = self._failures.get(name)
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
