"""What the 810 says beyond lines and prices: the PO's allowances and charges, REF*IA/DP, N1*SU/RI, ITD, CAD per
version, and invoice numbers unique for the whole company (issue 19, item 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.hub import Hub
from crossdock.core.models import Charge, Order, Party, Reference, Terms
from crossdock.mappings.x12.invoice810 import invoice_from_810
from tests.golden import assert_golden
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files
from tests.x12.written import read_back

CASES = Path(__file__).resolve().parents[1] / "cases" / "hub" / "invoice"
REMIT_TO = {
    "name": "CROSSDOCK LOCKBOX",
    "id_qualifier": "92",
    "id": "LB-7",
    "address": ["PO BOX 77"],
    "city": "OAKLAND",
}


def retail_po(po: str = "PO-9", qty: tuple[int, int] = (40, 20)) -> Order:
    """A PO of 40 x 12.50 + 20 x 11.90 = 738.00, less a 10.00 header allowance and a 10.00 allowance on the
    second line: it nets to 718.00. It names us as supplier (N1*SU), a vendor number, a department and terms."""
    po_order = order(po, skus=("MUG-BLU", "KTL-STL"), qty=qty[0])
    po_order.lines[1].quantity = Decimal(qty[1])
    po_order.lines[1].unit_price = Decimal("11.90")
    po_order.lines[1].charges = [Charge(indicator="A", code="C310", amount=Decimal("10.00"))]
    po_order.charges = [
        Charge(indicator="A", code="C310", amount=Decimal("10.00")),
        Charge(indicator="N", code="H090", agency="VI", agency_code="0001"),  # marking: no money, not invoiced
    ]
    po_order.references = [
        Reference(qualifier="IA", value="VEND-0042"),
        Reference(qualifier="DP", value="0093"),
        Reference(qualifier="ZZ", value="NOT FOR THE INVOICE"),
    ]
    po_order.parties.insert(0, Party(role="SU", name="CROSSDOCK SUPPLY", id_qualifier="92", id="VEND-0042"))
    po_order.terms = [Terms(type_code="08", basis_date_code="3", discount_percent=Decimal(2), discount_days=10)]
    return po_order


def buyer_config(tmp_path: Path, store_url: str, **buyer: Any) -> dict[str, Any]:
    cfg = config(tmp_path, store_url, invoice_parties={"RI": REMIT_TO}, **buyer)
    cfg["invoice_numbers"] = {"prefix": "CD-", "width": 7}
    return cfg


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_the_810_nets_the_pos_allowances_and_carries_its_references_parties_and_terms(
    tmp_path: Path, store_url: str, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.core import order_deliveries, render
    from crossdock.core.fulfilment import answers, shipping

    fixed = dt.datetime(2026, 11, 21, 14, 30)
    for module in (order_deliveries, render, shipping, answers):
        monkeypatch.setattr(module, "created_now", lambda: fixed)
    hub = Hub(write_config(tmp_path, buyer_config(tmp_path, store_url, version=version)))
    try:
        cycle(hub, "po.edi", interchange([retail_po()]))
        cycle(hub, "945.edi", ship_advice("PO-9", "SHIP-9", [("0001", 40, 40, "MUG-BLU"), ("0002", 20, 20, "KTL-STL")]))
    finally:
        hub.close()
    (data,) = files(tmp_path / "partner-inbox", "810")
    read_back(data)
    assert_golden(CASES / f"810-{version}.edi", data)
    text = data.decode()
    assert "TDS*71800~" in text, "738.00 of lines less 20.00 of allowances"
    assert "SAC*A*C310***1000~" in text and "H090" not in text
    assert "REF*IA*VEND-0042~" in text and "REF*DP*0093~" in text and "NOT FOR THE INVOICE" not in text
    assert "N1*SU*CROSSDOCK SUPPLY*92*VEND-0042~" in text and "N1*RI*CROSSDOCK LOCKBOX*92*LB-7~" in text
    assert "ITD*08*3*2**10~" in text and "BIG*20261121*CD-0000001*" in text
    assert "CAD*M***UPSN~" in text  # CAD01 from the 945's W27, required in 5010
    invoice = invoice_from_810(checked(data))
    assert invoice.total_amount == Decimal("718.00")
    assert [c.amount for line in invoice.lines for c in line.charges] == [Decimal("10.00")]


def test_a_po_shipped_in_two_parts_is_billed_its_net_total_once(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, buyer_config(tmp_path, store_url)))
    try:
        cycle(hub, "po.edi", interchange([retail_po()]))
        first = [("0001", 40, 40, "MUG-BLU"), ("0002", 20, 5, "KTL-STL")]
        cycle(hub, "945a.edi", ship_advice("PO-9", "SHIP-1", first, control=50))
        cycle(hub, "945b.edi", ship_advice("PO-9", "SHIP-2", [("0002", 20, 15, "KTL-STL")], control=51))
    finally:
        hub.close()
    invoices = [invoice_from_810(checked(d)) for d in files(tmp_path / "partner-inbox", "810")]
    by_number = sorted(invoices, key=lambda i: i.invoice_number)
    assert [i.invoice_number for i in by_number] == ["CD-0000001", "CD-0000002"]
    first_invoice, second_invoice = by_number
    assert [c.amount for c in first_invoice.charges] == [Decimal("10.00")], "the header allowance, once"
    assert second_invoice.charges == []
    assert [c.amount for c in second_invoice.lines[0].charges] == [Decimal("7.50")], "15 of 20: 3/4 of 10.00"
    assert first_invoice.total_amount == Decimal("500.00") + Decimal("59.50") - Decimal("10.00") - Decimal("2.50")
    assert sum(i.total_amount or 0 for i in invoices) == Decimal("718.00")


def test_invoice_numbers_are_one_sequence_for_the_company(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url)
    cfg["partners"]["southwind"] = {**cfg["partners"]["northwind"], "isa_id": "SOUTHWIND", "reply_to": "south-inbox"}
    cfg["sinks"]["south-inbox"] = {"type": "folder", "path": str(tmp_path / "south-inbox")}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po-n.edi", interchange([order("PO-N", qty=5)]))
        cycle(hub, "po-s.edi", interchange([order("PO-S", qty=5)], sender="SOUTHWIND"))
        cycle(hub, "945a.edi", ship_advice("PO-N", "SHIP-N", [("0001", 5, 5, "MUG-BLU")], control=50))
        cycle(hub, "945b.edi", ship_advice("PO-S", "SHIP-S", [("0001", 5, 5, "MUG-BLU")], control=51))
    finally:
        hub.close()
    (north,) = files(tmp_path / "partner-inbox", "810")
    (south,) = files(tmp_path / "south-inbox", "810")
    numbers = [invoice_from_810(checked(d)).invoice_number for d in (north, south)]
    assert numbers == ["000001", "000002"], "the default format, and no number twice across partners"


def test_the_migration_starts_the_company_sequence_after_every_partners_numbers(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from crossdock.core.storage import migrate

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = migrate._config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(
            text(
                "INSERT INTO sequences (scope, kind, value) VALUES ('northwind', 'invoice', 41), "
                "('southwind', 'invoice', 7), ('northwind', 'isa', 900)"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT scope, value FROM sequences WHERE kind = 'invoice' ORDER BY scope")).all()
    assert [tuple(r) for r in rows] == [("(company)", 41), ("northwind", 41), ("southwind", 7)]
    engine.dispose()


def test_a_days_invoices_carry_the_pos_header_allowance_once(tmp_path: Path, store_url: str) -> None:
    from crossdock.core.fulfilment.invoicing import invoice_day
    from crossdock.mappings.x12.reader import parse

    hub = Hub(write_config(tmp_path, buyer_config(tmp_path, store_url, invoice="daily")))
    try:
        cycle(hub, "po.edi", interchange([retail_po()]))
        cycle(hub, "945a.edi", ship_advice("PO-9", "SHIP-1", [("0001", 40, 40, "MUG-BLU")], control=50))
        cycle(hub, "945b.edi", ship_advice("PO-9", "SHIP-2", [("0002", 20, 20, "KTL-STL")], control=51))
        assert invoice_day(hub, "northwind") == 2
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    (day,) = files(tmp_path / "partner-inbox", "810")
    (ic,) = parse(day)
    first, second = (invoice_from_810(ts) for ts in ic.groups[0].transactions)
    assert [c.amount for c in first.charges] == [Decimal("10.00")] and second.charges == []
    assert (first.total_amount, second.total_amount) == (Decimal("490.00"), Decimal("228.00"))
