"""An order's JSON is stored once: an outbound document that is exactly the order's JSON (a destination taking
crossdock's order format, the whole order) keeps no bytes of its own but ``data_ref = "order"``, and its bytes
are read from the order its delivery carries. Before the order's JSON changes (a new revision, the same order
stamped later), such documents get their own copy back, so each keeps what it sent.

Measured with ``bench/store_bench.py``: the order JSON was stored twice, once in ``orders.data`` and once as the
outbound document's bytes, 45% of the store for one-PO files.

The JSON of a large order (a large 850 read as a stream, its lines spooled) is never whole in memory: it is
written into its row in pieces (``OrderText``, ``write_order_text``) and sent in pieces (``document_pieces``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from crossdock.core.storage.blobs import read_pieces, snapshot, write_pieces
from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.core.storage.spool import SpooledLines

ORDER = "order"  # documents.data_ref: the bytes are the order's JSON and a newline
STREAMED_SIZE = 8 << 20  # a document that refers to an order's JSON of this many bytes or more is sent in pieces


def order_bytes(order_data: str) -> bytes:
    """What a document holding the order's JSON sends: the JSON and a newline."""
    return order_data.encode("utf-8") + b"\n"


def resolve(data: Any, data_ref: str | None, order_data: str | None) -> bytes:
    """A document's bytes: its own, or the order's JSON it refers to."""
    if data_ref == ORDER and order_data is not None:
        return order_bytes(order_data)
    return bytes(data)


def streamed(data_ref: str | None, size: int) -> bool:
    """Whether a document is sent in pieces (``document_pieces``) rather than read whole when claimed."""
    return data_ref == ORDER and size >= STREAMED_SIZE


def keep_sent(conn: Connection, order_id: int) -> None:
    """Give the documents that read the order's current JSON their own copy, before that JSON changes."""
    referring = (
        select(documents.c.id)
        .join(deliveries, deliveries.c.document_id == documents.c.id)
        .where(deliveries.c.order_id == order_id, documents.c.data_ref == ORDER)
    )
    ids = [int(i) for i in conn.execute(referring).scalars()]
    if not ids:
        return
    current = conn.execute(select(orders.c.data).where(orders.c.id == order_id)).scalar_one()
    conn.execute(update(documents).where(documents.c.id.in_(ids)).values(data=order_bytes(str(current)), data_ref=None))


def document_pieces(engine: Engine, document_id: int) -> Iterator[bytes]:
    """A document's bytes as sent, in pieces read in one snapshot of the store (``blobs.snapshot``): a large
    order's JSON straight from its row, never whole in memory, and unchanged under the read (``keep_sent``)."""
    with snapshot(engine) as conn:
        data_ref = conn.execute(select(documents.c.data_ref).where(documents.c.id == document_id)).scalar_one()
        if data_ref != ORDER:
            yield from read_pieces(conn, documents, "data", document_id)
            return
        order_id = conn.execute(
            select(deliveries.c.order_id).where(deliveries.c.document_id == document_id).limit(1)
        ).scalar_one()
        yield from read_pieces(conn, orders, "data", order_id)
        yield b"\n"


def document_bytes(conn: Connection, document_id: int) -> bytes | None:
    """A document's bytes as sent, wherever they are stored."""
    row = conn.execute(select(documents.c.data, documents.c.data_ref).where(documents.c.id == document_id)).first()
    if row is None:
        return None
    order_data = None
    if row.data_ref == ORDER:
        order_data = conn.execute(
            select(orders.c.data)
            .join(deliveries, deliveries.c.order_id == orders.c.id)
            .where(deliveries.c.document_id == document_id)
            .limit(1)
        ).scalar()
    return resolve(row.data, row.data_ref, order_data)


class OrderText:
    """The JSON of an order whose lines are spooled (a large 850 read as a stream): the text before its lines,
    the lines' JSON, the text after them, in pieces. The same text as ``to_json`` of the whole order's dict."""

    def __init__(self, dumped: dict[str, Any], lines: SpooledLines) -> None:
        """``dumped`` is the order's dict without its lines (``"lines": []``), in the order's key order."""
        from crossdock.core.storage.store import to_json  # the store's module imports this one

        keys = list(dumped)
        at = keys.index("lines")
        before = to_json({k: dumped[k] for k in keys[:at]})
        after = to_json({k: dumped[k] for k in keys[at + 1 :]})
        self.head = (before[:-1] + ',"lines":[').encode("ascii")
        self.tail = ("]," + after[1:]).encode("ascii")
        self.lines = lines
        self.size = len(self.head) + lines.size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        yield from self.lines.chunks()
        yield self.tail

    def text(self) -> str:
        """The whole text, for what needs it in memory (a store that takes it as one value)."""
        return b"".join(self.chunks()).decode("ascii")

    def document_digest(self) -> tuple[str, int]:
        """The sha256 and size of a document that sends this JSON (``order_bytes``: with a newline)."""
        digest = hashlib.sha256()
        for piece in self.chunks():
            digest.update(piece)
        digest.update(b"\n")
        return digest.hexdigest(), self.size + 1


def write_order_text(conn: Connection, order_id: int, text: OrderText) -> None:
    """Write a large order's JSON into its row in pieces (``blobs.write_pieces``)."""
    write_pieces(conn, orders, "data", order_id, text.size, text.chunks())
