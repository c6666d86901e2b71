"""A 945 in eaches against a PO in cases (issue 19 item 6): compared in one unit, answered in the PO's unit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.invoice810 import invoice_from_810
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files


def _cases(pack: int | None) -> Order:
    po = order("PO-1", qty=2)
    po.lines[0].uom, po.lines[0].pack = "CA", pack
    return po


def _hub(tmp_path: Path, store_url: str, **top: Any) -> Hub:
    return Hub(write_config(tmp_path, {**config(tmp_path, store_url), **top}))


def test_eaches_of_a_po_in_cases_of_12_are_not_an_overshipment(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([_cases(12)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 24, 24, "MUG-BLU")]))  # W12 in EA
        assert report.processed[0].error is None and report.processed[0].shipments == 1
        (asn,) = files(tmp_path / "partner-inbox", "856")
        (shipped,) = shipment_from_856(checked(asn)).orders
        assert [(line.quantity, line.uom) for p in shipped.packages for line in p.lines] == [(Decimal(2), "CA")]
        (inv,) = files(tmp_path / "partner-inbox", "810")
        invoice = invoice_from_810(checked(inv))
        assert [(line.quantity, line.uom) for line in invoice.lines] == [(Decimal(2), "CA")]
        assert invoice.total_amount == Decimal("25.00")  # 2 cases at 12.50, not 24 of them
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "invoiced"  # type: ignore[index]
    finally:
        hub.close()


def test_eaches_beyond_the_cases_ordered_are_still_an_overshipment(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([_cases(12)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 36, 36, "MUG-BLU")]))
        assert report.processed[0].shipments == 0
        assert "ships 3 of 2 ordered" in (report.processed[0].error or "")
    finally:
        hub.close()


def test_without_a_pack_size_eaches_against_cases_are_held_not_guessed(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([_cases(None)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 2, 2, "MUG-BLU")]))
        assert report.processed[0].shipments == 0
        assert "how many eaches a CA holds is unknown" in (report.processed[0].error or "")
    finally:
        hub.close()


def test_the_product_catalogue_gives_the_pack_the_po_leaves_out(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url, products={"items": {"MUG-BLU": {"units_per_case": 6}}})
    try:
        cycle(hub, "po.edi", interchange([_cases(None)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 12, 6, "MUG-BLU")]))
        assert report.processed[0].error is None and report.processed[0].shipments == 1
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "partially shipped"  # type: ignore[index]
    finally:
        hub.close()
