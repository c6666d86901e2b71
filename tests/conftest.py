"""Shared test fixtures: the public EDI corpus and the channel owners' payloads in ``tests/data`` (its SOURCES.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.peers"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = DATA / "corpus"
FIXTURES = DATA / "fixtures"
CASES = ROOT / "tests" / "cases"


def corpus_entries(prefix: str = "x12/") -> list[dict[str, Any]]:
    return [e for e in json.loads((CORPUS / "manifest.json").read_text()) if e["file"].startswith(prefix)]


@pytest.fixture
def corpus() -> Path:
    return CORPUS


REQUIRE_PEERS = os.environ.get("CROSSDOCK_REQUIRE_PEERS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """With CROSSDOCK_REQUIRE_PEERS=1 (CI) a skipped peer test fails: CI must always run them."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_PEERS and report.skipped and item.get_closest_marker("peers"):
        report.outcome = "failed"
        report.longrepr = f"peer test skipped while CROSSDOCK_REQUIRE_PEERS=1: {report.longrepr}"
