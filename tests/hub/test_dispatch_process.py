"""``outbox.process: true``: ``crossdock run`` sends from a child process of its own, starts it again when it dies,
and stops it with itself."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import yaml

from crossdock.core.configuration.config import load_config
from crossdock.core.dispatch_process import DispatchProcess
from crossdock.core.hub import Hub
from crossdock.core.metrics_counts import REGISTRY
from crossdock.core.poller import poll
from tests.hub.conftest import base_config, ended_cleanly, running
from tests.hub.edi import interchange, order


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdecimal():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _dispatcher(pid: int) -> int:
    """The child of ``pid`` that dispatches (the spawned interpreter; not a resource tracker)."""
    for child in _children(pid):
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"spawn_main" in command:
            return child
    raise AssertionError(f"no dispatcher process under {pid}: {_children(pid)}")


def _wait(check: object, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_the_outbox_sends_from_its_own_process_and_a_dead_one_is_started_again(tmp_path: Path, store_url: str) -> None:
    data = base_config(tmp_path, store_url, outbox={"every": 0.1, "process": True})
    data["sources"]["drop"]["schedule"] = {"every": 0.2}
    data["logging"] = {"file": str(tmp_path / "run.log")}
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.edi").write_bytes(interchange([order("PO-1")], control=1))
    with running(config) as proc:
        _wait(lambda: (tmp_path / "west" / "northwind-PO-1-r1.json").exists(), "the first order was not sent")
        first = _dispatcher(proc.pid)
        os.kill(first, signal.SIGKILL)  # a dispatcher that dies, as the kernel's out-of-memory killer would
        _wait(lambda: not Path(f"/proc/{first}").exists() or b"Z" in Path(f"/proc/{first}/stat").read_bytes()[:80], "")
        (drop / "b.edi").write_bytes(interchange([order("PO-2")], control=2))
        _wait(lambda: (tmp_path / "west" / "northwind-PO-2-r1.json").exists(), "nothing sent after the child died")
        second = _dispatcher(proc.pid)
        assert second != first, "the order was sent by a new dispatcher process"
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        ended_cleanly(proc)
    said = (tmp_path / "run.log").read_text()
    assert f"process {first} exited with code -9; starting it again in 1 s" in said, said
    assert not Path(f"/proc/{second}").exists(), "the dispatcher's process ended with crossdock run"


def test_what_the_child_sends_is_counted_in_the_workers_metrics(tmp_path: Path, store_url: str) -> None:
    """The child hands its counts (sends by outcome, sink latency) to the worker after each round, so the worker's
    /metrics shows them as the dispatcher's thread would."""

    def counted(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    data = base_config(tmp_path, store_url, outbox={"every": 0.1, "process": True})
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "a.edi").write_bytes(interchange([order("PO-1")], control=1))
    before = counted("crossdock_deliveries_total", sink="west", purpose="order", outcome="sent")
    timed = counted("crossdock_sink_send_seconds_count", sink="west")
    hub = Hub(load_config(config))
    child = DispatchProcess(hub.config)
    child.start()
    try:
        assert child.wait_ready(120)
        assert poll(hub, "drop", "test").error is None
        child.wake()
        _wait(
            lambda: counted("crossdock_deliveries_total", sink="west", purpose="order", outcome="sent") > before,
            "the child's send was not counted in the worker",
        )
        assert counted("crossdock_sink_send_seconds_count", sink="west") == timed + 1
        assert (tmp_path / "west" / "northwind-PO-1-r1.json").exists()
    finally:
        child.stop()
        hub.close()
