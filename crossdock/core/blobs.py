"""Large values in the store, read and written in pieces: SQLite's blob API, and the whole value elsewhere.

A 50 MB file's bytes, or its order's 73 MB JSON, fetched as one value costs twice its size on SQLite (SQLite's
copy and Python's), and bound as one value three times (Python's, SQLite's copy, the record it builds). Through
the blob API a value is read and written a piece at a time. Writing still needs the value's room first
(``zeroblob``), which SQLite builds in memory once with the row around it (``write_pieces``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, Table, func, select, update

CHUNK = 1 << 20
PIECES_AT = 8 << 20  # a value this large is written in pieces on SQLite


def chunked(data: bytes, size: int = CHUNK) -> Iterator[memoryview]:
    """``data`` in pieces of ``size`` bytes, without copying it."""
    view = memoryview(data)
    return (view[i : i + size] for i in range(0, len(view), size))


class _BlobIO(io.RawIOBase):
    """A SQLite blob handle as a raw binary stream, for ``io.BufferedReader``."""

    def __init__(self, blob: Any) -> None:
        self.blob = blob

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        piece = self.blob.read(len(buffer))
        buffer[: len(piece)] = piece
        return len(piece)


@contextmanager
def reading(engine: Engine, table: Table, column: str, row_id: int) -> Iterator[BinaryIO]:
    """One row's value of ``column`` (bytes) to read as a stream, outside any transaction of the caller's."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            value = conn.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one()
        yield io.BytesIO(bytes(value))
        return
    raw = engine.raw_connection()
    try:
        sqlite: Any = raw.driver_connection
        with sqlite.blobopen(table.name, column, row_id, readonly=True) as blob:
            yield io.BufferedReader(_BlobIO(blob), CHUNK)
    finally:
        raw.close()


def pieces(conn: Connection, table: Table, column: str, row_id: int, size: int = CHUNK) -> Iterator[bytes]:
    """One row's value of ``column`` in pieces, read in the caller's transaction (SQLite; elsewhere whole)."""
    if conn.dialect.name != "sqlite":
        value = conn.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one()
        yield value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return
    sqlite: Any = conn.connection.driver_connection
    with sqlite.blobopen(table.name, column, row_id, readonly=True) as blob:
        while piece := blob.read(size):
            yield piece


def write_pieces(
    conn: Connection, table: Table, column: str, row_id: int, size: int, chunks: Iterable[bytes | memoryview]
) -> None:
    """Write ``size`` bytes into one row's ``column`` on SQLite, in the caller's transaction: the value is a BLOB.

    Bound as one value, SQLite would copy it, build the row with it, and keep the copy with its cached statement
    until that runs again; here it builds the row with ``size`` zeros once (twice the size, for a moment)."""
    conn.execute(update(table).where(table.c.id == row_id).values({column: func.zeroblob(size)}))
    sqlite: Any = conn.connection.driver_connection
    with sqlite.blobopen(table.name, column, row_id) as blob:
        for piece in chunks:
            blob.write(piece)
