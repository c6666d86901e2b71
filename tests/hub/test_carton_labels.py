"""SSCC labels given before shipping: routed with the order (940 MAN*GM, JSON labels), echoed by the 945, the same
in the 856, printed by ``crossdock labels``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.configuration.config import ConfigProblems
from crossdock.core.fulfilment.carton_labels import MAX_CARTONS, plan_cartons
from crossdock.core.hub import Hub
from crossdock.core.models import OrderLine
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.sscc import is_valid_sscc
from tests.hub.conftest import run, write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files


def labelled(tmp_path: Path, store_url: str) -> dict[str, Any]:
    cfg = config(tmp_path, store_url)
    del cfg["partners"]["northwind"]["gs1_prefix"]
    cfg["company"]["gs1_prefix"] = "0614141"
    cfg["sinks"]["3pl-out"]["labels"] = "sscc"
    return cfg


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Any:
    h = Hub(write_config(tmp_path, labelled(tmp_path, store_url)))
    yield h
    h.close()


def _man_gm(w940: bytes) -> list[str]:
    return [t.split("*")[2] for t in checked(w940).texts if t.startswith("MAN*GM*")]


def _two_lines(hub: Hub, tmp_path: Path) -> list[str]:
    cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    (w940,) = files(tmp_path / "3pl", "940")
    return _man_gm(w940)


def test_the_940_carries_an_sscc_per_carton_and_the_856_says_the_ones_the_945_echoed(hub: Hub, tmp_path: Path) -> None:
    given = _two_lines(hub, tmp_path)
    assert len(given) == 2 and all(len(g) == 20 and is_valid_sscc(g) for g in given)
    texts = checked(files(tmp_path / "3pl", "940")[0]).texts
    assert [t.split("*")[0] for t in texts if t.split("*")[0] in ("LX", "MAN", "W01")] == [
        *("LX", "MAN", "W01"),
        *("LX", "MAN", "W01"),
    ]
    report = cycle(
        hub,
        "945.edi",
        ship_advice(
            "PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU"), ("0002", 5, 5, "KTL-STL")], ssccs=(given[0], given[1])
        ),
    )
    assert report.processed[0].error is None
    (asn,) = files(tmp_path / "partner-inbox", "856")
    assert _man_gm(asn) == given  # MAN*GM equals the labels
    shipment = shipment_from_856(checked(asn))
    assert [len(p.lines) for p in shipment.orders[0].packages] == [1, 1]


def test_a_945_that_names_no_sscc_for_a_labelled_order_is_held(hub: Hub, tmp_path: Path) -> None:
    _two_lines(hub, tmp_path)
    report = cycle(
        hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU"), ("0002", 5, 5, "KTL-STL")])
    )
    assert report.processed[0].error is not None and "names no SSCC (MAN*GM) for a carton" in report.processed[0].error
    assert files(tmp_path / "partner-inbox", "856") == []


def test_an_sscc_under_our_prefix_not_given_for_the_order_is_held(hub: Hub, tmp_path: Path) -> None:
    given = _two_lines(hub, tmp_path)
    stranger = "00006141410000099993"  # ours, never given
    assert is_valid_sscc(stranger)
    advice = ship_advice(
        "PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU"), ("0002", 5, 5, "KTL-STL")], ssccs=(given[0], stranger)
    )
    report = cycle(hub, "945.edi", advice)
    assert report.processed[0].error is not None and "was not given for order PO-1" in report.processed[0].error


def test_a_new_revision_with_the_same_cartons_keeps_its_ssccs_and_other_cartons_get_new_ones(
    hub: Hub, tmp_path: Path
) -> None:
    first = _two_lines(hub, tmp_path)
    same = order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5, purpose="05")
    same.notes = ["CALL BEFORE DELIVERY"]
    cycle(hub, "po2.edi", interchange([same], control=2))
    fewer = order("PO-1", skus=("MUG-BLU",), qty=5, purpose="05")
    cycle(hub, "po3.edi", interchange([fewer], control=3))
    sent = [
        [t.split("*")[2] for t in ts.texts if t.startswith("MAN*GM*")]
        for f in files(tmp_path / "3pl", "940")
        for ts in parse(f)[0].groups[0].transactions
        if ts.texts[1].startswith("W05*N")
    ]
    cancels = [ts for f in files(tmp_path / "3pl", "940") for ts in parse(f)[0].groups[0].transactions]
    assert not any(t.startswith("MAN*") for ts in cancels if ts.texts[1].startswith("W05*F") for t in ts.texts)
    assert sent[0] == first and first[0] in sent[1] and first[1] in sent[1]
    assert len(sent[2]) == 1 and sent[2][0] not in first  # new cartons, new SSCCs: none is given twice


def test_a_json_destination_gets_the_labels_with_the_order(tmp_path: Path, store_url: str) -> None:
    cfg = labelled(tmp_path, store_url)
    cfg["sinks"]["3pl-out"] = {"type": "folder", "path": str(tmp_path / "wms"), "labels": "sscc"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    finally:
        hub.close()
    (sent,) = [json.loads(p.read_text()) for p in (tmp_path / "wms").glob("*.json")]
    (label,) = sent["labels"]
    assert sent["po_number"] == "PO-1" and label["carton"] == 1 and label["cartons"] == 1
    assert is_valid_sscc(label["sscc"]) and label["line_position"] == 1 and label["ship_to"]["name"] == "DC 42"


def test_labels_print_as_zpl_and_pdf_files(hub: Hub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = _two_lines(hub, tmp_path)
    path = tmp_path / "crossdock.yaml"
    out = tmp_path / "labels"
    code, text, _ = run(capsys, "labels", "PO-1", "-c", str(path), "--out", str(out))
    assert code == 0 and "2 labels (3pl-out, northwind)" in text
    (zpl,) = out.glob("*.zpl")
    data = zpl.read_text()
    assert [f">;>8{g}" in data for g in given] == [True, True] and "1 OF 2" in data and "2 OF 2" in data
    code, _, _ = run(capsys, "labels", "PO-1", "-c", str(path), "--out", str(out), "--format", "pdf")
    (pdf,) = out.glob("*.pdf")
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF-")
    code, text, _ = run(capsys, "labels", "PO-404", "-c", str(path))
    assert code == 1 and "no carton labels for PO PO-404" in text


def test_labels_need_the_company_prefix_and_a_format_that_carries_them(tmp_path: Path, store_url: str) -> None:
    cfg = labelled(tmp_path, store_url)
    del cfg["company"]["gs1_prefix"]
    with pytest.raises(ConfigProblems, match=r"company\.gs1_prefix is needed"):
        write_config(tmp_path, cfg)
    cfg = labelled(tmp_path, store_url)
    cfg["sinks"]["3pl-out"] = {
        **cfg["sinks"]["3pl-out"],
        "format": "csv",
        "columns": [{"header": "po", "field": "po_number"}],
    }
    del cfg["sinks"]["3pl-out"]["partner"], cfg["sinks"]["3pl-out"]["depositor"]
    with pytest.raises(ConfigProblems, match="labels travel with format json or x12-940 only"):
        write_config(tmp_path, cfg)


def _line(quantity: str, uom: str = "EA", pack: int | None = None, position: int = 1) -> OrderLine:
    return OrderLine(position=position, quantity=Decimal(quantity), uom=uom, pack=pack)


def test_cartons_are_planned_from_cases_packs_or_one_a_line() -> None:
    po = order("PO-1")
    po.lines = [_line("3", "CA"), _line("30", pack=12, position=2), _line("7", position=3)]
    assert plan_cartons(po) == [
        (1, Decimal(1)),
        (1, Decimal(1)),
        (1, Decimal(1)),
        (2, Decimal(12)),
        (2, Decimal(12)),
        (2, Decimal(6)),
        (3, Decimal(7)),
    ]
    po.lines = [_line(str(MAX_CARTONS + 1), "CA")]
    with pytest.raises(ValueError, match=f"more than the {MAX_CARTONS} labelled at once"):
        plan_cartons(po)


def test_labels_go_to_the_labels_to_sink_when_cartons_get_new_ssccs_with_the_configured_ship_from(
    tmp_path: Path, store_url: str
) -> None:
    cfg = labelled(tmp_path, store_url)
    cfg["sinks"]["printer"] = {"type": "folder", "path": str(tmp_path / "printer")}
    cfg["sinks"]["3pl-out"].update({"labels_to": "printer", "labels_format": "zpl"})
    cfg["ship_from"] = {
        "company": {"name": "ACME SUPPLY HQ", "city": "RENO", "state": "NV"},
        "warehouses": {"acme3pl": {"name": "ACME 3PL EAST", "address": ["7 DOCK ST"], "city": "EDISON", "state": "NJ"}},
    }
    hub = Hub(write_config(tmp_path, cfg))
    try:
        po = order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)
        po.parties.append(po.parties[0].model_copy(update={"role": "SF", "name": "WHAT THE BUYER CALLS US"}))
        cycle(hub, "po.edi", interchange([po]))
        given = _man_gm(files(tmp_path / "3pl", "940")[0])
        cycle(hub, "po-again.edi", interchange([po], control=2))  # the same order again: the same SSCCs
    finally:
        hub.close()
    (sent,) = sorted((tmp_path / "printer").iterdir())
    assert sent.name.endswith("-labels-1.zpl"), sent.name
    data = sent.read_text()
    assert data.count("^XA") == 2 and all(f">;>8{g}" in data for g in given), "the labels the 940 gave"
    assert "^FDACME 3PL EAST^FS" in data and "^FDEDISON, NJ^FS" in data, "ship-from is the 3PL's, from ship_from"
    assert "WHAT THE BUYER CALLS US" not in data
    assert ">;>842094607" in data, "the ship-to ZIP code as AI 420"


def test_labels_to_needs_labels_and_a_sink(tmp_path: Path, store_url: str) -> None:
    cfg = labelled(tmp_path, store_url)
    cfg["sinks"]["3pl-out"]["labels_to"] = "nowhere"
    with pytest.raises(ConfigProblems, match=r"sinks\.3pl-out\.labels_to: no sink named 'nowhere'"):
        write_config(tmp_path, cfg)
    cfg = labelled(tmp_path, store_url)
    cfg["sinks"]["3pl-out"].update({"labels": "none", "labels_to": "3pl-out"})
    with pytest.raises(ConfigProblems, match="labels_to sends the labels crossdock gives: it needs labels: sscc"):
        write_config(tmp_path, cfg)
