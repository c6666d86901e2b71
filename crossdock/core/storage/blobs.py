"""Large values in the store, read and written in pieces, never whole in memory.

A 50 MB file's bytes, or its order's 73 MB JSON, fetched as one value costs twice its size on SQLite (SQLite's
copy and Python's), and bound as one value three times (Python's, SQLite's copy, the row it builds), a copy of
which SQLite keeps with its cached statement. So on SQLite a large value is read and written through the blob
API; writing needs the value's room first (``zeroblob``), which SQLite builds once with the row around it. On
PostgreSQL it is written with a binary COPY into a temporary table that the row then takes its value from, and
read a slice at a time (``substr``): only the server ever holds it whole.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, LargeBinary, Table, func, select, update

CHUNK = 1 << 20
PIECES_AT = 8 << 20  # a value this large is written in pieces
PG_SLICE = 8 << 20  # bytes read at a time on PostgreSQL (twice as many characters of a text)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)


def chunked(data: bytes, size: int = CHUNK) -> Iterator[memoryview]:
    """``data`` in pieces of ``size`` bytes, without copying it."""
    view = memoryview(data)
    return (view[i : i + size] for i in range(0, len(view), size))


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A transaction that reads one snapshot of the store and takes no lock: SQLite's deferred ``BEGIN`` (see
    ``engine``; writers do not wait for it in WAL mode), PostgreSQL's repeatable read."""
    options = {"read_only": True} if engine.dialect.name == "sqlite" else {"isolation_level": "REPEATABLE READ"}
    with engine.connect() as conn:
        conn.execution_options(**options)
        with conn.begin():
            yield conn


def read_pieces(conn: Connection, table: Table, column: str, row_id: int) -> Iterator[bytes]:
    """One row's value of ``column`` as bytes (text as UTF-8), in pieces, read in ``conn``'s transaction."""
    if conn.dialect.name == "sqlite":
        sqlite: Any = conn.connection.driver_connection
        with sqlite.blobopen(table.name, column, row_id, readonly=True) as blob:
            while piece := blob.read(CHUNK):
                yield piece
        return
    yield from _slices(conn, table, column, row_id)


def _slices(conn: Connection, table: Table, column: str, row_id: int) -> Iterator[bytes]:
    """PostgreSQL: the value a slice at a time (a binary COPY of the row would send it as one message). A slice
    of a compressed value is decompressed from its start, and a text's by characters, so the slices are large."""
    value = table.c[column]
    binary = isinstance(value.type, LargeBinary)
    size = PG_SLICE if binary else 2 * PG_SLICE
    where = table.c.id == row_id
    length = conn.execute(select(func.length(value)).where(where)).scalar_one()
    for start in range(1, length + 1, size):
        piece = conn.execute(select(func.substr(value, start, size)).where(where)).scalar_one()
        yield bytes(piece) if binary else piece.encode("utf-8")


class _PiecesIO(io.RawIOBase):
    """Pieces of bytes as a raw binary stream, for ``io.BufferedReader``."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self.pieces = pieces
        self.rest = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.rest:
            piece = next(self.pieces, None)
            if piece is None:
                return 0
            self.rest = memoryview(piece)
        n = min(len(buffer), len(self.rest))
        buffer[:n] = self.rest[:n]
        self.rest = self.rest[n:]
        return n


@contextmanager
def reading(engine: Engine, table: Table, column: str, row_id: int) -> Iterator[BinaryIO]:
    """One row's value of ``column`` to read as a stream, in a snapshot of its own (``snapshot``)."""
    with snapshot(engine) as conn:
        yield io.BufferedReader(_PiecesIO(read_pieces(conn, table, column, row_id)), CHUNK)


def write_pieces(
    conn: Connection, table: Table, column: str, row_id: int, size: int, chunks: Iterable[bytes | memoryview]
) -> None:
    """Write ``size`` bytes into one row's ``column``, in the caller's transaction. On SQLite the value is then a
    BLOB (``schema.OrderData`` reads an order's JSON back as text)."""
    if conn.dialect.name != "sqlite":
        _copy_in(conn, table, column, row_id, size, chunks)
        return
    conn.execute(update(table).where(table.c.id == row_id).values({column: func.zeroblob(size)}))
    sqlite: Any = conn.connection.driver_connection
    with sqlite.blobopen(table.name, column, row_id) as blob:
        for piece in chunks:
            blob.write(piece)


def _copy_in(
    conn: Connection, table: Table, column: str, row_id: int, size: int, chunks: Iterable[bytes | memoryview]
) -> None:
    """PostgreSQL: the value streamed into a temporary table by a binary COPY (one row, one field of ``size``
    bytes: the same bytes for text and bytea), then taken from there by the row."""
    kind = "bytea" if isinstance(table.c[column].type, LargeBinary) else "text"
    temp = f"crossdock_large_{kind}"
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {temp} (value {kind}) ON COMMIT DROP")
        with cur.copy(f"COPY {temp} (value) FROM STDIN (FORMAT binary)") as copy:
            copy.write(_COPY_HEADER + struct.pack("!hi", 1, size))
            for piece in chunks:
                copy.write(piece)
            copy.write(_COPY_TRAILER)
        cur.execute(f"UPDATE {table.name} SET {column} = (SELECT value FROM {temp}) WHERE id = %s", (row_id,))
        cur.execute(f"DELETE FROM {temp}")
