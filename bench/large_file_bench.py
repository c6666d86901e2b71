"""One large X12 file with one PO: the peak memory of ``crossdock poll`` on it, and what the store keeps.

    python bench/large_file_bench.py [--mb 50] [--no-dispatch] [--phases [--store URL]]

Writes one 850 of about ``--mb`` MB (many PO1 lines, each with six PID descriptions), then runs
``crossdock poll`` on it in a child process on SQLite, and reports the child's peak RSS (``ru_maxrss``), its
time, and the store's bytes by column afterwards (raw file, the order's JSON, the documents sent).

``--phases`` runs the same poll and dispatch in this process instead (Linux only): the peak RSS of each step,
the high-water mark reset before it (``/proc/self/clear_refs``), to show where the memory goes; ``--store``
runs it on another store (an empty PostgreSQL database or schema, say).
"""

from __future__ import annotations

import argparse
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def write_po(path: Path, megabytes: float) -> int:
    """One interchange, one 850, as many lines as make ``megabytes``; returns the line count."""
    head = (
        "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261120*0915*U*00401*000000001*0*P*>~\n"
        "GS*PO*NORTHWIND*CROSSDOCK*20261120*0915*1*X*004010~\n"
        "ST*850*0001~\nBEG*00*SA*PO-LARGE**20261120~\nCUR*BY*USD~\n"
        "N1*ST*DC 42*92*0042~\nN3*1 MAIN ST~\nN4*TOWN*CA*94607~\n"
    )
    words = "HEAVY DUTY STAINLESS STEEL SHELF UNIT WITH ADJUSTABLE FEET"  # PID05 holds 80 at most
    target = int(megabytes * 1_000_000)
    lines = 0
    with path.open("w", encoding="latin-1", newline="") as out:
        out.write(head)
        size = len(head)
        while size < target:
            lines += 1
            pids = "".join(f"PID*F****{words} {lines}-{i}~\n" for i in range(6))  # the PO1 loop holds 100,000
            chunk = f"PO1*{lines}*3*EA*9.99*PE*UP*{lines:012d}*VN*SKU-{lines}~\n{pids}"
            out.write(chunk)
            size += len(chunk)
        tail = f"CTT*{lines}~\nSE*{6 + 7 * lines + 2}*0001~\nGE*1*1~\nIEA*1*000000001~\n"
        out.write(tail)
    return lines


def config(base: Path, store: str | None = None) -> Path:
    data: dict[str, Any] = {
        "store": {"url": store or f"sqlite:///{base}/store.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
        "sources": {"drop": {"type": "folder", "path": str(base / "drop"), "min_age": 0}},
        "sinks": {
            "west": {"type": "folder", "path": str(base / "west")},
            "acks": {"type": "folder", "path": str(base / "acks")},
        },
        "routing": {"default": "west"},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def stored(db: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(db)
    try:
        rows = [
            (f"documents.data {d} {k}", int(n or 0))
            for d, k, n in conn.execute(
                "SELECT direction, coalesce(kind, '-'), sum(length(data)) FROM documents GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        rows.append(("orders.data", int(conn.execute("SELECT sum(length(data)) FROM orders").fetchone()[0] or 0)))
        return rows
    finally:
        conn.close()


def _memory() -> tuple[float, float]:
    """This process's (peak, current) RSS in MiB."""
    status = Path("/proc/self/status").read_text()
    peak, now = (int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024 for key in ("VmHWM", "VmRSS"))  # type: ignore[union-attr]
    return peak, now


def phases(cfg: Path, dispatch: bool) -> None:
    """The poll and the dispatch in this process, each step's peak RSS measured from a reset high-water mark."""
    sys.path.insert(0, str(ROOT))
    from crossdock.core import pipeline, plan, poller
    from crossdock.core.configuration.config import load_config
    from crossdock.mappings.x12 import hub as x12
    from crossdock.opening import open_hub

    rows: list[tuple[str, float, float, float, float]] = []

    def measured(label: str, fn: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            before = _memory()[1]
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                rows.append((label, before, *_memory(), time.perf_counter() - t0))

        return run

    for module, name, label in (
        (poller, "ingest_many", "store the raw file (ingest)"),
        (poller, "process_many", "process the document"),
        (x12, "read", "  read, validate, map (x12.read)"),
        (pipeline, "upsert_orders", "  upsert the order"),
        (plan.Plan, "write", "  write the plan (orders, documents)"),
    ):
        setattr(module, name, measured(label, getattr(module, name)))
    hub = open_hub(load_config(str(cfg)), str(cfg), existing=False)
    try:
        print(f"hub open: RSS {_memory()[1]:.0f} MiB")
        poller.poll(hub, "drop", "bench")
        if dispatch:
            measured("send the deliveries (dispatch)", hub.dispatcher("bench").drain)()
    finally:
        hub.close()
    print(f"{'step':<40} {'RSS before':>10} {'peak':>8} {'after':>8} {'s':>6}")
    for label, before, peak, after, took in rows:
        print(f"{label:<40} {before:>10.0f} {peak:>8.0f} {after:>8.0f} {took:>6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--no-dispatch", action="store_true")
    parser.add_argument("--phases", action="store_true", help="each step's peak RSS, in this process")
    parser.add_argument("--store", help="with --phases: the store's URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-large-bench-") as tmp:
        base = Path(tmp)
        (base / "drop").mkdir()
        po = base / "drop" / "large.edi"
        lines = write_po(po, args.mb)
        size = po.stat().st_size
        cfg = config(base, args.store if args.phases else None)
        if args.phases:
            print(f"one 850, {lines:,} lines, {size / 1e6:.1f} MB, in this process (MiB):")
            phases(cfg, not args.no_dispatch)
            return
        command = [sys.executable, "-m", "crossdock.cli", "poll", "drop", "-c", str(cfg), "--json"]
        t0 = time.perf_counter()
        done = subprocess.run([*command, *(["--no-dispatch"] if args.no_dispatch else [])], capture_output=True)
        took = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"one 850, {lines:,} lines, {size / 1e6:.1f} MB: poll exit {done.returncode} in {took:.1f} s")
        if done.returncode:
            print(done.stderr.decode()[-2000:])
        print(f"peak RSS of the poll process: {peak:.0f} MiB")
        for what, n in stored(base / "store.db"):
            print(f"  {what:<36} {n / 1e6:>8.1f} MB")


if __name__ == "__main__":
    main()
