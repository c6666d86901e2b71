"""The scheduler's jobs: one per source on its interval or cron, the dispatcher, housekeeping."""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crossdock.core.configuration.config import load_config
from crossdock.core.configuration.connectors import Schedule
from crossdock.scheduler import Worker, _trigger
from tests.hub.conftest import base_config
from tests.hub.edi import interchange, order


def test_schedules_become_triggers() -> None:
    interval = _trigger(Schedule(every=90))
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 90
    cron = _trigger(Schedule(cron="*/5 6-18 * * 1-5"))
    assert isinstance(cron, CronTrigger)
    assert str(cron.fields[6]) == "*/5" and str(cron.fields[5]) == "6-18"  # minute, hour


def test_a_worker_polls_dispatches_and_stops(tmp_path: Path, store_url: str) -> None:
    data = base_config(tmp_path, store_url)
    data["sources"]["drop"]["schedule"] = {"every": 0.2}
    data["outbox"] = {"every": 0.2}
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    worker = Worker(load_config(path))
    assert {job.id for job in worker.scheduler.get_jobs()} == set()
    worker.start()
    try:
        assert worker.sending.is_alive()  # the dispatcher's own thread
        assert {job.id for job in worker.scheduler.get_jobs()} == {
            "poll:drop",
            "housekeeping",
            "prune-archives",
            "retention",
        }
        staged = tmp_path / "drop" / "a.part"  # written whole, then renamed: the source has min_age 0
        staged.write_bytes(interchange([order("PO-1")]))
        staged.rename(tmp_path / "drop" / "a.edi")
        target = tmp_path / "west" / "northwind-PO-1-r1.json"
        deadline = time.monotonic() + 15
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target.exists()
    finally:
        worker.stop()
    assert not worker.scheduler.running and worker.stopped.is_set()
    assert not worker.sending.is_alive()
