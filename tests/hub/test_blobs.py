"""Large values written into the store and read out of it in pieces, on both engines, byte for byte."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from crossdock.core.models import Order, OrderLine
from crossdock.core.storage import blobs
from crossdock.core.storage.order_json import OrderText
from crossdock.core.storage.schema import documents, orders
from crossdock.core.storage.spool import SpooledLines
from crossdock.core.storage.store import Store, to_json
from crossdock.mappings.x12.hub import order_dict


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of a few hundred bytes, so that a value of a few KB crosses many of their boundaries."""
    monkeypatch.setattr(blobs, "CHUNK", 300)
    monkeypatch.setattr(blobs, "PG_SLICE", 350)
    monkeypatch.setattr(blobs, "PIECES_AT", 1000)


def test_a_large_file_is_stored_in_pieces_and_read_back_as_a_stream(store: Store) -> None:
    data = bytes(range(256)) * 40 + b"\x00\\\n\r\t'\"end"  # every byte value, and what COPY's text format escapes
    small = b"ISA*00*small"
    with store.transaction() as conn:
        big_id, small_id = store.insert_documents(
            conn,
            [
                {"direction": "in", "data": data, "state": "received"},
                {"direction": "in", "data": small, "state": "received"},
            ],
        )
    with store.transaction() as conn:
        rows = {r.id: r for r in conn.execute(select(documents.c.id, documents.c.data, documents.c.size))}
        assert (bytes(rows[big_id].data), rows[big_id].size) == (data, len(data))
        assert bytes(rows[small_id].data) == small
    for document_id, expected in ((big_id, data), (small_id, small)):
        with store.raw(document_id, None) as raw:  # read as a stream, as a file too large to fetch with its row
            assert not isinstance(raw, bytes)
            assert raw.read(7) == expected[:7]
            assert raw.read() == expected[7:]


def test_a_large_orders_json_is_written_in_pieces_and_read_as_text(store: Store) -> None:
    order = Order(po_number="PO-1", partner="acme", notes=['caf\u00e9 \\ "quoted"'])
    lines = SpooledLines()
    lines.add(
        OrderLine(position=i, quantity=Decimal(i), uom="EA", description=f"line {i} \u00e9") for i in range(1, 60)
    )
    text = OrderText(order_dict(order), lines)
    with store.transaction() as conn:
        (order_id,) = store.insert_orders(
            conn,
            [
                {
                    "channel": "x12",
                    "partner": "acme",
                    "external_id": "PO-1",
                    "po_number": "PO-1",
                    "status": "routed",
                    "revision": 1,
                    "data": text,
                }
            ],
        )
    with store.transaction() as conn:
        stored = conn.execute(select(orders.c.data).where(orders.c.id == order_id)).scalar_one()
        pieces = list(blobs.read_pieces(conn, orders, "data", order_id))
    whole = {
        **order_dict(order),
        "lines": [json.loads(to_json(line.model_dump(mode="json"))) for line in lines.lines()],
    }
    assert stored == text.text() == to_json(whole)
    assert b"".join(pieces) == stored.encode("ascii")
    assert len(pieces) > 10
    assert text.document_digest() == (hashlib.sha256(stored.encode() + b"\n").hexdigest(), len(stored) + 1)
