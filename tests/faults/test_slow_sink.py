"""Two ``crossdock run`` workers on one PostgreSQL store and a web hook slower than the outbox lease (issue 16,
4.3: 28 of 110 orders were sent twice): each worker renews its lease while it sends, so nothing is sent twice,
by idempotency key, and nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.core.storage.store import Store
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import Runs, drop, hub_config, po_number, settled, wait_for, write_config

pytestmark = [pytest.mark.faults, pytest.mark.peers]

ORDERS = 8
LEASE = 2.0
ANSWER = 2.5  # each POST outlives the lease it was claimed under


def test_two_workers_send_nothing_twice_to_a_hook_slower_than_the_lease(tmp_path: Path, pg_schema: str) -> None:
    folder = tmp_path / "drop"
    sinks = {n: tmp_path / n for n in (FOLDER_SINK, "partner-inbox")}
    with running_hook(delay=ANSWER) as hook, Picker(sinks, tmp_path / "picked") as picker:
        data = hub_config(tmp_path, pg_schema, hook.url)
        data["outbox"] = {"every": 0.05, "batch": 2, "lease": LEASE}
        runs = Runs(tmp_path, write_config(tmp_path, data))
        store = Store.open(pg_schema)
        try:
            names = drop(folder, range(ORDERS))
            runs.start()
            runs.start()
            wait_for(lambda: settled(store, folder, ORDERS), runs, 120, "both workers finishing")
            cost = check_ground(store, [po_number(n) for n in range(ORDERS)], names, picker, hook, "partner-inbox")
        finally:
            runs.stop()
            store.close()
    assert hook.most_at_once >= 2, "both workers were sending at once"
    assert cost.http_repeats == 0, f"sent twice: {cost.repeated_keys}"
    assert cost.file_rewrites == cost.answer_rewrites == 0
