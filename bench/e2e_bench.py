"""End-to-end throughput: 850 orders through folder source -> store -> routing -> folder sink, with 997s.

    python bench/e2e_bench.py [--orders 10000] [--per-file 100] [--pg URL] [--workers 1 2]

Generates the partner files, then times ``poll`` (store raw, validate, map, upsert, route, enqueue 997s and
order deliveries) followed by the dispatcher writing every delivery, all in one process per worker.
With ``--pg`` it runs again on PostgreSQL with each worker count: the files are split over one source
folder per worker (one source is read by one worker at a time, by its lease) and every worker also
dispatches, so the outbox is shared through FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core.config import load_config  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.models import Address, Order, OrderLine, Party  # noqa: E402
from crossdock.core.outbox import Dispatcher  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402
from crossdock.core.retry import RetryPolicy  # noqa: E402
from crossdock.mappings.x12.delimiters import Delimiters  # noqa: E402
from crossdock.mappings.x12.po850 import build_850  # noqa: E402
from crossdock.mappings.x12.writer import Envelope, write_interchange  # noqa: E402


def _order(n: int) -> Order:
    return Order(
        po_number=f"PO{n:07d}",
        order_date=dt.date(2026, 11, 20),
        purpose="00",
        order_type="SA",
        parties=[
            Party(
                role="ST",
                name=f"STORE {n % 500}",
                id_qualifier="92",
                id=f"{n % 500:04d}",
                address=Address(lines=["1 MAIN ST"], city="TOWN", state=["CA", "TX", "NY"][n % 3], postal_code="94607"),
            )
        ],
        lines=[
            OrderLine(
                position=i + 1,
                line_number=str(i + 1),
                quantity=Decimal(3 + i),
                uom="EA",
                unit_price=Decimal("9.99"),
                price_basis="PE",
                product_ids={"UP": f"0123456789{i:02d}", "VN": f"SKU-{i}"},
            )
            for i in range(3)
        ],
    )


def generate(folders: list[Path], orders: int, per_file: int) -> int:
    env_base = dict(sender_qualifier="ZZ", sender_id="NORTHWIND", receiver_qualifier="ZZ", receiver_id="CROSSDOCK")
    files = 0
    for f, start in enumerate(range(0, orders, per_file)):
        sets = [build_850(_order(n), f"{i + 1:04d}") for i, n in enumerate(range(start, min(orders, start + per_file)))]
        env = Envelope(**env_base, interchange_control=f + 1, group_control=f + 1, functional_id="PO")
        data = write_interchange(env, sets, Delimiters("*", ">", "~"), newline=True)
        (folders[f % len(folders)] / f"po-{f:05d}.edi").write_bytes(data)
        files += 1
    return files


def _config(base: Path, url: str, sources: int) -> Path:
    data: dict[str, Any] = {
        "store": {"url": url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
        "sources": {
            f"drop{i}": {"type": "folder", "path": str(base / f"drop{i}"), "min_age": 0} for i in range(sources)
        },
        "sinks": {
            "west": {"type": "folder", "path": str(base / "west")},
            "east": {"type": "folder", "path": str(base / "east")},
            "acks": {"type": "folder", "path": str(base / "acks")},
        },
        "routing": {"rules": [{"match": {"state": ["CA"]}, "to": "west"}], "default": "east"},
        "outbox": {"batch": 500},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _worker(config_path: str, source: str, start: Any, results: Any) -> None:
    hub = Hub(load_config(config_path))
    start.wait()
    t0 = time.perf_counter()
    report = poll(hub, source, f"bench-{source}")
    t1 = time.perf_counter()
    sent = Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), batch=500).drain()
    t2 = time.perf_counter()
    orders = sum(p.orders_new for p in report.processed)
    results.put((source, orders, sent.sent, t1 - t0, t2 - t1, t2 - t0))
    hub.close()


def run(url: str, workers: int, orders: int, per_file: int) -> dict[str, float]:
    base = Path(tempfile.mkdtemp(prefix="crossdock-bench-"))
    try:
        for i in range(workers):
            (base / f"drop{i}").mkdir()
        generate([base / f"drop{i}" for i in range(workers)], orders, per_file)
        config = _config(base, url, workers)
        Hub(load_config(config)).close()  # migrate before the clock starts
        ctx = mp.get_context("fork")
        start, results = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_worker, args=(str(config), f"drop{i}", start, results)) for i in range(workers)]
        for p in procs:
            p.start()
        time.sleep(0.5)
        t0 = time.perf_counter()
        start.set()
        got = [results.get() for _ in procs]
        wall = time.perf_counter() - t0
        for p in procs:
            p.join()
        total = sum(g[1] for g in got)
        assert total == orders, f"{total} orders stored, expected {orders}"
        written = sum(1 for d in ("west", "east") for _ in (base / d).glob("*.json"))
        assert written == orders, f"{written} order files written, expected {orders}"
        return {
            "orders": total,
            "wall_s": wall,
            "orders_per_s": total / wall,
            "ingest_s": max(g[3] for g in got),
            "dispatch_s": max(g[4] for g in got),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _pg_schema(url: str) -> str:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=100)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://...) to run there too")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("SQLite", 1, run(f"sqlite:///{tmp}/bench.db", 1, args.orders, args.per_file)))
    if args.pg:
        for n in args.workers:
            rows.append(("PostgreSQL", n, run(_pg_schema(args.pg), n, args.orders, args.per_file)))
    print(f"{args.orders} orders in files of {args.per_file}, 3 lines each; one 997 per file")
    print(f"{'store':<11} {'workers':>7} {'orders/s':>9} {'wall s':>7} {'ingest s':>9} {'dispatch s':>11}")
    for name, n, r in rows:
        print(
            f"{name:<11} {n:>7} {r['orders_per_s']:>9.0f} {r['wall_s']:>7.2f} {r['ingest_s']:>9.2f} "
            f"{r['dispatch_s']:>11.2f}"
        )


if __name__ == "__main__":
    main()
