"""The rows workers coordinate by: control numbers (a partner's gap-free sequences), cursors (a source's
high-water marks and state) and leases (who reads a source now). A mixin of ``Store``: it uses the store's dialect
and its driver-level SQL."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import cursors, leases

_NEXT_NUMBERS = (
    "INSERT INTO sequences (scope, kind, value) VALUES {values} "
    "ON CONFLICT (scope, kind) DO UPDATE SET value = sequences.value + excluded.value RETURNING kind, value"
)

# A sequence created at the highest value of the same kind's sequences in other scopes (a prefix excluded).
_START_ABOVE = (
    "INSERT INTO sequences (scope, kind, value) "
    "SELECT ?, ?, COALESCE(MAX(value), 0) FROM sequences WHERE kind = ? AND scope NOT LIKE ? "
    "ON CONFLICT (scope, kind) DO NOTHING"
)

# Control numbers that an X12 envelope limits: ISA13 is nine digits, GS06 and ST02 nine at most.
CONTROL_LIMITS = {"isa": 999_999_999, "gs": 999_999_999, "st": 999_999_999}


class CoordinationRecords:
    is_postgres: bool

    if TYPE_CHECKING:  # OutboxRecords has them

        def execute_many(self, conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None: ...

        def _driver_sql(self, sql: str) -> str: ...

    # --- control numbers ------------------------------------------------------------------------------------

    def next_numbers(self, conn: Connection, scope: str, kind: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of a sequence and return the first; rolled back with the caller."""
        return self.next_numbers_of(conn, scope, {kind: count})[kind]

    def next_numbers_of(self, conn: Connection, scope: str, counts: dict[str, int]) -> dict[str, int]:
        """Reserve numbers of several sequences of ``scope`` at once: kind -> the first of its ``count``.

        One upsert on both engines: each row is created or bumped and stays locked until the caller commits.
        Plain SQL, because every outbound document takes three numbers and SQLAlchemy's statement building
        cost more than the statement (measured: 1.3 ms a call before, a tenth of that now).
        """
        kinds = sorted(counts)
        sql = self._driver_sql(_NEXT_NUMBERS.format(values=", ".join(["(?, ?, ?)"] * len(kinds))))
        params = tuple(v for kind in kinds for v in (scope, kind, counts[kind]))
        first: dict[str, int] = {}
        for kind, last in conn.exec_driver_sql(sql, params):
            limit = CONTROL_LIMITS.get(kind)
            if limit is not None and last > limit:
                raise OverflowError(f"control number sequence {scope}/{kind} passed {limit}")
            first[kind] = int(last) - counts[kind] + 1
        return first

    def start_above(self, conn: Connection, scope: str, kind: str, others_not_like: str) -> None:
        """Create the sequence ``scope``/``kind``, if it is not there, at the highest value of the ``kind``
        sequences whose scope is not LIKE ``others_not_like``: a sequence that takes over from several."""
        conn.exec_driver_sql(self._driver_sql(_START_ABOVE), (scope, kind, kind, others_not_like))

    def return_numbers(self, conn: Connection, scope: str, counts: dict[str, int]) -> None:
        """Give back the last ``count`` numbers reserved in this same transaction (its row locks are still held,
        so nobody can have taken a later one)."""
        self.execute_many(
            conn,
            "UPDATE sequences SET value = value - ? WHERE scope = ? AND kind = ?",
            [(count, scope, kind) for kind, count in counts.items() if count],
        )

    # --- cursors and leases ---------------------------------------------------------------------------------

    def cursor(self, conn: Connection, name: str) -> str | None:
        value = conn.execute(select(cursors.c.value).where(cursors.c.name == name)).scalar()
        return str(value) if value is not None else None

    def set_cursor(self, conn: Connection, name: str, value: str) -> None:
        ins = postgresql.insert(cursors) if self.is_postgres else sqlite.insert(cursors)
        now = utcnow()
        stmt = ins.values(name=name, value=value, updated_at=now)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value, "updated_at": now}))

    def acquire_lease(self, conn: Connection, name: str, owner: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` unless someone else holds it now; renewing your own lease succeeds."""
        now = utcnow()
        until = now + dt.timedelta(seconds=seconds)
        ins = postgresql.insert(leases) if self.is_postgres else sqlite.insert(leases)
        stmt = ins.values(name=name, owner=owner, until=until).on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": owner, "until": until},
            where=or_(leases.c.until < now, leases.c.owner == owner),
        )
        conn.execute(stmt)
        holder = conn.execute(select(leases.c.owner).where(leases.c.name == name)).scalar()
        return bool(holder == owner)

    def lease_holder(self, conn: Connection, name: str) -> str | None:
        holder = conn.execute(select(leases.c.owner).where(leases.c.name == name)).scalar()
        return str(holder) if holder is not None else None

    def take_lease(self, conn: Connection, name: str, owner: str, previous: str, seconds: float) -> bool:
        """Take over a lease from ``previous`` (known dead), only if it still holds it."""
        until = utcnow() + dt.timedelta(seconds=seconds)
        result = conn.execute(
            update(leases).where(leases.c.name == name, leases.c.owner == previous).values(owner=owner, until=until)
        )
        return result.rowcount == 1

    def release_lease(self, conn: Connection, name: str, owner: str) -> None:
        conn.execute(leases.delete().where(leases.c.name == name, leases.c.owner == owner))
