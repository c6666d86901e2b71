"""Stopping under a backlog: how long SIGTERM takes while ``crossdock run`` reads a folder of many files.

    python bench/stop_bench.py [--files 20000] [--after 5] [--code /path/to/another/checkout]

Writes the files (one PO each, one interchange a file), starts ``crossdock run`` on SQLite with the folder
source and folder sinks, sends SIGTERM ``--after`` seconds later, and times the exit. Then counts what the run
did: files read (stored) and left in the folder, deliveries sent before the stop and still pending (kept in the
outbox for the next start), and checks that nothing was lost (every PO is an order or a file still unread).
``--code`` runs another checkout's crossdock (``PYTHONPATH``), to compare before and after side by side.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.e2e_bench import _order  # noqa: E402
from crossdock.mappings.x12.delimiters import Delimiters  # noqa: E402
from crossdock.mappings.x12.po850 import build_850  # noqa: E402
from crossdock.mappings.x12.writer import Envelope, write_interchange  # noqa: E402


def _write(folder: Path, files: int) -> None:
    base = dict(sender_qualifier="ZZ", sender_id="NORTHWIND", receiver_qualifier="ZZ", receiver_id="CROSSDOCK")
    for n in range(files):
        env = Envelope(**base, interchange_control=n + 1, group_control=n + 1, functional_id="PO")  # type: ignore[arg-type]
        data = write_interchange(env, [build_850(_order(n), "0001")], Delimiters("*", ">", "~"), newline=True)
        (folder / f"po-{n:05d}.edi").write_bytes(data)


def _config(base: Path) -> Path:
    data = {
        "store": {"url": f"sqlite:///{base}/crossdock.db"},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {"northwind": {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "reply_to": "acks"}},
        "sources": {"drop": {"type": "folder", "path": str(base / "drop"), "min_age": 0, "schedule": {"every": 1}}},
        "sinks": {name: {"type": "folder", "path": str(base / name)} for name in ("west", "east", "acks")},
        "routing": {"rules": [{"match": {"state": ["CA"]}, "to": "west"}], "default": "east"},
        "outbox": {"every": 1},
    }
    path = base / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def run(files: int, after: float, code: str | None) -> dict[str, float]:
    base = Path(tempfile.mkdtemp(prefix="crossdock-stop-"))
    try:
        (base / "drop").mkdir()
        _write(base / "drop", files)
        config = _config(base)
        env = {**os.environ, "CROSSDOCK_LOG_LEVEL": "WARNING"}
        if code:
            env["PYTHONPATH"] = code
        proc = subprocess.Popen(  # run in the temporary folder: ``-m`` puts the working directory first on the path
            [sys.executable, "-m", "crossdock.cli", "run", "-c", str(config)], env=env, stderr=subprocess.PIPE, cwd=base
        )
        time.sleep(after)
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=600)
        stop_s = time.perf_counter() - t0
        engine = create_engine(f"sqlite:///{base}/crossdock.db")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM documents WHERE direction = 'in'")).scalar_one()
            waiting = conn.execute(text("SELECT count(*) FROM documents WHERE state = 'received'")).scalar_one()
            sent = conn.execute(text("SELECT count(*) FROM deliveries WHERE state = 'sent'")).scalar_one()
            pending = conn.execute(text("SELECT count(*) FROM deliveries WHERE state = 'pending'")).scalar_one()
            orders = conn.execute(text("SELECT count(DISTINCT po_number) FROM orders")).scalar_one()
        engine.dispose()
        left = sum(1 for _ in (base / "drop").glob("*.edi"))
        assert proc.returncode == 0, err.decode()
        assert orders + left + waiting == files, f"{orders} orders + {left} unread + {waiting} waiting != {files}"
        return {"stop_s": stop_s, "stored": stored, "left": left, "sent": sent, "pending": pending}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--after", type=float, default=5.0, help="seconds of running before SIGTERM")
    parser.add_argument("--code", help="another checkout to run instead (its path goes first on PYTHONPATH)")
    args = parser.parse_args()
    r = run(args.files, args.after, args.code)
    print(f"{args.files} files of one PO, SIGTERM after {args.after:.0f} s of crossdock run ({args.code or ROOT})")
    print(f"{'stop s':>7} {'files read':>10} {'files left':>10} {'sent':>7} {'pending':>8}")
    print(f"{r['stop_s']:>7.2f} {r['stored']:>10} {r['left']:>10} {r['sent']:>7} {r['pending']:>8}")


if __name__ == "__main__":
    main()
