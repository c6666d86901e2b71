"""An order a destination's document cannot be written for is held with the reason, and replay plans it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import deliveries, documents
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order


def config(tmp_path: Path, store_url: str, product_ids: list[str]) -> dict[str, Any]:
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = True
    cfg["sinks"]["erp"] = {
        "type": "odoo",
        "url": "http://127.0.0.1:9/",  # never called: these tests only plan deliveries
        "database": "acme",
        "username": "crossdock",
        "api_key": "${ODOO_TEST_KEY}",
        "product_ids": product_ids,
    }
    cfg["sinks"]["wms"] = {"type": "folder", "path": str(tmp_path / "wms")}
    cfg["routing"] = {"rules": [{"match": {"sku": ["LAMP-*"]}, "to": "wms", "split": True}], "default": "erp"}
    return cfg


def out_documents(hub: Hub) -> list[Any]:
    with hub.store.transaction() as conn:
        query = select(documents.c.state, documents.c.endpoint, documents.c.kind, documents.c.error)
        return list(conn.execute(query.where(documents.c.direction == "out").order_by(documents.c.id)))


def test_an_order_the_erp_request_cannot_be_written_for_is_held_and_replay_plans_it_after_the_fix(
    tmp_path: Path, store_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("ODOO_TEST_KEY", "k")
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, ["SK"])))
    (tmp_path / "drop" / "po.edi").write_bytes(interchange([order("PO-1", skus=("MUG-BLU", "LAMP-RED"))]))
    try:
        report = poll(hub, "drop", "me")
        assert report.error is None and report.processed[0].state == "processed"
        with hub.store.transaction() as conn:
            queries = Queries(hub.store)
            assert queries.order(conn, "PO-1")["status"] == "held"  # type: ignore[index]
            (failed,) = queries.problems(conn)["failed_documents"]
        assert failed["endpoint"] == "erp" and "no product id" in failed["error"] and "replay" in failed["error"]
        kinds = {(d.endpoint, d.kind, d.state) for d in out_documents(hub)}
        assert ("northwind-inbox", "997", "queued") in kinds, "the rest of the file is answered as usual"
        assert ("northwind-inbox", "855", "queued") not in kinds, "no 855 accepted for an order that is held"
        assert ("wms", "order", "queued") in kinds, "the lines for the other destination still go"
        document_id = report.processed[0].document_id
    finally:
        hub.close()

    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, ["VN"])))
    try:
        assert replay(hub, document_id).state == "processed"
        assert replay(hub, document_id).state == "processed"
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "routed"  # type: ignore[index]
            assert Queries(hub.store).problems(conn)["failed_documents"] == []
            sinks = sorted(conn.execute(select(deliveries.c.sink).where(deliveries.c.purpose == "order")).scalars())
            assert sinks == ["erp", "wms"], "the erp's delivery is planned once, the wms's is not planned again"
        by_kind = [(d.endpoint, d.kind) for d in out_documents(hub) if d.state != "cancelled"]
        assert by_kind.count(("northwind-inbox", "855")) == 1, "the 855 goes once the order is routed"
    finally:
        hub.close()
