"""A PO whose own 810 its guide holds is left out of the consolidated 856 it would share (issue 19): the 856
announces only what the buyer is invoiced for, the other POs on the truck are not held with it, and the replay
after the fix answers the held PO once (joining the 856 while it still waits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from crossdock.core.configuration.config import load_config
from crossdock.core.hub import Hub
from crossdock.core.models import Order, Reference
from crossdock.core.pipeline import replay
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import documents
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.invoice810 import invoice_from_810
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order
from tests.hub.test_asn_content import _bol_advice, _make_due
from tests.hub.test_ship_flow import checked, config, cycle, files

IA = {"segment": "REF*IA", "use": "required", "source": "northwind 810 guide p. 7"}
GUIDE = {"name": "northwind-ia", "sets": {"810": [IA]}}


def _order(po: str, vendor: str | None) -> Order:
    made = order(po, qty=5)
    made.references = [Reference(qualifier="IA", value=vendor)] if vendor else []
    return made


def _hub(tmp_path: Path, store_url: str, **buyer: Any) -> Hub:
    (tmp_path / "ia.yaml").write_text(yaml.safe_dump(GUIDE))
    settings = {"asn_consolidate": True, "guide": "ia.yaml", **buyer}
    return Hub(write_config(tmp_path, config(tmp_path, store_url, **settings)))


def _held(hub: Hub) -> list[dict[str, Any]]:
    with hub.store.transaction() as conn:
        return list(Queries(hub.store).problems(conn)["held_shipments"])


def _invoiced(inbox: Path) -> list[str]:
    return sorted(invoice_from_810(checked(d)).po_number or "" for d in files(inbox, "810"))


def test_a_po_held_by_its_810_is_not_on_the_856_of_its_file_and_the_others_are_not_held(
    tmp_path: Path, store_url: str
) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([_order("PO-1", None), _order("PO-2", "V-77"), _order("PO-3", "V-77")]))
        cycle(hub, "945.edi", _bol_advice("PO-1", 50) + _bol_advice("PO-2", 51) + _bol_advice("PO-3", 52))
        (held,) = _held(hub)
        assert "PO-1" in held["error"] and "REF*IA is required" in held["error"], held
    finally:
        hub.close()
    inbox = tmp_path / "partner-inbox"
    (asn,) = [shipment_from_856(checked(d)) for d in files(inbox, "856")]
    assert [o.po_number for o in asn.orders] == ["PO-2", "PO-3"], "the held PO-1, the file's first, is left out"
    assert _invoiced(inbox) == ["PO-2", "PO-3"]


def test_a_po_held_by_its_810_does_not_join_the_waiting_856_until_its_replay(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url, asn_consolidate_window="30m")
    try:
        cycle(hub, "po.edi", interchange([_order("PO-1", "V-77"), _order("PO-2", None)]))
        cycle(hub, "945a.edi", _bol_advice("PO-1", 50))
        cycle(hub, "945b.edi", _bol_advice("PO-2", 51))
        (held,) = _held(hub)
        assert "PO-2" in held["error"] and "REF*IA is required" in held["error"], held
        with hub.store.transaction() as conn:
            (waiting,) = conn.execute(
                select(documents.c.data).where(documents.c.kind == "856", documents.c.direction == "out")
            ).scalars()
        assert b"PRF*PO-1" in waiting and b"PO-2" not in waiting, "the waiting 856 does not announce PO-2"

        (tmp_path / "ia.yaml").write_text(yaml.safe_dump({"name": "northwind-none", "sets": {}}))  # the fix
        hub.close()
        hub = Hub(load_config(tmp_path / "crossdock.yaml"))
        assert replay(hub, held["document_id"]).state == "processed"
        hub.dispatcher("test").drain()
        assert _held(hub) == []
        _make_due(hub)
        hub.dispatcher("test").drain()
    finally:
        hub.close()
    inbox = tmp_path / "partner-inbox"
    (asn,) = [shipment_from_856(checked(d)) for d in files(inbox, "856")]
    assert [o.po_number for o in asn.orders] == ["PO-1", "PO-2"], "replayed within the window: it joins, once"
    assert _invoiced(inbox) == ["PO-1", "PO-2"]


def test_a_short_po_whose_855_change_the_guide_holds_is_left_out_too(tmp_path: Path, store_url: str) -> None:
    import re

    from tests.hub.edi import ship_advice

    ack = {"segment": "REF*IA", "use": "required", "source": "northwind 855 guide p. 4"}
    (tmp_path / "ack.yaml").write_text(yaml.safe_dump({"name": "northwind-ack", "sets": {"855": [ack]}}))
    settings = {"asn_consolidate": True, "guide": "ack.yaml", "backorder_855": True}
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, **settings)))
    short = ship_advice("PO-2", "SHIP-PO-2", [("0001", 5, 3, "MUG-BLU")], control=51).decode()
    short = short.replace("N1*ST*DC 42*92*0042~\n", "N1*ST*DC 42*92*0042~\nN9*BM*BOL-77~\n")
    short = re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 1}*", short)
    try:
        cycle(hub, "po.edi", interchange([_order("PO-1", None), _order("PO-2", None)]))
        cycle(hub, "945.edi", _bol_advice("PO-1", 50) + short.encode())
        (held,) = _held(hub)
        assert "PO-2" in held["error"] and "REF*IA is required" in held["error"], held
    finally:
        hub.close()
    inbox = tmp_path / "partner-inbox"
    (asn,) = [shipment_from_856(checked(d)) for d in files(inbox, "856")]
    assert [o.po_number for o in asn.orders] == ["PO-1"]
    assert _invoiced(inbox) == ["PO-1"] and files(inbox, "855") == []
