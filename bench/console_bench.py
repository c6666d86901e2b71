"""The console's pages over a big store: N documents (default 1,000,000) and an order for every other one,
written by the database itself (a recursive CTE on SQLite, generate_series on PostgreSQL), then each page asked
for through the application as a signed-in browser asks, a few times, timed by wall clock. Every outbound
document has an acknowledgment state (1 in 100 rejected, half of those by an 824; 1 in 100 gone overdue, with
its event) and a delivery for the order it answers (an 856 to the partner, or a fulfilment to a channel), for
the compliance figures of the Partners page and /metrics.

    python bench/console_bench.py [--documents 1000000] [--pg URL] [--runs 5]

What is timed is the whole answer: the session check, the queries and the rendering of the page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402
import httpx  # noqa: E402

from crossdock.console.passwords import hash_password  # noqa: E402
from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.http_app import build_app  # noqa: E402
from crossdock.webhooks import Webhooks  # noqa: E402

SAMPLE = (ROOT / "crossdock" / "samples" / "northwind-850.edi").read_bytes()
COLUMNS = (
    "direction, endpoint, remote_name, identity, sha256, size, data, kind, partner, interchange_control, "
    "group_control, transaction_controls, state, parent_id, created_at, updated_at"
)
SQLITE_DOCS = f"""
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO documents ({COLUMNS})
SELECT CASE WHEN i % 2 = 0 THEN 'out' ELSE 'in' END, 'drop', 'f' || i || '.edi', 'id' || i, printf('%064d', i),
       :size, :data, 'x12', 'p' || (i % 20), printf('%09d', i), CAST(i AS TEXT), printf('%04d', i % 10000),
       CASE WHEN i % 1000 = 0 THEN 'failed' ELSE 'processed' END, CASE WHEN i % 2 = 0 THEN i - 1 END,
       datetime('2026-01-01', '+' || (i / 100) || ' minutes'), datetime('2026-01-01', '+' || (i / 100) || ' minutes')
FROM n
"""
PG_DOCS = f"""
INSERT INTO documents ({COLUMNS})
SELECT CASE WHEN i % 2 = 0 THEN 'out' ELSE 'in' END, 'drop', 'f' || i || '.edi', 'id' || i, lpad(i::text, 64, '0'),
       :size, :data, 'x12', 'p' || (i % 20), lpad(i::text, 9, '0'), i::text, lpad((i % 10000)::text, 4, '0'),
       CASE WHEN i % 1000 = 0 THEN 'failed' ELSE 'processed' END, CASE WHEN i % 2 = 0 THEN i - 1 END,
       timestamp '2026-01-01' + (i / 100) * interval '1 minute',
       timestamp '2026-01-01' + (i / 100) * interval '1 minute'
FROM generate_series(1, :count) AS i
"""
ACKS = """
UPDATE documents SET
    ack_state = CASE WHEN id % 100 = 0 THEN 'rejected' WHEN id % 100 = 2 THEN 'overdue' ELSE 'accepted' END,
    ack_detail = CASE WHEN id % 200 = 0 THEN '824 TR: price' WHEN id % 100 = 0 THEN 'AK5 R 5' END,
    ack_due_at = created_at
WHERE direction = 'out'
"""
OVERDUE = """
INSERT INTO events (at, kind, message, document_id)
SELECT created_at, 'overdue', 'no 997', id FROM documents WHERE direction = 'out' AND id % 100 = 2
"""
SENDS = """
INSERT INTO deliveries (key, sink, purpose, order_id, document_id, state, attempts, next_attempt_at, created_at,
                        sent_at)
SELECT 'k' || d.id, CASE WHEN d.id % 4 = 0 THEN 'drop' ELSE 'shop' END,
       CASE WHEN d.id % 4 = 0 THEN '856' ELSE 'fulfilment' END, o.id, d.id,
       CASE WHEN d.id % 1000 = 2 THEN 'dead' ELSE 'sent' END, 1, d.created_at, d.created_at, d.created_at
FROM documents d LEFT JOIN orders o ON o.document_id = d.parent_id WHERE d.direction = 'out'
"""
ORDERS = """
INSERT INTO orders (channel, partner, external_id, po_number, status, revision, data, document_id, created_at,
                    updated_at)
SELECT 'x12', partner, 'PO' || id, 'PO' || id, 'routed', 1, '{}', id, created_at, updated_at
FROM documents WHERE direction = 'in'
"""


def fill(url: str, count: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        sql = SQLITE_DOCS if url.startswith("sqlite") else PG_DOCS
        conn.execute(text(sql), {"count": count, "size": len(SAMPLE), "data": SAMPLE})
        conn.execute(text(ORDERS))
        for sql in (ACKS, OVERDUE, SENDS):
            conn.execute(text(sql))
        conn.execute(text("ANALYZE"))  # the planner's figures, as a store that grew over time has them
    engine.dispose()


def pages(count: int) -> dict[str, str]:
    middle = count // 2 + 1  # an inbound document with an order and a reply
    return {
        "search: newest page": "/console/search",
        "search: a PO": f"/console/search?q=PO{middle}",
        "search: an ISA13": f"/console/search?q={middle:09d}",
        "search: an ST02": "/console/search?q=0042",
        "search: a partner's failed": "/console/search?partner=p0&state=failed",
        "search: a partner, keyset deep": f"/console/search?partner=p7&before={count - 200_000}",
        "search: one day": "/console/search?since=2026-01-02&until=2026-01-02",
        "search: orders by PO": f"/console/search?kind=orders&q=PO{middle}",
        "search: orders of one day": "/console/search?kind=orders&since=2026-01-03&until=2026-01-03",
        "document page": f"/console/documents/{middle}",
        "order page": "/console/orders/1",
        "now page": "/console/now",
        "partners page, 30 days": "/console/partners",
        "partners page, 365 days": "/console/partners?days=365",
        "/metrics": "/metrics",
    }


async def measure(hub: Hub, count: int, runs: int) -> None:
    """Sign in as a browser does (the sign-in form's token first), then time each page."""
    app = build_app(hub, Webhooks(hub), lambda: None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as client:
        form = (await client.get("/console/login")).text
        token = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        login = {"csrf": token, "user": "bench", "password": "bench-password"}
        assert (await client.post("/console/login", data=login)).status_code == 303
        for name, target in pages(count).items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                answer = await client.get(target)
                times.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, (target, answer.status_code)
            print(f"{name:34} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--pg", help="a PostgreSQL URL (a fresh database or schema) instead of SQLite")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg or f"sqlite:///{tmp}/console.db"
        os.environ["BENCH_CONSOLE_SECRET"] = "b" * 40
        config = {
            "store": {"url": url},
            "company": {"isa_id": "CROSSDOCK"},
            "partners": {f"p{i}": {"isa_qualifier": "ZZ", "isa_id": f"P{i}"} for i in range(20)},
            "console": {
                "session_secret": "${BENCH_CONSOLE_SECRET}",
                "secure_cookie": False,
                "users": {"bench": {"role": "viewer", "password_hash": hash_password("bench-password")}},
            },
        }
        path = Path(tmp) / "crossdock.yaml"
        path.write_text(yaml.safe_dump(config))
        hub = Hub(load_config(path))  # creates the schema, indexes included
        began = time.perf_counter()
        fill(url, args.documents)
        print(f"{args.documents:,} documents written in {time.perf_counter() - began:.0f} s ({url.split(':')[0]})")
        anyio.run(measure, hub, args.documents, args.runs)
        hub.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
