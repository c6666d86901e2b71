"""The X12 850 path of this checkout against another one (say an export of main), in CPU seconds, side by side.

    git archive main | tar -x -C /tmp/main && .venv/bin/python bench/x12_versus.py /tmp/main [--rounds 4]

On a machine shared with other work the wall clock of one run moves by half; CPU seconds of this process
(``time.process_time``) move far less. Each round runs both checkouts, one after the other, each in a fresh
process that takes the best of five passes over ``bench/out/po850_10mb.x12`` (``bench/x12_bench.py`` writes it)
of: read and validate; read, validate and map (``order_from_850``); and the hub's ``x12.read``. It prints
each round and the median of the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "out" / "po850_10mb.x12"
STEPS = ("read + validate", "read + validate + map", "hub x12.read")
CHILD = """
import sys, time
from pathlib import Path
from crossdock.mappings.x12.hub import read
from crossdock.mappings.x12.po850 import order_from_850
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import validate

data = Path(sys.argv[1]).read_bytes()

def checked():
    for ts in read_transactions(data):
        validate(ts)

def mapped():
    for ts in read_transactions(data):
        validate(ts)
        order_from_850(ts)

def cpu(step):
    best = None
    for _ in range(5):
        t0 = time.process_time()
        step()
        took = time.process_time() - t0
        best = took if best is None else min(best, took)
    return best

print(" ".join(str(cpu(step)) for step in (checked, mapped, lambda: read(data))))
"""


def run(root: Path) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(CORPUS)], env=env, capture_output=True, text=True, check=True
    )
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout's root (the one with crossdock/ in it)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is missing: run bench/x12_bench.py --quick first")
    ratios: list[list[float]] = [[] for _ in STEPS]
    print(f"CPU seconds, best of 5, {CORPUS.name}; other = {args.other}")
    for r in range(args.rounds):
        other, this = run(args.other), run(ROOT)
        for i, (a, b) in enumerate(zip(other, this, strict=True)):
            ratios[i].append(b / a)
        cells = "  ".join(f"{s}: {a:.3f} -> {b:.3f}" for s, a, b in zip(STEPS, other, this, strict=True))
        print(f"round {r + 1}: {cells}")
    for step, found in zip(STEPS, ratios, strict=True):
        rounds = ", ".join(f"{x:.2f}" for x in found)
        print(f"{step:<24} this / other: median {statistics.median(found):.2f} (rounds {rounds})")


if __name__ == "__main__":
    main()
