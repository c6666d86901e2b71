"""A document the store refuses is quarantined with the reason, or left on its source, and the ones after it are
stored and processed (issue 17: one mail stopped its mailbox for good). Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError

from crossdock.core.errors import PermanentError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, ingest_many, process_many
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.storage import bounds
from crossdock.core.storage.schema import deliveries, documents, events
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order

POISON = b"ISA*poison"


def _refusing(hub: Hub, monkeypatch: pytest.MonkeyPatch, *, even_quarantined: bool) -> None:
    """The store refuses the poison bytes, as PostgreSQL refused a value too long for its column."""
    insert = hub.store.insert_documents

    def refusing(conn: Any, rows: list[dict[str, Any]], ids: list[int] | None = None) -> list[int]:
        for row in rows:
            if row["data"] == POISON and (even_quarantined or row["state"] != "quarantined"):
                raise DataError("INSERT INTO documents", {}, Exception("value too long for type character varying"))
        return insert(conn, rows, ids)

    monkeypatch.setattr(hub.store, "insert_documents", refusing)


@pytest.fixture
def alerting_hub(tmp_path: Path, store_url: str) -> Any:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    hub = Hub(write_config(tmp_path, cfg))
    yield hub
    hub.close()


def _chunk() -> list[Inbound]:
    return [
        Inbound(name="poison.edi", data=POISON, identity="poison"),
        Inbound(name="po.edi", data=interchange([order("PO-AFTER")], control=7), identity="po"),
    ]


def test_a_refused_document_is_quarantined_and_the_next_is_processed(
    alerting_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refusing(alerting_hub, monkeypatch, even_quarantined=False)
    stored = ingest_many(alerting_hub, "drop", _chunk())
    assert [got.state for got in stored] == ["quarantined", "received"]
    assert process_many(alerting_hub, [stored[1].document_id])[0].orders_new == 1
    with alerting_hub.store.transaction() as conn:
        row = conn.execute(select(documents).where(documents.c.id == stored[0].document_id)).one()
        said = conn.execute(select(events.c.message).where(events.c.kind == "refused")).scalars().all()
        alerts = conn.execute(select(deliveries.c.sink).where(deliveries.c.purpose == "alert")).scalars().all()
    assert bytes(row.data) == POISON, "raw kept"
    assert "the store refused poison.edi" in row.error and "value too long" in row.error
    assert len(said) == 1 and "poison.edi" in said[0]
    assert alerts == ["people"]


def test_a_document_refused_even_as_quarantined_is_left_on_its_source(
    alerting_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refusing(alerting_hub, monkeypatch, even_quarantined=True)
    stored = ingest_many(alerting_hub, "drop", _chunk())
    assert [got.state for got in stored] == ["refused", "received"]
    with alerting_hub.store.transaction() as conn:
        kept = conn.execute(select(documents.c.identity).where(documents.c.direction == "in")).scalars().all()
        said = conn.execute(select(events.c.message).where(events.c.kind == "refused")).scalars().all()
    assert kept == ["po"]
    assert len(said) == 1 and "left on drop" in said[0]


def test_long_identities_stay_distinct_and_are_found_again(alerting_hub: Hub) -> None:
    same_start = "x" * 2000
    items = [Inbound(name=f"{n}.edi", data=f"doc {n}".encode(), identity=same_start + str(n)) for n in range(2)]
    first = ingest_many(alerting_hub, "drop", items)
    assert [got.new for got in first] == [True, True] and first[0].document_id != first[1].document_id
    again = [Inbound(name=f"{n}.edi", data=b"changed", identity=same_start + str(n)) for n in range(2)]
    assert [got.document_id for got in ingest_many(alerting_hub, "drop", again)] == [g.document_id for g in first]


def test_cut_fits_the_limit_and_says_how_much_was_cut() -> None:
    value = "a" * 5000
    cut = bounds.cut(value, 256)
    assert cut is not None and len(cut) == 256
    kept = cut.index("…")
    assert cut.endswith(f"…[{5000 - kept} more characters cut]")
    assert bounds.cut("short", 256) == "short" and bounds.cut(None, 256) is None
    assert len(bounds.cut_identity(value)) == bounds.IDENTITY


def test_a_poll_leaves_a_document_it_could_not_store_on_the_server_and_goes_on(
    alerting_hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _refusing(alerting_hub, monkeypatch, even_quarantined=True)
    (tmp_path / "drop" / "a-poison.edi").write_bytes(POISON)
    (tmp_path / "drop" / "b-po.edi").write_bytes(interchange([order("PO-AFTER")], control=7))
    report = poll(alerting_hub, "drop", "me")
    assert report.error is None and [p.orders_new for p in report.processed] == [1]
    assert (tmp_path / "drop" / "a-poison.edi").read_bytes() == POISON, "not stored, so not archived"
    assert not (tmp_path / "drop" / "b-po.edi").exists(), "stored, then archived"


def test_an_http_post_the_store_refuses_is_not_answered_as_accepted(
    alerting_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refusing(alerting_hub, monkeypatch, even_quarantined=True)
    with pytest.raises(PermanentError, match=r"the store refused poison\.edi"):
        ingest(alerting_hub, "drop", Inbound(name="poison.edi", data=POISON, identity="poison"))
