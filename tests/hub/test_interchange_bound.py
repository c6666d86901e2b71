"""An X12 file of more interchanges than its source allows is failed with the reason, its raw kept and no 997
made; the next file is processed, and a replay after raising the bound records it (issue 17: a million
interchanges took 4.2 GB and made a 157 MB 997)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents, orders
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order


def _count(hub: Hub, *where: object) -> int:
    with hub.store.transaction() as conn:
        return int(conn.execute(select(func.count()).select_from(documents).where(*where)).scalar_one())


def _orders(hub: Hub) -> int:
    with hub.store.transaction() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def test_a_file_of_more_interchanges_than_allowed_is_failed_alone_and_replayable(
    tmp_path: Path, store_url: str
) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["drop"]["max_interchanges"] = 2
    many = b"".join(interchange([order(f"PO-{n}")], control=n) for n in range(1, 4))
    hub = Hub(write_config(tmp_path, cfg))
    try:
        (tmp_path / "drop" / "a-many.edi").write_bytes(many)
        (tmp_path / "drop" / "b-one.edi").write_bytes(interchange([order("PO-9")], control=9))
        report = poll(hub, "drop", "me")
        by_name = {p.document_id: p for p in report.processed}
        failed = [p for p in by_name.values() if p.state == "failed"]
        assert len(failed) == 1 and failed[0].error is not None
        assert "more than 2 interchanges (max_interchanges)" in failed[0].error and "a-many.edi" in failed[0].error
        assert [p.orders_new for p in by_name.values() if p.state == "processed"] == [1], "the next file goes on"
        with hub.store.transaction() as conn:
            assert Queries(hub.store).data(conn, failed[0].document_id) == many, "raw kept"
        assert _count(hub, documents.c.direction == "out", documents.c.kind == "997") == 1, "none for the refused"
    finally:
        hub.close()
    cfg["sources"]["drop"]["max_interchanges"] = 3
    hub = Hub(write_config(tmp_path, cfg))
    try:
        again = replay(hub, failed[0].document_id)
        assert again.state == "processed" and again.orders_new == 3
        assert _orders(hub) == 4
    finally:
        hub.close()


def test_the_default_bound_is_ten_thousand(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, base_config(tmp_path, store_url)))
    try:
        assert hub.config.sources["drop"].max_interchanges == 10_000
    finally:
        hub.close()
