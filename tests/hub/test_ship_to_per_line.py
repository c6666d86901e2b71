"""An 850 with a ship-to per line and none in the header (issue 19 item 5): routed to the 3PL as one 940 per
ship-to, acknowledged only then; each part's 945 finds the order by the PO number it echoes (W0606)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.models import Address, Party
from crossdock.core.queries import Queries
from crossdock.core.schema import documents
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
        assert [ts.texts[1] for ts in sets] == ["W05*N*PO-1-1*PO-1", "W05*N*PO-1-2*PO-1"]
        (ack,) = files(tmp_path / "partner-inbox", "855")
        assert b"ACK*IA*" in ack and b"ACK*IR" not in ack

        advice = ship_advice("PO-1", "SHIP-2", [("0002", 5, 5, "KTL-STL")])  # part 2's depositor order, PO in W0606
        advice = advice.replace(b"W06*N*PO-1*20261121*SHIP-2***PO-1", b"W06*N*PO-1-2*20261121*SHIP-2**PO-1")
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
