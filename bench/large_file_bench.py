"""One large X12 file with one PO: the peak memory of ``crossdock poll`` on it, and what the store keeps.

    python bench/large_file_bench.py [--mb 50] [--no-dispatch]

Writes one 850 of about ``--mb`` MB (many PO1 lines, each with six PID descriptions), then runs
``crossdock poll`` on it in a child process on SQLite, and reports the child's peak RSS (``ru_maxrss``), its
time, and the store's bytes by column afterwards (raw file, the order's JSON, the documents sent).
"""

from __future__ import annotations

import argparse
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


def config(base: Path) -> Path:
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{base}/store.db"},
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--no-dispatch", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-large-bench-") as tmp:
        base = Path(tmp)
        (base / "drop").mkdir()
        po = base / "drop" / "large.edi"
        lines = write_po(po, args.mb)
        size = po.stat().st_size
        cfg = config(base)
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
