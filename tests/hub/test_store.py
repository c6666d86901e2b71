"""The store on both engines: migrations, control numbers, leases, cursors and claiming work."""

from __future__ import annotations

import json
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from crossdock.core.storage.migrate import current, head
from crossdock.core.storage.schema import metadata, sequences
from crossdock.core.storage.store import Store


def test_migrations_build_exactly_the_schema_the_code_uses(store: Store) -> None:
    assert current(store.engine) == head()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_opening_twice_migrates_once(store_url: str) -> None:
    Store.open(store_url).close()
    again = Store.open(store_url)
    assert current(again.engine) == head()
    again.close()


def test_control_numbers_are_consecutive_per_partner_and_kind(store: Store) -> None:
    with store.transaction() as conn:
        assert store.next_numbers(conn, "acme", "isa") == 1
        assert store.next_numbers(conn, "acme", "isa", 3) == 2
        assert store.next_numbers(conn, "acme", "isa") == 5
        assert store.next_numbers(conn, "other", "isa") == 1
        assert store.next_numbers(conn, "acme", "gs") == 1


def test_a_rolled_back_number_is_given_again_so_there_is_no_gap(store: Store) -> None:
    with store.transaction() as conn:
        store.next_numbers(conn, "acme", "isa")
    with pytest.raises(RuntimeError), store.transaction() as conn:
        assert store.next_numbers(conn, "acme", "isa") == 2
        raise RuntimeError("the document could not be recorded")
    with store.transaction() as conn:
        assert store.next_numbers(conn, "acme", "isa") == 2


def test_numbers_are_never_given_twice_under_concurrency(store: Store) -> None:
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(25):
            with store.transaction() as conn:
                n = store.next_numbers(conn, "acme", "isa")
            with lock:
                got.append(n)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 101))
    with store.transaction() as conn:
        assert conn.execute(select(sequences.c.value).where(sequences.c.scope == "acme")).scalar() == 100


def test_a_control_number_past_nine_digits_is_refused(store: Store) -> None:
    with store.transaction() as conn:
        store.next_numbers(conn, "acme", "isa", 999_999_999)
    with pytest.raises(OverflowError, match="acme/isa"), store.transaction() as conn:
        store.next_numbers(conn, "acme", "isa")


def test_a_lease_is_held_by_one_owner_until_it_expires(store: Store) -> None:
    with store.transaction() as conn:
        assert store.acquire_lease(conn, "source:a", "w1", 60)
        assert not store.acquire_lease(conn, "source:a", "w2", 60)
        assert store.acquire_lease(conn, "source:a", "w1", 60), "the holder renews"
        assert store.acquire_lease(conn, "source:b", "w2", 60)
    with store.transaction() as conn:
        assert store.acquire_lease(conn, "source:c", "w1", -1)  # already expired
        assert store.acquire_lease(conn, "source:c", "w2", 60)
        store.release_lease(conn, "source:a", "w1")
        assert store.acquire_lease(conn, "source:a", "w2", 60)


def test_cursors_are_saved_and_replaced(store: Store) -> None:
    with store.transaction() as conn:
        assert store.cursor(conn, "shop") is None
        store.set_cursor(conn, "shop", "2026-11-20T00:00:00Z")
        store.set_cursor(conn, "shop", "2026-11-21T00:00:00Z")
        assert store.cursor(conn, "shop") == "2026-11-21T00:00:00Z"


def _queue(store: Store, n: int) -> None:
    with store.transaction() as conn:
        for i in range(n):
            doc = store.add_document(conn, direction="out", data=b"x%d" % i, state="queued", remote_name=f"f{i}")
            store.enqueue(conn, key=f"k{i}", sink="s", purpose="order", document_id=doc)


def test_an_idempotency_key_is_queued_once(store: Store) -> None:
    with store.transaction() as conn:
        doc = store.add_document(conn, direction="out", data=b"x", state="queued")
        assert store.enqueue(conn, key="same", sink="s", purpose="order", document_id=doc) is not None
        assert store.enqueue(conn, key="same", sink="s", purpose="order", document_id=doc) is None


def test_two_workers_never_claim_the_same_delivery(store: Store) -> None:
    _queue(store, 6)
    with store.transaction() as conn:
        first = store.claim(conn, "w1", limit=4, lease=60)
    with store.transaction() as conn:
        second = store.claim(conn, "w2", limit=4, lease=60)
    assert len(first) == 4 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}
    with store.transaction() as conn:
        assert store.claim(conn, "w3", limit=4, lease=60) == []


def test_an_expired_lease_returns_the_delivery_to_the_pool(store: Store) -> None:
    _queue(store, 1)
    with store.transaction() as conn:
        (item,) = store.claim(conn, "w1", limit=1, lease=-1)
    with store.transaction() as conn:
        (again,) = store.claim(conn, "w2", limit=1, lease=60)
        assert again.id == item.id
        assert store.still_held(conn, [item.id], "w1") == set(), "the old holder lost the lease"
        assert store.still_held(conn, [item.id], "w2") == {item.id}


@pytest.mark.peers
def test_skip_locked_lets_two_open_transactions_claim_disjoint_work(pg_store: Store) -> None:
    """The PostgreSQL path; SQLite serialises writers with BEGIN IMMEDIATE instead."""
    store = pg_store
    _queue(store, 4)
    with store.engine.connect() as a, store.engine.connect() as b:
        ta, tb = a.begin(), b.begin()
        first = store.claim(a, "w1", limit=2, lease=60)
        second = store.claim(b, "w2", limit=4, lease=60)  # does not wait for a's locked rows
        ta.commit()
        tb.commit()
    assert len(first) == 2 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}


def _order_row(external_id: str) -> dict[str, object]:
    return {
        "channel": "x12",
        "partner": "acme",
        "external_id": external_id,
        "po_number": external_id,
        "status": "routed",
        "revision": 1,
        "data": json.dumps({"po_number": external_id}),
    }


def test_orders_inserted_together_get_their_ids_in_order_and_a_repeated_key_is_a_race(store: Store) -> None:
    from crossdock.core.storage.schema import orders
    from crossdock.core.storage.store import OrderRace

    with store.transaction() as conn:
        ids = store.insert_orders(conn, [_order_row("PO-1"), _order_row("PO-2"), _order_row("PO-3")])
    with store.transaction() as conn:
        stored = {int(row.id): row.external_id for row in conn.execute(select(orders.c.id, orders.c.external_id))}
    assert stored == dict(zip(ids, ["PO-1", "PO-2", "PO-3"], strict=True))
    with pytest.raises(OrderRace), store.transaction() as conn:
        store.insert_orders(conn, [_order_row("PO-4"), _order_row("PO-2")])
    with store.transaction() as conn:
        assert conn.execute(select(orders.c.external_id).where(orders.c.external_id == "PO-4")).first() is None


@pytest.mark.peers
def test_a_postgresql_connection_is_checked_only_after_sitting_idle_and_a_dead_one_is_replaced(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    from crossdock.core.storage import engine as engines

    pings: list[int] = []
    ping = pg_store.engine.dialect.do_ping
    monkeypatch.setattr(pg_store.engine.dialect, "do_ping", lambda dbapi: pings.append(1) or ping(dbapi))
    with pg_store.transaction() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    for _ in range(3):  # back to back: handed out again unchecked, no round trip of its own
        with pg_store.transaction() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == first
    assert pings == []
    other = Store.open(str(pg_store.engine.url.render_as_string(hide_password=False)))
    with other.transaction() as conn:  # the server ends the pooled connection while it sits in the pool
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    other.close()
    monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)  # as if it had sat idle: checked, found dead, replaced
    with pg_store.transaction() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    assert pings
