"""The shipped guides other than bigbox-4010 through the hub: bigbox-5010 on a 005010 partner and
marketplace-vendor. Each passes a document that has what it requires, holds one that does not with the rule
and its place named, and a replay after the fix sends what was held. The 856s and 810s are checked against the
guides as crossdock ships them: what crossdock writes in the normal flow can pass them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from crossdock.core.guides import load_guide
from crossdock.core.hub import Hub
from crossdock.core.models import Reference, ShippingTerms, Terms
from crossdock.core.pipeline import replay
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.guide_check import check_interchanges
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_guides_flow import _problems, _reload
from tests.hub.test_ship_flow import checked, config, cycle, files

GUIDES = Path(__file__).resolve().parents[2] / "crossdock" / "guides"
US = {"name": "CROSSDOCK", "id_qualifier": "92", "id": "V1"}


def _findings(guide: str, data: bytes) -> list[str]:
    return [e.message for s in check_interchanges(load_guide(guide), data) for e in s.errors]


def _own_copy(tmp_path: Path, guide: str, code: str, drop: str) -> str:
    """The shipped guide as an operator's own file, without the rule on ``drop`` in set ``code``."""
    data = yaml.safe_load((GUIDES / f"{guide}.yaml").read_text())
    data["name"] = f"{guide}-ours"
    data["sets"][code] = [rule for rule in data["sets"][code] if rule["segment"] != drop]
    (tmp_path / "ours.yaml").write_text(yaml.safe_dump(data))
    return "ours.yaml"


def _with_bill_of_lading(advice: bytes) -> bytes:
    """The 3PL's 945 with its bill of lading (N9*BM), its SE count put right."""
    with_bol = advice.replace(b"G62*11*20261121~", b"N9*BM*BOL123~\nG62*11*20261121~")
    count = int(re.search(rb"SE\*(\d+)\*", with_bol)[1])  # type: ignore[index]
    return with_bol.replace(b"SE*%d*" % count, b"SE*%d*" % (count + 1))


def _bigbox_5010(tmp_path: Path, store_url: str, version: str = "005010") -> Hub:
    cfg = config(tmp_path, store_url, guide="bigbox-5010", version=version, invoice_parties={"SU": US})
    return Hub(write_config(tmp_path, cfg))


def _bigbox_po() -> Any:
    po = order("PO-1", qty=5)
    po.references = [Reference(qualifier=q, value=v) for q, v in (("IA", "123456"), ("DP", "042"), ("MR", "0020"))]
    po.terms = [Terms(type_code="01", basis_date_code="3", net_days=30)]
    po.shipping_terms = [ShippingTerms(payment_method="CC", location_qualifier="OR", location="OAKLAND CA")]
    return po


def test_bigbox_5010_holds_an_856_without_a_ship_from_and_a_replay_after_the_fix_sends_it(
    tmp_path: Path, store_url: str
) -> None:
    hub = _bigbox_5010(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([_bigbox_po()]))
        cycle(hub, "945.edi", _with_bill_of_lading(ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")])))
        assert files(tmp_path / "partner-inbox", "856") == [] and files(tmp_path / "partner-inbox", "810") == []
        (held,) = _problems(hub)["held_shipments"]
        reason = held["error"]
        assert "held by guide bigbox-5010" in reason and "856 0002: N1*SF is required in HL[S] and missing" in reason
        assert "at HL, segment 3" in reason and "N1 SF at shipment level" in reason, "the rule's source is named"
        assert "REF*BM" not in reason, "the 3PL's bill of lading is there"

        # the fix: our ship-from in the configuration; the partner's guide stays bigbox-5010 as shipped
        path = tmp_path / "crossdock.yaml"
        data = yaml.safe_load(path.read_text())
        data["ship_from"] = {"company": {**US, "address": ["1 DOCK RD"], "city": "OAKLAND", "state": "CA"}}
        path.write_text(yaml.safe_dump(data))
        hub = _reload(hub, tmp_path, {"guide": "bigbox-5010"})
        replay(hub, held["document_id"])
        hub.dispatcher("test").drain()
        (asn,) = files(tmp_path / "partner-inbox", "856")
        (invoice,) = files(tmp_path / "partner-inbox", "810")
        assert b"GS*SH*" in asn and b"*X*005010~" in asn and b"GS*IN*" in invoice and b"*X*005010~" in invoice
        checked(asn)
        checked(invoice)
        assert _findings("bigbox-5010", asn) == [], "the 856 sent passes the shipped guide itself"
        assert _findings("bigbox-5010", invoice) == [], "so does the 810"
        assert b"\nFOB*CC*OR*OAKLAND CA~" in invoice, "the PO's FOB"
        assert _problems(hub)["held_shipments"] == []
    finally:
        hub.close()


def test_bigbox_5010_holds_what_is_sent_on_004010_naming_the_version(tmp_path: Path, store_url: str) -> None:
    hub = _bigbox_5010(tmp_path, store_url, version="004010")
    try:
        cycle(hub, "po.edi", interchange([_bigbox_po()]))
        cycle(hub, "945.edi", _with_bill_of_lading(ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")])))
        (held,) = _problems(hub)["held_shipments"]
        assert "guide bigbox-5010 is written for 005010, this 856 is 004010" in held["error"]
        assert "at ST, segment 1" in held["error"]
    finally:
        hub.close()


def test_the_marketplace_guide_passes_an_855_with_its_costs_holds_one_without_and_a_replay_sends_it(
    tmp_path: Path, store_url: str
) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, guide="marketplace-vendor", send_855=True)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        (ack,) = files(tmp_path / "partner-inbox", "855")
        assert _findings("marketplace-vendor", ack) == [] and b"ACK*IA*5*EA" in ack

        no_cost = order("PO-2", qty=5)
        no_cost.lines[0].unit_price = no_cost.lines[0].price_basis = None
        cycle(hub, "po-2.edi", interchange([no_cost], control=2))
        assert len(files(tmp_path / "partner-inbox", "855")) == 1, "the 855 without a cost is held"
        (doc,) = _problems(hub)["held_documents"]
        assert doc["kind"] == "855" and "PO104 is required in the set: it comes from the PO's unit cost" in doc["error"]
        assert "at PO1, segment 4, element 04" in doc["error"] and "retail-edi 5" in doc["error"]
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-2")["status"] == "held"  # type: ignore[index]

        # the fix: the buyer takes acknowledgments without a cost for lines it sent none for
        hub = _reload(hub, tmp_path, {"guide": _own_copy(tmp_path, "marketplace-vendor", "855", "PO1")})
        replay(hub, doc["parent_id"])
        hub.dispatcher("test").drain()
        acks = files(tmp_path / "partner-inbox", "855")
        assert len(acks) == 2 and any(b"BAK*00*AD*PO-2*" in a for a in acks)
        assert _problems(hub)["held_documents"] == []
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-2")["status"] != "held"  # type: ignore[index]
    finally:
        hub.close()


def _with_delivery_estimate(advice: bytes) -> bytes:
    """The 3PL's 945 with its estimated delivery date (G62*17), its SE count put right."""
    dated = advice.replace(b"G62*11*20261121~", b"G62*11*20261121~\nG62*17*20261126~")
    count = int(re.search(rb"SE\*(\d+)\*", dated)[1])  # type: ignore[index]
    return dated.replace(b"SE*%d*" % count, b"SE*%d*" % (count + 1))


def _marketplace(tmp_path: Path, store_url: str, **buyer: Any) -> Hub:
    return Hub(write_config(tmp_path, config(tmp_path, store_url, guide="marketplace-vendor", **buyer)))


def test_the_marketplace_guide_holds_an_856_without_a_delivery_date_naming_what_to_set_and_a_replay_sends_it(
    tmp_path: Path, store_url: str
) -> None:
    hub = _marketplace(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
        assert files(tmp_path / "partner-inbox", "856") == []
        (held,) = _problems(hub)["held_shipments"]
        reason = held["error"]
        assert "held by guide marketplace-vendor" in reason and "DTM*017 is required in HL[S] and missing" in reason
        assert "asn_transit_days" in reason and "G62*17" in reason, "the hold says what to configure"

        hub = _reload(hub, tmp_path, {"asn_transit_days": 3})  # the fix: the guide stays as shipped
        replay(hub, held["document_id"])
        hub.dispatcher("test").drain()
        (asn,) = files(tmp_path / "partner-inbox", "856")
        (invoice,) = files(tmp_path / "partner-inbox", "810")
        checked(asn)
        assert b"DTM*011*20261121" in asn and b"\nDTM*017*20261124~" in asn, "shipped on the 21st, 3 days on"
        assert _findings("marketplace-vendor", asn) == [] and _findings("marketplace-vendor", invoice) == []
        assert _problems(hub)["held_shipments"] == []
    finally:
        hub.close()


def test_the_marketplace_guide_passes_an_856_with_the_warehouses_delivery_estimate(
    tmp_path: Path, store_url: str
) -> None:
    hub = _marketplace(tmp_path, store_url, asn_transit_days=3)
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        cycle(hub, "945.edi", _with_delivery_estimate(ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")])))
        (asn,) = files(tmp_path / "partner-inbox", "856")
        checked(asn)
        assert b"\nDTM*017*20261126~" in asn, "the 945's own estimate wins over the transit days"
        assert _findings("marketplace-vendor", asn) == []
        assert len(files(tmp_path / "partner-inbox", "810")) == 1
    finally:
        hub.close()
