"""``among``: a column among values as one bound parameter finds exactly what ``IN (...)`` finds, on both stores,
whatever the values hold (quotes, separators, non-ASCII, a JSON look-alike)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from crossdock.core.storage.among import among
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import cursors, events
from crossdock.core.storage.store import Store

KEYS = ["po-1", "po-2", "it's", 'say "hi"', "a,b", "[1]", "ÄÖÜ-😀", "x\\y", "", "1"]


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(store_url)
    with opened.transaction() as conn:
        now = utcnow()
        conn.execute(insert(cursors), [{"name": key, "value": "v", "updated_at": now} for key in KEYS])
        conn.execute(insert(events), [{"id": n, "at": now, "kind": "k", "message": "m"} for n in range(1, 11)])
    yield opened
    opened.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    wanted=st.lists(st.sampled_from(KEYS) | st.text(st.characters(exclude_characters="\x00"), max_size=8), max_size=12)
)
def test_among_finds_what_in_finds(store: Store, wanted: list[str]) -> None:
    with store.transaction() as conn:
        found = set(
            conn.execute(
                select(cursors.c.name).where(among(cursors.c.name, wanted, postgres=store.is_postgres))
            ).scalars()
        )
        ids = set(
            conn.execute(
                select(events.c.id).where(among(events.c.id, list(range(0, 12, 2)), postgres=store.is_postgres))
            ).scalars()
        )
    assert found == set(wanted) & set(KEYS)
    assert ids == {2, 4, 6, 8, 10}


def test_a_value_holding_nul_is_not_cut_short_on_sqlite(tmp_path: Path) -> None:
    """SQLite's ``json_each`` ends a text at NUL, which would make ``"\\x00"`` find the empty key. (PostgreSQL
    refuses NUL in any text, as it did before.)"""
    opened = Store.open(f"sqlite:///{tmp_path}/nul.db")
    with opened.transaction() as conn:
        now = utcnow()
        conn.execute(insert(cursors), [{"name": key, "value": "v", "updated_at": now} for key in ("", "po-1")])
        query = select(cursors.c.name).where(among(cursors.c.name, ["\x00", "po-1"], postgres=False))
        assert set(conn.execute(query).scalars()) == {"po-1"}
    opened.close()
