"""Every worker shares the processing of stored documents: claimed with SKIP LOCKED on PostgreSQL, whichever
worker's poll stored them, each recorded once, a PO's revisions ending in the later stored one."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crossdock import scheduler
from crossdock.core import x12_inbound
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, ingest_many, process, process_received
from crossdock.core.ports import Inbound
from crossdock.core.storage.schema import deliveries, documents, events, orders
from crossdock.scheduler import Worker
from tests.hub.conftest import _pg_schema_url, base_config, write_config
from tests.hub.edi import interchange, order


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get("CROSSDOCK_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL peer: run scripts/peers up (CROSSDOCK_PG_URL unset)")
    yield from _pg_schema_url(base)


def _po_file(n: int, **kwargs: Any) -> bytes:
    return interchange([order(f"PO-{n:03d}", **kwargs)], control=n + 1)


def _isa_numbers(hub: Hub) -> list[int]:
    """The ISA13s of every 997 and 855 written to the partner."""
    with hub.store.transaction() as conn:
        query = select(documents.c.interchange_control).where(documents.c.kind.in_(["997", "855"]))
        return sorted(int(n) for n in conn.execute(query).scalars())


@pytest.mark.peers
def test_a_worker_takes_the_stored_documents_another_does_not_hold(tmp_path: Path, pg_url: str) -> None:
    config = write_config(tmp_path, base_config(tmp_path, pg_url))
    first, second = Hub(config), Hub(config)
    try:
        items = [Inbound(name=f"po-{n}.edi", data=_po_file(n), identity=f"po-{n}") for n in range(10)]
        stored = [got.document_id for got in ingest_many(first, "drop", items)]
        with first.store.transaction() as conn:
            held = [int(row.id) for row in first.store.claim_received(conn, 4)]  # the first worker is on these
            taken = process_received(second)
        assert held == stored[:4]
        assert [p.document_id for p in taken] == stored[4:], "the second worker skips what the first holds"
        assert all(p.state == "processed" and p.orders_new == 1 for p in taken)
        rest = process_received(first)
        assert [p.document_id for p in rest] == stored[:4]
        assert process_received(second) == [] and process_received(first) == []
        with first.store.transaction() as conn:
            assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 10
            assert conn.execute(select(func.count()).select_from(deliveries)).scalar_one() == 30  # 997, 855, order
        assert _isa_numbers(first) == list(range(1, 21)), "ISA13 gap-free and unique across both workers"
    finally:
        first.close()
        second.close()


@pytest.mark.peers
def test_two_workers_share_the_processing_of_one_source(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = base_config(tmp_path, pg_url, process_every=0.05, outbox={"every": 0.05})
    data["sources"]["drop"]["schedule"] = {"every": 0.05}
    config = write_config(tmp_path, data)
    for n in range(40):
        (tmp_path / "drop" / f"po-{n:03d}.edi").write_bytes(_po_file(n))
    monkeypatch.setattr(scheduler, "PROCESS_CHUNK", 4)
    recorded: dict[int, list[int]] = {}
    lock = threading.Lock()
    real = x12_inbound._record_all

    def record_all(hub: Hub, conn: Any, rows: list[Any], guarded: bool, ahead: Any) -> Any:
        with lock:
            recorded.setdefault(id(hub), []).extend(int(row.id) for row in rows if row.state == "received")
        time.sleep(0.05)  # a chunk takes a while, as a real one does, so the other worker's turn comes
        return real(hub, conn, rows, guarded, ahead)

    monkeypatch.setattr(x12_inbound, "_record_all", record_all)
    workers = [Worker(config) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            with workers[0].hub.store.transaction() as conn:
                states = conn.execute(select(documents.c.state).where(documents.c.direction == "in")).scalars().all()
                pending = conn.execute(select(deliveries.c.id).where(deliveries.c.state != "sent")).first()
            if states == ["processed"] * 40 and pending is None:
                break
            assert time.monotonic() < deadline, f"not done: {sorted(set(states))}"
            time.sleep(0.05)
        with workers[0].hub.store.transaction() as conn:
            pos = conn.execute(select(orders.c.po_number)).scalars().all()
            said = conn.execute(select(events.c.message).where(events.c.kind == "order")).scalars().all()
        numbers = _isa_numbers(workers[0].hub)
    finally:
        for worker in workers:
            worker.stop()
    shares = [recorded.get(id(worker.hub), []) for worker in workers]
    assert all(shares), f"both workers processed documents of the one source: {[len(s) for s in shares]}"
    assert sorted(shares[0] + shares[1]) == sorted(set(shares[0] + shares[1])), "no document processed twice"
    assert len(shares[0]) + len(shares[1]) == 40
    assert sorted(pos) == [f"PO-{n:03d}" for n in range(40)]
    assert sum("received" in message for message in said) == 40
    assert numbers == list(range(1, 81)), "40 997s and 40 855s, ISA13 gap-free across both workers"


def test_a_later_stored_revision_wins_whatever_order_they_are_recorded_in(hub: Hub) -> None:
    """Two workers may record two revisions of a PO at once and commit them in either order."""

    original = ingest(hub, "drop", Inbound(name="0.edi", data=_po_file(1, qty=5), identity="0")).document_id
    older = ingest(hub, "drop", Inbound(name="1.edi", data=_po_file(1, qty=6), identity="1")).document_id
    newer = ingest(hub, "drop", Inbound(name="2.edi", data=_po_file(1, qty=7), identity="2")).document_id
    assert process(hub, original).orders_new == 1
    assert process(hub, newer).orders_changed == 1, "the later stored revision is recorded first"
    late = process(hub, older)
    assert late.state == "processed" and late.orders_changed == 0 and late.orders_unchanged == 1
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(orders.c.revision, orders.c.data, orders.c.document_id)).all()
        said = conn.execute(select(events.c.message).where(events.c.kind == "order")).scalars().all()
    assert row.revision == 2 and row.document_id == newer and '"quantity":"7"' in row.data
    assert any("older version arrived late" in message for message in said)


def test_a_new_po_stored_twice_ends_in_the_later_version_recorded_first(hub: Hub) -> None:
    older = ingest(hub, "drop", Inbound(name="1.edi", data=_po_file(1, qty=6), identity="1")).document_id
    newer = ingest(hub, "drop", Inbound(name="2.edi", data=_po_file(1, qty=7), identity="2")).document_id
    assert process(hub, newer).orders_new == 1
    assert process(hub, older).orders_new == 0
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(orders.c.revision, orders.c.data)).all()
    assert row.revision == 1 and '"quantity":"7"' in row.data
