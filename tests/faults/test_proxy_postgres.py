"""A fault proxy between ``crossdock run`` and its PostgreSQL store resets, drops and refuses the database's
connections mid-poll and mid-dispatch: nothing is lost or doubled, no control number is reused or skipped, each
repeated POST is paid for by one fault, and the same process finishes the work once the path heals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from crossdock.core.storage.store import Store
from tests.faultproxy import FaultProxy
from tests.faults.dealer import deal, when
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import Runs, drop, hub_config, po_number, settled, wait_for, write_config

pytestmark = [pytest.mark.faults, pytest.mark.peers]

ROUNDS = 12
PER_ROUND = 4


def test_a_faulty_path_to_postgresql_loses_and_doubles_nothing_and_the_worker_recovers(
    tmp_path: Path, pg_schema: str, rng: random.Random
) -> None:
    direct = make_url(pg_schema)
    proxy = FaultProxy(direct.port or 5432, direct.host or "127.0.0.1")
    via_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    folder = tmp_path / "drop"
    sinks = {n: tmp_path / n for n in (FOLDER_SINK, "partner-inbox")}
    names: list[str] = []
    dealt: list[tuple[str, str]] = []
    with running_hook() as hook, Picker(sinks, tmp_path / "picked") as picker:
        runs = Runs(tmp_path, write_config(tmp_path, hub_config(tmp_path, via_proxy, hook.url)))
        store = Store.open(pg_schema)
        try:
            runs.start()
            for r in range(ROUNDS):
                names += drop(folder, range(r * PER_ROUND, (r + 1) * PER_ROUND))
                where = rng.choice(["poll", "dispatch"])
                # mid-poll: a file was just taken (stored, about to be processed); mid-dispatch: a POST just arrived
                when((lambda: sorted(folder.glob("*.edi"))) if where == "poll" else hook.count, 5)
                fault = rng.choice(["reset", "reset", "drop", "refuse"])
                deal(proxy, rng, fault, cut=(0, 0))
                dealt.append((where, fault))
            proxy.heal()
            wait_for(lambda: settled(store, folder, len(names)), runs, 90, "the work after the database came back")
            assert len(runs.alive()) == 1, "the one process went through it all"
            pos = [po_number(n) for n in range(len(names))]
            cost = check_ground(store, pos, names, picker, hook, "partner-inbox")
        finally:
            runs.stop()
            store.close()
            proxy.close()
    print(f"dealt {dealt}; {proxy.resets} reset, {proxy.dropped} dropped, {proxy.refused} refused: {cost}")
    assert cost.http_repeats <= len(dealt), "a fault costs at most the one send in flight"
