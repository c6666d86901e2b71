"""An order recorded by ``crossdock run`` is sent at once, not at the dispatcher's next look (``outbox.every``):
what a worker queues wakes its dispatcher, on its thread and in its own process alike."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import yaml

from tests.hub.conftest import base_config, ended_cleanly, running
from tests.hub.edi import interchange, order


@pytest.mark.parametrize("process", [False, True], ids=["thread", "process"])
def test_a_recorded_order_is_sent_long_before_the_next_look(tmp_path: Path, store_url: str, process: bool) -> None:
    data = base_config(tmp_path, store_url, outbox={"every": 3600, "process": process})  # one look an hour
    data["sources"]["drop"]["schedule"] = {"every": 0.2}
    config = tmp_path / "crossdock.yaml"
    config.write_text(yaml.safe_dump(data))
    drop = tmp_path / "drop"
    drop.mkdir()
    with running(config) as proc:
        time.sleep(1.0)  # the dispatcher's first look, at start, found nothing: its next one is an hour away
        for n in (1, 2):  # a second order, once the dispatcher waits again after the first
            (drop / f"po-{n}.part").write_bytes(interchange([order(f"PO-{n}")], control=n))
            (drop / f"po-{n}.part").rename(drop / f"po-{n}.edi")
            sent = tmp_path / "west" / f"northwind-PO-{n}-r1.json"
            deadline = time.monotonic() + 60
            while not sent.exists() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert sent.exists(), f"PO-{n} waited for the dispatcher's next look"
        inbox = tmp_path / "partner-inbox"
        deadline = time.monotonic() + 60
        while len(acks := sorted(inbox.glob("*997*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acks) == 2, acks  # each file's 997 too
        proc.send_signal(signal.SIGTERM)
        ended_cleanly(proc)
