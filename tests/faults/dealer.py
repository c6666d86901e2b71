"""Faults dealt on a ``FaultProxy`` at moments a seeded random picks while crossdock works through it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from tests.faultproxy import FaultProxy

FAULTS = ("reset", "drop", "refuse", "cut", "delay")


def when(changed: Callable[[], object], seconds: float) -> None:
    """Return once ``changed()`` gives something else than it gave at first (a POST arrived, a file was taken):
    a moment in the middle of crossdock's work; or after ``seconds`` when nothing changed."""
    first = changed()
    deadline = time.monotonic() + seconds
    while changed() == first and time.monotonic() < deadline:
        time.sleep(0.005)


def deal(proxy: FaultProxy, rng: random.Random, fault: str, cut: tuple[int, int]) -> None:
    """One fault on the path through ``proxy``; one that lasts (a refusal, a cut, a delay) is healed before this
    returns. ``cut`` is the range of bytes a cut connection passes: into the protocol's transfers."""
    if fault == "reset":
        proxy.reset_all()
    elif fault == "drop":
        proxy.drop_all()
    elif fault == "refuse":  # the peer is down for a moment: open connections die, new ones are refused
        proxy.refusing = True
        proxy.reset_all()
        time.sleep(rng.uniform(0.3, 1.5))
        proxy.refusing = False
    elif fault == "cut":
        proxy.cut_after = rng.randint(*cut)
        proxy.drop_all()
        time.sleep(rng.uniform(0.3, 1.0))
        proxy.cut_after = None
    elif fault == "delay":
        proxy.delay = rng.uniform(0.02, 0.2)
        time.sleep(rng.uniform(0.3, 1.0))
        proxy.delay = 0.0
    else:
        raise ValueError(fault)


def broken(proxy: FaultProxy) -> int:
    """Connections the faults broke: each could have held one request whose answer never came back."""
    return proxy.resets + proxy.dropped + proxy.cuts
