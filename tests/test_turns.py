"""The SQLite store's writers of one process take turns in the order they asked."""

from __future__ import annotations

import threading
import time

from crossdock.core.storage.turns import Turns


def test_waiting_threads_get_their_turn_in_the_order_they_asked() -> None:
    turns = Turns()
    order: list[int] = []
    threads = []
    with turns:
        for n in range(6):
            thread = threading.Thread(target=lambda n=n: _take(turns, order, n))
            thread.start()
            threads.append(thread)
            while turns.waiting < n + 1:  # queued before the next one asks
                time.sleep(0.001)
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))


def test_the_holder_may_enter_again_and_the_lock_is_free_only_after_its_last_exit() -> None:
    turns = Turns()
    taken = threading.Event()
    with turns:
        with turns:
            pass
        other = threading.Thread(target=lambda: _take(turns, [], 0, taken))
        other.start()
        while turns.waiting < 1:
            time.sleep(0.001)
        assert not taken.is_set(), "still held after the inner exit"
    other.join(5)
    assert taken.is_set()


def _take(turns: Turns, order: list[int], n: int, taken: threading.Event | None = None) -> None:
    with turns:
        order.append(n)
        if taken is not None:
            taken.set()
