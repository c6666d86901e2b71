"""A partner's 860s and its order versions in the hub: a change becomes the next revision and reaches the
warehouse, a cancel cancels, a change after shipment is refused for the shipped lines, an 865 answers, and an
older or conflicting version never takes the order back. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.pipeline import replay
from crossdock.core.poller import poll
from crossdock.core.storage.schema import deliveries, documents, events, orders
from crossdock.mappings.x12.poack855 import ack_from_855
from crossdock.mappings.x12.poca865 import change_ack_from_865
from crossdock.mappings.x12.reader import read_transactions
from tests.hub.conftest import base_config, run, write_config
from tests.hub.edi import change, interchange, order, ship_advice


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Any:
    data = base_config(tmp_path, store_url)
    data["partners"]["northwind"].update(send_865=True, send_855_change=True, gs1_prefix="0614141")
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


def _deliveries(hub: Hub, purpose: str) -> list[Any]:
    with hub.store.transaction() as conn:
        return list(conn.execute(select(deliveries).where(deliveries.c.purpose == purpose).order_by(deliveries.c.id)))


def _alerts(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        rows = conn.execute(select(documents.c.data).where(documents.c.kind == "alert")).scalars()
        return [bytes(data).decode() for data in rows]


def _sent_865(hub: Hub) -> Any:
    with hub.store.transaction() as conn:
        (data,) = conn.execute(select(documents.c.data).where(documents.c.kind == "865")).scalars()
    (ts,) = read_transactions(bytes(data))
    return change_ack_from_865(ts)


def test_a_change_becomes_the_next_revision_and_is_answered_with_an_865(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    result = _receive(
        hub,
        change("PO-1", "04", ["0001*QD*3**EA*12.50**VN*MUG-BLU", "0003*AI*2**EA*4.00**VN*CUP-RED"], sequence="1"),
        "860.edi",
    )
    assert (result.state, result.error, result.orders_changed) == ("processed", None, 1)
    row, data = _order(hub)
    assert (row.revision, row.status, data["purpose"]) == (2, "routed", "04")
    assert _quantities(data) == {"0001": "3", "0002": "5", "0003": "2"}
    assert row.version.startswith("04;1;")
    r1, r2 = _deliveries(hub, "order")
    assert (r1.state, r2.state) == ("cancelled", "pending"), "revision 1 had not left: superseded by revision 2"
    with hub.store.transaction() as conn:
        name = conn.execute(select(documents.c.remote_name).where(documents.c.id == r2.document_id)).scalar_one()
    assert r2.sink == "west" and name == "northwind-PO-1-r2.json"
    answer = _sent_865(hub)
    assert (answer.po_number, answer.change_sequence, answer.ack_type) == ("PO-1", "1", "AD")
    assert [(a.change.change_code, a.status) for a in answer.lines] == [("QD", "IA"), ("AI", "IA")]
    assert _deliveries(hub, "865")[0].sink == "northwind-inbox"

    again = _receive(hub, change("PO-1", "04", ["0001*QD*2**EA"], sequence="1", control=71), "860-again.edi")
    assert again.orders_unchanged == 1 and _order(hub)[0].revision == 2, "change 1 is applied already"
    skipped = _receive(hub, change("PO-1", "04", ["0001*QD*1**EA"], sequence="3", control=72), "860-skip.edi")
    assert skipped.error is not None and "860 change 3 came before change 2" in skipped.error
    assert "crossdock replay" in skipped.error and "--force" in skipped.error
    assert _order(hub)[0].revision == 2 and any("conflicting version" in a for a in _alerts(hub))
    assert replay(hub, skipped.document_id, force=True).orders_changed == 1, "the person decided: apply it"
    row, data = _order(hub)
    assert (row.revision, _quantities(data)["0001"], row.version.split(";")[1]) == (3, "1", "3")


def test_a_cancel_before_shipment_cancels_the_order_and_no_ship_notice_follows(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", qty=5)]), "po.edi")
    hub.dispatcher("me").drain()
    result = _receive(hub, change("PO-1", "01", []), "860.edi")
    assert result.error is None
    row, data = _order(hub)
    assert (row.revision, row.status, data["purpose"]) == (2, "cancelled", "01")
    (cancel,) = _deliveries(hub, "cancel")  # west takes crossdock's JSON: it gets the cancelled order
    assert cancel.sink == "west"
    assert _sent_865(hub).ack_type == "AD"

    late = _receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]), "945.edi")
    assert late.error is not None and "cancelled" in late.error, "a shipment of a cancelled order is held"
    assert _deliveries(hub, "856") == [] and _deliveries(hub, "810") == []


def test_a_change_after_shipment_is_refused_for_the_shipped_lines(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]), "po.edi")
    shipped = _receive(hub, ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]), "945.edi")
    assert shipped.shipments == 1 and shipped.error is None
    result = _receive(hub, change("PO-1", "04", ["0001*QD*3**EA", "0002*QD*4**EA"], sequence="1"), "860.edi")
    assert result.error is not None and "QD line 0001: shipped already" in result.error
    _, data = _order(hub)
    assert _quantities(data) == {"0001": "5", "0002": "4"}, "the unshipped line changed, the shipped one did not"
    answer = _sent_865(hub)
    assert (answer.ack_type, [a.status for a in answer.lines]) == ("AC", ["IR", "IA"])
    assert any("not applied" in a and "shipped already" in a for a in _alerts(hub))


def test_a_change_to_an_unknown_po_is_held_with_an_alert_and_applied_on_replay(hub: Hub) -> None:
    held = _receive(hub, change("PO-9", "04", ["0001*QD*3**EA"]), "860.edi")
    assert held.error is not None and "no order with that PO number" in held.error
    assert f"crossdock replay {held.document_id}" in held.error
    assert any("PO-9" in a for a in _alerts(hub))
    _receive(hub, interchange([order("PO-9", qty=5)]), "po.edi")
    assert replay(hub, held.document_id).error is None
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "3"})


def test_an_original_after_a_replacement_is_held_until_forced(
    hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _receive(hub, interchange([order("PO-1", qty=5)], control=1), "po-1.edi")
    _receive(hub, interchange([order("PO-1", qty=7, purpose="05")], control=2), "po-2.edi")
    resent = _receive(hub, interchange([order("PO-1", qty=5)], control=3), "po-3.edi")
    assert resent.orders_unchanged == 1 and resent.error is not None
    assert "an original (BEG01 00) after a replacement (05)" in resent.error
    assert f"crossdock replay {resent.document_id} --force" in resent.error
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "7"}), "the order did not go back"
    assert any("conflicting version" in a for a in _alerts(hub))
    assert replay(hub, resent.document_id).orders_unchanged == 1, "a plain replay follows the same rule"
    assert _order(hub)[0].revision == 2

    code, out, _ = run(
        capsys, "replay", "-c", str(tmp_path / "crossdock.yaml"), str(resent.document_id), "--force", "--json"
    )
    assert code == 0 and json.loads(out)["orders"]["changed"] == 1
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (3, {"0001": "5"})


def test_a_replacement_made_before_the_stored_one_is_kept_and_ignored(hub: Hub) -> None:
    newer = dt.datetime(2026, 11, 21, 10, 0)
    _receive(hub, interchange([order("PO-1", qty=7, purpose="05")], control=2, created=newer), "po-2.edi")
    older = interchange([order("PO-1", qty=6, purpose="05")], control=1, created=newer - dt.timedelta(hours=3))
    late = _receive(hub, older, "po-1.edi")
    assert (late.orders_unchanged, late.error) == (1, None)
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (1, {"0001": "7"})
    with hub.store.transaction() as conn:
        said = list(conn.execute(select(events.c.message).where(events.c.kind == "order")).scalars())
    assert any("older version" in message for message in said)


def test_a_partner_that_takes_changes_as_an_855_gets_the_order_as_it_now_stands(hub: Hub) -> None:
    _receive(hub, interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL", "CUP-RED"), qty=5)]), "po.edi")
    _receive(hub, change("PO-1", "04", ["0001*QD*3**EA", "0002*DI"], sequence="1"), "860.edi")
    with hub.store.transaction() as conn:
        first, second = conn.execute(
            select(documents.c.data).where(documents.c.kind == "855").order_by(documents.c.id)
        ).scalars()
    assert b"BAK*00*AD*PO-1" in bytes(first)
    (ts,) = read_transactions(bytes(second))
    answer = ack_from_855(ts)
    assert (answer.purpose, answer.ack_type) == ("04", "AC")
    assert [(a.line_number, a.status, a.quantity) for a in answer.lines] == [
        ("0001", "IA", 3),
        ("0002", "ID", 0),
        ("0003", "IA", 5),
    ]
    _receive(hub, change("PO-1", "01", [], sequence="2", control=71), "cancel.edi")
    with hub.store.transaction() as conn:
        *_, last = conn.execute(
            select(documents.c.data).where(documents.c.kind == "855").order_by(documents.c.id)
        ).scalars()
    (ts,) = read_transactions(bytes(last))
    assert [a.status for a in ack_from_855(ts).lines] == ["ID", "ID"], "a cancel deletes every line left"


def test_an_850_and_its_860_in_one_file_are_applied_in_order(hub: Hub) -> None:
    both = interchange([order("PO-1", qty=5)]) + change("PO-1", "04", ["0001*QD*2**EA"], sequence="1")
    result = _receive(hub, both, "both.edi")
    assert (result.orders_new, result.orders_changed, result.error) == (1, 1, None)
    row, data = _order(hub)
    assert (row.revision, _quantities(data)) == (2, {"0001": "2"})
