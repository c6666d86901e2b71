"""Sales-channel throughput: orders from a channel's API on loopback into the store and the outbox.

    python bench/channel_bench.py [--orders 5000] [--per-page 100] [--pg URL] [--latency SECONDS]

A fake WooCommerce REST API runs in a child process on 127.0.0.1 and serves the owner's example order
(``tests/data/fixtures/woocommerce``) under distinct ids, its pages prepared before the clock starts. Two runs
are timed, each in this one process: the peer alone (a plain httpx client reading every page, which is what
any client must spend on the API) and crossdock's ``poll`` of the channel source (read, store each order
version raw, map, upsert, route, enqueue its delivery to a folder, save the checkpoint). The ratio of the two
says how much of the time is crossdock's. ``--latency`` makes the fake take that long per page, as a real
store does: crossdock reads the next page while it records one, so its rate then approaches the fake's.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e2e_bench import _pg_schema  # noqa: E402  (bench/ is on the path when a bench runs)

from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "fixtures" / "woocommerce" / "orders.retrieve.response.json"


def _pages(orders: int, per_page: int) -> list[bytes]:
    example = json.loads(FIXTURE.read_text())
    items = []
    for n in range(orders):
        order = copy.deepcopy(example)
        order_id = 100_000 + n
        stamp = f"2026-11-{20 + n // 86400 % 8:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        order.update(id=order_id, number=str(order_id), date_created_gmt=stamp, date_modified_gmt=stamp)
        for i, line in enumerate(order["line_items"]):
            line["id"] = order_id * 10 + i
        items.append(order)
    return [json.dumps(items[i : i + per_page]).encode() for i in range(0, orders, per_page)]


def _serve(pages: list[bytes], latency: float, ready: Any) -> None:
    total = str(len(pages))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:
            return None

        def do_GET(self) -> None:
            page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
            time.sleep(latency)  # a real store's time to build a page
            body = pages[page - 1] if page <= len(pages) else b"[]"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-WP-TotalPages", total)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ready.put(server.server_address[1])
    server.serve_forever()


def _config(base: Path, store_url: str, api: str, per_page: int) -> Path:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "sources": {
            "shop": {
                "type": "woocommerce",
                "url": api,
                "consumer_key": "${BENCH_WOO_KEY}",
                "consumer_secret": "${BENCH_WOO_SECRET}",
                "per_page": per_page,
                "first_sync": "3650d",
            }
        },
        "sinks": {"warehouse": {"type": "folder", "path": str(base / "warehouse")}},
        "routing": {"default": "warehouse"},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _peer_alone(api: str, pages: int, per_page: int) -> float:
    t0 = time.perf_counter()
    with httpx.Client(base_url=api) as client:
        for page in range(1, pages + 1):
            body = client.get("/wp-json/wc/v3/orders", params={"page": str(page), "per_page": str(per_page)})
            json.loads(body.content)
    return time.perf_counter() - t0


def run(store_url: str, orders: int, per_page: int, latency: float = 0.0) -> dict[str, float]:
    pages = _pages(orders, per_page)
    ctx = mp.get_context("fork")
    ready = ctx.Queue()
    server = ctx.Process(target=_serve, args=(pages, latency, ready), daemon=True)
    server.start()
    base = Path(tempfile.mkdtemp(prefix="crossdock-channel-bench-"))
    try:
        api = f"http://127.0.0.1:{ready.get(timeout=10)}"
        os.environ.update(BENCH_WOO_KEY="ck_bench", BENCH_WOO_SECRET="cs_bench")
        hub = Hub(load_config(_config(base, store_url, api, per_page)))  # migrated before the clock starts
        peer = min(_peer_alone(api, len(pages), per_page) for _ in range(3))
        t0 = time.perf_counter()
        report = poll(hub, "shop", "bench")
        wall = time.perf_counter() - t0
        assert report.error is None, report.error
        stored = sum(p.orders_new for p in report.processed)
        assert stored == orders, f"{stored} orders stored, expected {orders}"
        hub.close()
        return {"orders": stored, "wall_s": wall, "orders_per_s": stored / wall, "peer_s": peer}
    finally:
        server.kill()
        server.join()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://...) to run there too")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake takes to answer each page")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("SQLite", run(f"sqlite:///{tmp}/bench.db", args.orders, args.per_page, args.latency)))
    if args.pg:
        rows.append(("PostgreSQL", run(_pg_schema(args.pg), args.orders, args.per_page, args.latency)))
    print(
        f"{args.orders} WooCommerce orders, {args.per_page} a page, from a fake API on loopback "
        f"answering each page in {args.latency:g} s"
    )
    print(f"{'store':<11} {'orders/s':>9} {'wall s':>7} {'peer alone s':>13} {'crossdock/peer':>15}")
    for name, r in rows:
        print(
            f"{name:<11} {r['orders_per_s']:>9.0f} {r['wall_s']:>7.2f} {r['peer_s']:>13.2f} "
            f"{r['wall_s'] / r['peer_s']:>15.1f}"
        )


if __name__ == "__main__":
    main()
