"""A store that cannot be reached is logged once per job, in one line, until the job works again."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from crossdock.scheduler import _guarded

AGAIN = "it runs again on its schedule"


def test_an_outage_is_one_line_per_job_and_its_end_is_said(caplog: pytest.LogCaptureFixture) -> None:
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    results: list[Exception | None] = [refused, refused, refused, None]

    def job() -> None:
        failure = results.pop(0)
        if failure is not None:
            raise failure

    run = _guarded("dispatch", job)
    with caplog.at_level(logging.INFO, logger="crossdock.scheduler"):
        for _ in range(4):
            run()
    lines = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [
        ("ERROR", f"job dispatch: the store cannot be reached (connection refused); {AGAIN}", None),
        ("WARNING", "job dispatch: the store answers again", None),
    ]


def test_any_other_failure_keeps_its_traceback_every_time(caplog: pytest.LogCaptureFixture) -> None:
    def job() -> None:
        raise ValueError("a bug")

    run = _guarded("housekeeping", job)
    with caplog.at_level(logging.INFO, logger="crossdock.scheduler"):
        run()
        run()
    assert [r.getMessage() for r in caplog.records] == ["job housekeeping failed; it runs again on its schedule"] * 2
    assert all(r.exc_info is not None for r in caplog.records)
