"""Crash safety: ``crossdock run`` killed with SIGKILL at random moments loses and doubles nothing.

Thirty partner files (ninety orders), arriving a few at a time, are ingested and delivered by a
``crossdock run`` that is killed twenty times at random moments, then allowed to finish. Afterwards every
order exists once, every order file was delivered once under its one name, every inbound file was stored
and acknowledged once, and the control numbers of everything sent to the partner are unique and gap-free.
"""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.schema import deliveries, documents, orders
from crossdock.core.store import Store
from crossdock.mappings.x12.reader import parse
from tests.hub.conftest import base_config, start_run
from tests.hub.edi import interchange, order

FILES = 30
ORDERS_PER_FILE = 3
TRIALS = 20


def _done(tmp_path: Path, store: Store) -> bool:
    if any((tmp_path / "drop").glob("*.edi")):
        return False
    with store.transaction() as conn:
        open_deliveries = conn.execute(select(deliveries.c.id).where(deliveries.c.state == "pending")).first()
        unprocessed = conn.execute(select(documents.c.id).where(documents.c.state == "received")).first()
    return open_deliveries is None and unprocessed is None


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = base_config(tmp_path, "sqlite:///crossdock.db")
    data["sources"]["drop"]["schedule"] = {"every": 0.05}
    data["outbox"] = {"every": 0.05, "lease": 1}
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    rng = random.Random(20261122)
    files = [
        (f"po-{f:03d}.edi", [order(f"PO-{f:03d}-{i}", state=rng.choice(["CA", "TX"])) for i in range(ORDERS_PER_FILE)])
        for f in range(FILES)
    ]

    deadline = time.monotonic() + 150
    for trial in range(TRIALS):
        # files keep arriving, so most kills land while something is being read, processed or delivered
        for f in range(trial * FILES // TRIALS, (trial + 1) * FILES // TRIALS):
            name, batch = files[f]
            (drop / name).write_bytes(interchange(batch, control=f + 1))
        proc = start_run(config)
        time.sleep(rng.uniform(0.8, 2.5))  # the interpreter and imports take about 0.8 s
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert time.monotonic() < deadline, "the trials took too long"

    store = Store.open(f"sqlite:///{tmp_path}/crossdock.db")
    try:
        proc = start_run(config)
        try:
            while not _done(tmp_path, store):
                assert time.monotonic() < deadline + 60, "crossdock did not finish after the crashes"
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

        with store.transaction() as conn:
            pos = [r.po_number for r in conn.execute(select(orders.c.po_number))]
            inbound = conn.execute(select(documents.c.remote_name).where(documents.c.direction == "in")).all()
            sent = conn.execute(
                select(
                    deliveries.c.purpose, deliveries.c.state, documents.c.remote_name, documents.c.interchange_control
                ).join(documents, documents.c.id == deliveries.c.document_id)
            ).all()
    finally:
        store.close()

    expected = {f"PO-{f:03d}-{i}" for f in range(FILES) for i in range(ORDERS_PER_FILE)}
    assert sorted(pos) == sorted(expected), "every order once"
    assert sorted(r.remote_name for r in inbound) == sorted(f"po-{f:03d}.edi" for f in range(FILES))
    assert {r.state for r in sent} == {"sent"}
    order_files = sorted(r.remote_name for r in sent if r.purpose == "order")
    assert len(order_files) == len(expected) == len(set(order_files))
    delivered = sorted(p.name for d in ("west", "east") for p in (tmp_path / d).glob("*.json"))
    assert delivered == order_files, "every order file delivered once under its one name"
    for d in ("west", "east"):
        for p in (tmp_path / d).glob("*.json"):
            assert json.loads(p.read_text())["po_number"] in expected

    acks = [r for r in sent if r.purpose == "997"]
    assert len(acks) == FILES, "every inbound file acknowledged once"
    assert sum(1 for r in sent if r.purpose == "855") == len(expected)
    numbers = sorted(int(r.interchange_control) for r in sent if r.purpose in ("997", "855"))
    assert numbers == list(range(1, len(numbers) + 1)), "ISA13 unique and gap-free"
    partner = sorted((tmp_path / "partner-inbox").glob("*.edi"))
    assert len(partner) == len(numbers)
    assert sorted(int(parse(p.read_bytes())[0].control) for p in partner) == numbers
