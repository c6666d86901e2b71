"""Where an 860 meets what shipped already: the order's status stays what the shipments made it, and an 860
document applied once is not applied again when replayed. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage.schema import events, orders
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import change, interchange, order, ship_advice


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Any:
    data = base_config(tmp_path, store_url)
    data["partners"]["northwind"].update(send_865=True, gs1_prefix="0614141")
    data["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL"}
    data["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    data["alerts"] = {"sink": "ops"}
    h = Hub(write_config(tmp_path, data))
    yield h
    h.close()


def _receive(hub: Hub, data: bytes, name: str) -> Any:
    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]
    report = poll(hub, "drop", "me")
    assert report.error is None and len(report.processed) == 1, report
    return report.processed[0]


def _order(hub: Hub) -> tuple[Any, dict[str, Any]]:
    with hub.store.transaction() as conn:
        (row,) = conn.execute(select(orders)).all()
    return row, json.loads(row.data)


def _quantities(data: dict[str, Any]) -> dict[str, str]:
    return {line["line_number"]: line["quantity"] for line in data["lines"]}


def test_a_change_to_a_partly_shipped_order_leaves_it_partially_shipped(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    _receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]), "945.edi")
    assert _order(hub)[0].status == "partially shipped"
    changed = _receive(hub, change("PO-1", "04", ["0002*QD*4**EA"], sequence="1"), "860.edi")
    assert changed.orders_changed == 1
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "5", "0002": "4"})
    assert row.status == "partially shipped", "line 0001 shipped; the change does not make the order routed again"


def test_a_change_that_leaves_nothing_to_ship_makes_the_order_shipped(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    _receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]), "945.edi")
    _receive(hub, change("PO-1", "04", ["0002*DI***EA"], sequence="1"), "860.edi")
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "5"})
    assert row.status == "shipped", "what is left of the order shipped already"


def test_an_860_without_a_change_sequence_replayed_changes_nothing_unless_forced(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    first = _receive(hub, change("PO-1", "04", ["0003*AI*2**EA*4.00**VN*CUP-RED"]), "860.edi")
    assert first.orders_changed == 1 and _order(hub)[0].revision == 2
    again = replay(hub, first.document_id)
    assert (again.orders_changed, again.error) == (0, None)
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "5", "0002": "5", "0003": "2"})
    with hub.store.transaction() as conn:
        said = list(conn.execute(select(events.c.message).where(events.c.document_id == first.document_id)).scalars())
    assert any("applied already" in m for m in said), said
    forced = replay(hub, first.document_id, force=True)
    assert forced.orders_changed == 0 and _order(hub)[0].revision == 2, "AI of a line on the order is refused"
    assert forced.error is not None and "0003 is on the order already" in forced.error, "but it was applied again"


def test_a_decrease_of_a_line_shipped_in_part_applies_down_to_what_shipped(hub: Hub) -> None:
    from crossdock.core.storage.schema import documents
    from crossdock.mappings.x12.poca865 import change_ack_from_865
    from crossdock.mappings.x12.reader import read_transactions

    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    _receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 5, 2, "MUG-BLU"), ("0002", 5, 5, "KTL-STL")]), "945.edi")
    _receive(hub, change("PO-1", "04", ["0001*QD*1**EA", "0002*PC***EA*9.00"], sequence="1"), "860.edi")
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "2", "0002": "5"})
    assert row.status == "shipped", "line 0001 came down to the 2 that shipped: nothing is left to ship"
    with hub.store.transaction() as conn:
        (sent,) = conn.execute(select(documents.c.data).where(documents.c.kind == "865")).scalars()
    answer = change_ack_from_865(next(iter(read_transactions(bytes(sent)))))
    assert [(a.change.change_code, a.status) for a in answer.lines] == [("QD", "IQ"), ("PC", "IR")]


def test_a_reissue_is_taken_as_a_replacement_when_it_is_the_next_version_else_held(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    reissued = _receive(hub, change("PO-1", "18", ["0001*CA*3**EA*12.50**VN*MUG-BLU"], sequence="1"), "860.edi")
    assert (reissued.error, reissued.orders_changed) == (None, 1)
    row, data = _order(hub)
    assert (row.revision, data["purpose"], _quantities(data)) == (2, "05", {"0001": "3"})
    early = change("PO-1", "18", ["0001*CA*9**EA*12.50**VN*MUG-BLU"], sequence="1", control=71, made="20261119*0900")
    held = _receive(hub, early, "860-early.edi")
    assert held.error is not None and "860 reissue (BCH01 18)" in held.error and "--force" in held.error
    assert _order(hub)[0].revision == 2, "an older reissue changes nothing"
