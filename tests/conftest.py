"""Shared test fixtures: the public EDI corpus beside the repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CASES = ROOT / "tests" / "cases"


def corpus_entries(prefix: str = "x12/") -> list[dict[str, Any]]:
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        return []
    return [e for e in json.loads(manifest.read_text()) if e["file"].startswith(prefix)]


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.exists():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
