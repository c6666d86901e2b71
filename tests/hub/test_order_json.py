"""An order's JSON is stored once: the document sent to a destination that takes crossdock's order JSON reads
its bytes from the order, gets its own copy back before the order changes, and old stores are moved over."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, func, insert, select

from crossdock.core.hub import Hub
from crossdock.core.storage.migrate import _config, current, head
from crossdock.core.storage.order_json import ORDER, document_bytes
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.core.storage.store import Store, sha256
from tests.hub.conftest import receive
from tests.hub.edi import interchange, order


def _order_documents(hub: Hub) -> list[tuple[int, bytes, str | None, str, int]]:
    """(id, stored bytes, data_ref, sha256, size) of the order documents, oldest first."""
    with hub.store.transaction() as conn:
        query = select(documents.c.id, documents.c.data, documents.c.data_ref, documents.c.sha256, documents.c.size)
        rows = conn.execute(query.where(documents.c.kind == "order").order_by(documents.c.id)).all()
    return [(int(r.id), bytes(r.data), r.data_ref, str(r.sha256), int(r.size)) for r in rows]


def test_the_order_json_is_stored_once_and_sent_whole(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1")]))
    with hub.store.transaction() as conn:
        stored = str(conn.execute(select(orders.c.data)).scalar_one())
    ((doc_id, data, ref, digest, size),) = _order_documents(hub)
    expected = stored.encode() + b"\n"
    assert data == b"" and ref == ORDER, "no second copy of the JSON"
    assert (digest, size) == (sha256(expected), len(expected)), "digest and size are of the bytes sent"
    with hub.store.transaction() as conn:
        assert Queries(hub.store).data(conn, doc_id) == expected, "documents show --raw gives the bytes sent"
    assert hub.dispatcher("me").drain().sent == 3  # the order, its 997 and 855
    assert (tmp_path / "west" / "northwind-PO-1-r1.json").read_bytes() == expected


def test_a_new_revision_leaves_each_document_with_what_it_sent(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", qty=5)]), "a.edi")
    hub.dispatcher("me").drain()
    first = (tmp_path / "west" / "northwind-PO-1-r1.json").read_bytes()
    receive(hub, interchange([order("PO-1", qty=9, purpose="05")], control=2), "b.edi")
    hub.dispatcher("me").drain()
    second = (tmp_path / "west" / "northwind-PO-1-r2.json").read_bytes()
    assert json.loads(first)["lines"][0]["quantity"] == "5" and json.loads(second)["lines"][0]["quantity"] == "9"
    (r1, r2) = _order_documents(hub)
    assert (r1[1], r1[2]) == (first, None), "revision 1 got its own copy before the order changed"
    assert (r2[1], r2[2]) == (b"", ORDER), "revision 2 reads the order's current JSON"
    with hub.store.transaction() as conn:
        assert document_bytes(conn, r1[0]) == first and document_bytes(conn, r2[0]) == second


def test_the_migration_moves_an_old_store_s_copies_and_drops_no_bytes(store_url: str) -> None:
    store = Store.open(store_url, migrate=False)
    cfg = _config()
    day = dt.datetime(2026, 1, 1)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        old = MetaData()
        old.reflect(conn, only=["documents", "orders", "deliveries"])
        docs, ords, sends = old.tables["documents"], old.tables["orders"], old.tables["deliveries"]
        common = {"sha256": "x", "state": "sent", "created_at": day, "updated_at": day}
        conn.execute(
            insert(docs),
            [
                {**common, "id": 1, "direction": "in", "size": 3, "data": b"ABC", "kind": "x12"},
                {**common, "id": 2, "direction": "out", "size": 4, "data": b"[1]\n", "kind": "order"},
                {**common, "id": 3, "direction": "out", "size": 4, "data": b"[0]\n", "kind": "order"},
            ],
        )
        conn.execute(
            insert(ords).values(
                id=1,
                channel="x12",
                partner="p",
                external_id="PO",
                po_number="PO",
                status="routed",
                revision=2,
                data="[1]",
                document_id=1,
                created_at=day,
                updated_at=day,
            )
        )
        delivery = {"sink": "west", "purpose": "order", "order_id": 1, "state": "sent", "attempts": 1}
        conn.execute(
            insert(sends),
            [
                {**delivery, "id": 1, "key": "k2", "document_id": 2, "next_attempt_at": day, "created_at": day},
                {**delivery, "id": 2, "key": "k1", "document_id": 3, "next_attempt_at": day, "created_at": day},
            ],
        )
    store.close()
    store = Store.open(store_url)
    try:
        assert current(store.engine) == head()
        with store.transaction() as conn:
            rows = conn.execute(select(documents.c.id, documents.c.data, documents.c.data_ref).order_by("id")).all()
            assert [(r.id, bytes(r.data), r.data_ref) for r in rows] == [
                (1, b"ABC", None),
                (2, b"", ORDER),  # the same bytes as its order's JSON: moved there
                (3, b"[0]\n", None),  # an earlier revision's JSON: kept as it is
            ]
            assert document_bytes(conn, 2) == b"[1]\n" and document_bytes(conn, 3) == b"[0]\n"
            assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 2
    finally:
        store.close()
