"""Ship-flow throughput: 945 ship advices in -> recorded shipments -> 856 + 810 out, on SQLite.

    python bench/ship_bench.py [--shipments 10000] [--per-file 100] [--interchanges-per-file 500]

The orders are loaded first (not timed); the clock covers ``poll`` of the 945 files (store raw, validate,
map, match each shipment to its order, check quantities, label packages with SSCC-18, write the 856 and the
810 with their control numbers) and the dispatcher writing every 856 and 810 to the buyer's folder.

The peer is the disk: right after the run, twice, as many files as the out phase writes (1.2 KB each) are
written by bare system calls the way the folder sink writes them (create a temporary name, write, one syncfs
a batch, rename, sync the folder). Creating a file on this machine's disk has cost from 0.03 ms to 0.8 ms from
one hour to the next, so the out phase is read against the mean of the two, not alone. (Measuring between
the phases would not do: the bare writes would wait out the write-back of the in phase's pages, which the out
phase then no longer meets.)

Then the same work again in a fresh store with the poll and the dispatcher on two threads of one process, as
``crossdock run``'s scheduler runs them. Each way runs twice: with a file per document, and with the buyer's
sink putting up to ``--interchanges-per-file`` interchanges in a file.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402
from tests.hub.edi import interchange, order  # noqa: E402


def advice_file(first: int, count: int, control: int) -> bytes:
    """One 945 interchange with ``count`` sets, each shipping PO ``first + i`` in full."""
    sets: list[str] = []
    for i in range(count):
        po = f"PO{first + i:07d}"
        body = [
            f"W06*N*{po}*20261121*S{first + i:07d}***{po}",
            "N1*ST*DC 42*92*0042",
            "G62*11*20261121",
            "W27*M*UPSN*GROUND",
            "LX*1",
            "W12*CC*5*5*0*EA**VN*MUG-BLU",
            "N9*LI*0001",
            "W03*5*10*LB",
        ]
        st = f"{i + 1:04d}"
        sets += [f"ST*945*{st}", *body, f"SE*{len(body) + 2}*{st}"]
    isa = (
        f"ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*CROSSDOCK      *261121*1000*U*00401*{control:09d}*0*P*>"
    )
    text = [
        isa,
        f"GS*SW*ACME3PL*CROSSDOCK*20261121*1000*{control}*X*004010",
        *sets,
        f"GE*{count}*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(text) + "~\n").encode()


def bare_files(folder: Path, count: int, size: int = 1200, batch: int = 500) -> float:
    """Seconds to write ``count`` files into ``folder`` with system calls alone, as the folder sink does."""
    folder.mkdir()
    syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    data = b"x" * size
    t0 = time.perf_counter()
    for start in range(0, count, batch):
        staged = []
        for i in range(start, min(start + batch, count)):
            temp = folder / f".file-{i}.edi.part"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
            staged.append(temp)
        fd = os.open(folder, os.O_RDONLY)
        syncfs(fd)
        for temp in staged:
            os.replace(temp, temp.with_name(temp.name[1:-5]))
        os.fsync(fd)
        os.close(fd)
    return time.perf_counter() - t0


def prepare(base: Path, shipments: int, per_file: int, bundle: int) -> Hub:
    """The hub with every order loaded and routed, and the 945 files waiting in their folder."""
    for folder in ("orders", "advices"):
        (base / folder).mkdir()
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{base}/bench.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            "northwind": {
                "isa_qualifier": "ZZ",
                "isa_id": "NORTHWIND",
                "reply_to": "buyer",
                "ack": "none",
                "gs1_prefix": "0614141",
                "invoice": "on_shipment",
            },
            "acme3pl": {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "ack": "none"},
        },
        "sources": {
            "orders": {"type": "folder", "path": str(base / "orders"), "min_age": 0},
            "advices": {"type": "folder", "path": str(base / "advices"), "min_age": 0},
        },
        "sinks": {
            "buyer": {"type": "folder", "path": str(base / "buyer"), "interchanges_per_file": bundle},
            "warehouse": {"type": "folder", "path": str(base / "warehouse")},
        },
        "routing": {"default": "warehouse"},
        "outbox": {"batch": 500},
    }
    (base / "crossdock.yaml").write_text(yaml.safe_dump(data))
    for f, start in enumerate(range(0, shipments, per_file)):
        count = min(per_file, shipments - start)
        orders = [order(f"PO{n:07d}", qty=5) for n in range(start, start + count)]
        (base / "orders" / f"po-{f:05d}.edi").write_bytes(interchange(orders, control=f + 1))
        (base / "advices" / f"945-{f:05d}.edi").write_bytes(advice_file(start, count, f + 1))
    hub = Hub(load_config(base / "crossdock.yaml"))
    poll(hub, "orders", "bench")
    hub.dispatcher("bench").drain()
    return hub


def in_then_out(base: Path, shipments: int, per_file: int, bundle: int) -> None:
    """The poll, then the dispatcher: the two phases timed apart, and the disk measured beside the out phase."""
    hub = prepare(base, shipments, per_file, bundle)
    t0 = time.perf_counter()
    report = poll(hub, "advices", "bench")
    t1 = time.perf_counter()
    sent = hub.dispatcher("bench").drain()
    t2 = time.perf_counter()
    hub.close()
    recorded = sum(p.shipments for p in report.processed)
    assert recorded == shipments, f"{recorded} shipments recorded, expected {shipments}"
    assert sent.sent == 2 * shipments, f"{sent.sent} documents sent"
    files = len(list((base / "buyer").iterdir()))
    print(
        f"in, then out, {_per(bundle)}: shipments/s {shipments / (t2 - t0):.0f}   wall {t2 - t0:.2f} s   "
        f"in {t1 - t0:.2f} s   out {t2 - t1:.2f} s   ({files} files)"
    )
    if bundle > 1:
        return
    first = bare_files(base / "bare-1", 2 * shipments)
    second = bare_files(base / "bare-2", 2 * shipments)
    disk = (first + second) / 2
    print(
        f"  the disk alone, just after: {2 * shipments} files by bare system calls in {first:.2f} s, then "
        f"in {second:.2f} s ({1000 * disk / (2 * shipments):.3f} ms a file); "
        f"out beyond it {t2 - t1 - disk:.2f} s; shipments/s beyond it {shipments / (t2 - t0 - disk):.0f}"
    )


def side_by_side(base: Path, shipments: int, per_file: int, bundle: int) -> None:
    """The poll and the dispatcher on two threads of one process, as ``crossdock run``'s scheduler runs them:
    the clock runs from the first 945 read until the last 856 or 810 is in the buyer's folder."""
    hub = prepare(base, shipments, per_file, bundle)
    dispatcher = hub.dispatcher("bench-out")
    polled = threading.Event()
    sent = 0

    def dispatch() -> None:
        nonlocal sent
        while True:
            last = polled.is_set()  # a round begun after the poll ended that finds nothing due is the last
            report = dispatcher.run_once()
            sent += report.sent
            if report.claimed == 0:
                if last:
                    return
                time.sleep(0.05)

    t0 = time.perf_counter()
    thread = threading.Thread(target=dispatch, name="dispatcher")
    thread.start()
    try:
        report = poll(hub, "advices", "bench")
    finally:
        polled.set()
        thread.join()
    t1 = time.perf_counter()
    hub.close()
    recorded = sum(p.shipments for p in report.processed)
    assert recorded == shipments, f"{recorded} shipments recorded, expected {shipments}"
    assert sent == 2 * shipments, f"{sent} documents sent"
    print(
        f"side by side, as crossdock run, {_per(bundle)}: shipments/s {shipments / (t1 - t0):.0f}   "
        f"wall {t1 - t0:.2f} s"
    )


def _per(bundle: int) -> str:
    return "a file per document" if bundle == 1 else f"up to {bundle} interchanges a file"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=100)
    parser.add_argument(
        "--interchanges-per-file", type=int, default=500, help="the buyer sink's bundle size in the bundled runs"
    )
    args = parser.parse_args()
    print(f"{args.shipments} shipments in 945 files of {args.per_file}; an 856 and an 810 for each")
    for run in (in_then_out, side_by_side):
        for bundle in (1, args.interchanges_per_file):
            base = Path(tempfile.mkdtemp(prefix="crossdock-ship-bench-"))
            try:
                run(base, args.shipments, args.per_file, bundle)
            finally:
                shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
