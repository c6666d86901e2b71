"""The fault suite's hub and its ``crossdock run`` processes, started, killed and stopped as an operator would.

The hub reads one-PO-per-file 850s from partner Northwind and splits each order between a folder sink (the
mugs) and a web hook (the rest); the 997s and 855s go back to the partner. Each process logs to its own file,
never to a pipe nobody reads (a full pipe would stall it and pass for a hang).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from crossdock.core.storage.schema import deliveries, documents
from crossdock.core.storage.store import Store
from tests.faults.ground import FOLDER_SINK, HTTP_SINK, PARTNER
from tests.hub.edi import interchange, order

BATCH = 10  # the outbox batch: what a kill can cost a folder sink, which makes a batch durable at its flush


def po_number(n: int) -> str:
    return f"PO-{n:04d}"


def drop(folder: Path, numbers: Iterable[int]) -> list[str]:
    """A one-PO 850 file for each of ``numbers``, each written whole and then renamed into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for n in numbers:
        name = f"po-{n:04d}.edi"
        staged = folder / f"{name}.part"
        staged.write_bytes(interchange([order(po_number(n), skus=("MUG-BLU", "KTL-RED"))], control=n + 1))
        staged.rename(folder / name)
        names.append(name)
    return names


def hub_config(tmp: Path, store_url: str, hook_url: str, **extra: Any) -> dict[str, Any]:
    """The fault suite's hub on ``store_url``, its web hook at ``hook_url``."""
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            PARTNER: {"isa_qualifier": "ZZ", "isa_id": "NORTHWIND", "send_855": True, "reply_to": "northwind-inbox"}
        },
        "sources": {
            "drop": {
                "type": "folder",
                "path": str(tmp / "drop"),
                "min_age": 0,
                "pattern": "*.edi",
                "schedule": {"every": 0.05},
            }
        },
        "sinks": {
            FOLDER_SINK: {"type": "folder", "path": str(tmp / FOLDER_SINK)},
            HTTP_SINK: {"type": "http", "url": hook_url, "timeout": 5},
            "northwind-inbox": {"type": "folder", "path": str(tmp / "partner-inbox")},
        },
        "routing": {"rules": [{"match": {"sku": ["MUG-*"]}, "to": FOLDER_SINK, "split": True}], "default": HTTP_SINK},
        "outbox": {"every": 0.05, "batch": BATCH, "lease": 5},
        # a kill counts an attempt for every delivery in flight: enough attempts that kills alone never kill one
        "retry": {"max_attempts": 50, "initial": 0.05, "maximum": 0.5, "jitter": 0},
        "housekeeping_every": 1,  # finishes documents a fault left stored but unprocessed
    }
    data.update(extra)
    return data


def write_config(tmp: Path, data: dict[str, Any]) -> Path:
    path = tmp / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Runs:
    """``crossdock run`` processes on ``config``, each logging to ``logs/run-N.log``."""

    def __init__(self, tmp: Path, config: Path) -> None:
        self.config = config
        self.logs = tmp / "logs"
        self.logs.mkdir(exist_ok=True)
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.logs / f"run-{len(self.started)}.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "crossdock.cli", "run", "-c", str(self.config)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env={**os.environ, "CROSSDOCK_LOG_LEVEL": "WARNING"},
            )
        self.started.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.started if p.poll() is None]

    def stop(self) -> list[int]:
        """SIGTERM every process still running and wait for each; their exit codes."""
        running = self.alive()
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in running:
            try:
                codes.append(proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes

    def tail(self, lines: int = 25) -> str:
        """The end of the newest log, for a failure message."""
        if not self.started:
            return ""
        text = (self.logs / f"run-{len(self.started) - 1}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def settled(store: Store, folder: Path | None, files: int) -> bool:
    """``files`` read (from ``folder``, when given, none left), stored and processed, and nothing left to send."""
    if folder is not None and any(folder.glob("*.edi")):
        return False
    with store.transaction() as conn:
        states: dict[str, int] = dict(
            conn.execute(
                select(documents.c.state, func.count()).where(documents.c.direction == "in").group_by(documents.c.state)
            ).all()
        )
        pending = conn.execute(select(deliveries.c.id).where(deliveries.c.state == "pending").limit(1)).first()
    return states == {"processed": files} and pending is None


def wait_for(done: Callable[[], bool], runs: Runs, seconds: float, what: str) -> None:
    """Wait until ``done``; fails, with the newest log's end, when a process died or time ran out."""
    deadline = time.monotonic() + seconds
    while not done():
        dead = [p.returncode for p in runs.started if p.poll() is not None and p.returncode != -signal.SIGKILL]
        assert not dead, f"crossdock run exited ({dead}) before {what}:\n{runs.tail()}"
        assert time.monotonic() < deadline, f"no {what} within {seconds:g} s:\n{runs.tail()}"
        time.sleep(0.1)
