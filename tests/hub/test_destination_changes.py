"""A changed or cancelled order reaches every destination that holds it by that destination's own means: a 940
cancel then the new order (or a 940 change) for a 3PL, change and cancel files for CSV, the new revision or the
cancelled order for JSON and mapped JSON, and a cancel where a new revision no longer routes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.configuration.yaml_text import ConfigProblems
from crossdock.core.hub import Hub
from crossdock.core.plan import warehouse_order_number
from crossdock.core.storage.schema import deliveries, documents, events
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order

PO_1 = warehouse_order_number("x12", "northwind", "PO-1", "PO-1")  # W0502: one number for every revision's 940

SKUS = ("MUG-BLU", "KTL-STL", "BOX-1", "PEN-1")


def config(tmp_path: Path, store_url: str, **three_pl: Any) -> dict[str, Any]:
    """Each line to its own kind of destination: MUG to a 3PL (940), KTL to a CSV import, BOX to a mapped
    JSON hook, the rest to the JSON folder ``west``."""
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl"}
    folder = {"type": "folder"}
    cfg["sinks"]["3pl"] = {
        **folder, "path": str(tmp_path / "3pl"), "format": "x12-940", "partner": "acme3pl", "depositor": "CROSSDOCK",
        **three_pl,
    }  # fmt: skip
    cfg["sinks"]["import"] = {
        **folder, "path": str(tmp_path / "import"), "format": "csv",
        "columns": [{"header": "action", "field": "action"}, {"header": "po", "field": "po_number"},
                    {"header": "sku", "field": "line.product_ids.VN"}, {"header": "qty", "field": "line.quantity"}],
    }  # fmt: skip
    cfg["sinks"]["hook"] = {
        **folder, "path": str(tmp_path / "hook"), "format": "mapped",
        "fields": {"ref": "po_number", "purpose": "purpose"},
        "line_fields": {"sku": "product_ids.VN", "qty": "quantity"},
    }  # fmt: skip
    cfg["sinks"]["people"] = {**folder, "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    cfg["routing"] = {
        "rules": [
            {"match": {"sku": ["MUG-*"]}, "to": "3pl", "split": True},
            {"match": {"sku": ["KTL-*"]}, "to": "import", "split": True},
            {"match": {"sku": ["BOX-*"]}, "to": "hook", "split": True},
        ],
        "default": "west",
    }
    return cfg


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    h = Hub(write_config(tmp_path, config(tmp_path, store_url)))
    yield h
    h.close()


def send(hub: Hub, po: Any, control: int) -> None:
    receive(hub, interchange([po], control=control), name=f"po-{control}.edi")
    report = hub.dispatcher("test").drain()
    assert report.dead == 0, report.errors


def sets(path: Path) -> list[Any]:
    (ic,) = parse(path.read_bytes())
    (group,) = ic.groups
    for ts in group.transactions:
        validate(ts)
        assert status(ts) == "accepted", [str(e) for e in ts.errors]
    return list(group.transactions)


def values(ts: Any, tag: str) -> list[list[str]]:
    return [seg.elements[1:] for seg in ts.segments if seg.id == tag]


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def alerts(tmp_path: Path) -> list[str]:
    folder = tmp_path / "alerts"
    return [p.read_text() for p in sorted(folder.iterdir())] if folder.exists() else []


def test_a_change_reaches_the_3pl_as_a_cancel_then_the_new_order_in_one_file(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    send(hub, order("PO-1", skus=SKUS, qty=7, purpose="05"), 2)
    first, second = sorted((tmp_path / "3pl").glob("*-940-*.edi"))
    (original,) = sets(first)
    assert values(original, "W05") == [["N", PO_1, "PO-1"]]
    cancel, reissue = sets(second)
    assert values(cancel, "W05") == [["F", PO_1, "PO-1"]] and values(cancel, "W01")[0][:2] == ["5", "EA"]
    assert values(reissue, "W05") == [["N", PO_1, "PO-1"]] and values(reissue, "W01")[0][:2] == ["7", "EA"]
    assert [values(ts, "W01")[0][4] for ts in (cancel, reissue)] == ["MUG-BLU", "MUG-BLU"], "only the 3PL's line"
    assert alerts(tmp_path) == []


def test_a_3pl_that_takes_changes_gets_one_940_change(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, changes="change")))
    try:
        send(hub, order("PO-1", skus=SKUS, qty=5), 1)
        send(hub, order("PO-1", skus=SKUS, qty=7, purpose="05"), 2)
    finally:
        hub.close()
    _, second = sorted((tmp_path / "3pl").glob("*-940-*.edi"))
    (change,) = sets(second)
    assert values(change, "W05") == [["R", PO_1, "PO-1"]] and values(change, "W01")[0][:2] == ["7", "EA"]


def test_a_change_reaches_a_csv_import_as_a_change_file_and_json_as_the_new_revision(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    send(hub, order("PO-1", skus=SKUS, qty=7, purpose="05"), 2)
    (new,) = sorted((tmp_path / "import").glob("*-r1*.csv"))
    assert rows(new) == [{"action": "new", "po": "PO-1", "sku": "KTL-STL", "qty": "5"}]
    (change,) = sorted((tmp_path / "import").glob("*-change.csv"))
    assert rows(change) == [{"action": "change", "po": "PO-1", "sku": "KTL-STL", "qty": "7"}]
    hooked = [json.loads(p.read_bytes()) for p in sorted((tmp_path / "hook").glob("*.json"))]
    assert [h["lines"][0]["qty"] for h in hooked] == ["5", "7"] and hooked[1]["purpose"] == "05"
    assert [p.name for p in sorted((tmp_path / "west").glob("*.json"))] == [
        "northwind-PO-1-r1-west.json",
        "northwind-PO-1-r2-west.json",
    ]


def test_a_cancel_reaches_every_destination_by_its_own_means_and_nobody_is_alerted(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    send(hub, order("PO-1", skus=SKUS, qty=5, purpose="01"), 2)
    (cancel_940,) = sorted((tmp_path / "3pl").glob("*-940-cancel-*.edi"))
    (cancel,) = sets(cancel_940)
    assert values(cancel, "W05") == [["F", PO_1, "PO-1"]]
    assert [w[4] for w in values(cancel, "W01")] == ["MUG-BLU"], "the lines the 3PL holds"
    (cancel_csv,) = sorted((tmp_path / "import").glob("*-cancel.csv"))
    assert rows(cancel_csv) == [{"action": "cancel", "po": "PO-1", "sku": "KTL-STL", "qty": "5"}]
    (hooked,) = sorted((tmp_path / "hook").glob("*-cancelled.json"))
    assert json.loads(hooked.read_bytes())["purpose"] == "01"
    (plain,) = sorted((tmp_path / "west").glob("*-cancelled.json"))
    assert json.loads(plain.read_bytes())["purpose"] == "01"
    assert alerts(tmp_path) == []
    with hub.store.transaction() as conn:
        purposes = conn.execute(select(deliveries.c.sink, deliveries.c.purpose, deliveries.c.state)).all()
    assert sorted((s, p) for s, p, state in purposes if state == "sent" and p == "cancel") == [
        ("3pl", "cancel"), ("hook", "cancel"), ("import", "cancel"), ("west", "cancel")
    ]  # fmt: skip


def test_a_second_cancel_of_the_same_order_tells_nobody_twice(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    send(hub, order("PO-1", skus=SKUS, qty=5, purpose="01"), 2)
    send(hub, order("PO-1", skus=SKUS, qty=4, purpose="01"), 3)
    assert len(sorted((tmp_path / "3pl").glob("*-940-cancel-*.edi"))) == 1
    assert len(sorted((tmp_path / "west").glob("*-cancelled.json"))) == 1


def test_a_revision_routed_elsewhere_cancels_it_where_it_was(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, base_config(tmp_path, store_url)))
    try:
        send(hub, order("PO-2", state="CA"), 1)
        send(hub, order("PO-2", state="NY", purpose="05"), 2)
        with hub.store.transaction() as conn:
            logged = list(conn.execute(select(events.c.message).where(events.c.kind == "cancel")).scalars())
    finally:
        hub.close()
    (cancelled,) = sorted((tmp_path / "west").glob("*-cancelled.json"))
    held = json.loads(cancelled.read_bytes())
    assert held["po_number"] == "PO-2" and held["purpose"] == "01"
    assert held["parties"][0]["address"]["state"] == "CA", "the order as west had it, cancelled"
    assert [p.name for p in sorted((tmp_path / "east").glob("*.json"))] == ["northwind-PO-2-r2.json"]
    assert logged == ["order PO-2 no longer routed there by the new revision: cancel to west"]


def test_a_change_that_cannot_be_written_for_the_3pl_alerts_a_person(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    changed = order("PO-1", skus=SKUS, qty=7, purpose="05")
    changed.parties = []  # no ship-to: no 940 can be written
    send(hub, changed, 2)
    assert len(sorted((tmp_path / "3pl").glob("*.edi"))) == 1, "nothing more went to the 3PL"
    (text,) = [t for t in alerts(tmp_path) if "3pl" in t]
    assert "the change cannot be written for 3pl" in text and "PO-1" in text


def test_an_order_reinstated_after_its_cancel_reaches_the_3pl_as_a_new_order(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    send(hub, order("PO-1", skus=SKUS, qty=5, purpose="01"), 2)
    send(hub, order("PO-1", skus=SKUS, qty=6, purpose="05"), 3)
    names = sorted(p.name for p in (tmp_path / "3pl").glob("*.edi"))
    assert sorted(n.split("-")[2] for n in names) == ["PO", "PO", "cancel"], names
    w05 = [values(ts, "W05")[0][0] for p in sorted((tmp_path / "3pl").glob("*.edi")) for ts in sets(p)]
    assert sorted(w05) == ["F", "N", "N"], "the 3PL holds nothing after the cancel: the order goes to it anew"


def test_a_cancel_not_sent_yet_is_void_once_a_new_revision_comes(hub: Hub, tmp_path: Path) -> None:
    send(hub, order("PO-1", skus=SKUS, qty=5), 1)
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=5, purpose="01")], control=2), name="po-2.edi")
    send(hub, order("PO-1", skus=SKUS, qty=6, purpose="05"), 3)
    assert list((tmp_path / "3pl").glob("*-940-cancel-*.edi")) == [], "no lone cancel after the change"
    (_, change) = sorted((tmp_path / "3pl").glob("*-940-*.edi"))
    assert [values(ts, "W05")[0][0] for ts in sets(change)] == ["F", "N"]


def test_changes_is_a_setting_of_a_940_destination_only(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url)
    cfg["sinks"]["import"]["changes"] = "change"
    with pytest.raises(ConfigProblems, match="changes is a setting of format x12-940"):
        write_config(tmp_path, cfg)


def _controls(folder: Path) -> list[tuple[int, int]]:
    """ISA13 and GS06 of every interchange in a folder, lowest first."""
    found = []
    for path in folder.glob("*.edi"):
        (ic,) = parse(path.read_bytes())
        found.append((int(ic.control), int(ic.groups[0].control)))
    return sorted(found)


def test_a_940_change_the_3pls_guide_holds_takes_no_control_numbers(tmp_path: Path, store_url: str) -> None:
    no_cancels = {
        "name": "acme-own",
        "sets": {"940": [{"segment": "W05", "elements": {1: {"codes": ["N"]}}, "source": "acme 940 guide p. 2"}]},
    }
    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(no_cancels))
    cfg = config(tmp_path, store_url)
    cfg["partners"]["acme3pl"]["guide"] = str(tmp_path / "acme.yaml")
    hub = Hub(write_config(tmp_path, cfg))
    try:
        send(hub, order("PO-1", skus=SKUS, qty=5), 1)
        send(hub, order("PO-1", skus=SKUS, qty=7, purpose="05"), 2)  # a cancel (F) then the new order: held
        assert _controls(tmp_path / "3pl") == [(1, 1)], "the held change was not sent"
        send(hub, order("PO-2", skus=SKUS, qty=5), 3)
        assert _controls(tmp_path / "3pl") == [(1, 1), (2, 2)], "PO-2's 940 takes the numbers the held one gave back"
        with hub.store.transaction() as conn:
            held = conn.execute(
                select(documents.c.interchange_control, documents.c.error).where(
                    documents.c.partner == "acme3pl", documents.c.state == "held"
                )
            ).all()
        ((control, error),) = held
        assert control is None and "W0501 'F' is not one of N" in error
    finally:
        hub.close()
