"""Golden-file comparison; CROSSDOCK_REGEN_GOLDEN=1 rewrites the expected files instead."""

from __future__ import annotations

import os
from pathlib import Path


def assert_golden(path: Path, actual: bytes) -> None:
    if os.environ.get("CROSSDOCK_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"golden file {path} is missing: run with CROSSDOCK_REGEN_GOLDEN=1"
    assert actual == path.read_bytes(), f"output differs from {path}"
