"""What PostgreSQL's backends wait on while ``e2e_bench.py --pg`` runs: is anything in the database serialising
the workers (a row lock, the partner's control-number row, an advisory lock), or are they busy elsewhere?

    python bench/pg_waits.py "$CROSSDOCK_PG_URL" [--orders 3000] [--workers 2]

Runs the e2e bench (one PO per file, on PostgreSQL only with the given worker count) in a child process and
samples ``pg_stat_activity`` every 5 ms for its database: each client backend is counted as idle (between
transactions), idle in a transaction (the worker is computing, holding its transaction open), active
(the server is working for it) or waiting, with the wait's kind and, for lock waits, the statement waiting.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="postgresql+psycopg://... as for e2e_bench.py --pg")
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    watch = psycopg.connect(args.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    command = [sys.executable, str(HERE / "e2e_bench.py"), "--orders", str(args.orders), "--per-file", "1"]
    command += ["--pg", args.url, "--workers", str(args.workers), "--no-sqlite"]
    bench = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    states: collections.Counter[str] = collections.Counter()
    locks: collections.Counter[str] = collections.Counter()
    samples = 0
    while bench.poll() is None:
        rows = watch.execute(
            "SELECT state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchall()
        for state, kind, event, query in rows:
            if state != "active":
                states[str(state)] += 1
            elif kind is None:
                states["active"] += 1
            elif kind == "Client":
                states["active, reading from the client"] += 1
            else:
                states[f"waiting: {kind} {event}"] += 1
                if kind == "Lock":
                    locks[str(query)] += 1
        samples += 1
        time.sleep(0.005)
    print(bench.stdout.read() if bench.stdout else "")
    total = sum(states.values())
    print(f"{samples} samples of pg_stat_activity, {total} backend states:")
    for state, n in states.most_common():
        print(f"{n:>7} {100 * n / total:5.1f} %  {state}")
    for query, n in locks.most_common(8):
        print(f"{n:>7} lock waits in: {query}")


if __name__ == "__main__":
    main()
