"""A /metrics scrape's store queries against a large SQLite store: N documents, as many sent deliveries.

    python bench/metrics_bench.py [--documents 1000000] [--bytes 1500] [--scrapes 5] [--state-index]

The store is filled with plain INSERTs (documents spread over 20 partners, both directions and the usual
states, outbound ones acknowledged but one in a thousand overdue; one delivery per outbound document, nearly all
sent, a thousand pending and a hundred dead), then ANALYZE is run (crossdock never runs it: the planner's worst
case here, since statistics of skewed columns tempt SQLite away from the small indexes), then
``StoreCollector`` is scraped: the first scrape (cold: the file's pages not yet in SQLite's cache, though they
may be in the OS's) and the median of the next ones. ``--state-index`` puts back the index on ``state`` alone
that migration 0014 replaced, to show what the scrape costs without the covering index; with ``--keep`` the next
run without it builds 0014's index again, and says how long that took (what the migration costs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core.storage.store import Store  # noqa: E402
from crossdock.metrics import StoreCollector  # noqa: E402

STATES_IN = ["processed"] * 90 + ["failed"] * 3 + ["duplicate"] * 5 + ["received", "held"]
STATES_OUT = ["sent"] * 95 + ["queued", "dead", "held", "failed", "written"]
CHUNK = 20_000


def fill(store: Store, count: int, size: int) -> None:
    rng = random.Random(7)
    now = dt.datetime(2026, 12, 7, 12, 0)
    data = b"X" * size
    raw = store.engine.raw_connection()
    cur = raw.cursor()
    doc_sql = (
        "INSERT INTO documents (id, direction, endpoint, sha256, size, data, kind, partner, state, "
        "created_at, updated_at, ack_state, ack_due_at) VALUES (?, ?, 'drop', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    del_sql = (
        "INSERT INTO deliveries (key, sink, purpose, document_id, state, attempts, next_attempt_at, created_at) "
        "VALUES (?, ?, 'order', ?, ?, 1, ?, ?)"
    )
    step = max(2, count // 1000 // 2 * 2)  # even: outbound documents, which have the deliveries
    waiting = {**dict.fromkeys(range(2, count, step), "pending"), **dict.fromkeys(range(4, count, step * 10), "dead")}
    for start in range(1, count + 1, CHUNK):
        ids = range(start, min(start + CHUNK, count + 1))
        docs, sends = [], []
        for i in ids:
            out = i % 2 == 0
            at = now - dt.timedelta(seconds=count - i)
            state = rng.choice(STATES_OUT if out else STATES_IN)
            partner = f"partner-{i % 20:02d}"
            ack = (
                (("overdue" if i % 1000 == 0 else "waiting" if i % 100 == 0 else "accepted"), at)
                if out
                else (None, None)
            )
            docs.append((i, "out" if out else "in", f"{i:064x}", size, data, "x12", partner, state, at, at, *ack))
            if out:
                sends.append((f"k{i}", f"sink-{i % 5}", i, waiting.get(i, "sent"), at, at))
        cur.executemany(doc_sql, docs)
        cur.executemany(del_sql, sends)
        raw.commit()
    cur.execute("INSERT INTO sequences (scope, kind, value) VALUES ('partner-01', 'isa', 123456)")
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=1_000_000)
    ap.add_argument("--bytes", type=int, default=1500, help="raw bytes per document (a typical 850 or 856)")
    ap.add_argument("--scrapes", type=int, default=5)
    ap.add_argument("--state-index", action="store_true", help="the index on state alone, as before 0014")
    ap.add_argument("--keep", type=Path, help="build (or reuse) the store at this file instead of a temporary one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        fresh = not path.exists()
        store = Store.open(f"sqlite:///{path}")
        if fresh:
            began = time.monotonic()
            fill(store, args.documents, args.bytes)
            print(
                f"filled {args.documents} documents in {time.monotonic() - began:.0f} s:",
                f"{path.stat().st_size >> 20} MiB",
            )
        began = time.monotonic()
        with store.engine.begin() as conn:
            if args.state_index:
                conn.execute(text("DROP INDEX IF EXISTS ix_documents_state_partner"))
                conn.execute(text("CREATE INDEX IF NOT EXISTS ix_documents_state ON documents (state)"))
            else:
                conn.execute(
                    text(
                        "CREATE INDEX IF NOT EXISTS ix_documents_state_partner ON documents (state, direction, partner)"
                    )
                )
                conn.execute(text("DROP INDEX IF EXISTS ix_documents_state"))
        print(f"indexes as asked in {time.monotonic() - began:.1f} s (building one that was not there)")
        store.engine.dispose()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StoreCollector(store))
        times = []
        for _ in range(args.scrapes + 1):
            began = time.perf_counter()
            body = generate_latest(registry)
            times.append(time.perf_counter() - began)
        print(f"scrape: {len(body)} bytes, {body.count(b'crossdock_documents{')} document series")
        print(f"first {times[0] * 1000:.0f} ms, then median {statistics.median(times[1:]) * 1000:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()
