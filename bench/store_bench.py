"""The store's bytes per PO: N one-PO files through poll and dispatch on SQLite, then what each table holds.

    python bench/store_bench.py [--orders 1000] [--lines 3] [--purge-raw]

Each PO arrives alone in its own file (the shape real partners send), is routed to a folder sink as
crossdock's order JSON, and answered with a 997. Afterwards the SQLite file is measured with ``dbstat`` (pages
of each table with its indexes: what the disk holds) and by column (raw bytes of documents in and out by kind,
the orders' JSON, events): where the bytes go, and what is there twice. ``--purge-raw`` then purges every raw
byte (as ``retention.raw`` does after 90 days, with an incremental vacuum) and measures again: what a PO costs
once its raw bytes have aged out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.configuration.house import RetentionConfig  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.models import Address, Order, OrderLine, Party  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402
from crossdock.core.storage.retention import purge  # noqa: E402
from crossdock.mappings.x12.delimiters import Delimiters  # noqa: E402
from crossdock.mappings.x12.po850 import build_850  # noqa: E402
from crossdock.mappings.x12.writer import Envelope, write_interchange  # noqa: E402

TABLES = ("documents", "orders", "deliveries", "events", "shipments", "sequences", "cursors", "leases")


def _order(n: int, lines: int) -> Order:
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
            for i in range(lines)
        ],
    )


def generate(folder: Path, orders: int, lines: int) -> None:
    for n in range(orders):
        env = Envelope(
            sender_qualifier="ZZ",
            sender_id="NORTHWIND",
            receiver_qualifier="ZZ",
            receiver_id="CROSSDOCK",
            interchange_control=n + 1,
            group_control=n + 1,
            functional_id="PO",
        )
        data = write_interchange(env, [build_850(_order(n, lines), "0001")], Delimiters("*", ">", "~"), newline=True)
        (folder / f"po-{n:06d}.edi").write_bytes(data)


def config(base: Path) -> Path:
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{base}/store.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
        "sources": {"drop": {"type": "folder", "path": str(base / "drop"), "min_age": 0}},
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


def measure(db: Path, orders: int) -> list[tuple[str, float, float]]:
    """(what, rows per PO, bytes per PO) rows: each table on disk, then the columns that hold the bulk."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = {
            name: (int(size), int(used))
            for name, size, used in conn.execute(
                "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize), sum(d.payload) FROM dbstat d "
                "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
            )
        }
        out: list[tuple[str, float, float]] = []
        for table in TABLES:
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            size, used = pages.get(table, (0, 0))
            out.append((f"table {table} (with indexes)", rows / orders, size / orders))
            if table in ("documents", "orders"):
                out.append((f"  of which {table} payload", rows / orders, used / orders))
        out.append(("whole file", 0.0, db.stat().st_size / orders))
        for direction, kind, rows, size in conn.execute(
            "SELECT direction, coalesce(kind, '-'), count(*), sum(length(data)) FROM documents "
            "GROUP BY direction, kind ORDER BY direction, kind"
        ):
            out.append((f"  documents.data {direction} {kind}", rows / orders, (size or 0) / orders))
        rows, size = conn.execute("SELECT count(*), sum(length(data)) FROM orders").fetchone()
        out.append(("  orders.data (the order's JSON)", rows / orders, (size or 0) / orders))
        for kind, rows, size in conn.execute(
            "SELECT kind, count(*), sum(length(message)) FROM events GROUP BY kind ORDER BY count(*) DESC"
        ):
            out.append((f"  events.message {kind}", rows / orders, (size or 0) / orders))
        return out
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=3, help="lines per PO")
    parser.add_argument("--purge-raw", action="store_true", help="then purge every raw byte and measure again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-store-bench-") as tmp:
        base = Path(tmp)
        (base / "drop").mkdir()
        generate(base / "drop", args.orders, args.lines)
        hub = Hub(load_config(config(base)))
        t0 = time.perf_counter()
        report = poll(hub, "drop", "bench")
        sent = hub.dispatcher("bench").drain()
        took = time.perf_counter() - t0
        new = sum(p.orders_new for p in report.processed)
        assert new == args.orders, f"{new} orders stored, expected {args.orders}"
        print(f"{args.orders} POs, one per file, {args.lines} lines each: {sent.sent} deliveries sent in {took:.1f} s")
        _table(measure(base / "store.db", args.orders))
        if args.purge_raw:
            keep = 100_000 * 86400.0  # every record but the raw bytes stays
            done = purge(hub.store, RetentionConfig(raw=0, documents=keep, orders=keep, deliveries=keep, events=keep))
            print(f"after purging the raw bytes of {done.raw_documents:,} documents ({done.vacuum}):")
            _table(measure(base / "store.db", args.orders))
        hub.close()


def _table(rows: list[tuple[str, float, float]]) -> None:
    print(f"{'':<44} {'rows/PO':>8} {'bytes/PO':>9}")
    for what, count, size in rows:
        print(f"{what:<44} {count:>8.2f} {size:>9.0f}")


if __name__ == "__main__":
    main()
