"""Sign-in attempts bounded per user name: after ``MOST`` wrong passwords within ``WINDOW`` seconds the name is
refused until the oldest of them ages out, so a password cannot be guessed at the server's speed. The failures
are rows in the store (``signin_failures``), so every worker of one store counts the same ones; each failure
also deletes the rows older than the window, so the table holds at most a window's worth of them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select

from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import signin_failures
from crossdock.core.storage.store import Store

MOST = 5
WINDOW = 300.0
LONGEST_NAME = 128


class Throttle:
    def __init__(self, store: Store, most: int = MOST, window: float = WINDOW) -> None:
        self.store = store
        self.most = most
        self.window = dt.timedelta(seconds=window)

    def blocked(self, name: str, now: dt.datetime | None = None) -> bool:
        since = (now or utcnow()) - self.window
        counted = select(func.count()).where(
            signin_failures.c.name == name[:LONGEST_NAME], signin_failures.c.at > since
        )
        with self.store.transaction() as conn:
            return int(conn.execute(counted).scalar_one()) >= self.most

    def failed(self, name: str, now: dt.datetime | None = None) -> None:
        at = now or utcnow()
        with self.store.transaction() as conn:
            conn.execute(delete(signin_failures).where(signin_failures.c.at <= at - self.window))
            conn.execute(insert(signin_failures).values(name=name[:LONGEST_NAME], at=at))

    def succeeded(self, name: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(delete(signin_failures).where(signin_failures.c.name == name[:LONGEST_NAME]))
