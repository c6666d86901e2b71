"""An order's JSON is stored once: the document sent to a destination that takes crossdock's order JSON reads
its bytes from the order, gets its own copy back before the order changes, and old stores are moved over."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import func, select, text

from crossdock.core.hub import Hub
from crossdock.core.migrate import _config, current, head
from crossdock.core.order_json import ORDER, document_bytes
from crossdock.core.queries import Queries
from crossdock.core.schema import deliveries, documents, orders
from crossdock.core.store import Store, sha256
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


def test_the_migration_moves_an_old_store_s_copies_and_drops_no_bytes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    store = Store.open(url, migrate=False)
    cfg = _config()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.execute(
            text(
                "INSERT INTO documents (id, direction, sha256, size, data, kind, state, created_at, updated_at) VALUES "
                "(1, 'in', 'x', 3, X'414243', 'x12', 'processed', '2026-01-01', '2026-01-01'),"
                "(2, 'out', 'x', 4, CAST('[1]' || char(10) AS BLOB), 'order', 'sent', '2026-01-01', '2026-01-01'),"
                "(3, 'out', 'x', 4, CAST('[0]' || char(10) AS BLOB), 'order', 'sent', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO orders (id, channel, partner, external_id, po_number, status, revision, data, "
                "document_id, created_at, updated_at) "
                "VALUES (1, 'x12', 'p', 'PO', 'PO', 'routed', 2, '[1]', 1, '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO deliveries (id, key, sink, purpose, order_id, document_id, state, attempts, "
                "next_attempt_at, created_at) VALUES "
                "(1, 'k2', 'west', 'order', 1, 2, 'sent', 1, '2026-01-01', '2026-01-01'),"
                "(2, 'k1', 'west', 'order', 1, 3, 'sent', 1, '2026-01-01', '2026-01-01')"
            )
        )
    store.close()
    store = Store.open(url)
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
