"""The ship flow on folders: order -> 940 to the 3PL -> 945 back -> 856 and 810 to the buyer."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crossdock.core.hub import Hub
from crossdock.core.plan import warehouse_order_number
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.mappings.x12.asn856 import shipment_from_856
from crossdock.mappings.x12.invoice810 import invoice_from_810
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.sscc import is_valid_sscc
from crossdock.mappings.x12.validator import status, validate
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order, ship_advice
from tests.x12.written import read_back


def config(tmp_path: Path, store_url: str, **buyer: Any) -> dict[str, Any]:
    cfg = base_config(tmp_path, store_url)
    settings = {"send_855": False, "asn_profile": "SOPI", "gs1_prefix": "0614141", "invoice": "on_shipment"}
    cfg["partners"]["northwind"].update({**settings, **buyer})
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl-out"}
    cfg["sinks"]["3pl-out"] = {
        "type": "folder",
        "path": str(tmp_path / "3pl"),
        "format": "x12-940",
        "partner": "acme3pl",
        "depositor": "CROSSDOCK",
    }
    cfg["routing"] = {"default": "3pl-out"}
    return cfg


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Any:
    h = Hub(write_config(tmp_path, config(tmp_path, store_url)))
    yield h
    h.close()


def cycle(hub: Hub, name: str, data: bytes) -> Any:
    (Path(hub.config.sources["drop"].path) / name).write_bytes(data)  # type: ignore[union-attr]
    report = poll(hub, "drop", "me")
    hub.dispatcher("test").drain()
    return report


def files(folder: Path, kind: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob(f"*-{kind}-*.edi"))] if folder.exists() else []


def checked(data: bytes) -> Any:
    (ic,) = parse(data)
    (ts,) = ic.groups[0].transactions
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]
    return ts


def test_an_order_goes_to_the_3pl_as_a_940_and_its_945_brings_back_856_and_810(hub: Hub, tmp_path: Path) -> None:
    cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
    (w940,) = files(tmp_path / "3pl", "940")
    ts940 = checked(w940)
    assert ts940.texts[1].startswith("W05*N*PO-1")
    assert parse(w940)[0].receiver_id == "ACME3PL"

    report = cycle(
        hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU"), ("0002", 5, 5, "KTL-STL")])
    )
    assert report.processed[0].shipments == 1 and report.processed[0].error is None
    (asn,) = files(tmp_path / "partner-inbox", "856")
    shipment = shipment_from_856(checked(asn))
    assert shipment.shipment_id == "SHIP-1"
    (shipped,) = shipment.orders
    assert shipped.po_number == "PO-1"
    (package,) = shipped.packages
    assert package.sscc is not None and package.sscc.startswith("00614141") and is_valid_sscc(package.sscc)
    assert [(line.line_number, line.quantity) for line in package.lines] == [("0001", 5), ("0002", 5)]
    (inv,) = files(tmp_path / "partner-inbox", "810")
    invoice = invoice_from_810(checked(inv))
    assert invoice.po_number == "PO-1" and invoice.total_amount == Decimal("125.00")
    with hub.store.transaction() as conn:
        assert Queries(hub.store).order(conn, "PO-1")["status"] == "invoiced"  # type: ignore[index]


def test_a_945_read_twice_answers_once(hub: Hub, tmp_path: Path) -> None:
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    cycle(hub, "945a.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=50))
    again = cycle(hub, "945b.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=51))
    assert again.processed[0].shipments == 0
    assert len(files(tmp_path / "partner-inbox", "856")) == 1 and len(files(tmp_path / "partner-inbox", "810")) == 1


def test_partial_shipments_move_the_status_and_each_get_their_856(hub: Hub, tmp_path: Path) -> None:
    cycle(hub, "po.edi", interchange([order("PO-1", qty=10)]))
    cycle(hub, "945a.edi", ship_advice("PO-1", "SHIP-1", [("0001", 10, 4, "MUG-BLU")], control=50))
    with hub.store.transaction() as conn:
        assert Queries(hub.store).order(conn, "PO-1")["status"] == "partially shipped"  # type: ignore[index]
    cycle(hub, "945b.edi", ship_advice("PO-1", "SHIP-2", [("0001", 10, 6, "MUG-BLU")], control=51))
    with hub.store.transaction() as conn:
        assert Queries(hub.store).order(conn, "PO-1")["status"] == "invoiced"  # type: ignore[index]
    asns = [shipment_from_856(checked(d)) for d in files(tmp_path / "partner-inbox", "856")]
    assert sorted(s.shipment_id for s in asns) == ["SHIP-1", "SHIP-2"]
    ssccs = [p.sscc for s in asns for o in s.orders for p in o.packages]
    assert len(set(ssccs)) == 2, "SSCC serials are never reused"


@pytest.mark.parametrize(
    ("advice", "reason"),
    [
        (ship_advice("PO-404", "SHIP-9", [("0001", 5, 5, "MUG-BLU")]), "no order with PO number 'PO-404'"),
        (ship_advice("PO-1", "SHIP-9", [("0001", 5, 7, "MUG-BLU")]), "ships 7 of 5 ordered"),
        (ship_advice("PO-1", "SHIP-9", [("0009", 5, 5, "NOT-ORDERED")]), "is not on order PO-1"),
    ],
)
def test_a_shipment_that_cannot_be_answered_is_held_with_its_reason(
    hub: Hub, tmp_path: Path, advice: bytes, reason: str
) -> None:
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    report = cycle(hub, "945.edi", advice)
    assert report.processed[0].shipments == 0
    assert report.processed[0].error is not None and reason in report.processed[0].error
    assert files(tmp_path / "partner-inbox", "856") == []
    with hub.store.transaction() as conn:
        (held,) = Queries(hub.store).problems(conn)["held_shipments"]
    assert held["external_id"] == "SHIP-9" and reason in held["error"]


def test_overshipment_is_accepted_when_the_partner_allows_it(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, allow_overship=True)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 7, "MUG-BLU")]))
        assert report.processed[0].shipments == 1
    finally:
        hub.close()


def test_without_a_gs1_prefix_a_pick_and_pack_asn_is_held(tmp_path: Path, store_url: str) -> None:
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, gs1_prefix=None)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
        report = cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
        assert report.processed[0].error is not None and "has no gs1_prefix" in report.processed[0].error
    finally:
        hub.close()


def _sent(hub: Hub, kind: str) -> dict[str, Any]:
    with hub.store.transaction() as conn:
        (doc,) = [d for d in Queries(hub.store).documents(conn, direction="out") if d["kind"] == kind]
    return doc


def _their_997(ours: bytes, reject: bool = False) -> bytes:
    from crossdock.mappings.x12.ack import acknowledge_file

    text = acknowledge_file(ours)
    if reject:
        text = text.replace("AK5*A~", "AK3*HL*4**8~AK4*3*735*7*X~AK5*R*5~")
        text = text.replace("AK9*A*1*1*1~", "AK9*R*1*1*0~")
        text = re.sub(r"SE\*(\d+)\*", lambda m: f"SE*{int(m.group(1)) + 2}*", text)  # two segments added
    return text.encode()


def _shipped(hub: Hub, tmp_path: Path) -> bytes:
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")]))
    (asn,) = files(tmp_path / "partner-inbox", "856")
    return asn


def test_the_partners_997_is_matched_to_what_we_sent_by_control_numbers(hub: Hub, tmp_path: Path) -> None:
    asn = _shipped(hub, tmp_path)
    assert _sent(hub, "856")["ack_state"] == "waiting"
    report = cycle(hub, "997.edi", _their_997(asn))
    assert report.processed[0].error is None and report.processed[0].acks == 0, "nobody acknowledges a 997"
    assert _sent(hub, "856")["ack_state"] == "accepted"
    assert _sent(hub, "810")["ack_state"] == "waiting", "the 810 is another group: still waiting"


def test_a_rejection_keeps_the_partners_reasons_and_shows_in_status(hub: Hub, tmp_path: Path) -> None:
    asn = _shipped(hub, tmp_path)
    cycle(hub, "997.edi", _their_997(asn, reject=True))
    doc = _sent(hub, "856")
    assert doc["ack_state"] == "rejected" and "HL" in doc["ack_detail"] and "735" in doc["ack_detail"]
    with hub.store.transaction() as conn:
        shown = Queries(hub.store).problems(conn)["unacknowledged_documents"]
    assert [d["id"] for d in shown] == [doc["id"]]


def test_an_acknowledgment_for_nothing_we_sent_is_a_problem(hub: Hub, tmp_path: Path) -> None:
    asn = _shipped(hub, tmp_path)
    stray = _their_997(asn).replace(b"AK1*SH*", b"AK1*SH*9")
    report = cycle(hub, "997.edi", stray)
    assert (
        report.processed[0].error is not None and "matches no document sent to northwind" in report.processed[0].error
    )


def _their_ta1(ours: bytes, code: str, note: str, *, about: str | None = None, control: int = 777) -> bytes:
    """The buyer's TA1-only interchange about ours: ISA sender and receiver swapped, TA101-103 from our ISA."""
    isa = ours[:106].decode().split("*")
    isa[5:9] = isa[7], isa[8], isa[5], isa[6]
    isa[13] = f"{control:09d}"
    ta1 = f"TA1*{about or parse(ours)[0].control}*{isa[9]}*{isa[10]}*{code}*{note}~\n"
    return ("*".join(isa) + "\n" + ta1 + f"IEA*0*{control:09d}~\n").encode()


def _alerted(hub: Hub, tmp_path: Path) -> list[str]:
    hub.dispatcher("test").drain()
    folder = tmp_path / "alerts"
    return [p.read_text() for p in sorted(folder.iterdir())] if folder.exists() else []


def _with_alerts(tmp_path: Path, store_url: str) -> Hub:
    cfg = config(tmp_path, store_url)
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    return Hub(write_config(tmp_path, cfg))


def test_a_ta1_rejecting_our_interchange_rejects_its_document_with_the_note_and_one_alert(
    tmp_path: Path, store_url: str
) -> None:
    hub = _with_alerts(tmp_path, store_url)
    try:
        asn = _shipped(hub, tmp_path)
        before = sorted(p.name for p in (tmp_path / "partner-inbox").iterdir())
        report = cycle(hub, "ta1.edi", _their_ta1(asn, "R", "006"))
        assert report.processed[0].error is None and report.processed[0].acks == 0, "nobody answers a TA1"
        assert sorted(p.name for p in (tmp_path / "partner-inbox").iterdir()) == before
        doc = _sent(hub, "856")
        assert doc["ack_state"] == "rejected"
        assert doc["ack_detail"] == "interchange rejected (TA1 note 006: invalid interchange sender ID)"
        assert _sent(hub, "810")["ack_state"] == "waiting", "the 810 went in its own interchange"
        with hub.store.transaction() as conn:
            shown = Queries(hub.store).problems(conn)["unacknowledged_documents"]
            events = Queries(hub.store).document(conn, doc["id"])["events"]  # type: ignore[index]
        assert [d["id"] for d in shown] == [doc["id"]]
        assert any("interchange rejected (TA1 note 006" in e["message"] for e in events)
        (alert,) = _alerted(hub, tmp_path)
        assert "northwind rejected 856" in alert and "invalid interchange sender ID" in alert
        assert f"crossdock resend {doc['id']}" in alert

        cycle(hub, "ta1-again.edi", _their_ta1(asn, "R", "006", control=778))
        assert len(_alerted(hub, tmp_path)) == 1, "one alert per document, however often it is rejected"
    finally:
        hub.close()


def test_a_ta1_accepting_our_interchange_leaves_the_997_to_decide(hub: Hub, tmp_path: Path) -> None:
    asn = _shipped(hub, tmp_path)
    report = cycle(hub, "ta1.edi", _their_ta1(asn, "A", "000"))
    assert report.processed[0].error is None
    doc = _sent(hub, "856")
    assert doc["ack_state"] == "waiting"
    with hub.store.transaction() as conn:
        events = Queries(hub.store).document(conn, doc["id"])["events"]  # type: ignore[index]
    assert any(e["message"].endswith("interchange accepted (TA1 note 000: no error) by northwind") for e in events)
    cycle(hub, "997.edi", _their_997(asn))
    assert _sent(hub, "856")["ack_state"] == "accepted"


def test_a_ta1_for_an_interchange_we_never_sent_is_a_problem(hub: Hub, tmp_path: Path) -> None:
    asn = _shipped(hub, tmp_path)
    report = cycle(hub, "ta1.edi", _their_ta1(asn, "R", "006", about="000099999"))
    error = report.processed[0].error
    assert error is not None and "TA1 for interchange 000099999 matches no interchange sent to northwind" in error
    assert _sent(hub, "856")["ack_state"] == "waiting"


def test_a_997_rejecting_a_document_raises_one_alert(tmp_path: Path, store_url: str) -> None:
    hub = _with_alerts(tmp_path, store_url)
    try:
        asn = _shipped(hub, tmp_path)
        cycle(hub, "997.edi", _their_997(asn, reject=True))
        (alert,) = _alerted(hub, tmp_path)
        assert "northwind rejected 856" in alert and "735" in alert
        cycle(hub, "997-accept.edi", _their_997(asn))
        assert len(_alerted(hub, tmp_path)) == 1
    finally:
        hub.close()


def test_a_late_997_makes_the_document_overdue_with_one_alert_and_resend_starts_again(
    tmp_path: Path, store_url: str
) -> None:
    from crossdock.core.acknowledgments.reconcile import mark_overdue, resend

    cfg = config(tmp_path, store_url, ack_windows={"856": 0, "810": 3600})
    cfg["sinks"]["people"] = {"type": "folder", "path": str(tmp_path / "alerts")}
    cfg["alerts"] = {"sink": "people"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        _shipped(hub, tmp_path)
        assert mark_overdue(hub) == 1
        assert mark_overdue(hub) == 0, "overdue once"
        hub.dispatcher("test").drain()
        (alert,) = list((tmp_path / "alerts").iterdir())
        assert "no 997 from northwind for 856" in alert.read_text()
        original = _sent(hub, "856")
        assert original["ack_state"] == "overdue"
        copy_id = resend(hub, original["id"])
        hub.dispatcher("test").drain()
        with hub.store.transaction() as conn:
            copy = Queries(hub.store).document(conn, copy_id)
            first = Queries(hub.store).document(conn, original["id"])
        assert copy is not None and first is not None
        assert copy["parent_id"] == original["id"] and first["ack_state"] == "resent"
        assert int(copy["interchange_control"]) > int(original["interchange_control"])
        asns = files(tmp_path / "partner-inbox", "856")
        assert len(asns) == 2
        assert {parse(d)[0].control for d in asns} == {
            f"{int(original['interchange_control']):09d}",
            f"{int(copy['interchange_control']):09d}",
        }
        checked(asns[1])
    finally:
        hub.close()


def test_a_csv_ship_file_is_answered_like_a_945(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url)
    cfg["sources"]["shipfile"] = {
        "type": "folder",
        "path": str(tmp_path / "shipfiles"),
        "min_age": 0,
        "format": "csv-shipments",
        "partner": "acme3pl",
        "shipment_columns": {
            "shipment_id": "Shipment",
            "po_number": "PO",
            "ship_date": "Date",
            "line_number": "Line",
            "quantity": "Qty",
            "tracking_number": "Tracking",
        },
    }
    (tmp_path / "shipfiles").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=5)]))
        (tmp_path / "shipfiles" / "ship.csv").write_text(
            "Shipment,PO,Date,Line,Qty,Tracking\nS7,PO-1,2026-11-21,0001,5,1Z9\nS7,PO-1,2026-11-21,0002,5,1Z9\n"
        )
        report = poll(hub, "shipfile", "me")
        hub.dispatcher("test").drain()
        assert report.processed[0].shipments == 1 and report.processed[0].error is None
        (asn,) = files(tmp_path / "partner-inbox", "856")
        shipment = shipment_from_856(checked(asn))
        assert shipment.shipment_id == "S7" and shipment.orders[0].packages[0].tracking_number == "1Z9"
        (tmp_path / "shipfiles" / "bad.csv").write_text("Shipment,PO,Date,Line,Qty,Tracking\nS8,PO-1,,0001,lots,\n")
        bad = poll(hub, "shipfile", "me").processed[0]
        assert bad.state == "failed" and bad.error is not None and "bad.csv row 2 column 'Qty'" in bad.error
    finally:
        hub.close()


def test_a_shipment_whose_856_cannot_be_written_is_held_and_returns_its_numbers(tmp_path: Path, store_url: str) -> None:
    cfg = config(tmp_path, store_url)
    cfg["partners"]["northwind"]["invoice"] = "none"
    cfg["sources"]["shipfile"] = {
        "type": "folder",
        "path": str(tmp_path / "shipfiles"),
        "min_age": 0,
        "format": "csv-shipments",
        "partner": "acme3pl",
        "shipment_columns": {
            "shipment_id": "Shipment",
            "po_number": "PO",
            "ship_date": "Date",
            "line_number": "Line",
            "quantity": "Qty",
        },
    }
    (tmp_path / "shipfiles").mkdir()
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5), order("PO-2", qty=5)]))
        (tmp_path / "shipfiles" / "ship.csv").write_text(
            "Shipment,PO,Date,Line,Qty\nS*1,PO-1,2026-11-21,0001,5\nS2,PO-2,2026-11-21,0001,5\n"
        )
        result = poll(hub, "shipfile", "me").processed[0]
        hub.dispatcher("test").drain()
        assert result.error is not None and "shipment S*1 for PO PO-1 held" in result.error
        (asn,) = files(tmp_path / "partner-inbox", "856")
        assert shipment_from_856(checked(asn)).shipment_id == "S2"
        with hub.store.transaction() as conn:
            assert hub.store.next_numbers(conn, "northwind", "isa") == 3, "the 997 took 1, S2's 856 took 2: no gap"
            assert Queries(hub.store).order(conn, "PO-1")["status"] == "delivered"  # type: ignore[index]
            assert [s["external_id"] for s in Queries(hub.store).problems(conn)["held_shipments"]] == ["S*1"]
    finally:
        hub.close()


def test_daily_invoicing_sends_the_days_810s_in_one_interchange_once(tmp_path: Path, store_url: str) -> None:
    from crossdock.core.fulfilment.invoicing import invoice_day

    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, invoice="daily")))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5), order("PO-2", qty=5)]))
        cycle(hub, "945a.edi", ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=50))
        cycle(hub, "945b.edi", ship_advice("PO-2", "SHIP-2", [("0001", 5, 2, "MUG-BLU")], control=51))
        assert files(tmp_path / "partner-inbox", "810") == []
        assert invoice_day(hub, "northwind") == 2
        assert invoice_day(hub, "northwind") == 0, "a shipment is invoiced once"
        hub.dispatcher("test").drain()
        (day,) = files(tmp_path / "partner-inbox", "810")
        (ic,) = parse(day)
        sets = ic.groups[0].transactions
        assert [ts.code for ts in sets] == ["810", "810"] and [ts.control for ts in sets] == ["0004", "0005"]
        totals = [invoice_from_810(ts).total_amount for ts in sets]
        assert totals == [Decimal("62.50"), Decimal("25.00")]
        with hub.store.transaction() as conn:
            statuses = {o["po_number"]: o["status"] for o in Queries(hub.store).orders(conn)}
        assert statuses == {"PO-1": "invoiced", "PO-2": "partially shipped"}
        theirs = _their_997(day).decode()
        theirs = re.sub(r"(AK2\*810\*0005~\n?)AK5\*A~", r"\1AK5*R*5~", theirs).replace("AK9*A*2*2*2", "AK9*P*2*2*1")
        assert "AK5*R*5~" in theirs
        cycle(hub, "997.edi", theirs.encode())
        assert _sent(hub, "810")["ack_state"] == "rejected", "the second invoice of the day was refused"
    finally:
        hub.close()


@pytest.mark.parametrize("profile", ["SOPI", "SOTPI"])
def test_golden_documents_for_each_pack_profile(
    tmp_path: Path, store_url: str, profile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 940, 856 and 810 the hub writes, byte for byte, for pick-and-pack and for the pallet profile."""
    import datetime as dt

    from crossdock.core import order_deliveries, render
    from crossdock.core.fulfilment import answers, shipping
    from tests.golden import assert_golden

    fixed = dt.datetime(2026, 11, 21, 14, 30)
    for module in (order_deliveries, render, shipping, answers):
        monkeypatch.setattr(module, "created_now", lambda: fixed)
    hub = Hub(write_config(tmp_path, config(tmp_path, store_url, asn_profile=profile)))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", skus=("MUG-BLU", "KTL-STL"), qty=4)]))
        cycle(hub, "945.edi", ship_advice("PO-1", "SHIP-1", [("0001", 4, 4, "MUG-BLU"), ("0002", 4, 3, "KTL-STL")]))
    finally:
        hub.close()
    cases = Path(__file__).resolve().parents[1] / "cases" / "hub" / profile.lower()
    (w940,) = files(tmp_path / "3pl", "940")
    (asn,) = files(tmp_path / "partner-inbox", "856")
    (inv,) = files(tmp_path / "partner-inbox", "810")
    for name, data in (("940.edi", w940), ("856.edi", asn), ("810.edi", inv)):
        read_back(data)
        assert_golden(cases / name, data)
    hl = [t.split("*")[3] for t in checked(asn).texts if t.startswith("HL*")]
    assert hl == ["S", "O", "P", "I", "I"]  # the 945 names no pallet: SOTPI gets no tare level nobody built


def test_a_buyer_that_takes_several_interchanges_a_file_gets_one_file_and_its_997s_still_match(
    tmp_path: Path, store_url: str
) -> None:
    cfg = config(tmp_path, store_url)
    cfg["sinks"]["northwind-inbox"]["interchanges_per_file"] = 10
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "po.edi", interchange([order("PO-1", qty=5), order("PO-2", qty=5)]))
        drop = tmp_path / "drop"
        (drop / "945-1.edi").write_bytes(ship_advice("PO-1", "SHIP-1", [("0001", 5, 5, "MUG-BLU")], control=51))
        (drop / "945-2.edi").write_bytes(ship_advice("PO-2", "SHIP-2", [("0001", 5, 5, "MUG-BLU")], control=52))
        poll(hub, "drop", "me")
        hub.dispatcher("test").drain()
        bundle, ack_850 = sorted((tmp_path / "partner-inbox").iterdir())  # the 997 went in the first round
        assert ack_850.name.startswith("northwind-997-") and bundle.name.startswith("northwind-856-PO-1-")
        interchanges = parse(bundle.read_bytes())
        kinds = [ic.groups[0].transactions[0].texts[0][3:6] for ic in interchanges]
        assert sorted(kinds) == ["810", "810", "856", "856"]
        for ic in interchanges:
            (ts,) = ic.groups[0].transactions
            validate(ts)
            assert not ic.errors and status(ts) == "accepted", [str(e) for e in ts.errors]
        assert {d["remote_ref"] for d in _answers(hub)} == {str(bundle)}, "each delivery names the file it went in"
        assert {d["ack_state"] for d in _answers(hub)} == {"waiting"}

        cycle(hub, "997.edi", _their_997(bundle.read_bytes()))
        assert [d["ack_state"] for d in _answers(hub)] == ["accepted"] * 4
    finally:
        hub.close()


def _answers(hub: Hub) -> list[dict[str, Any]]:
    """Each 856 and 810 sent, with the remote reference of its delivery."""
    queries = Queries(hub.store)
    with hub.store.transaction() as conn:
        docs = [queries.document(conn, d["id"]) for d in queries.documents(conn, direction="out")]
    answers = [d for d in docs if d is not None and d["kind"] in ("856", "810")]
    for d in answers:
        (delivery,) = d["deliveries"]
        d["remote_ref"] = delivery["remote_ref"]
    return answers


def test_two_partners_po_1001_get_their_own_940_numbers_and_the_945_finds_its_order_by_it(
    tmp_path: Path, store_url: str
) -> None:
    cfg = config(tmp_path, store_url)
    cfg["partners"]["southwind"] = {**cfg["partners"]["northwind"], "isa_id": "SOUTHWIND", "reply_to": "south-inbox"}
    cfg["sinks"]["south-inbox"] = {"type": "folder", "path": str(tmp_path / "south-inbox")}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        cycle(hub, "north.edi", interchange([order("1001", qty=5)]))
        cycle(hub, "south.edi", interchange([order("1001", qty=5)], sender="SOUTHWIND", control=2))
        numbers = [checked(data).texts[1].split("*")[2] for data in files(tmp_path / "3pl", "940")]
        assert len(set(numbers)) == 2 and all(n.startswith("1001-") and len(n) <= 22 for n in numbers), numbers
        by_partner = {}
        for n in numbers:
            for who in ("northwind", "southwind"):
                if n == warehouse_order_number("x12", who, "1001", "1001"):
                    by_partner[who] = n
        assert set(by_partner) == {"northwind", "southwind"}
        advice = ship_advice("1001", "SHIP-S", [("0001", 5, 5, "MUG-BLU")], depositor_order=by_partner["southwind"])
        report = cycle(hub, "945.edi", advice)
        assert report.processed[0].error is None and report.processed[0].shipments == 1
        assert len(files(tmp_path / "south-inbox", "856")) == 1 and files(tmp_path / "partner-inbox", "856") == []
        plain = ship_advice("1001", "SHIP-P", [("0001", 5, 5, "MUG-BLU")], control=51)
        held = cycle(hub, "945-po-only.edi", plain).processed[0]
        assert held.error is not None and "2 orders carry PO number '1001'" in held.error, "a PO alone is ambiguous"
    finally:
        hub.close()
