"""An order's JSON is stored once: an outbound document that is exactly the order's JSON (a destination taking
crossdock's order format, the whole order) keeps no bytes of its own but ``data_ref = "order"``, and its bytes
are read from the order its delivery carries. Before the order's JSON changes (a new revision, the same order
stamped later), such documents get their own copy back, so each keeps what it sent.

Measured with ``bench/store_bench.py``: the order JSON was stored twice, once in ``orders.data`` and once as the
outbound document's bytes, 45% of the store for one-PO files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core.schema import deliveries, documents, orders

ORDER = "order"  # documents.data_ref: the bytes are the order's JSON and a newline


def order_bytes(order_data: str) -> bytes:
    """What a document holding the order's JSON sends: the JSON and a newline."""
    return order_data.encode("utf-8") + b"\n"


def resolve(data: Any, data_ref: str | None, order_data: str | None) -> bytes:
    """A document's bytes: its own, or the order's JSON it refers to."""
    if data_ref == ORDER and order_data is not None:
        return order_bytes(order_data)
    return bytes(data)


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
