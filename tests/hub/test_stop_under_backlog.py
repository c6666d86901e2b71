"""SIGTERM during a long poll: ``crossdock run`` stops after the chunk in hand, leaves what it did not read where it
is, loses nothing, and the outbox kept sending while the poll went on (from its thread, or from its own process
with ``outbox.process``)."""

from __future__ import annotations

import ctypes
import os
import signal
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.core.storage.store import Store
from tests.hub.conftest import base_config, ended_cleanly, running
from tests.hub.edi import interchange, order

FILES = 3000


@pytest.mark.parametrize("process", [False, True], ids=["dispatcher-thread", "dispatcher-process"])
def test_sigterm_under_a_backlog_stops_after_the_chunk_in_hand_and_loses_nothing(tmp_path: Path, process: bool) -> None:
    url = f"sqlite:///{tmp_path}/crossdock.db"
    data = base_config(tmp_path, url, outbox={"every": 0.1, "process": process})
    data["partners"]["northwind"]["send_855"] = False
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(FILES):
        (drop / f"po-{n:05d}.edi").write_bytes(interchange([order(f"PO-{n:05d}")], control=n + 1))
    store = Store.open(url)
    with running(config) as proc:
        deadline = time.monotonic() + 120
        # the first poll is under way and the outbox has sent some of what it recorded; a dispatcher in a child
        # process may start after the poll is well on, so there the signal comes once anything is recorded
        table, column, value = (
            (documents, documents.c.state, "processed") if process else (deliveries, deliveries.c.state, "sent")
        )
        while True:
            with store.transaction() as conn:
                sent = conn.execute(select(func.count()).select_from(table).where(column == value)).scalar_one()
            if sent:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "nothing was sent"
            time.sleep(0.02)
        unread_when_sent = sum(1 for _ in drop.glob("*.edi"))
        proc.send_signal(signal.SIGTERM)
        ended_cleanly(proc)
    assert unread_when_sent > 0, "the signal came while the poll still had files to read (after the outbox sent)"
    left = sorted(p.name for p in drop.glob("*.edi"))
    assert left, "the poll stopped before reading the whole backlog: the rest stays in place"
    with store.transaction() as conn:
        states = conn.execute(select(documents.c.state).where(documents.c.direction == "in")).scalars().all()
        pos = conn.execute(select(orders.c.po_number)).scalars().all()
    store.close()
    assert set(states) == {"processed"}, "every file read was recorded before the stop"
    assert len(pos) == len(set(pos)) == len(states), "one order per stored file, none twice"
    assert sorted(pos + ["PO-" + name[3:-4] for name in left]) == [f"PO-{n:05d}" for n in range(FILES)], "nothing lost"
    archived = {p.name for p in (drop / "archive").rglob("*.edi")}
    assert archived == {f"po-{po[3:]}.edi" for po in pos}, "exactly the recorded files were archived"


def test_sigterm_taken_by_another_thread_than_the_main_one_still_stops_run(tmp_path: Path) -> None:
    """The kernel gives a process's signal to any of its threads; Python runs the handler in the main thread only
    when that thread runs, so a main thread asleep without a timeout never stopped (the backlog test above timed
    out once so under load). Here the signal goes to a scheduler thread on purpose (``tgkill``)."""
    url = f"sqlite:///{tmp_path}/crossdock.db"
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(base_config(tmp_path, url, outbox={"every": 0.1})))
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-1")]))
    with running(config) as proc:
        deadline = time.monotonic() + 120
        while not (tmp_path / "west" / "northwind-PO-1-r1.json").exists():  # running: its threads are up
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "nothing was sent"
            time.sleep(0.05)
        others = sorted(int(tid) for tid in os.listdir(f"/proc/{proc.pid}/task") if int(tid) != proc.pid)
        assert others, "crossdock run has threads besides its main one"
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.tgkill(proc.pid, others[0], signal.SIGTERM) == 0, os.strerror(ctypes.get_errno())
        ended_cleanly(proc, timeout=60)
