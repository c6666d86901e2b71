"""A partner's upload that stalls half-way for longer than ``min_age``, through ``crossdock run`` end to end
(issue 16, 4.1): the half file is never read nor archived while the source's other files go on, and once whole
it is read once, whole, and its three POs reach both sinks with their 997 and 855s."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from crossdock.core.storage.schema import documents
from crossdock.core.storage.store import Store
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import Runs, drop, hub_config, po_number, settled, wait_for, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_stalled_uploads import stalled_writer

pytestmark = pytest.mark.faults

STALLED = [f"PO-9{i:03d}" for i in range(3)]
DATA = interchange([order(po, skus=("MUG-BLU", "KTL-RED")) for po in STALLED], control=900)


def stored_names(store: Store) -> list[str]:
    with store.transaction() as conn:
        return list(conn.execute(select(documents.c.remote_name).where(documents.c.direction == "in")).scalars())


def test_a_stalled_upload_waits_whole_through_crossdock_run_while_the_other_files_go_on(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crossdock.db"
    folder = tmp_path / "drop"
    stalled = folder / "po-stalled.edi"
    with (
        running_hook() as hook,
        Picker({n: tmp_path / n for n in (FOLDER_SINK, "partner-inbox")}, tmp_path / "picked") as picker,
    ):
        data = hub_config(tmp_path, url, hook.url)
        data["sources"]["drop"].update(min_age=1.0, schedule={"every": 0.1})
        runs = Runs(tmp_path, write_config(tmp_path, data))
        store = Store.open(url)
        resume = threading.Event()
        writer = None
        try:
            runs.start()
            names = drop(folder, range(3))
            wait_for(lambda: settled(store, folder, 3), runs, 60, "the first files")
            writer, _ = stalled_writer(stalled, resume, DATA)
            names += drop(folder, range(3, 6))  # stable later than the half file: read only after it looked stable
            while not settled(store, None, 6):
                assert "po-stalled.edi" not in stored_names(store), "the half file was read"
                assert stalled.exists(), "the half file was archived"
                assert writer.is_alive() and len(runs.alive()) == 1, runs.tail()
                time.sleep(0.05)
            assert stalled.read_bytes() == DATA[: len(DATA) // 2]
            resume.set()
            writer.join()
            names.append(stalled.name)
            wait_for(lambda: settled(store, folder, 7), runs, 60, "the whole file")
            pos = [po_number(n) for n in range(6)] + STALLED
            cost = check_ground(store, pos, names, picker, hook, "partner-inbox")
            with store.transaction() as conn:
                (whole,) = conn.execute(select(documents.c.data).where(documents.c.remote_name == stalled.name)).all()
        finally:
            resume.set()
            if writer is not None:
                writer.join()
            runs.stop()
            store.close()
    assert bytes(whole.data) == DATA, "stored whole"
    (archived,) = (folder / "archive").rglob(stalled.name)
    assert archived.read_bytes() == DATA
    assert cost.http_repeats == cost.file_rewrites == cost.answer_rewrites == 0
