"""945 -> Shipment: both public 945s (each defective) and one written by us with packages and a partial line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Shipment
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.whship945 import shipment_from_945
from tests.conftest import CORPUS

X12 = CORPUS / "x12"


def shipments(path: str) -> list[Shipment]:
    return [shipment_from_945(ts) for ts in read_transactions(X12 / path) if ts.code == "945"]


def test_x12types_945_with_wrong_se01() -> None:
    (shipment,) = shipments("945/x12types_5010_w06-w12-w03_se01-wrong.edi")
    assert shipment.purpose == "F"  # W0601
    assert shipment.shipment_id == "BOL12345"  # W0604
    assert shipment.ship_date == date(2019, 6, 4)  # W0603 (G62*10 is only the requested date)
    assert (shipment.transport_mode, shipment.carrier_scac, shipment.carrier_service) == (
        "M",
        "NPLT",
        "NORTHPOINT TRANSPOR",
    )
    assert (shipment.gross_weight, shipment.weight_uom) == (Decimal(15000), "LB")
    assert [(p.role, p.name) for p in shipment.parties] == [("ST", "CUSTOMER XYZ"), ("SF", None)]
    ship_to = shipment.parties[0]
    assert ship_to.address is not None and ship_to.address.postal_code == "66216-4563"
    assert shipment.parties[1].id == "CHI"
    assert ("DO", "IF102") in [(r.qualifier, r.value) for r in shipment.references]  # W0602 depositor order
    assert ("LV", "LPN6569") in [(r.qualifier, r.value) for r in shipment.references]
    (order,) = shipment.orders
    assert order.po_number == "PO9865"  # W0606
    assert order.reference == "IF102", "W0602, the number crossdock's 940 gave the order, names it"
    (line,) = order.lines
    assert (line.quantity, line.ordered_quantity, line.uom) == (Decimal(3000), Decimal(3000), "EA")
    assert line.product_ids == {"VN": "123456789"}
    assert line.lot == "LOT12314"
    assert line.description == "WIDGETS 100 PER BOX"
    assert shipment.status == "complete"


def test_oopfactory_945_with_ten_element_gs() -> None:
    (shipment,) = shipments("malformed/oopfactory_945_gs-extra-elements.edi")
    assert shipment.purpose == "N"
    assert shipment.shipment_id == "2144"
    assert shipment.ship_date == date(2002, 9, 16)  # G62*11
    assert shipment.delivery_date is None  # no G62*17
    assert (shipment.transport_mode, shipment.carrier_scac) == ("M", "NA")
    assert [(p.role, p.id_qualifier, p.id) for p in shipment.parties] == [
        ("BT", "9", "0733940588254"),
        ("ST", "9", "0733940588254"),
    ]
    assert shipment.tracking_numbers == ["K018293-00010", "K018273-00033", "K082738-0041"]  # N9*2I per LX
    assert (shipment.gross_weight, shipment.weight_uom) == (Decimal(46600), "01")
    (order,) = shipment.orders
    assert order.po_number == ""  # neither W0602 nor W0606 is sent
    assert [line.product_ids for line in order.lines] == [{"IN": "339408"}, {"IN": "100021"}, {"IN": "133848"}]
    assert [line.quantity for line in order.lines] == [Decimal(120), Decimal(400), Decimal(400)]
    assert [line.ordered_quantity for line in order.lines] == [Decimal(120), Decimal(400), Decimal(400)]
    assert [line.lot for line in order.lines] == ["19284", "82943", "930345"]
    assert all(line.uom == "EA" and line.line_number is None for line in order.lines)
    assert sum(line.quantity for line in order.lines) == Decimal(920)  # W0301
    assert shipment.status == "complete"


def _interchange(body: list[str]) -> bytes:
    """A 5010 945 written by us (no clean public 945 exists), with a correct SE01."""
    segments = [
        "ISA*00*          *00*          *ZZ*WAREHOUSE      *ZZ*CROSSDOCK      *261124*1600*^*00501*000000077*0*P*>",
        "GS*SW*WAREHOUSE*CROSSDOCK*20261124*1600*77*X*005010",
        "ST*945*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*77",
        "IEA*1*000000077",
    ]
    return "~\n".join(segments).encode() + b"~\n"


OURS = _interchange(
    [
        "W06*N*4500123456*20261124*SH778899***4500123456",
        "N1*ST*ACME STORE 0042*92*0042",
        "N1*WH*NORTHSIDE 3PL*9*0012345670001",
        "N9*BM*BOL-55521",
        "N9*2I*1Z999AA10123456784",
        "G62*11*20261124*8*1530",
        "G62*17*20261127",
        "W27*U*UPSN*UPS GROUND*PP",
        "LX*1",
        "MAN*GM*00100123450000000018",
        "N9*LI*1",
        "W12*CC*24*24**EA*012345678905*VN*WID-100",
        "G69*BLUE WIDGET",
        "G69*100 PER BOX",
        "LX*2",
        "MAN*GM*00100123450000000025",
        "W12*PR*6*4*2*CA**VN*GAD-7*LOT7",
        "N9*LI*0002",
        "LX*3",
        "W12*CC*2.5***FT**VN*ROPE-9",
        "N9*LI*3",
        "W03*30.5*120*LB***2*CT",
    ]
)


def test_our_945_is_valid_5010() -> None:
    (ts,) = read_transactions(OURS)
    findings = validate(ts)
    assert status(ts) == "accepted", [str(e) for e in findings]


def test_packages_line_numbers_and_partial_status() -> None:
    (ts,) = read_transactions(OURS)
    shipment = shipment_from_945(ts)
    assert shipment.shipment_id == "SH778899"
    assert (shipment.ship_date, shipment.ship_time) == (date(2026, 11, 24), "1530")
    assert shipment.delivery_date == date(2026, 11, 27)  # G62*17, for the 856's DTM*017
    assert shipment.bill_of_lading == "BOL-55521"
    assert shipment.tracking_numbers == ["1Z999AA10123456784"]
    assert (shipment.transport_mode, shipment.carrier_scac, shipment.carrier_service) == ("U", "UPSN", "UPS GROUND")
    assert (shipment.gross_weight, shipment.weight_uom, shipment.lading_quantity) == (Decimal(120), "LB", 2)
    (order,) = shipment.orders
    assert order.po_number == "4500123456"
    assert [p.sscc for p in order.packages] == ["00100123450000000018", "00100123450000000025"]
    first, second = (p.lines[0] for p in order.packages)
    assert first.line_number == "1"  # LX-level N9*LI
    assert first.product_ids == {"UP": "012345678905", "VN": "WID-100"}
    assert first.description == "BLUE WIDGET 100 PER BOX"
    assert second.line_number == "0002"  # W12-level N9*LI, raw
    assert (second.quantity, second.ordered_quantity, second.uom, second.lot) == (
        Decimal(4),
        Decimal(6),
        "CA",
        "LOT7",
    )
    (loose,) = order.lines  # LX 3 has no MAN
    assert (loose.line_number, loose.quantity, loose.ordered_quantity) == ("3", Decimal("2.5"), Decimal("2.5"))
    assert shipment.status == "partial"


def test_wrong_set_is_refused() -> None:
    (ack,) = read_transactions(X12 / "997/x12types_5010_accept.edi")
    with pytest.raises(DecodeError, match="945"):
        shipment_from_945(ack)


def test_a_packages_own_tracking_number_and_a_line_closed_short(tmp_path: Path) -> None:
    """An N9*2I in an LX loop with an SSCC is that package's tracking number; W1201 CP closes its line (the rest
    will not ship), BP leaves it open."""
    segments = [
        "ST*945*0001",
        "W06*N*PO-1*20261121*SHIP-1***PO-1",
        "LX*1",
        "MAN*GM*00106141410000000012",
        "N9*2I*1ZPKG1",
        "W12*CP*10*4*6*EA**VN*MUG-BLU",
        "N9*LI*0001",
        "LX*2",
        "MAN*GM*00106141410000000029",
        "N9*2I*1ZPKG2",
        "W12*BP*10*4*6*EA**VN*KTL-STL",
        "N9*LI*0002",
        "W03*8*10*LB",
        "SE*14*0001",
    ]
    isa = "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*CROSSDOCK      *261121*1000*U*00401*000000050*0*P*>"
    text = [isa, "GS*SW*ACME3PL*CROSSDOCK*20261121*1000*50*X*004010", *segments, "GE*1*50", "IEA*1*000000050"]
    path = tmp_path / "945.edi"
    path.write_text("~\n".join(text) + "~\n")
    (ts,) = read_transactions(path)
    shipment = shipment_from_945(ts)
    packages = shipment.orders[0].packages
    assert [(p.sscc, p.tracking_number) for p in packages] == [
        ("00106141410000000012", "1ZPKG1"),
        ("00106141410000000029", "1ZPKG2"),
    ]
    assert [p.lines[0].closed for p in packages] == [True, False]
