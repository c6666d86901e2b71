"""A large 850 end to end, on both engines: read as a stream, its order's JSON stored once and sent in pieces,
and every byte of it what the order read whole gives (``bench/large_file_bench.py`` measures its memory)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text

from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage import blobs, order_json, outbox_records
from crossdock.core.storage.order_json import document_bytes
from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.core.storage.store import to_json
from crossdock.mappings.x12.hub import order_dict, read
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, large_order
from tests.hub.test_pipeline import count, dispatch, drop, partner_files


def whole_json(data: bytes) -> str:
    """The order's JSON as the hub stores it when the file is read whole (the path every usual file takes)."""
    (ts,) = read(data, batch=None).interchanges[0].groups[0].sets
    assert isinstance(ts.document, Order)
    ts.document.partner = ts.document.source = "northwind"
    return to_json(order_dict(ts.document))


@pytest.fixture
def streamed_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file's bytes are stored and read in pieces, and a document of a large order's JSON sent in pieces,
    from a few KB on instead of 8 MiB, to keep the test small."""
    monkeypatch.setattr(blobs, "PIECES_AT", 4096)
    monkeypatch.setattr(order_json, "STREAMED_SIZE", 4096)
    monkeypatch.setattr(outbox_records, "STREAMED_SIZE", 4096)


def no_855_hub(tmp_path: Path, store_url: str, sink: dict[str, str] | None = None) -> Hub:
    """The base configuration with no 855 due; with ``sink``, every order goes there."""
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    if sink is not None:
        cfg["sinks"]["only"] = sink
        cfg["routing"] = {"default": "only"}
    return Hub(write_config(tmp_path, cfg))


def order_document(hub: Hub) -> tuple[int, str | None, int, str]:
    with hub.store.transaction() as conn:
        row = conn.execute(
            select(documents.c.id, documents.c.data_ref, documents.c.size, documents.c.sha256)
            .join(deliveries, deliveries.c.document_id == documents.c.id)
            .where(deliveries.c.purpose == "order")
        ).one()
    return int(row.id), row.data_ref, int(row.size), str(row.sha256)


@pytest.mark.usefixtures("streamed_sends")
def test_a_large_order_is_stored_once_and_sent_as_the_json_read_whole_gives(tmp_path: Path, store_url: str) -> None:
    data = interchange([large_order("PO-LARGE", 8000)])  # 2.3 MB, 56,000 segments
    expected = whole_json(data)
    hub = no_855_hub(tmp_path, store_url)
    try:
        drop(hub, "large.edi", data)
        (processed,) = poll(hub, "drop", "me").processed
        assert (processed.state, processed.orders_new, processed.deliveries) == ("processed", 1, 1)
        with hub.store.transaction() as conn:
            (row,) = conn.execute(select(orders)).all()
            assert row.data == expected
            if hub.store.engine.dialect.name == "sqlite":  # written in pieces through the blob API
                assert conn.execute(text("SELECT typeof(data) FROM orders")).scalar_one() == "blob"
        doc_id, data_ref, size, sha = order_document(hub)
        sent = (expected + "\n").encode()
        assert (data_ref, size, sha) == ("order", len(sent), hashlib.sha256(sent).hexdigest())
        dispatch(hub)
        with hub.store.transaction() as conn:
            assert document_bytes(conn, doc_id) == sent
            assert conn.execute(select(orders.c.status)).scalar_one() == "delivered"
    finally:
        hub.close()
    (written,) = (tmp_path / "west").iterdir()
    assert written.read_bytes() == sent
    assert len(json.loads(written.read_bytes())["lines"]) == 8000


def test_a_large_order_that_needs_its_lines_gets_them_back_from_the_spool(hub: Hub, tmp_path: Path) -> None:
    data = interchange([large_order("PO-LARGE", 1000)])  # the base configuration sends an 855
    drop(hub, "large.edi", data)
    poll(hub, "drop", "me")
    dispatch(hub)
    with hub.store.transaction() as conn:
        assert conn.execute(select(orders.c.data)).scalar_one() == whole_json(data)
    (ack,) = [d.decode() for name, d in partner_files(tmp_path).items() if "-855-" in name]
    assert ack.count("\nACK*IA*3*EA") == 1000
    (written,) = (tmp_path / "west").iterdir()
    assert written.read_text() == whole_json(data) + "\n"


def test_a_large_order_read_again_changes_nothing(tmp_path: Path, store_url: str) -> None:
    hub = no_855_hub(tmp_path, store_url)
    try:
        drop(hub, "large.edi", interchange([large_order("PO-LARGE", 1000)]))
        (first,) = poll(hub, "drop", "me").processed
        again = replay(hub, first.document_id)
        assert (again.state, again.orders_new, again.orders_unchanged, again.deliveries) == ("processed", 0, 1, 0)
        assert count(hub, deliveries, deliveries.c.purpose == "order") == 1
    finally:
        hub.close()


@pytest.mark.usefixtures("streamed_sends")
def test_a_new_revision_of_a_large_order_leaves_the_sent_one_its_own_bytes(tmp_path: Path, store_url: str) -> None:
    first = interchange([large_order("PO-LARGE", 1000)])
    second = interchange([large_order("PO-LARGE", 1000, purpose="05", qty=4)], control=2)
    hub = no_855_hub(tmp_path, store_url)
    try:
        drop(hub, "first.edi", first)
        poll(hub, "drop", "me")
        dispatch(hub)
        doc_id, *_ = order_document(hub)
        drop(hub, "second.edi", second)
        (changed,) = poll(hub, "drop", "me").processed
        assert changed.orders_changed == 1
        dispatch(hub)
        with hub.store.transaction() as conn:
            assert document_bytes(conn, doc_id) == (whole_json(first) + "\n").encode()
            assert conn.execute(select(orders.c.data, orders.c.revision)).one() == (whole_json(second), 2)
    finally:
        hub.close()
    assert (tmp_path / "west" / "northwind-PO-LARGE-r2.json").read_text() == whole_json(second) + "\n"


@pytest.mark.usefixtures("streamed_sends")
def test_a_sink_that_does_not_stream_gets_a_large_order_whole(tmp_path: Path, store_url: str) -> None:
    import httpx
    import respx

    hub = no_855_hub(tmp_path, store_url, {"type": "http", "url": "https://wms.test/o"})
    data = interchange([large_order("PO-LARGE", 1000)])
    try:
        with respx.mock(assert_all_called=True) as mock:
            route = mock.post("https://wms.test/o").mock(return_value=httpx.Response(201))
            drop(hub, "large.edi", data)
            poll(hub, "drop", "me")
            dispatch(hub)
        (call,) = route.calls
        assert call.request.content == (whole_json(data) + "\n").encode()
    finally:
        hub.close()
