"""End-to-end throughput: 850 orders through folder source -> store -> routing -> folder sink, with 997s.

    python bench/e2e_bench.py [--orders 10000] [--per-file 100 1] [--pg URL] [--workers 1 2] [--dir FOLDER]

Generates the partner files for each shape (POs per file), then times every worker process doing what
``crossdock run`` does, back to back until everything is sent: ``poll`` the one source (store raw, validate,
map, upsert, route, enqueue 997s and order deliveries), process what other workers stored
(``process_received``), and dispatch the outbox. SQLite runs one worker. With ``--pg`` each shape runs again
on PostgreSQL with each worker count: one worker at a time holds the source's lease and reads the folder, and
every worker claims stored documents and due deliveries with FOR UPDATE SKIP LOCKED.

The last lines compare the shapes and the worker counts measured in this run (ratios, not absolute figures,
are what a busy machine keeps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core import heap  # noqa: E402
from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.dispatch_process import DispatchProcess  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.models import Address, Order, OrderLine, Party  # noqa: E402
from crossdock.core.outbox import Dispatcher  # noqa: E402
from crossdock.core.pipeline import process_received  # noqa: E402
from crossdock.core.plan import Processed  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402
from crossdock.core.retry import RetryPolicy  # noqa: E402
from crossdock.core.storage.schema import deliveries, documents  # noqa: E402
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


def _cpu_of(pid: int) -> float:
    """CPU seconds a live process of this machine used so far (``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(config_path: str, worker: int, ready: Any, start: Any, results: Any, mode: str) -> None:
    """One ``crossdock run``: the poll on this thread, the dispatcher on its own (as ``run``'s scheduler runs them),
    in its own child process (``mode`` "process": ``outbox.process: true``), or after each poll on this thread
    ("serial") and, on PostgreSQL, a thread recording stored documents, as the worker's processing thread does:
    there the poll only stores."""
    hub = Hub(load_config(config_path))
    serial = mode == "serial"
    child = DispatchProcess(hub.config) if mode == "process" else None
    if child is not None:
        child.start()  # as `crossdock run` starts it, before it polls
        assert child.wait_ready(300), "the dispatcher's process did not start"
    started_cpu = _cpu_of(child.pid) if child is not None and child.pid is not None else 0.0  # its start-up
    heap.settle()  # as `crossdock run` does once its hub is open
    owner = f"bench-{worker}"
    dispatcher = Dispatcher(hub.store, hub.sink, RetryPolicy(hub.config.retry), owner=owner, batch=500)
    folder = Path(hub.config.sources["drop0"].path)  # type: ignore[union-attr]
    shared = threading.Event() if hub.store.is_postgres else None
    stop = threading.Event()
    recorded: list[Processed] = []
    sent = 0
    stored_s = dispatch_s = poll_cpu = dispatch_cpu = 0.0

    def process() -> None:
        assert shared is not None
        while not stop.is_set():
            shared.clear()
            got = process_received(hub)
            recorded.extend(got)
            if len(got) < 100:
                shared.wait(0.05)

    def dispatch() -> int:
        nonlocal sent, dispatch_s, dispatch_cpu
        t, c = time.perf_counter(), time.thread_time()
        drained = dispatcher.drain().sent
        dispatch_s += time.perf_counter() - t
        dispatch_cpu += time.thread_time() - c
        sent += drained
        return drained

    queued = threading.Event()  # as crossdock run's sending thread, woken by what the poll queues

    def dispatching() -> None:
        while not stop.is_set():
            queued.clear()
            if not dispatch():
                queued.wait(hub.config.outbox.every)

    if child is not None:
        hub.on_queued = child.wake
    elif not serial:
        hub.on_queued = queued.set
    threads = [threading.Thread(target=process)] if shared is not None else []
    threads += [] if serial or child is not None else [threading.Thread(target=dispatching)]
    ready.put(worker)
    start.wait()
    t0, c0 = time.perf_counter(), time.process_time()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the dispatcher's child is counted once waited for
    children_cpu = used.ru_utime + used.ru_stime
    for thread in threads:
        thread.start()
    while True:
        if any(folder.glob("*.edi")) or serial:
            t1, c1 = time.perf_counter(), time.thread_time()
            report = poll(hub, "drop0", owner, hand_off=shared)
            assert report.error is None, report.error
            recorded.extend(report.processed)
            stored_s += time.perf_counter() - t1
            poll_cpu += time.thread_time() - c1
            if report.received or (serial and dispatch()):
                continue
            if any(folder.glob("*.edi")):
                time.sleep(0.01)  # another worker holds the lease: look again soon
                continue
        if _finished(hub):
            break
        # what was stored is recorded (PostgreSQL) and sent by the threads: crossdock run polls an emptied folder
        # again only on its schedule (a minute by default), so neither does this loop
        time.sleep(0.05)
    stop.set()
    queued.set()
    if shared is not None:
        shared.set()
    for thread in threads:
        thread.join()
    if child is not None:
        child.stop()  # then its CPU is counted among this process's waited-for children
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        dispatch_cpu = used.ru_utime + used.ru_stime - children_cpu - started_cpu
        dispatch_s = time.perf_counter() - t0
    orders = sum(p.orders_new for p in recorded)
    results.put(
        (
            worker,
            orders,
            sent,
            stored_s,
            dispatch_s,
            time.perf_counter() - t0,
            time.process_time() - c0 + (dispatch_cpu if child is not None else 0.0),
            poll_cpu,
            dispatch_cpu,
        )
    )
    hub.close()


def _finished(hub: Hub) -> bool:
    """Nothing left to process or send (documents a worker holds are still ``received``)."""
    with hub.store.transaction() as conn:
        waiting = conn.execute(select(documents.c.id).where(documents.c.state == "received").limit(1)).first()
        pending = conn.execute(select(deliveries.c.id).where(deliveries.c.state == "pending").limit(1)).first()
    return waiting is None and pending is None


def run(
    url: str, workers: int, orders: int, per_file: int, mode: str = "thread", where: str | None = None
) -> dict[str, float]:
    base = Path(tempfile.mkdtemp(prefix="crossdock-bench-", dir=where))
    try:
        (base / "drop0").mkdir()
        generate([base / "drop0"], orders, per_file)
        config = _config(base, url, 1)
        Hub(load_config(config)).close()  # migrate before the clock starts
        ctx = mp.get_context("fork")
        ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(target=_worker, args=(str(config), i, ready, start, results, mode)) for i in range(workers)
        ]
        for p in procs:
            p.start()
        for _ in procs:  # each worker's store open (and its dispatcher's process started) before the clock
            ready.get()
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
            "cpu_s": sum(g[6] for g in got),
            "poll_cpu_s": sum(g[7] for g in got),
            "dispatch_cpu_s": sum(g[8] for g in got),
            "shares": sorted(g[1] for g in got),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _file_cost(where: str | None, files: int = 1000) -> float:
    """Seconds to create, write and close one small file under ``where`` (a sink writes one per delivery, and
    one-PO files make an order's file and a 997 each): on this VM it swings between 0.02 and 0.8 ms from one minute
    to the next (bench/README.md), so each run says what it met."""
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        began = time.perf_counter()
        for n in range(files):
            fd = os.open(os.path.join(tmp, f"{n}.part"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            os.write(fd, b"x" * 600)
            os.close(fd)
        return (time.perf_counter() - began) / files


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
    parser.add_argument("--per-file", type=int, nargs="+", default=[100, 1], help="POs per file, one run each")
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://...) to run there too")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-sqlite", action="store_true", help="with --pg, run PostgreSQL only")
    parser.add_argument(
        "--dispatch",
        nargs="+",
        choices=["thread", "process", "serial"],
        default=["thread", "process"],
        help="where the dispatcher runs, one run each: its thread (crossdock run's default), its own process "
        "(outbox.process: true), or after each poll on the poll's thread (the bench before 2026-12-07)",
    )
    parser.add_argument("--serial", action="store_true", help="the same as --dispatch serial")
    parser.add_argument(
        "--dir",
        help="the folder the partner files, the sinks' folders and the SQLite store go under (default: the system's "
        "temporary folder); the cost of making a file there is measured and printed first",
    )
    args = parser.parse_args()
    print(f"under {args.dir or tempfile.gettempdir()}: making a file costs {_file_cost(args.dir) * 1000:.3f} ms")
    modes = ["serial"] if args.serial else args.dispatch
    rows = []
    for mode in modes:
        for per_file in args.per_file:
            if not (args.no_sqlite and args.pg):
                with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
                    url = f"sqlite:///{tmp}/bench.db"
                    rows.append(("SQLite", mode, per_file, 1, run(url, 1, args.orders, per_file, mode, args.dir)))
            if args.pg:
                for n in args.workers:
                    rows.append(
                        (
                            "PostgreSQL",
                            mode,
                            per_file,
                            n,
                            run(_pg_schema(args.pg), n, args.orders, per_file, mode, args.dir),
                        )
                    )
    print(f"{args.orders} orders of 3 lines; one 997 per file; every delivery written to a folder")
    print(
        f"{'store':<11} {'dispatch':<8} {'POs/file':>8} {'workers':>7} {'orders/s':>9} {'wall s':>7} {'ingest s':>9} "
        f"{'dispatch s':>11} {'cpu s':>6} {'poll cpu':>8} {'send cpu':>8}  orders recorded by each worker"
    )
    for name, mode, per_file, n, r in rows:
        print(
            f"{name:<11} {mode:<8} {per_file:>8} {n:>7} {r['orders_per_s']:>9.0f} {r['wall_s']:>7.2f} "
            f"{r['ingest_s']:>9.2f} {r['dispatch_s']:>11.2f} {r['cpu_s']:>6.2f} {r['poll_cpu_s']:>8.2f} "
            f"{r['dispatch_cpu_s']:>8.2f}  {r['shares']}"
        )
    rate = {(name, mode, per_file, n): r["orders_per_s"] for name, mode, per_file, n, r in rows}
    cpu = {(name, mode, per_file, n): r["cpu_s"] for name, mode, per_file, n, r in rows}
    most = max(args.per_file)
    for name in ("SQLite", "PostgreSQL"):
        for mode in modes:
            for per_file in args.per_file:
                if per_file != most and (name, mode, most, 1) in rate and (name, mode, per_file, 1) in rate:
                    ratio = rate[(name, mode, per_file, 1)] / rate[(name, mode, most, 1)]
                    by_cpu = cpu[(name, mode, most, 1)] / cpu[(name, mode, per_file, 1)]
                    print(
                        f"ratio {name}, dispatcher {mode}: {per_file} PO(s) per file / {most} per file = {ratio:.2f} "
                        f"(orders per CPU second: {by_cpu:.2f})"
                    )
            for per_file in args.per_file:
                for n in args.workers:
                    if n != 1 and (name, mode, per_file, n) in rate and (name, mode, per_file, 1) in rate:
                        ratio = rate[(name, mode, per_file, n)] / rate[(name, mode, per_file, 1)]
                        print(
                            f"ratio {name}, dispatcher {mode}, {per_file} PO(s) per file: "
                            f"{n} workers / 1 worker = {ratio:.2f}"
                        )


if __name__ == "__main__":
    main()
