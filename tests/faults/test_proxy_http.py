"""A fault proxy between ``crossdock run`` and its web hook resets, drops, refuses, cuts and delays the hook's
connections at random moments: no order is lost or doubled, and each repeated POST (same idempotency key) is
paid for by a connection the faults broke."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from crossdock.core.storage.store import Store
from tests.faultproxy import FaultProxy
from tests.faults.dealer import FAULTS, broken, deal, when
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import Runs, drop, hub_config, po_number, settled, wait_for, write_config

pytestmark = pytest.mark.faults

ROUNDS = 14
PER_ROUND = 4


def test_a_faulty_path_to_the_web_hook_loses_and_doubles_nothing(tmp_path: Path, rng: random.Random) -> None:
    folder = tmp_path / "drop"
    sinks = {n: tmp_path / n for n in (FOLDER_SINK, "partner-inbox")}
    dealt: list[str] = []
    names: list[str] = []
    with running_hook() as hook, Picker(sinks, tmp_path / "picked") as picker:
        proxy = FaultProxy(hook.server_address[1])
        url = f"sqlite:///{tmp_path}/crossdock.db"
        runs = Runs(
            tmp_path, write_config(tmp_path, hub_config(tmp_path, url, f"http://127.0.0.1:{proxy.port}/orders"))
        )
        store = Store.open(url)
        try:
            runs.start()
            for r in range(ROUNDS):
                names += drop(folder, range(r * PER_ROUND, (r + 1) * PER_ROUND))
                when(hook.count, 5)  # a POST just arrived: the next is on its way
                fault = rng.choice(FAULTS)
                deal(proxy, rng, fault, cut=(100, 2500))
                dealt.append(fault)
            proxy.heal()
            wait_for(lambda: settled(store, folder, len(names)), runs, 60, "the orders after the faults")
            assert len(runs.alive()) == 1, "the one process went through it all"
            pos = [po_number(n) for n in range(len(names))]
            cost = check_ground(store, pos, names, picker, hook, "partner-inbox")
        finally:
            runs.stop()
            store.close()
            proxy.close()
    print(f"dealt {dealt}; broke {broken(proxy)} connections, refused {proxy.refused}: {cost}")
    assert cost.http_repeats <= broken(proxy)
