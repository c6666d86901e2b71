"""``crossdock run`` killed while it sends to a slow web hook: the restarted process releases its predecessor's
claims at once (not after the lease) and repeats at most the one POST that was in flight."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.store import Store
from tests.hub.conftest import base_config, start_run
from tests.hub.edi import interchange, order

ORDERS = 20


class SlowHook(ThreadingHTTPServer):
    """A web hook on loopback that takes 0.15 s over each POST and counts every idempotency key it is sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: SlowHook

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.keys[self.headers["Idempotency-Key"]] += 1
        time.sleep(0.15)
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def hook() -> Iterator[SlowHook]:
    server = SlowHook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _order_deliveries(store: Store) -> list[tuple[str, str | None]]:
    with store.transaction() as conn:
        rows = conn.execute(
            select(deliveries.c.state, deliveries.c.lease_owner).where(deliveries.c.sink == "wms")
        ).all()
    return [(r.state, r.lease_owner) for r in rows]


@pytest.mark.slow
def test_a_killed_run_is_taken_over_at_once_and_repeats_only_the_send_in_flight(tmp_path: Path, hook: SlowHook) -> None:
    data = base_config(tmp_path, "sqlite:///crossdock.db")
    data["sources"]["drop"]["schedule"] = {"every": 0.05}
    data["sinks"]["wms"] = {"type": "http", "url": f"http://127.0.0.1:{hook.server_address[1]}/orders"}
    data["routing"] = {"rules": [], "default": "wms"}
    data["outbox"] = {"every": 0.05, "lease": "5m"}  # only a release explains a takeover within seconds
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "po.edi").write_bytes(interchange([order(f"PO-{i:02d}") for i in range(ORDERS)], control=1))
    store = Store.open(f"sqlite:///{tmp_path}/crossdock.db")
    try:
        proc = start_run(config)
        deadline = time.monotonic() + 30
        while sum(hook.keys.values()) < 3:
            assert time.monotonic() < deadline and proc.poll() is None, "no POST arrived"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = [row for row in _order_deliveries(store) if row[0] == "pending"]
        assert left and all(owner is not None for _, owner in left), "the killed run held its claims"

        restarted = time.monotonic()
        proc = start_run(config)
        try:
            while any(state != "sent" for state, _ in _order_deliveries(store)):
                assert time.monotonic() - restarted < 20, "the restarted run waited for the dead claims' lease"
                assert proc.poll() is None
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    finally:
        store.close()
    assert len(hook.keys) == ORDERS
    assert sum(hook.keys.values()) - ORDERS <= 1, f"repeated: {[k for k, n in hook.keys.items() if n > 1]}"
