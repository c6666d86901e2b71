"""The dispatcher's own cost per delivery: claim, count the attempt, send to a sink that does nothing, record.

    python bench/outbox_bench.py [--deliveries 5000] [--pg URL]

Two sinks: one that takes each document as it comes (like HTTP: each outcome is committed after its send)
and one that makes documents durable at ``flush`` (like a folder: one record per batch after the flush).
The sinks do no I/O, so what is timed is the store's bookkeeping.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.core.outbox import Dispatcher  # noqa: E402
from crossdock.core.ports import Outbound  # noqa: E402
from crossdock.core.retry import RetryPolicy  # noqa: E402
from crossdock.core.storage.store import Store  # noqa: E402


class NullSink:
    name = "null"

    def send(self, document: Outbound) -> str:
        return document.name

    def close(self) -> None:
        return None


class FlushingNullSink(NullSink):
    def flush(self) -> None:
        return None


def run(url: str, deliveries: int, sink: NullSink) -> float:
    """Deliveries sent per second."""
    store = Store.open(url)
    try:
        with store.transaction() as conn:
            doc = store.add_document(conn, direction="out", data=b"{}", state="queued", remote_name="d.json")
            key = type(sink).__name__
            rows = [
                {"key": f"{key}-{i}", "sink": "null", "purpose": "order", "document_id": doc} for i in range(deliveries)
            ]
            store.enqueue_many(conn, rows)
        t0 = time.perf_counter()
        sent = Dispatcher(store, lambda name: sink, RetryPolicy(), owner="bench", batch=100).drain().sent  # type: ignore[arg-type]
        took = time.perf_counter() - t0
        assert sent == deliveries, f"{sent} sent, expected {deliveries}"
        return deliveries / took
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--pg", help="also on this PostgreSQL store (an empty database or schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-outbox-bench-") as tmp:
        stores = [("SQLite", lambda n: f"sqlite:///{tmp}/{n}.db")]
        if args.pg:
            stores.append(("PostgreSQL", lambda n: args.pg))
        print("| store | sink | deliveries/s |\n| --- | --- | ---: |")
        for label, url in stores:
            for kind, sink in (("as it comes", NullSink()), ("at flush", FlushingNullSink())):
                rate = run(url(kind.replace(" ", "-")), args.deliveries, sink)
                print(f"| {label} | {kind} | {rate:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
