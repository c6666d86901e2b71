"""`crossdock x12 to-json` beside `crossdock x12 validate` on one big 850 file: wall time and peak RSS of each.

Run by hand, never in the tests::

    .venv/bin/python bench/tojson_bench.py             # 50 MB file, medians of 5 runs per command
    .venv/bin/python bench/tojson_bench.py --mb 5 --runs 1

The file is made of the corpus's own 850s (``tests/data/corpus/x12/850``): every set the validator accepts in a
004010 group, rewritten with ``*``, ``>``, ``^`` and ``~`` plus a newline, each as often as the others, 500 sets
to an interchange (a group per version), until the file is big enough.

Each command runs as a child process of this script, its output sent to /dev/null, and the commands take turns
run after run, so that other work on the machine weighs on each alike. A child's peak RSS is what GNU
``/usr/bin/time -f %M`` reports, not this script's own ``getrusage``: on Linux a child's ``ru_maxrss`` starts at
its parent's peak. A ``python -c pass`` child is measured the same way to show the floor. Targets (issue 15):
to-json under 200 MiB, and at least a third of validate's speed. bench/README.md has the method and results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
CORPUS_850 = ROOT / "tests" / "data" / "corpus" / "x12" / "850"
sys.path.insert(0, str(ROOT))

from crossdock.mappings.x12.reader import read_transactions  # noqa: E402
from crossdock.mappings.x12.validator import status, validate  # noqa: E402

MB = 1_000_000
MIB = 1 << 20
SETS_PER_INTERCHANGE = 500
TARGETS = {"tojson_peak_mib": 200.0, "speed_vs_validate": 1 / 3}
TIME = "/usr/bin/time"  # GNU time: a child of the parent's ru_maxrss starts at the parent's peak
RESERVED = frozenset("*>^~\n\r")


Segments = list[list[str]]


def corpus_sets() -> list[tuple[str, Segments]]:
    """The accepted 004010-family 850 sets of the corpus, as (GS08, segments of plain element values)."""
    found = []
    for path in sorted(CORPUS_850.glob("*.edi")):
        for ts in read_transactions(path):
            version = ts.group.version
            validate(ts)
            if not version.startswith("004010") or status(ts) == "rejected":
                continue
            d = ts.delimiters
            segments = []
            for seg in ts.segments:
                values = [v.replace(d.component, ">") if d.component else v for v in seg.elements]
                if d.repetition:
                    values = [v.replace(d.repetition, "^") for v in values]
                segments.append(values)
            raw = "".join(v for seg in segments for v in seg).replace(">", "").replace("^", "")
            if not RESERVED.intersection(raw):
                found.append((version, segments))
    return found


def interchanges(sets: list[tuple[str, Segments]]) -> Iterator[str]:
    """Endless interchanges of the corpus sets in turn (each as often as any other), a group per version,
    every set renumbered (ST02/SE02) so that none repeats a control number."""
    control = 0
    while True:
        control += 1
        by_version: dict[str, list[Segments]] = {}
        for i in range(SETS_PER_INTERCHANGE):
            version, segments = sets[((control - 1) * SETS_PER_INTERCHANGE + i) % len(sets)]
            by_version.setdefault(version, []).append(segments)
        lines = [
            "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *261207*0600*U*"
            f"00401*{control:09d}*0*P*>~"
        ]
        for g, (version, group) in enumerate(by_version.items(), 1):
            lines.append(f"GS*PO*BUYER*CROSSDOCK*20261207*0600*{g}*X*{version}~")
            for n, segments in enumerate(group, 1):
                for seg in segments:
                    values = [*seg[:2], f"{n:04d}", *seg[3:]] if seg[0] in ("ST", "SE") else seg
                    lines.append("*".join(values) + "~")
            lines.append(f"GE*{len(group)}*{g}~")
        lines += [f"IEA*{len(by_version)}*{control:09d}~", ""]
        yield "\n".join(lines)


def generate(path: Path, size: int) -> dict[str, int]:
    sets = corpus_sets()
    written = count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="latin-1") as fh:
        for text in interchanges(sets):
            if written >= size:
                break
            fh.write(text)
            written += len(text)
            count += 1
    return {"bytes": written, "interchanges": count, "sets": count * SETS_PER_INTERCHANGE, "corpus_sets": len(sets)}


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds
    peak_mib: float
    exit: int


def run(argv: list[str]) -> Run:
    """One child process, timed here and by GNU time (its CPU seconds and peak RSS)."""
    report = OUT / "time.out"
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        code = subprocess.run(
            [TIME, "-f", "%U %S %M", "-o", str(report), *argv], stdout=sink, stderr=subprocess.DEVNULL, check=False
        ).returncode
    seconds = time.perf_counter() - t0
    user, system, peak = report.read_text().split()[-3:]
    return Run(seconds, float(user) + float(system), int(peak) / 1024, code)


def measure(commands: dict[str, list[str]], runs: int) -> dict[str, list[Run]]:
    """Each command ``runs`` times, taking turns, so that a change in the machine's load falls on all of them."""
    results: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, argv in commands.items():
            results[label].append(run(argv))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50, help="size of the file in MB (default 50)")
    ap.add_argument("--runs", type=int, default=5, help="runs per command, medians reported (default 5)")
    args = ap.parse_args()

    big = OUT / f"po850_corpus_{args.mb:g}mb.x12"
    print(f"machine: {os.cpu_count()} cpus, Python {platform.python_version()} on {platform.platform()}")
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    t0 = time.perf_counter()
    corpus = generate(big, int(args.mb * MB))
    print(f"{big.name}: {corpus} (made in {time.perf_counter() - t0:.1f} s)")

    crossdock = [sys.executable, "-m", "crossdock.cli", "x12"]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "x12 validate": [*crossdock, "validate", str(big)],
        "x12 to-json": [*crossdock, "to-json", str(big)],
    }
    results = measure(commands, args.runs)
    print(f"{'command':<16} {'wall s':>7} {'MB/s':>7} {'CPU s':>7} {'peak RSS MiB':>13} {'exit':>5}  (medians)")
    summary = {}
    for label, runs in results.items():
        wall, cpu = statistics.median(r.seconds for r in runs), statistics.median(r.cpu for r in runs)
        peak = max(r.peak_mib for r in runs)
        summary[label] = {"seconds": wall, "cpu": cpu, "peak_mib": peak, "exit": runs[-1].exit}
        print(f"{label:<16} {wall:7.2f} {corpus['bytes'] / MB / wall:7.2f} {cpu:7.2f} {peak:13.1f} {runs[-1].exit:>5}")
    validate, tojson = results["x12 validate"], results["x12 to-json"]
    rounds = [v.seconds / t.seconds for v, t in zip(validate, tojson, strict=True)]
    wall = summary["x12 validate"]["seconds"] / summary["x12 to-json"]["seconds"]
    cpu = summary["x12 validate"]["cpu"] / summary["x12 to-json"]["cpu"]
    target = TARGETS["speed_vs_validate"]
    print(f"to-json speed / validate speed: {wall:.2f} wall, {cpu:.2f} CPU (target >= {target:.2f})")
    print(f"  each round, wall: {', '.join(f'{r:.2f}' for r in rounds)}")
    peak = summary["x12 to-json"]["peak_mib"]
    print(f"to-json peak RSS: {peak:.1f} MiB (target < {TARGETS['tojson_peak_mib']:.0f} MiB)")
    record = {
        "file": corpus,
        "summary": summary,
        "rounds": rounds,
        "runs": {k: [r._asdict() for r in v] for k, v in results.items()},
    }
    (OUT / "tojson_results.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
