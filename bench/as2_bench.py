"""AS2 throughput: signed and encrypted 10 KB 850s posted to ``crossdock serve`` on loopback, each answered a signed
synchronous MDN once the order is stored and processed.

    python bench/as2_bench.py [--messages 300] [--senders 1 4] [--pg URL]

The receiver is ``crossdock serve`` in a child process (its own interpreter, as in production) with one AS2 source;
the sender is crossdock's ``As2Sink`` in this process, each sender a thread with its own sink, sending distinct
interchanges (about 10 KB each, prepared before the clock starts) one after the other and checking each MDN's
signature and MIC. What is timed is the whole round: sign, encrypt, post, decrypt, verify, store, process (order,
route, 997 queued), sign the MDN, verify it. Certificates are made for the run (RSA-2048, throwaway).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.connectors.as2 import As2Sink  # noqa: E402
from crossdock.connectors.as2_config import As2SinkConfig  # noqa: E402
from crossdock.core.ports import Outbound  # noqa: E402
from tests.as2_keys import make_party  # noqa: E402
from tests.hub.edi import interchange, large_order  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send(sink: As2Sink, batch: list[bytes], tag: str) -> None:
    for k, data in enumerate(batch):
        said = sink.send(Outbound(f"po-{tag}-{k}.edi", data, f"bench-{tag}-{k}"))
        assert "processed MIC" in said, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--senders", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--pg", help="a PostgreSQL URL for the receiver's store (default: SQLite)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="as2bench-"))
    try:
        ours, theirs = make_party(work / "keys", "ours"), make_party(work / "keys", "theirs")
        port = _port()
        source = {
            "type": "as2",
            "as2_id": "CROSSDOCK-AS2",
            "partner_as2_id": "NORTHWIND-AS2",
            "certificate": str(ours.cert_path),
            "private_key": str(ours.key_path),
            "partner_certificate": str(theirs.cert_path),
        }
        config = {
            "store": {"url": args.pg or f"sqlite:///{work}/crossdock.db"},
            "company": {"isa_id": "CROSSDOCK"},
            "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
            "sources": {"northwind": source},
            "sinks": {
                "acks": {"type": "folder", "path": str(work / "acks")},
                "wh": {"type": "folder", "path": str(work / "wh")},
            },
            "routing": {"default": "wh"},
        }
        (work / "crossdock.yaml").write_text(yaml.safe_dump(config))
        server = subprocess.Popen(
            [sys.executable, "-m", "crossdock.cli", "serve", "-c", str(work / "crossdock.yaml"), "--port", str(port)],
            stdout=subprocess.PIPE,
            env={**os.environ, "CROSSDOCK_LOG_LEVEL": "WARNING"},
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()  # "crossdock serving on ..."
            sink_config = As2SinkConfig(
                type="as2",
                url=f"http://127.0.0.1:{port}/as2/northwind",
                as2_id="NORTHWIND-AS2",
                partner_as2_id="CROSSDOCK-AS2",
                certificate=str(theirs.cert_path),
                private_key=str(theirs.key_path),
                partner_certificate=str(ours.cert_path),
            )
            control = 0
            for senders in args.senders:
                batch = []
                for _ in range(args.messages):
                    control += 1
                    batch.append(interchange([large_order(f"PO-{control}", 36)], control=control))
                size = sum(map(len, batch)) / len(batch)
                per = [batch[i::senders] for i in range(senders)]
                sinks = [As2Sink(f"s{i}", sink_config) for i in range(senders)]

                threads = [
                    threading.Thread(target=_send, args=(sinks[i], per[i], f"{senders}-{i}")) for i in range(senders)
                ]
                wall, cpu = time.perf_counter(), time.process_time()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                for sink in sinks:
                    sink.close()
                print(
                    f"senders {senders}: {args.messages} messages of {size / 1000:.1f} kB in {wall:.2f} s: "
                    f"{args.messages / wall:.0f} messages/s with sync MDNs (sender CPU {cpu:.2f} s)"
                )
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert health.status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
