"""Two ``crossdock run`` processes on one PostgreSQL store share the work and double nothing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.storage.schema import deliveries, documents, events, orders
from crossdock.core.storage.store import Store
from tests.hub.conftest import _pg_schema_url, base_config, start_run
from tests.hub.edi import interchange, order

pytestmark = pytest.mark.peers


@pytest.fixture
def pg_url() -> Iterator[str]:
    base = os.environ.get("CROSSDOCK_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL peer: run scripts/peers up (CROSSDOCK_PG_URL unset)")
    yield from _pg_schema_url(base)


def test_two_workers_share_one_postgresql_store(tmp_path: Path, pg_url: str) -> None:
    data = base_config(tmp_path, pg_url)
    data["sources"]["drop"]["schedule"] = {"every": 0.1}
    data["outbox"] = {"every": 0.1, "batch": 5}
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    store = Store.open(pg_url)
    procs = [start_run(config) for _ in range(2)]
    try:
        for f in range(20):
            staged = drop / f"po-{f:02d}.part"  # whole, then renamed: the workers poll with min_age 0
            staged.write_bytes(interchange([order(f"PO-{f:02d}-{i}") for i in range(3)], control=f + 1))
            staged.rename(drop / f"po-{f:02d}.edi")
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while True:
            with store.transaction() as conn:
                pending = conn.execute(select(deliveries.c.id).where(deliveries.c.state != "sent")).first()
                docs = conn.execute(select(documents.c.state).where(documents.c.direction == "in")).scalars().all()
            if not any(drop.glob("*.edi")) and pending is None and docs == ["processed"] * 20:
                break
            assert time.monotonic() < deadline, "the workers did not finish"
            assert all(p.poll() is None for p in procs)
            time.sleep(0.1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    try:
        with store.transaction() as conn:
            pos = [r[0] for r in conn.execute(select(orders.c.po_number))]
            sent = conn.execute(
                select(deliveries.c.purpose, documents.c.remote_name, documents.c.interchange_control).join(
                    documents, documents.c.id == deliveries.c.document_id
                )
            ).all()
            senders = {r[0] for r in conn.execute(select(events.c.message).where(events.c.kind == "sent"))}
    finally:
        store.close()
    assert all(p.returncode == 0 for p in procs)
    assert sorted(pos) == sorted(f"PO-{f:02d}-{i}" for f in range(20) for i in range(3))
    order_files = [r.remote_name for r in sent if r.purpose == "order"]
    assert len(order_files) == 60 == len(set(order_files))
    numbers = sorted(int(r.interchange_control) for r in sent if r.purpose in ("997", "855"))
    assert numbers == list(range(1, 81)), "20 997s and 60 855s, ISA13 unique and gap-free across both workers"
    assert len(senders) == 140
