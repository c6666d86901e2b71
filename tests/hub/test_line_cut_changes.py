"""An operator's line cut reaches a JSON or mapped destination as what it is: a change (purpose 04, as an 860
change's revision says), not the order again with smaller numbers, whether nothing or part of it shipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.hub import Hub
from crossdock.core.lifecycle.operator_orders import cancel_order
from tests.hub.conftest import receive, write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_destination_changes import config

SKUS = ("MUG-BLU", "KTL-STL", "BOX-1", "PEN-1")  # the 3PL, the CSV import, the mapped hook, the JSON folder west


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    cfg = config(tmp_path, store_url)
    cfg["partners"]["northwind"]["gs1_prefix"] = "0614141"  # the 856 for the 945 needs SSCCs
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def _drain(hub: Hub) -> None:
    report = hub.dispatcher("test").drain()
    assert report.dead == 0, report.errors


def _newest(folder: Path, pattern: str) -> dict[str, Any]:
    found = sorted(folder.glob(pattern))
    assert found, f"nothing like {pattern} in {folder.name}"
    parsed: dict[str, Any] = json.loads(found[-1].read_bytes())
    return parsed


def test_a_line_cut_reaches_json_and_mapped_destinations_as_a_change(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=6)]), "po.edi")
    _drain(hub)
    assert _newest(tmp_path / "west", "*-r1-*.json")["purpose"] == "00"
    cancel_order(hub, "PO-1", source=None, lines="0003:1,0004:2", reason="out_of_stock")
    _drain(hub)
    west = _newest(tmp_path / "west", "*-r2-*.json")
    assert west["purpose"] == "04", "the revision says it changes the order"
    assert [(x["line_number"], x["quantity"]) for x in west["lines"]] == [("0004", "4")]
    hook = _newest(tmp_path / "hook", "*-r2-*.json")
    assert hook["purpose"] == "04" and [x["qty"] for x in hook["lines"]] == ["5"]


def test_a_line_cut_after_part_shipped_says_change_with_what_is_left(hub: Hub, tmp_path: Path) -> None:
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=6)]), "po.edi")
    _drain(hub)
    receive(hub, ship_advice("PO-1", "SHIP-1", [("0004", 6, 1, "PEN-1")]), "945.edi")
    cancel_order(hub, "PO-1", source=None, lines="0004:2", reason="out_of_stock")
    _drain(hub)
    west = _newest(tmp_path / "west", "*-r2-*.json")
    (line,) = west["lines"]
    assert west["purpose"] == "04"
    assert (line["quantity"], line["ordered"], line["shipped"]) == ("3", "4", "1")
