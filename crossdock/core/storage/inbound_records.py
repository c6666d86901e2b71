"""The rows processing inbound documents reads and writes a chunk at a time, and how workers claim them.

A mixin of ``Store`` (it uses the store's dialect and its driver-level executemany). On PostgreSQL every worker
claims stored documents with ``FOR UPDATE SKIP LOCKED``, as it claims deliveries: the rows stay locked until the
transaction that records them commits, so a document is processed by one worker, and a second worker takes
the next ones instead of waiting. On SQLite ``BEGIN IMMEDIATE`` already gives one writer at a time.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, case, not_, null, or_, select

from crossdock.core.storage import blobs
from crossdock.core.storage.among import among
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents

_OUTCOME = (
    "UPDATE documents SET state = ?, error = ?, partner = ?, kind = ?, interchange_control = ?, group_control = ?, "
    "flags = ?, updated_at = ? WHERE id = ?"
)


# A document's columns, its bytes only when they are not large (``large_at``): a large file's are read as a stream
# (``Store.raw``). Built once: a select of every column costs more to build than to run.
UNLESS_LARGE = select(
    *(
        case((documents.c.size < bindparam("large_at"), documents.c.data), else_=null()).label("data")
        if c.name == "data"
        else c
        for c in documents.c
    )
)
_LARGE_AT = {"large_at": blobs.PIECES_AT}


def _pieces(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


class InboundRecords:
    is_postgres: bool
    engine: Engine

    if TYPE_CHECKING:  # OutboxRecords has it

        def execute_many(self, conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None: ...

    def lock_documents(self, conn: Connection, document_ids: list[int], *, skip_locked: bool = False) -> list[Row[Any]]:
        """The documents' rows in the order they were stored, locked until the caller commits; with
        ``skip_locked``, the ones another worker holds are left out (it is recording them)."""
        found: list[Row[Any]] = []
        for piece in _pieces(sorted(set(document_ids))):
            query = UNLESS_LARGE.where(among(documents.c.id, piece, postgres=self.is_postgres)).order_by(documents.c.id)
            if self.is_postgres:
                query = query.with_for_update(skip_locked=skip_locked)
            found.extend(conn.execute(query, _LARGE_AT))
        return found

    def peek_documents(self, document_ids: list[int]) -> list[Row[Any]]:
        """The documents' rows as they stand, read in a snapshot of their own that locks nothing: no writer waits
        for it (``lock_documents`` takes them for recording)."""
        found: list[Row[Any]] = []
        with blobs.snapshot(self.engine) as conn:
            for piece in _pieces(sorted(set(document_ids))):
                query = UNLESS_LARGE.where(among(documents.c.id, piece, postgres=self.is_postgres))
                found.extend(conn.execute(query, _LARGE_AT))
        return found

    def claim_received(self, conn: Connection, limit: int, *, leave: Collection[str] = ()) -> list[Row[Any]]:
        """Up to ``limit`` inbound documents waiting to be processed, oldest first, that no other worker holds,
        except those from the sources in ``leave``; locked until the caller commits."""
        query = (
            UNLESS_LARGE.where(documents.c.direction == "in", documents.c.state == "received")
            .order_by(documents.c.id)
            .limit(limit)
        )
        if leave:
            query = query.where(or_(documents.c.endpoint.is_(None), not_(documents.c.endpoint.in_(sorted(leave)))))
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        return list(conn.execute(query, _LARGE_AT))

    def interchanges_seen(self, conn: Connection, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
        """The inbound documents that carried each (partner, ISA13), by id."""
        seen: dict[tuple[str, str], list[int]] = {}
        by_partner: dict[str, set[str]] = {}
        for partner, control in wanted:
            by_partner.setdefault(partner, set()).add(control)
        for partner, controls in by_partner.items():
            for piece in _pieces(sorted(controls)):
                query = (
                    select(documents.c.interchange_control, documents.c.id)
                    .where(and_(documents.c.partner == partner, documents.c.direction == "in"))
                    .where(among(documents.c.interchange_control, piece, postgres=self.is_postgres))
                    .order_by(documents.c.id)
                )
                for control, document_id in conn.execute(query):
                    seen.setdefault((partner, str(control)), []).append(int(document_id))
        return seen

    def queued_keys(self, conn: Connection, keys: list[str]) -> set[str]:
        """Which of these delivery keys are queued already."""
        found: set[str] = set()
        for piece in _pieces(sorted(set(keys))):
            query = select(deliveries.c.key).where(among(deliveries.c.key, piece, postgres=self.is_postgres))
            found.update(str(k) for k in conn.execute(query).scalars())
        return found

    def set_outcomes(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Record processed X12 documents at once: (state, error, partner, kind, ISA13, GS06s, flags, id) each."""
        now = utcnow()
        self.execute_many(conn, _OUTCOME, [(*row[:7], now, row[7]) for row in rows])

    def document_heads(self, conn: Connection, document_ids: list[int]) -> dict[int, tuple[str | None, str]]:
        """Each stored document's source (or sink) and state, by id, without its bytes."""
        found: dict[int, tuple[str | None, str]] = {}
        for piece in _pieces(sorted(set(document_ids))):
            query = select(documents.c.id, documents.c.endpoint, documents.c.state).where(
                among(documents.c.id, piece, postgres=self.is_postgres)
            )
            found.update((int(i), (endpoint, str(state))) for i, endpoint, state in conn.execute(query))
        return found

    def received_ids(self, conn: Connection, sources: list[str], limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` inbound documents from ``sources`` waiting in ``received``: (id, source), oldest first."""
        query = (
            select(documents.c.id, documents.c.endpoint)
            .where(documents.c.direction == "in", documents.c.state == "received")
            .where(documents.c.endpoint.in_(sources))
            .order_by(documents.c.id)
            .limit(limit)
        )
        return [(int(i), str(endpoint)) for i, endpoint in conn.execute(query)]
