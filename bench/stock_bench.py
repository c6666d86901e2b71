"""Available to sell recomputed for a large catalogue on SQLite: 100,000 SKUs at 3 locations, sold on 6
channels with different locations and buffers, with open orders holding some of them.

Timed: ``stock_available.availability`` (read every figure, the movements after them and every open order's
reservation, then each channel's figures), and a first ``stock_push.push``-like queueing for every channel
(what changed since last told: all of it, the first time). Setting up the store is not timed.

    .venv/bin/python bench/stock_bench.py [--skus 100000] [--orders 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert

from crossdock.core.configuration.channels import ChannelStock
from crossdock.core.stock.available import availability
from crossdock.core.stock.ledger import Figure, record_figures, record_movement
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import orders, stock_reserved
from crossdock.core.storage.store import Store

LOCATIONS = ("main", "east", "west")
CHANNELS = {
    "shopify": ChannelStock(locations=["main", "east"], buffer=2),
    "woocommerce": ChannelStock(locations=["main"], buffer="10%"),
    "bigcommerce": ChannelStock(buffer=1),
    "amazon": ChannelStock(locations=["east", "west"], buffer="5%"),
    "ebay": ChannelStock(locations=["west"], buffer=0),
    "walmart": ChannelStock(buffer=3),
}


def setup(store: Store, skus: int, open_orders: int) -> None:
    as_of = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with store.transaction() as conn:
        figures = [
            Figure(f"SKU-{i:06d}", loc, (i * 7 + n) % 50, as_of, "bench")
            for i in range(skus)
            for n, loc in enumerate(LOCATIONS)
        ]
        record_figures(conn, figures)
        for i in range(0, skus, 100):  # a return received now and then
            record_movement(
                conn,
                sku=f"SKU-{i:06d}",
                location="main",
                delta=1,
                at=as_of + dt.timedelta(hours=1),
                reason="return",
                reference=f"RMA-{i}",
            )
        now = utcnow()
        ids = []
        for n in range(open_orders):
            row = {
                "channel": "x12",
                "partner": "p",
                "external_id": f"PO-{n}",
                "po_number": f"PO-{n}",
                "status": "routed",
                "revision": 1,
                "data": "{}",
                "created_at": now,
                "updated_at": now,
            }
            ids.append(conn.execute(insert(orders).values(row)).inserted_primary_key[0])  # type: ignore[index]
        conn.execute(
            insert(stock_reserved),
            [
                {"order_id": order_id, "sku": f"SKU-{(n * 13 + k) % skus:06d}", "quantity": 1 + k}
                for n, order_id in enumerate(ids)
                for k in range(3)
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        started = time.perf_counter()
        setup(store, args.skus, args.orders)
        print(f"setup: {args.skus * 3:,} figures, {args.orders:,} open orders in {time.perf_counter() - started:.1f} s")
        channels: dict[str, Any] = {name: SimpleNamespace(stock=stock) for name, stock in CHANNELS.items()}
        catalogue = {name: {f"SKU-{i:06d}": {} for i in range(args.skus)} for name in CHANNELS}
        runs, cpu = [], []
        for _ in range(3):
            with store.engine.connect() as conn:
                started, used = time.perf_counter(), time.process_time()
                figures = availability(conn, channels, catalogue, None)
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
        total = sum(len(f) for f in figures.values())
        print(
            f"availability: {total:,} figures ({args.skus:,} SKUs x {len(CHANNELS)} channels): "
            f"best {min(runs):.2f} s, runs {', '.join(f'{r:.2f}' for r in runs)}; "
            f"CPU {', '.join(f'{c:.2f}' for c in cpu)} s"
        )
        store.close()


if __name__ == "__main__":
    main()
