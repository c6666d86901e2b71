"""An 850 with a ship-to per line and none in the header (issue 19 item 5): routed to the 3PL as one 940 per
ship-to, acknowledged only then; each part's 945 finds the order by the depositor order number it echoes
(W0602), the PO number (W0606) beside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.models import Address, Party
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents
from crossdock.mappings.x12.reader import parse
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import config, cycle, files


def _store(number: str, city: str) -> Party:
    address = Address(lines=[f"{number} MAIN ST"], city=city, state="OH", postal_code="44301", country="US")
    return Party(role="ST", name=f"STORE {number}", id_qualifier="92", id=number, address=address)


def _po_with_a_ship_to_per_line() -> bytes:
    po = order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)
    po.parties = []
    po.lines[0].parties = [_store("0101", "AKRON")]
    po.lines[1].parties = [_store("0202", "DAYTON")]
    return interchange([po])


def _hub(tmp_path: Path, store_url: str, **sink: Any) -> Hub:
    cfg = config(tmp_path, store_url, send_855=True)
    cfg["sinks"]["3pl-out"].update(sink)
    return Hub(write_config(tmp_path, cfg))


def test_a_po_with_a_ship_to_per_line_is_split_by_ship_to_and_then_acknowledged(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", _po_with_a_ship_to_per_line())
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "delivered"  # type: ignore[index]
            (controls,) = conn.execute(
                select(documents.c.transaction_controls).where(documents.c.kind == "order")
            ).scalars()
        assert controls == "1,2", "both sets are numbered and tracked for the 3PL's 997"
        (w940,) = files(tmp_path / "3pl", "940")
        sets = parse(w940)[0].groups[0].transactions
        base = sets[0].texts[1].split("*")[2].rsplit("-", 1)[0]  # the order's own number (warehouse_order_number)
        assert re.fullmatch(r"PO-1-[0-9A-F]{8}", base)
        assert [ts.texts[1] for ts in sets] == [f"W05*N*{base}-1*PO-1", f"W05*N*{base}-2*PO-1"]
        (ack,) = files(tmp_path / "partner-inbox", "855")
        assert b"ACK*IA*" in ack and b"ACK*IR" not in ack

        # part 2's depositor order in W0602, the PO in W0606
        advice = ship_advice("PO-1", "SHIP-2", [("0002", 5, 5, "KTL-STL")], depositor_order=f"{base}-2")
        report = cycle(hub, "945.edi", advice)
        assert report.processed[0].shipments == 1 and report.processed[0].error is None
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "partially shipped"  # type: ignore[index]
    finally:
        hub.close()


def test_a_3pl_taking_a_ship_to_per_line_without_a_header_ship_to_still_gets_one_per_ship_to(
    tmp_path: Path, store_url: str
) -> None:
    hub = _hub(tmp_path, store_url, ship_to_per_line=True)
    try:
        cycle(hub, "po.edi", _po_with_a_ship_to_per_line())
        (w940,) = files(tmp_path / "3pl", "940")
        assert len(parse(w940)[0].groups[0].transactions) == 2, "a 940 needs an address: the header's ship-to"
    finally:
        hub.close()
