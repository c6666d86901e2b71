"""Channel webhooks: one order per request, many requests at once, beside a poll of the same orders in pages.

    python bench/webhook_bench.py [--orders 2000] [--clients 1 8 32] [--page-size 50] [--pg URL] [--dispatch]
                                  [--latency SECONDS]

A fake Shopify Admin GraphQL API runs in a child process on 127.0.0.1 with ``--orders`` distinct orders (the
documented order #1001 under other ids), every answer encoded before the clock starts: ``Orders`` pages and
``Order`` by id. crossdock's server (what ``crossdock serve`` runs) answers ``/webhooks/shop`` in this process,
on a new SQLite store (or PostgreSQL schema) for each shape. The load comes from another child process: ``C``
threads post the orders' ``orders/create`` webhooks (Shopify's REST order, signed with the app's secret like
Shopify signs them), one order per request, each answered before the thread posts its next. Each webhook is a
hint: crossdock verifies it, reads the order again by id from the fake, stores it raw, maps, upserts, routes
and enqueues its delivery to a folder sink, and answers. The clock stops when every post is answered; then
every order must be in the store, once. Beside it, in the same run, ``crossdock poll`` reads the same orders
from the fake in pages of ``--page-size`` into a new store. ``CPU ms/order`` is what crossdock's process spent
(all its threads: the server, the intake, the API reads), the poster's and the fake's apart. ``--dispatch``
also times the outbox writing every delivery to the folder, after the last answer. ``--latency`` makes the fake
take that long to answer each query (a page or an order), as a real shop does.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import http.client
import json
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from e2e_bench import _pg_schema  # noqa: E402  (bench/ is on the path when a bench runs)

from crossdock.core.configuration.config import load_config  # noqa: E402
from crossdock.core.hub import Hub  # noqa: E402
from crossdock.core.poller import poll  # noqa: E402
from crossdock.core.storage.schema import orders as orders_table  # noqa: E402
from crossdock.server import make_server, serve_in_background, webhook_path  # noqa: E402
from tests.test_shopify_mapping import GRAPHQL_ORDER  # noqa: E402

REST_ORDER = ROOT / "tests" / "data" / "fixtures" / "shopify" / "rest" / "order.json"
SECRET = "bench-client-secret"
TOKEN = "shpat_bench"
FIRST_ID = 7_000_000


def _graphql_orders(count: int) -> list[dict[str, Any]]:
    found = []
    for n in range(count):
        order_id = FIRST_ID + n
        order = copy.deepcopy(GRAPHQL_ORDER)
        stamp = f"2026-11-{20 + n // 86400 % 8:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
        order.update(id=f"gid://shopify/Order/{order_id}", name=f"#{order_id}", createdAt=stamp, updatedAt=stamp)
        for i, line in enumerate(order["lineItems"]["nodes"]):
            line["id"] = f"gid://shopify/LineItem/{order_id * 10 + i}"
        found.append(order)
    return found


def _answers(orders: list[dict[str, Any]], page_size: int) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The fake's answers, encoded: ``Orders`` pages by cursor, ``Order`` by GID."""
    pages: dict[str, bytes] = {}
    for start in range(0, len(orders), page_size):
        end = start + page_size
        info = {"hasNextPage": end < len(orders), "endCursor": str(end)}
        pages[str(start)] = json.dumps({"data": {"orders": {"pageInfo": info, "nodes": orders[start:end]}}}).encode()
    by_id = {order["id"]: json.dumps({"data": {"order": order}}).encode() for order in orders}
    return pages, by_id


def _serve_api(pages: dict[str, bytes], by_id: dict[str, bytes], latency: float, ready: Any) -> None:
    empty = json.dumps({"data": {"orders": {"pageInfo": {"hasNextPage": False}, "nodes": []}}}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: Nagle would hold the body 40 ms

        def log_message(self, fmt: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            operation = re.match(r"\s*query\s+(\w+)", request["query"])
            variables = request["variables"]
            time.sleep(latency)  # a real shop's time to answer a query
            if self.headers.get("X-Shopify-Access-Token") != TOKEN or operation is None:
                body, status = b'{"errors": "denied"}', 401
            elif operation.group(1) == "Order":
                body, status = by_id.get(variables["id"], b'{"data": {"order": null}}'), 200
            else:
                body, status = pages.get(variables.get("after") or "0", empty), 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ThreadingHTTPServer.request_queue_size = 128  # crossdock reads as many orders at once as it is posted
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


def _webhooks(count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Each order's ``orders/create`` webhook: Shopify's REST order under the order's id, signed."""
    example = json.loads(REST_ORDER.read_text())["order"]
    hooks = []
    for n in range(count):
        order_id = FIRST_ID + n
        body = json.dumps(example | {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}"})
        data = body.encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), data, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": signature,
            "X-Shopify-Webhook-Id": f"bench-{order_id}",
        }
        hooks.append((data, headers))
    return hooks


def _post_all(
    port: int, path: str, hooks: list[tuple[bytes, dict[str, str]]], clients: int, go: Any, done: Any
) -> None:
    """``clients`` threads posting the webhooks, each waiting for its answer before the next; the wall time and
    every answer that was not a 202 recording a new order go back on ``done``."""
    lock = threading.Lock()
    todo = iter(range(len(hooks)))
    wrong: list[str] = []

    def client() -> None:
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            data, headers = hooks[i]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                conn.request("POST", path, body=data, headers=headers)
                answer = conn.getresponse()
                said = answer.read()
            finally:
                conn.close()
            if answer.status != 202 or not json.loads(said).get("new"):
                with lock:
                    wrong.append(f"{answer.status} {said[:200]!r}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    go.get()
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.put((time.perf_counter() - t0, wrong))


def _config(base: Path, store_url: str, api: str, page_size: int) -> Path:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "sources": {
            "shop": {
                "type": "shopify",
                "url": api,
                "access_token": "${BENCH_SHOPIFY_TOKEN}",
                "webhook_secret": "${BENCH_SHOPIFY_SECRET}",
                "page_size": page_size,
                "first_sync": "3650d",
            }
        },
        "sinks": {"warehouse": {"type": "folder", "path": str(base / "warehouse")}},
        "routing": {"default": "warehouse"},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _stored_orders(hub: Hub) -> tuple[int, int]:
    """(orders, distinct channel ids) in the store."""
    with hub.store.transaction() as conn:
        count = conn.execute(select(func.count()).select_from(orders_table)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(orders_table.c.external_id)))).scalar_one()
    return int(count), int(distinct)


def _dispatched(hub: Hub) -> float:
    t0 = time.perf_counter()
    hub.dispatcher("bench").drain()
    return time.perf_counter() - t0


def _shape(
    store_url: str, api: str, page_size: int, orders: int, dispatch: bool, timed: Callable[[Hub], float]
) -> dict[str, float]:
    """One shape on a new store: ``timed`` runs it and says how long; every order must be stored once."""
    base = Path(tempfile.mkdtemp(prefix="crossdock-webhook-bench-"))
    try:
        hub = Hub(load_config(_config(base, store_url, api, page_size)))  # migrated before the clock starts
        try:
            cpu = time.process_time()
            wall = timed(hub)
            cpu = time.process_time() - cpu
            count, distinct = _stored_orders(hub)
            assert count == distinct == orders, f"{count} orders stored ({distinct} distinct), expected {orders}"
            sent = _dispatched(hub) if dispatch else 0.0
            if dispatch:
                files = len(list((base / "warehouse").glob("*")))
                assert files == orders, f"{files} files in the warehouse, expected {orders}"
        finally:
            hub.close()
        return {"wall_s": wall, "orders_per_s": orders / wall, "cpu_ms": cpu / orders * 1000, "dispatch_s": sent}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _by_poll(hub: Hub) -> float:
    t0 = time.perf_counter()
    report = poll(hub, "shop", "bench")
    wall = time.perf_counter() - t0
    assert report.error is None, report.error
    return wall


def _by_webhooks(hooks: list[tuple[bytes, dict[str, str]]], clients: int) -> Callable[[Hub], float]:
    def timed(hub: Hub) -> float:
        server = make_server(hub, "127.0.0.1", 0)
        serve_in_background(server)
        ctx = mp.get_context("fork")
        go, done = ctx.Queue(), ctx.Queue()
        poster = ctx.Process(
            target=_post_all, args=(server.server_address[1], webhook_path("shop"), hooks, clients, go, done)
        )
        poster.start()
        try:
            go.put(True)
            wall, wrong = done.get(timeout=3600)
        finally:
            poster.join()
            server.shutdown()
            server.server_close()
        assert not wrong, f"{len(wrong)} answers were not a new order's 202, the first: {wrong[0]}"
        return float(wall)

    return timed


def run(
    store_url: Callable[[], str], orders: int, clients: list[int], page_size: int, dispatch: bool, latency: float
) -> list[Any]:
    pages, by_id = _answers(_graphql_orders(orders), page_size)
    hooks = _webhooks(orders)
    ctx = mp.get_context("fork")
    ready = ctx.Queue()
    api_process = ctx.Process(target=_serve_api, args=(pages, by_id, latency, ready), daemon=True)
    api_process.start()
    os.environ.update(BENCH_SHOPIFY_TOKEN=TOKEN, BENCH_SHOPIFY_SECRET=SECRET)
    rows: list[Any] = []
    try:
        api = f"http://127.0.0.1:{ready.get(timeout=10)}"
        rows.append((f"poll, pages of {page_size}", _shape(store_url(), api, page_size, orders, dispatch, _by_poll)))
        for c in clients:
            timed = _by_webhooks(hooks, c)
            rows.append((f"webhooks, {c} at once", _shape(store_url(), api, page_size, orders, dispatch, timed)))
    finally:
        api_process.kill()
        api_process.join()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--page-size", type=int, default=50, help="orders a poll's page (Shopify allows 50)")
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://...) to run there instead of SQLite")
    parser.add_argument("--dispatch", action="store_true", help="also time the outbox writing every delivery")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake takes to answer each query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        made = iter(range(1_000))

        def store_url() -> str:
            return _pg_schema(args.pg) if args.pg else f"sqlite:///{tmp}/bench-{next(made)}.db"

        rows = run(store_url, args.orders, args.clients, args.page_size, args.dispatch, args.latency)
    engine = "PostgreSQL" if args.pg else "SQLite"
    waits = f", the fake answering each query in {args.latency:g} s" if args.latency else ""
    print(f"{args.orders} Shopify orders of 3 lines on {engine}{waits}; each shape on a new store")
    head = f"{'shape':<24} {'orders/s':>9} {'wall s':>7} {'/ poll':>7} {'CPU ms/order':>13}"
    print(head + (f" {'dispatch s':>11}" if args.dispatch else ""))
    polled = rows[0][1]["orders_per_s"]
    for name, r in rows:
        line = (
            f"{name:<24} {r['orders_per_s']:>9.0f} {r['wall_s']:>7.2f} {r['orders_per_s'] / polled:>7.2f} "
            f"{r['cpu_ms']:>13.2f}"
        )
        print(line + (f" {r['dispatch_s']:>11.2f}" if args.dispatch else ""))


if __name__ == "__main__":
    main()
