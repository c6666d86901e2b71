"""What the 856 says beyond what the warehouse reported: ship-from from the configuration, ship-to from the order,
TD1 packaging and lading quantity, REF*IA/DP/BM at the partner's levels, PO4 from the PO, and several POs on one
truck as one 856 (a consolidating buyer) or one 856 each with its own BSN02 and its share of the weight (issue 19,
item 2)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.hub import Hub
from crossdock.core.models import Reference
from crossdock.core.poller import poll
from crossdock.mappings.x12.asn856 import shipment_from_856
from tests.golden import assert_golden
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files
from tests.x12.written import read_back

CASES = Path(__file__).resolve().parents[1] / "cases" / "hub" / "asn"
COMPANY = {"name": "ACME SUPPLY", "id_qualifier": "UL", "id": "0614141000005", "city": "RENO", "state": "NV"}
EAST = {"name": "ACME 3PL EAST", "id_qualifier": "UL", "id": "0614141000012", "address": ["9 DOCK RD"]}


def without_ship_to(advice: bytes) -> bytes:
    """The 945 as a 3PL that names its warehouse but no ship-to sends it, with a bill of lading."""
    text = advice.decode().replace("N1*ST*DC 42*92*0042~\n", "N1*WH*ACME EAST~\nN9*BM*BOL-77~\n")
    return re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", text).encode()


def asn_config(tmp_path: Path, store_url: str, **buyer: Any) -> dict[str, Any]:
    settings = {"asn_references": {"IA": "order", "DP": "order", "BM": "order"}, **buyer}
    cfg = config(tmp_path, store_url, **settings)
    cfg["ship_from"] = {"company": COMPANY, "warehouses": {"acme3pl": EAST}}
    return cfg


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_856_names_ship_from_ship_to_references_packs_and_lading(
    tmp_path: Path, store_url: str, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core import order_deliveries, render
    from crossdock.core.fulfilment import answers, shipping

    fixed = dt.datetime(2026, 11, 21, 14, 30)
    for module in (order_deliveries, render, shipping, answers):
        monkeypatch.setattr(module, "created_now", lambda: fixed)
    po = order("PO-5", skus=("MUG-BLU", "KTL-STL"), qty=24)
    po.references = [Reference(qualifier="IA", value="VEND-0042"), Reference(qualifier="DP", value="0093")]
    po.lines[0].pack, po.lines[0].inner_pack = 12, 2
    hub = Hub(write_config(tmp_path, asn_config(tmp_path, store_url, version=version)))
    try:
        cycle(hub, "po.edi", interchange([po]))
        advice = ship_advice("PO-5", "SHIP-5", [("0001", 24, 24, "MUG-BLU"), ("0002", 24, 24, "KTL-STL")])
        report = cycle(hub, "945.edi", without_ship_to(advice))
    finally:
        hub.close()
    assert report.processed[0].error is None
    (data,) = files(tmp_path / "partner-inbox", "856")
    read_back(data)
    assert_golden(CASES / f"856-{version}.edi", data)
    text = data.decode()
    assert "N1*SF*ACME 3PL EAST*UL*0614141000012~\nN3*9 DOCK RD~" in text, "the warehouse's own ship-from"
    assert "N1*ST*DC 42*92*0042~\nN3*1 MAIN ST~\nN4*TOWN*CA*94607*US~" in text, "the order's ship-to"
    assert "TD1*CTN25*1****G*10*LB~" in text
    order_level = text[text.index("HL*2*1*O*") : text.index("HL*3*2*P*")]
    assert "REF*BM*BOL-77~" in order_level and "REF*IA*VEND-0042~" in order_level and "REF*DP*0093~" in order_level
    assert text.count("REF*BM") == 1, "the bill of lading at the order level only"
    assert "PO4*12*************2~" in text and text.count("PO4") == 1
    shipment = shipment_from_856(checked(data))
    (line, _) = shipment.orders[0].packages[0].lines
    assert (line.pack, line.inner_pack) == (12, 2)


def test_ship_from_is_the_companys_when_the_warehouse_has_no_entry(tmp_path: Path, store_url: str) -> None:
    cfg = asn_config(tmp_path, store_url)
    cfg["ship_from"]["warehouses"] = {}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-5", qty=5)]))
        cycle(hub, "945.edi", ship_advice("PO-5", "SHIP-5", [("0001", 5, 5, "MUG-BLU")]))
    finally:
        hub.close()
    (data,) = files(tmp_path / "partner-inbox", "856")
    parties = {p.role: p for p in shipment_from_856(checked(data)).parties}
    assert parties["SF"].name == "ACME SUPPLY" and parties["SF"].address is not None
    assert parties["SF"].address.city == "RENO"
    assert data.decode().count("N1*ST*") == 1, "the 3PL's own ship-to, not the order's as well"


def two_pos_on_one_truck(tmp_path: Path, store_url: str, **buyer: Any) -> list[bytes]:
    """One Shipment JSON confirmation carrying PO-A (1 unit) and PO-B (2 units), 30 LB in all, one bill of lading."""
    cfg = config(tmp_path, store_url, **buyer)
    cfg["sources"]["shipped"] = {
        "type": "folder",
        "path": str(tmp_path / "shipped"),
        "min_age": 0,
        "format": "shipment-json",
        "partner": "acme3pl",
    }
    (tmp_path / "shipped").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    confirmation = {
        "shipment_id": "SHIP-7",
        "ship_date": "2026-11-21",
        "carrier_scac": "ODFL",
        "bill_of_lading": "BOL-9",
        "gross_weight": "30",
        "weight_uom": "LB",
        "orders": [
            {
                "po_number": "PO-A",
                "lines": [{"line_number": "0001", "quantity": "1"}],
                "references": [{"qualifier": "WH", "value": "WAREHOUSE-OWN"}],
            },
            {"po_number": "PO-B", "lines": [{"line_number": "0001", "quantity": "2"}]},
        ],
    }
    try:
        cycle(hub, "po.edi", interchange([order("PO-A", qty=1), order("PO-B", qty=2)]))
        (tmp_path / "shipped" / "s.json").write_text(json.dumps(confirmation))
        report = poll(hub, "shipped", "me")
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    assert report.processed[0].error is None and report.processed[0].shipments == 2
    return files(tmp_path / "partner-inbox", "856")


def test_two_pos_on_one_truck_get_an_856_each_with_its_own_bsn02_and_share_of_the_weight(
    tmp_path: Path, store_url: str
) -> None:
    asns = [shipment_from_856(checked(d)) for d in two_pos_on_one_truck(tmp_path, store_url)]
    by_po = {s.orders[0].po_number: s for s in asns}
    assert sorted(by_po) == ["PO-A", "PO-B"]
    assert (by_po["PO-A"].shipment_id, by_po["PO-B"].shipment_id) == ("SHIP-7-1", "SHIP-7-2")
    assert (by_po["PO-A"].gross_weight, by_po["PO-B"].gross_weight) == (Decimal("10.00"), Decimal("20.00"))
    assert all(s.weight_uom == "LB" and s.lading_quantity == 1 for s in asns)
    assert all(o.references == [] for s in asns for o in s.orders), "the warehouse's own order references stay out"


def test_a_consolidating_buyer_gets_one_856_for_the_truck(tmp_path: Path, store_url: str) -> None:
    (data,) = two_pos_on_one_truck(tmp_path, store_url, asn_consolidate=True)
    shipment = shipment_from_856(checked(data))
    assert shipment.shipment_id == "SHIP-7" and [o.po_number for o in shipment.orders] == ["PO-A", "PO-B"]
    assert shipment.gross_weight == Decimal(30) and shipment.bill_of_lading == "BOL-9"
    assert shipment.packaging_code == "CTN25" and shipment.lading_quantity == 2
    text = data.decode()
    assert len(re.findall(r"TD1\*", text)) == 1 and text.count("HL*") == 7 and text.count("BSN*") == 1


def csv_source(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    columns = {"shipment_id": "Shipment", "po_number": "PO", "ship_date": "Date", "line_number": "Line"}
    columns |= {"quantity": "Qty", "tracking_number": "Tracking", "weight": "Weight"}
    source = {"type": "folder", "path": str(tmp_path / "shipfiles"), "min_age": 0, "format": "csv-shipments"}
    return {**source, "partner": "acme3pl", "shipment_columns": columns, **extra}


def test_a_csv_ship_file_with_weights_gets_its_856_with_units(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url)
    cfg["sources"]["shipfile"] = csv_source(tmp_path, weight_unit="KG")
    (tmp_path / "shipfiles").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
        (tmp_path / "shipfiles" / "ship.csv").write_text(
            "Shipment,PO,Date,Line,Qty,Tracking,Weight\nS7,PO-1,2026-11-21,0001,5,1Z9,4.5\n"
            "S7,PO-1,2026-11-21,0002,5,1Z8,2\n"
        )
        report = poll(hub, "shipfile", "me")
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    assert report.processed[0].shipments == 1 and report.processed[0].error is None, "was held: a weight, no unit"
    (asn,) = files(tmp_path / "partner-inbox", "856")
    packages = shipment_from_856(checked(asn)).orders[0].packages
    assert [(p.weight, p.weight_uom) for p in packages] == [(Decimal("4.5"), "KG"), (Decimal(2), "KG")]
    assert "TD1*CTN25*2~" in asn.decode()


def test_a_csv_weight_column_without_a_unit_is_a_configuration_error(tmp_path: Path, store_url: str) -> None:
    from crossdock.core.configuration.config import ConfigProblems

    cfg = config(tmp_path, store_url)
    cfg["sources"]["shipfile"] = csv_source(tmp_path)
    with pytest.raises(ConfigProblems, match="a weight needs its unit"):
        write_config(tmp_path, cfg)


def test_945s_of_one_bill_of_lading_to_one_ship_to_make_one_856_for_a_consolidating_buyer(
    tmp_path: Path, store_url: str
) -> None:
    def advice(po: str, control: int, ship_to: str = "N1*ST*DC 42*92*0042") -> bytes:
        sent = ship_advice(po, f"SHIP-{po}", [("0001", 5, 5, "MUG-BLU")], control=control).decode()
        sent = sent.replace("N1*ST*DC 42*92*0042~\n", f"{ship_to}~\nN9*BM*BOL-77~\n")
        return re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", sent).encode()

    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, asn_consolidate=True)))
    try:
        cycle(hub, "po.edi", interchange([order(po, qty=5) for po in ("PO-1", "PO-2", "PO-3")]))
        truck = advice("PO-1", 50) + advice("PO-2", 51) + advice("PO-3", 52, ship_to="N1*ST*DC 7*92*0007")
        report = cycle(hub, "945.edi", truck)
    finally:
        hub.close()
    assert report.processed[0].error is None and report.processed[0].shipments == 3
    asns = sorted((shipment_from_856(checked(d)) for d in files(tmp_path / "partner-inbox", "856")), key=len_orders)
    other, truck_856 = asns
    assert [o.po_number for o in truck_856.orders] == ["PO-1", "PO-2"] and truck_856.shipment_id == "SHIP-PO-1"
    assert truck_856.gross_weight == Decimal(20), "each 945's W03 weight, added up once"
    assert [o.po_number for o in other.orders] == ["PO-3"], "another ship-to: its own 856"


def len_orders(shipment: Any) -> int:
    return len(shipment.orders)


def _bol_advice(po: str, control: int, bol: str = "BOL-77") -> bytes:
    sent = ship_advice(po, f"SHIP-{po}", [("0001", 5, 5, "MUG-BLU")], control=control).decode()
    sent = sent.replace("N1*ST*DC 42*92*0042~\n", f"N1*ST*DC 42*92*0042~\nN9*BM*{bol}~\n")
    return re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", sent).encode()


def _make_due(hub: Hub) -> None:
    """The consolidation window has passed: the waiting 856s are due now."""
    from sqlalchemy import update

    from crossdock.core.storage.engine import utcnow
    from crossdock.core.storage.schema import deliveries

    with hub.store.transaction() as conn:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.purpose == "856", deliveries.c.state == "pending")
            .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
        )


def _acks_wait_from_the_window(hub: Hub) -> None:
    """The buyer's 997 for a waiting 856 is due its ack window after the 856 may first be sent."""
    from sqlalchemy import select

    from crossdock.core.storage.engine import utcnow
    from crossdock.core.storage.schema import documents

    with hub.store.transaction() as conn:
        due = conn.execute(select(documents.c.ack_due_at).where(documents.c.kind == "856")).scalars().all()
    window = dt.timedelta(seconds=hub.partners["northwind"].config.ack_windows["856"])
    assert due and all(d > utcnow() + dt.timedelta(minutes=29) + window for d in due), due


def test_945s_of_one_bill_of_lading_in_separate_files_make_one_856_within_the_window(
    tmp_path: Path, store_url: str
) -> None:
    from tests.hub.test_guides_flow import _controls

    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, asn_consolidate=True, asn_consolidate_window="30m")))
    try:
        cycle(hub, "po.edi", interchange([order(po, qty=5) for po in ("PO-1", "PO-2", "PO-3")]))
        cycle(hub, "945a.edi", _bol_advice("PO-1", 50))
        cycle(hub, "945b.edi", _bol_advice("PO-2", 51))
        cycle(hub, "945c.edi", _bol_advice("PO-3", 52, bol="BOL-88"))
        assert files(tmp_path / "partner-inbox", "856") == [], "the 856s wait for the window"
        _acks_wait_from_the_window(hub)
        assert len(files(tmp_path / "partner-inbox", "810")) == 3, "the invoices do not wait"
        _make_due(hub)
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    asns = sorted((shipment_from_856(checked(d)) for d in files(tmp_path / "partner-inbox", "856")), key=len_orders)
    other, truck = asns
    assert [o.po_number for o in truck.orders] == ["PO-1", "PO-2"] and truck.shipment_id == "SHIP-PO-1"
    assert truck.bill_of_lading == "BOL-77" and truck.gross_weight == Decimal(20)
    assert [o.po_number for o in other.orders] == ["PO-3"], "another bill of lading: its own 856"
    sent = _controls(tmp_path / "partner-inbox")
    assert sent == [(n, n) for n in range(1, len(sent) + 1)], "the joined POs took no numbers: no gap"


def test_a_po_after_the_window_gets_its_own_856(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, asn_consolidate=True, asn_consolidate_window="30m")))
    try:
        cycle(hub, "po.edi", interchange([order(po, qty=5) for po in ("PO-1", "PO-2")]))
        cycle(hub, "945a.edi", _bol_advice("PO-1", 50))
        _make_due(hub)
        hub.dispatcher("test").drain()
        cycle(hub, "945b.edi", _bol_advice("PO-2", 51))
        _make_due(hub)
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    asns = [shipment_from_856(checked(d)) for d in files(tmp_path / "partner-inbox", "856")]
    assert sorted(o.po_number for s in asns for o in s.orders) == ["PO-1", "PO-2"] and len(asns) == 2


def test_a_csv_ship_files_delivery_date_is_the_856s_estimated_delivery(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core import order_deliveries, render
    from crossdock.core.fulfilment import answers, shipping

    fixed = dt.datetime(2026, 11, 21, 14, 30)
    for module in (order_deliveries, render, shipping, answers):
        monkeypatch.setattr(module, "created_now", lambda: fixed)
    cfg = config(tmp_path, store_url, guide="marketplace-vendor")
    source = csv_source(tmp_path, weight_unit="KG")
    source["shipment_columns"]["delivery_date"] = "ETA"
    cfg["sources"]["shipfile"] = source
    (tmp_path / "shipfiles").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        (tmp_path / "shipfiles" / "ship.csv").write_text(
            "Shipment,PO,Date,Line,Qty,Tracking,Weight,ETA\nS7,PO-1,2026-11-21,0001,5,1Z9,4.5,11/24/2026\n"
        )
        report = poll(hub, "shipfile", "me")
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    assert report.processed[0].error is None
    (asn,) = files(tmp_path / "partner-inbox", "856")
    assert "DTM*011*20261121~\nDTM*017*20261124~" in asn.decode(), "the guide requires DTM*017: it passed"
    assert shipment_from_856(checked(asn)).delivery_date == dt.date(2026, 11, 24)
    assert_golden(CASES / "856-csv-delivery-date.edi", asn)
