"""A worker sets its start-up heap aside from the collector (in a child process: it changes the whole process)."""

from __future__ import annotations

import subprocess
import sys


def test_settle_freezes_what_start_up_left_and_collects_the_young_less_often() -> None:
    code = (
        "import gc; from crossdock.core import heap; heap.settle(); "
        "print(gc.get_freeze_count() > 1000, gc.get_threshold()[0] == heap.YOUNG_THRESHOLD)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]
