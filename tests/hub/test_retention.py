"""Retention: old records go in bounded batches, open orders and recent records stay, dry runs change nothing,
and a document whose bytes were purged says so when it is replayed or read."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, update

from crossdock.core.configuration.house import RetentionConfig
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.order_json import document_bytes
from crossdock.core.storage.retention import purge
from crossdock.core.storage.schema import deliveries, documents, events, orders
from crossdock.core.storage.store import Store
from tests.hub.conftest import base_config, receive, run, write_config
from tests.hub.edi import interchange, order

LONG_AGO = 500  # days: past every default age


def _age(hub: Hub, po: str, days: int = LONG_AGO) -> None:
    """Make one order and everything its file caused look ``days`` old."""
    when = utcnow() - dt.timedelta(days=days)
    with hub.store.transaction() as conn:
        order_id, document_id = conn.execute(
            select(orders.c.id, orders.c.document_id).where(orders.c.po_number == po)
        ).one()
        children = conn.execute(select(documents.c.id).where(documents.c.parent_id == document_id)).scalars()
        family = [int(document_id), *(int(i) for i in children)]
        conn.execute(update(orders).where(orders.c.id == order_id).values(created_at=when, updated_at=when))
        conn.execute(update(documents).where(documents.c.id.in_(family)).values(created_at=when, updated_at=when))
        conn.execute(update(deliveries).where(deliveries.c.document_id.in_(family)).values(created_at=when))
        conn.execute(
            update(events).where((events.c.order_id == order_id) | events.c.document_id.in_(family)).values(at=when)
        )


def _set_status(hub: Hub, po: str, status: str) -> None:
    with hub.store.transaction() as conn:
        conn.execute(update(orders).where(orders.c.po_number == po).values(status=status))


def _counts(hub: Hub) -> dict[str, int]:
    with hub.store.transaction() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (documents, orders, deliveries, events)
        }


def _pos(hub: Hub) -> set[str]:
    with hub.store.transaction() as conn:
        return {str(p) for p in conn.execute(select(orders.c.po_number)).scalars()}


def _three_orders(hub: Hub) -> None:
    """PO-SHIPPED and PO-OPEN long ago, PO-NEW today; every delivery sent."""
    for i, po in enumerate(("PO-SHIPPED", "PO-OPEN", "PO-NEW"), 1):
        receive(hub, interchange([order(po)], control=i), f"{po}.edi")
    hub.dispatcher("me").drain()
    _set_status(hub, "PO-SHIPPED", "shipped")
    _age(hub, "PO-SHIPPED")
    _age(hub, "PO-OPEN")


def test_old_closed_orders_go_with_their_thread_and_open_and_recent_ones_stay(hub: Hub) -> None:
    _three_orders(hub)
    before = _counts(hub)
    result = purge(hub.store, RetentionConfig())
    assert _pos(hub) == {"PO-OPEN", "PO-NEW"}, "the open order stays however old; the recent one stays"
    assert result.orders == 1 and result.deliveries >= 2 and result.events > 0
    assert result.documents >= 3, "the shipped order's file, its 997, 855 and order document go too"
    after = _counts(hub)
    assert before["documents"] - after["documents"] == result.documents
    with hub.store.transaction() as conn:
        open_id = conn.execute(select(orders.c.id).where(orders.c.po_number == "PO-OPEN")).scalar_one()
        open_doc = conn.execute(select(orders.c.document_id).where(orders.c.id == open_id)).scalar_one()
        kept = conn.execute(select(documents.c.purged_at, documents.c.data).where(documents.c.id == open_doc)).one()
        assert conn.execute(select(func.count()).where(events.c.order_id == open_id)).scalar_one() > 0
        fresh = conn.execute(select(documents.c.purged_at).where(documents.c.created_at > utcnow() - dt.timedelta(1)))
        assert all(p is None for p in fresh.scalars()), "today's raw bytes stay"
    assert kept.purged_at is not None and bytes(kept.data) == b"", "the open order's old raw bytes go, its row stays"
    again = purge(hub.store, RetentionConfig())
    assert again.batches == 0 and again.orders == 0, "a second purge finds nothing more"


def test_a_dry_run_counts_exactly_and_changes_nothing(hub: Hub) -> None:
    _three_orders(hub)
    before = _counts(hub)
    dry = purge(hub.store, RetentionConfig(), dry_run=True)
    assert _counts(hub) == before
    with hub.store.transaction() as conn:
        assert conn.execute(select(func.count()).where(documents.c.purged_at.is_not(None))).scalar_one() == 0
    real = purge(hub.store, RetentionConfig())
    assert dry.orders == real.orders == 1
    assert (dry.documents, dry.deliveries, dry.events, dry.raw_documents) == (
        real.documents,
        real.deliveries,
        real.events,
        real.raw_documents,
    )
    assert dry.dry_run and not real.dry_run


def test_batches_stay_bounded(hub: Hub) -> None:
    _three_orders(hub)
    with hub.store.transaction() as conn:
        old = utcnow() - dt.timedelta(days=LONG_AGO)
        for i in range(11):
            hub.store.log(conn, "note", f"old event {i}")
        conn.execute(update(events).where(events.c.kind == "note").values(at=old))
    result = purge(hub.store, RetentionConfig(batch=2))
    assert result.largest_batch == 2
    assert result.events >= 11 and result.batches >= 6 + result.raw_documents // 2


def test_pending_work_keeps_its_bytes(hub: Hub) -> None:
    receive(hub, interchange([order("PO-WAIT")]), "wait.edi")  # not dispatched: its deliveries are pending
    with hub.store.transaction() as conn:
        conn.execute(update(documents).values(created_at=utcnow() - dt.timedelta(days=LONG_AGO)))
    result = purge(hub.store, RetentionConfig(), older_than_days=0)
    with hub.store.transaction() as conn:
        queued = conn.execute(select(documents.c.id).where(documents.c.state == "queued")).scalars().all()
        assert queued and all(document_bytes(conn, int(i)) for i in queued), "documents to be sent keep their bytes"
    assert result.raw_documents == 1, "only the inbound file, processed already, loses its bytes"
    assert _pos(hub) == {"PO-WAIT"}


def test_a_purged_document_says_why_on_replay_and_raw_show(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(base_config(tmp_path, store_url)))
    hub = Hub(write_config(tmp_path, base_config(tmp_path, store_url)))
    try:
        receive(hub, interchange([order("PO-1")]), "po.edi")
        hub.dispatcher("me").drain()
        with hub.store.transaction() as conn:
            conn.execute(update(documents).values(created_at=utcnow() - dt.timedelta(days=100)))
            inbound = conn.execute(select(documents.c.id).where(documents.c.direction == "in")).scalar_one()
        code, out, _ = run(capsys, "purge", "-c", str(path), "--json")
        assert code == 0
        result = json.loads(out)
        assert result["raw_documents"] >= 1 and result["orders"] == 0 and not result["dry_run"]
        with pytest.raises(CrossdockError, match=rf"document {inbound}: its raw bytes were purged on \d{{4}}-"):
            replay(hub, inbound)
        code, out, err = run(capsys, "documents", "show", str(inbound), "--raw", "-c", str(path))
        assert code == 1 and out == "" and "purged on" in err
        code, out, _ = run(capsys, "documents", "show", str(inbound), "-c", str(path))
        assert code == 0 and "purged_at: " in out
    finally:
        hub.close()


def test_purge_dry_run_on_the_command_line_changes_nothing(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _three_orders(hub)
    before = _counts(hub)
    code, out, _ = run(capsys, "purge", "-c", str(tmp_path / "crossdock.yaml"), "--dry-run")
    assert code == 0 and out.startswith("would purge: raw bytes of ") and "1 order(s)" in out
    assert _counts(hub) == before


@pytest.mark.parametrize("bad", ["-1", "soon", "nan"])
def test_older_than_must_be_days(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "purge", "--older-than", bad)
    assert exit_.value.code == 2
    assert "is not a number of days" in capsys.readouterr().err


def test_retention_ages_take_durations_and_refuse_others(tmp_path: Path) -> None:
    data: dict[str, Any] = base_config(tmp_path, f"sqlite:///{tmp_path}/c.db")
    data["retention"] = {"raw": "30d", "orders": "2y"}
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    code, _, err = run_check(path)
    assert code == 1 and "retention.orders" in err and "'2y' is not a duration" in err
    data["retention"] = {"raw": "30d"}
    path.write_text(yaml.safe_dump(data))
    from crossdock.core.configuration.config import load_config

    config = load_config(path)
    assert config.retention.raw == 30 * 86400 and config.retention.orders == 400 * 86400


def run_check(path: Path) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "check", "--no-secrets", "-c", str(path)],
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout, done.stderr


def test_sqlite_gives_the_space_back_and_converts_an_old_store_once(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store = Store.open(f"sqlite:///{db}")
    with store.transaction() as conn:
        for i in range(40):
            store.add_document(conn, direction="in", data=bytes(200_000) + bytes([i]), state="processed")
        conn.execute(update(documents).values(created_at=utcnow() - dt.timedelta(days=LONG_AGO)))
    store.close()
    plain = sqlite3.connect(db, isolation_level=None)
    plain.execute("PRAGMA auto_vacuum=NONE")
    plain.execute("VACUUM")  # as a store made before incremental vacuum
    assert plain.execute("PRAGMA auto_vacuum").fetchone() == (0,)
    plain.close()
    size = db.stat().st_size
    store = Store.open(f"sqlite:///{db}")
    try:
        result = purge(store, RetentionConfig(documents=10_000 * 86400.0), convert=True)
        assert result.raw_documents == 40 and result.raw_bytes > 8_000_000
        assert result.vacuum.startswith("VACUUM")
    finally:
        store.close()
    plain = sqlite3.connect(db, isolation_level=None)
    assert plain.execute("PRAGMA auto_vacuum").fetchone() == (2,), "incremental from now on"
    plain.close()
    assert db.stat().st_size < size / 4


def test_a_busy_store_skips_the_one_time_vacuum_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from crossdock.core.storage import retention

    db = tmp_path / "old.db"
    Store.open(f"sqlite:///{db}").close()
    plain = sqlite3.connect(db, isolation_level=None)
    plain.execute("PRAGMA auto_vacuum=NONE")
    plain.execute("VACUUM")
    store = Store.open(f"sqlite:///{db}")
    plain.execute("BEGIN IMMEDIATE")  # another writer, e.g. crossdock run, holds the store
    monkeypatch.setattr(retention, "VACUUM_WAIT_MS", 50)
    try:
        said = retention.give_back(store, convert=True)
    finally:
        store.close()
        plain.execute("ROLLBACK")
        plain.close()
    assert said.startswith("none: VACUUM could not run (database is locked); run crossdock purge again")


def test_a_new_sqlite_store_gives_space_back_from_the_start(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    store = Store.open(f"sqlite:///{db}")
    with store.transaction() as conn:
        store.add_document(conn, direction="in", data=bytes(2_000_000), state="processed")
        conn.execute(update(documents).values(created_at=utcnow() - dt.timedelta(days=LONG_AGO)))
    size = db.stat().st_size + (tmp_path / "new.db-wal").stat().st_size
    try:
        result = purge(store, RetentionConfig(documents=10_000 * 86400.0))
    finally:
        store.close()
    assert result.raw_documents == 1 and result.vacuum.startswith("incremental vacuum (")
    plain = sqlite3.connect(db, isolation_level=None)
    assert plain.execute("PRAGMA auto_vacuum").fetchone() == (2,)
    plain.close()
    assert db.stat().st_size < size / 4
