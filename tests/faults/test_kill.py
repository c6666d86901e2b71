"""``crossdock run`` killed with SIGKILL at random moments, at least 25 times, while one-PO files keep arriving
and each order goes to a folder sink and a web hook: afterwards no order is lost or doubled, no control number
reused or skipped, and each kill cost the web hook at most the one POST it had in flight."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from crossdock.core.storage.store import Store
from tests.faults.ground import FOLDER_SINK, Picker, check_ground
from tests.faults.hook import running_hook
from tests.faults.runs import BATCH, Runs, drop, hub_config, po_number, settled, wait_for, write_config

pytestmark = pytest.mark.faults

KILLS = 26
FILES = 130  # one PO each, five arriving before each start


def test_sigkill_at_random_moments_loses_doubles_and_repeats_nothing_beyond_the_sends_in_flight(
    tmp_path: Path, rng: random.Random
) -> None:
    url = f"sqlite:///{tmp_path}/crossdock.db"
    folders = {name: tmp_path / name for name in (FOLDER_SINK, "partner-inbox")}
    names: list[str] = []
    posts_at_kill: list[int] = []
    with running_hook(delay=0.01) as hook, Picker(folders, tmp_path / "picked") as picker:
        runs = Runs(tmp_path, write_config(tmp_path, hub_config(tmp_path, url, hook.url)))
        store = Store.open(url)
        try:
            for kill in range(KILLS):
                names += drop(tmp_path / "drop", range(kill * FILES // KILLS, (kill + 1) * FILES // KILLS))
                proc = runs.start()
                if rng.random() < 0.3:  # anywhere from start-up (the interpreter takes ~0.8 s) into the first polls
                    time.sleep(rng.uniform(0.3, 1.5))
                else:  # once this process sends, somewhere in its work: a poll, a dispatch, a flush
                    before = hook.count()
                    deadline = time.monotonic() + 5
                    while hook.count() == before and time.monotonic() < deadline and proc.poll() is None:
                        time.sleep(0.01)
                    time.sleep(rng.uniform(0.0, 0.3))
                runs.kill(proc)
                posts_at_kill.append(hook.count())
            runs.start()
            wait_for(lambda: settled(store, tmp_path / "drop", FILES), runs, 90, "finish after the kills")
            cost = check_ground(store, [po_number(n) for n in range(FILES)], names, picker, hook, "partner-inbox")
        finally:
            runs.stop()
            store.close()

    print(f"{KILLS} kills: {cost}")
    # a kill repeats at most the POST it had in flight: every copy of a key but its last is the last POST the
    # hook saw before some kill (or one it was still reading when the process died)
    in_flight = {i for n in posts_at_kill for i in (n - 1, n)}
    with hook.lock:
        last = {post.key: i for i, post in enumerate(hook.posts)}
        early = [i for i, post in enumerate(hook.posts) if i != last[post.key]]
    assert cost.http_repeats == len(early) <= KILLS
    assert set(early) <= in_flight, f"repeated though not in flight at a kill: {sorted(set(early) - in_flight)}"
    # a folder sink makes a batch durable at its flush, then records it: a kill in between writes it again
    assert cost.file_rewrites <= KILLS * BATCH and cost.answer_rewrites <= KILLS * BATCH
