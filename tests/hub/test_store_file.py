"""The SQLite store holds raw documents and customers' names and addresses: its files are its owner's alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.core.storage.store import Store


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most services run with (022), under which a file is made world-readable (0644) by default."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_a_new_sqlite_store_and_its_wal_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "crossdock.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.transaction() as conn:
            store.log(conn, "test", "a write, so the WAL file exists")
        assert mode(path) == 0o600
        assert mode(path.with_name("crossdock.db-wal")) == 0o600
    finally:
        store.close()


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_store_keeps_the_mode_its_operator_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "crossdock.db"
    Store.open(f"sqlite:///{path}").close()
    path.chmod(0o640)  # shared with a backup group on purpose
    Store.open(f"sqlite:///{path}").close()
    assert mode(path) == 0o640
