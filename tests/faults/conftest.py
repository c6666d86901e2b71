"""The fault suite's fixtures: a seeded random (replay a failure with CROSSDOCK_FAULT_SEED=<the printed seed>)
and a PostgreSQL schema of its own on the peer."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest

from tests.hub.conftest import _pg_schema_url


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    """The test's random moments and faults, from a seed printed where a failure report shows it."""
    given = os.environ.get("CROSSDOCK_FAULT_SEED")
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    print(f"fault seed {seed}: replay with CROSSDOCK_FAULT_SEED={seed} pytest '{request.node.nodeid}'")
    return random.Random(seed)


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL peer (skips, saying why, without one), dropped afterwards."""
    yield from _pg_schema_url(pg_url)
