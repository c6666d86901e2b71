"""One X12 file of many small interchanges: the peak memory and time of ``crossdock poll`` on it, and the 997.

    python bench/interchanges_bench.py [--interchanges 10000] [--max-interchanges N]

Writes one file of ``--interchanges`` interchanges, each one group with one small 850 (its own PO), then runs
``crossdock poll --no-dispatch`` on it in a child process on SQLite, and reports the child's peak RSS
(``ru_maxrss``), its time, the document's state and the 997 it made. ``--max-interchanges`` sets the source's
bound (default: the configuration's default).
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


def write_file(path: Path, count: int) -> None:
    with path.open("w", encoding="latin-1", newline="") as out:
        for n in range(1, count + 1):
            out.write(
                "ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*CROSSDOCK      *261120*0915*U*00401*"
                f"{n:09d}*0*P*>~"
                f"GS*PO*NORTHWIND*CROSSDOCK*20261120*0915*{n}*X*004010~ST*850*0001~BEG*00*SA*PO-{n}**20261120~"
                f"N1*ST*DC 42*92*0042~PO1*1*3*EA*9.99*PE*VN*SKU-{n}~CTT*1~SE*6*0001~GE*1*{n}~IEA*1*{n:09d}~\n"
            )


def config(base: Path, max_interchanges: int | None) -> Path:
    source: dict[str, Any] = {"type": "folder", "path": str(base / "drop"), "min_age": 0}
    if max_interchanges is not None:
        source["max_interchanges"] = max_interchanges
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{base}/store.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
        "sources": {"drop": source},
        "sinks": {
            "west": {"type": "folder", "path": str(base / "west")},
            "acks": {"type": "folder", "path": str(base / "acks")},
        },
        "routing": {"default": "west"},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interchanges", type=int, default=10_000)
    parser.add_argument("--max-interchanges", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-interchanges-bench-") as tmp:
        base = Path(tmp)
        (base / "drop").mkdir()
        path = base / "drop" / "many.edi"
        write_file(path, args.interchanges)
        size = path.stat().st_size
        cfg = config(base, args.max_interchanges)
        command = [sys.executable, "-m", "crossdock.cli", "poll", "drop", "-c", str(cfg), "--no-dispatch"]
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        took = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{args.interchanges:,} interchanges, {size / 1e6:.1f} MB: poll exit {done.returncode} in {took:.1f} s")
        if done.returncode:
            print(done.stderr.decode()[-2000:])
        print(f"peak RSS of the poll process: {peak:.0f} MiB")
        conn = sqlite3.connect(base / "store.db")
        try:
            for direction, kind, state, n, data, error in conn.execute(
                "SELECT direction, coalesce(kind, '-'), state, count(*), sum(length(data)), max(error) FROM documents "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            ):
                said = f"  ({error[:160]})" if error else ""
                print(f"  documents {direction} {kind} {state}: {n} of {int(data or 0) / 1e6:.2f} MB{said}")
            print(f"  orders: {conn.execute('SELECT count(*) FROM orders').fetchone()[0]}")
        finally:
            conn.close()


if __name__ == "__main__":
    main()
