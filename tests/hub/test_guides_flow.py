"""Partner guides through the hub: what the partner's guide refuses is held with the rule and place named,
never sent, shown by ``status``, and sent by a replay once the configuration is fixed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from crossdock.core.configuration.config import ConfigProblems, load_config
from crossdock.core.hub import Hub
from crossdock.core.models import Carrier, Reference, Terms
from crossdock.core.pipeline import replay
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.invoice810 import invoice_from_810
from crossdock.views import status_lines
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.hub.test_ship_flow import checked, config, cycle, files

# a guide of the partner's own, in the configuration's folder: what today's writers send passes it
OWN_GUIDE = {
    "name": "northwind-own",
    "sets": {
        "855": [{"segment": "ACK", "in": "PO1", "use": "required", "source": "northwind 855 guide p. 3"}],
        "856": [
            {"segment": "N1*ST", "in": "HL[S]", "use": "required", "max": 1, "source": "northwind 856 guide p. 5"},
            {"segment": "MAN*GM", "in": "HL[P]", "use": "required", "source": "northwind 856 guide p. 9"},
        ],
        "810": [{"segment": "N1*ST", "use": "required", "source": "northwind 810 guide p. 2"}],
        "940": [{"segment": "W66", "use": "required", "source": "acme 940 guide p. 4"}],
    },
}


def _hub(tmp_path: Path, store_url: str, **buyer: Any) -> Hub:
    return Hub(write_config(tmp_path, config(tmp_path, store_url, **buyer)))


def _problems(hub: Hub) -> dict[str, Any]:
    with hub.store.transaction() as conn:
        return Queries(hub.store).problems(conn)


def _reload(hub: Hub, tmp_path: Path, change: dict[str, Any], partner: str = "northwind") -> Hub:
    """The configuration fixed: the partner's settings changed, the hub opened again over the same store."""
    path = tmp_path / "crossdock.yaml"
    data = yaml.safe_load(path.read_text())
    data["partners"][partner].update(change)
    data["partners"][partner] = {k: v for k, v in data["partners"][partner].items() if v is not None}
    path.write_text(yaml.safe_dump(data))
    hub.close()
    return Hub(load_config(path))


def test_the_big_box_guide_holds_a_shipment_whose_856_misses_what_it_requires_and_a_replay_sends_it(
    tmp_path: Path, store_url: str
) -> None:
    hub = _hub(tmp_path, store_url, guide="bigbox-4010")
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
        assert files(tmp_path / "partner-inbox", "856") == [] and files(tmp_path / "partner-inbox", "810") == []
        (held,) = _problems(hub)["held_shipments"]
        reason = held["error"]
        assert "REF*BM is required in HL[S] and missing" in reason and "at HL, segment 3" in reason, reason
        assert "N1*SF is required in HL[S] and missing" in reason, "no ship_from configured, none from the 3PL"
        lines = status_lines({}, _problems(hub))
        assert any(line.startswith("HELD shipment SHIP-1") and "REF*BM" in line for line in lines)
        with hub.store.transaction() as conn:
            assert hub.store.next_numbers(conn, "northwind", "isa") == 2, "the held 856 and 810 took no number"

        (tmp_path / "guide.yaml").write_text(yaml.safe_dump(OWN_GUIDE))
        hub = _reload(hub, tmp_path, {"guide": "guide.yaml"})
        replay(hub, held["document_id"])
        hub.dispatcher("test").drain()
        assert len(files(tmp_path / "partner-inbox", "856")) == 1 and len(files(tmp_path / "partner-inbox", "810")) == 1
        assert _problems(hub)["held_shipments"] == []
    finally:
        hub.close()


def test_the_big_box_guide_holds_an_855_without_a_schedule_date_and_passes_it_with_one(
    tmp_path: Path, store_url: str
) -> None:
    hub = _hub(tmp_path, store_url, guide="bigbox-4010", send_855=True)
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        assert files(tmp_path / "partner-inbox", "855") == []
        (doc,) = _problems(hub)["held_documents"]
        assert doc["kind"] == "855" and "ACK04 is required in PO1" in doc["error"], doc["error"]
        assert "element 04" in doc["error"] and "crossdock replay" in doc["error"]
        assert len(files(tmp_path / "3pl", "940")) == 1, "the 3PL has no guide: its 940 is sent"
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "held"  # type: ignore[index]

        hub = _reload(hub, tmp_path, {"ack_ship_date": True, "ack_lead_days": 2})  # the fix: the guide stays
        replay(hub, doc["parent_id"])
        hub.dispatcher("test").drain()
        (ack,) = files(tmp_path / "partner-inbox", "855")
        assert b"ACK*IA*5*EA*068*" in ack, "the big-box guide passes the 855 with its schedule date"
        assert _problems(hub)["held_documents"] == []
        assert len(files(tmp_path / "3pl", "940")) == 1, "the replay sent the 855 only"
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] != "held"  # type: ignore[index]
    finally:
        hub.close()


def test_a_3pl_guide_holds_the_940_until_fixed(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(OWN_GUIDE))
    cfg = config(tmp_path, store_url)
    cfg["partners"]["acme3pl"]["guide"] = "acme.yaml"
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        assert files(tmp_path / "3pl", "940") == []
        (doc,) = _problems(hub)["held_documents"]
        assert doc["partner"] == "acme3pl" and "W66 is required in the set and missing" in doc["error"]
        assert "acme 940 guide p. 4" in doc["error"]

        hub = _reload(hub, tmp_path, {"guide": None}, partner="acme3pl")
        replay(hub, doc["parent_id"])
        hub.dispatcher("test").drain()
        assert len(files(tmp_path / "3pl", "940")) == 1
    finally:
        hub.close()


def test_a_partner_without_a_guide_is_sent_as_before(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url)
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
        assert len(files(tmp_path / "partner-inbox", "856")) == 1
        assert _problems(hub)["held_documents"] == []
    finally:
        hub.close()


def test_a_guide_that_cannot_be_found_is_a_configuration_problem_with_its_key(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url, guide="walmart")
    with pytest.raises(ConfigProblems) as caught:
        write_config(tmp_path, cfg)
    assert "partners.northwind.guide" in str(caught.value) and "no guide named 'walmart'" in str(caught.value)
    (tmp_path / "bad.yaml").write_text("name: bad\nsets:\n  '856':\n    - segment: REF*BM\n")
    with pytest.raises(ConfigProblems, match=r"sets\.856\.0\.source"):
        write_config(tmp_path, config(tmp_path, store_url, guide="bad.yaml"))


def test_the_big_box_guide_passes_an_856_and_810_that_have_what_it_requires(tmp_path: Path, store_url: str) -> None:
    """The PO's vendor number, department and terms, our ship-from and remit-to in the configuration, the 3PL's
    bill of lading: the 856 and 810 carry what the big-box guide requires, and are sent."""
    party = {"name": "CROSSDOCK", "id_qualifier": "92", "id": "V1"}
    cfg = config(tmp_path, store_url, guide="bigbox-4010", invoice_parties={"SU": party, "RE": party})
    cfg["ship_from"] = {"company": {**party, "address": ["1 DOCK RD"], "city": "OAKLAND", "state": "CA"}}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        po = order("PO-1", qty=5)
        po.references = [Reference(qualifier="IA", value="123456"), Reference(qualifier="DP", value="042")]
        po.terms = [Terms(type_code="01", basis_date_code="3", net_days=30)]
        cycle(hub, "po.edi", interchange([po]))
        advice = ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")])
        with_bol = advice.replace(b"G62*11*20261121~", b"N9*BM*BOL123~\nG62*11*20261121~")
        count = int(re.search(rb"SE\*(\d+)\*", with_bol)[1])  # type: ignore[index]
        report = cycle(hub, "945.edi", with_bol.replace(b"SE*%d*" % count, b"SE*%d*" % (count + 1)))
        assert report.processed[0].error is None, report.processed[0].error
        assert _problems(hub)["held_shipments"] == [] and _problems(hub)["held_documents"] == []
        (asn,) = files(tmp_path / "partner-inbox", "856")
        assert shipment_from_856(checked(asn)).bill_of_lading == "BOL123"
        (inv,) = files(tmp_path / "partner-inbox", "810")
        assert invoice_from_810(checked(inv)).po_number == "PO-1"
    finally:
        hub.close()


def _controls(folder: Path) -> list[tuple[int, int]]:
    """ISA13 and GS06 of every interchange sent to a folder, in the order they were numbered."""
    found = []
    for path in folder.glob("*.edi"):
        data = path.read_bytes()
        isa13 = int(data[90:99])
        gs06 = int(re.search(rb"GS\*(?:[^*]*\*){5}(\d+)\*", data)[1])  # type: ignore[index]
        found.append((isa13, gs06))
    return sorted(found)


def test_a_held_855_takes_no_control_numbers_so_the_partner_sees_no_gap(tmp_path: Path, store_url: str) -> None:
    hub = _hub(tmp_path, store_url, guide="bigbox-4010", send_855=True)
    try:
        cycle(hub, "po1.edi", interchange([order("PO-1", qty=5)]))
        (held,) = _problems(hub)["held_documents"]
        assert held["kind"] == "855" and held["interchange_control"] is None and held["group_control"] is None
        cycle(hub, "po2.edi", interchange([order("PO-2", qty=5)], control=2))
        sent = _controls(tmp_path / "partner-inbox")
        assert files(tmp_path / "partner-inbox", "855") == []
        assert sent == [(n, n) for n in range(1, len(sent) + 1)] and len(sent) >= 2, sent

        hub = _reload(hub, tmp_path, {"ack_ship_date": True, "ack_lead_days": 2})
        replay(hub, held["parent_id"])
        hub.dispatcher("test").drain()
        after = _controls(tmp_path / "partner-inbox")
        assert after == [(n, n) for n in range(1, len(sent) + 2)], after  # PO-1's 855, released, takes the next
        (ack,) = [f for f in files(tmp_path / "partner-inbox", "855") if b"BAK*00*AD*PO-1" in f]
        assert int(ack[90:99]) > sent[-1][0]
    finally:
        hub.close()


def test_a_held_940_takes_no_control_numbers_so_the_3pl_sees_no_gap(tmp_path: Path, store_url: str) -> None:
    (tmp_path / "acme.yaml").write_text(yaml.safe_dump(OWN_GUIDE))
    cfg = config(tmp_path, store_url)
    cfg["partners"]["acme3pl"]["guide"] = "acme.yaml"
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po1.edi", interchange([order("PO-1", qty=5)]))  # no carrier: no W66, held
        (held,) = _problems(hub)["held_documents"]
        assert held["partner"] == "acme3pl" and held["interchange_control"] is None
        carried = order("PO-2", qty=5)
        carried.carriers = [Carrier(routing_sequence="B", id_qualifier="2", scac="UPSN", mode="M")]
        cycle(hub, "po2.edi", interchange([carried], control=2))
        assert _controls(tmp_path / "3pl") == [(1, 1)], "the 940 sent after the held one takes the first numbers"

        hub = _reload(hub, tmp_path, {"guide": None}, partner="acme3pl")
        replay(hub, held["parent_id"])
        hub.dispatcher("test").drain()
        assert _controls(tmp_path / "3pl") == [(1, 1), (2, 2)]
        (released,) = [f for f in files(tmp_path / "3pl", "940") if b"W05*N*PO-1" in f]
        assert int(released[90:99]) == 2
    finally:
        hub.close()


def test_a_days_810s_held_by_the_guide_take_no_numbers_and_a_replay_sends_them(tmp_path: Path, store_url: str) -> None:
    from crossdock.core.fulfilment.invoicing import invoice_day

    ia = {"segment": "REF*IA", "use": "required", "source": "northwind 810 guide p. 7"}
    strict = {**OWN_GUIDE, "sets": {**OWN_GUIDE["sets"], "810": [ia]}}
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(strict))
    hub = _hub(tmp_path, store_url, guide="strict.yaml", invoice="daily")
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
        before = _controls(tmp_path / "partner-inbox")
        assert invoice_day(hub, "northwind") == 0
        (held,) = _problems(hub)["held_documents"]
        assert held["kind"] == "810" and "REF*IA is required" in held["error"] and "crossdock replay" in held["error"]
        assert invoice_day(hub, "northwind") == 0, "the next run holds them again"
        (again,) = _problems(hub)["held_documents"]
        assert again["id"] != held["id"], "the new held interchange replaces the old one"
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "shipped"  # type: ignore[index]

        (tmp_path / "strict.yaml").write_text(yaml.safe_dump(OWN_GUIDE))  # the fix: the guide in place
        result = replay(hub, again["id"])
        assert result.state == "processed", result.error
        hub.dispatcher("test").drain()
        (day,) = files(tmp_path / "partner-inbox", "810")
        assert b"BIG*" in day and b"*000001*" in day, "the held interchange took no invoice number"
        assert _controls(tmp_path / "partner-inbox") == [(n, n) for n in range(1, len(before) + 2)]
        assert _problems(hub)["held_documents"] == []
        with hub.store.transaction() as conn:
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "invoiced"  # type: ignore[index]
    finally:
        hub.close()
