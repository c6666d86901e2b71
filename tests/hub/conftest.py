"""The hub's fixtures: a store on each engine, and a folder-based configuration around it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from crossdock.cli import main
from crossdock.core.configuration.config import Config, load_config
from crossdock.core.hub import Hub
from crossdock.core.storage.store import Store


def _pg_schema_url(base: str) -> Iterator[str]:
    """A fresh schema per test on the PostgreSQL peer, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/crossdock.db"
        return
    base = os.environ.get("CROSSDOCK_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL peer: run scripts/peers up (CROSSDOCK_PG_URL unset)")
    yield from _pg_schema_url(base)


@pytest.fixture
def pg_store() -> Iterator[Store]:
    base = os.environ.get("CROSSDOCK_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL peer: run scripts/peers up (CROSSDOCK_PG_URL unset)")
    for url in _pg_schema_url(base):
        s = Store.open(url)
        yield s
        s.close()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def base_config(tmp_path: Path, store_url: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "partners": {
            "northwind": {
                "isa_qualifier": "ZZ",
                "isa_id": "NORTHWIND",
                "send_855": True,
                "reply_to": "northwind-inbox",
            }
        },
        "sources": {
            "drop": {"type": "folder", "path": str(tmp_path / "drop"), "min_age": 0, "pattern": "*.edi"},
        },
        "sinks": {
            "west": {"type": "folder", "path": str(tmp_path / "west")},
            "east": {"type": "folder", "path": str(tmp_path / "east")},
            "northwind-inbox": {"type": "folder", "path": str(tmp_path / "partner-inbox")},
        },
        "routing": {"rules": [{"match": {"state": ["CA", "OR"]}, "to": "west"}], "default": "east"},
        "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0},
    }
    data.update(extra)
    return data


def write_config(tmp_path: Path, data: dict[str, Any]) -> Config:
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir(exist_ok=True)
    return load_config(path)


@pytest.fixture
def config_path(tmp_path: Path, store_url: str) -> Path:
    """The file the command-line tests name with ``-c``: the folder configuration over the test's store."""
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, store_url)))
    (tmp_path / "drop").mkdir()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``crossdock ARGV`` in this process: its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    h = Hub(write_config(tmp_path, base_config(tmp_path, store_url)))
    yield h
    h.close()


def start_run(config: Path) -> subprocess.Popen[bytes]:
    """``crossdock run -c config`` as a separate process, as an operator starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "run", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "CROSSDOCK_LOG_LEVEL": "WARNING"},
    )


@contextmanager
def running(config: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``start_run``, killed on the way out if the test failed before the process ended (no orphaned run)."""
    proc = start_run(config)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def ended_cleanly(proc: subprocess.Popen[bytes], timeout: float = 120) -> str:
    """Waits for a run told to stop and asserts it stopped as an operator expects (exit 0, no traceback); its
    stderr, for what the caller checks next."""
    proc.wait(timeout=timeout)
    errors = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == 0, errors
    assert "Traceback" not in errors, errors
    return errors


def receive(hub: Hub, data: bytes, name: str = "po.edi") -> None:
    """Drop a partner file in the folder source and poll it, which must go without a source error."""
    from crossdock.core.poller import poll

    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]
    report = poll(hub, "drop", "me")
    assert report.error is None and report.processed, report


def only_delivery(hub: Hub, sink: str) -> Any:
    """The one delivery queued for ``sink``."""
    from sqlalchemy import select

    from crossdock.core.storage.schema import deliveries

    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(deliveries).where(deliveries.c.sink == sink)).all()
    return row
