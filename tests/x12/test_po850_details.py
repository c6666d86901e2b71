"""What a retail 850 says beyond lines and parties is kept: typed N9 notes (MSG and 5010 MTX), PID
characteristics, PO4, SCH, CSH, FOB, and the CTT02 hash total, which is checked (issue 19, item 9)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from crossdock.core.models import Order
from crossdock.mappings.x12.hub import InboundFile, read
from crossdock.mappings.x12.po850 import order_from_850
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import status, validate
from tests.x12.test_streamed import outcome, small_windows


def interchange(body: list[str], version: str = "005010") -> bytes:
    """One 850 in one group, ``body`` its segments between ST and SE."""
    isa = "ISA*00*          *00*          *ZZ*BUYER          *ZZ*CROSSDOCK      *261120*0915*^*00501*000000001*0*P*>~"
    segments = ["ST*850*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    lines = [isa, f"GS*PO*BUYER*CROSSDOCK*20261120*0915*1*X*{version}", *(s + "~" for s in segments)]
    return ("\n".join([lines[0], lines[1] + "~", *lines[2:], "GE*1*1~", "IEA*1*000000001~"]) + "\n").encode()


HEADER = [
    "BEG*00*SA*PO-77**20261120",
    "FOB*PP*OR*ORIGIN*01*FOB",
    "CSH*SC",
    "N9*L1*NOTES",
    "MTX*GEN*DELIVER TO THE REAR ",
    "MTX*SPE*DOCK",
    "N9*ZZ*PROMO-77*HOLIDAY SET",
    "N1*ST*NORTHWIND DC*92*0042",
]
LINES = [
    "PO1*1*24*EA*12.5*PE*UP*012345678905",
    "PID*F****STONEWARE MUG",
    "PID*F*75***NAVY",
    "PID*S*91*VI*LG*LARGE",
    "PO4*12*1*EA*CTN25*G*18.5*LB",
    "SCH*10*EA***002*20261201",
    "SCH*14*EA***002*20261215",
    "N9*LI*0001",
    "MTX*GEN*GIFT WRAP",
    "PO1*2*1.5*CA*38*PE*UP*012345678912",
]


def only_order(data: bytes) -> Order:
    (ts,) = read_transactions(data)
    return order_from_850(ts)


def checked(data: bytes) -> tuple[str, list[str]]:
    (ts,) = read_transactions(data)
    validate(ts)
    return status(ts), [e.code for e in ts.errors]


def test_typed_notes_characteristics_packing_schedules_requirements_and_terms_are_kept() -> None:
    order = only_order(interchange([*HEADER, *LINES, "CTT*2*25.5"]))
    notes, promo = order.note_groups
    assert (notes.qualifier, notes.value) == ("L1", "NOTES")
    assert [(m.code, m.text) for m in notes.messages] == [("GEN", "DELIVER TO THE REAR"), ("SPE", "DOCK")]
    assert (promo.qualifier, promo.value, promo.description, promo.messages) == ("ZZ", "PROMO-77", "HOLIDAY SET", [])
    assert order.notes == ["DELIVER TO THE REAR", "DOCK"]  # the flat text, as before, now with the 5010 MTX
    assert [(t.payment_method, t.location, t.terms) for t in order.shipping_terms] == [("PP", "ORIGIN", "FOB")]
    assert [r.code for r in order.requirements] == ["SC"]
    assert order.declared_hash_total == Decimal("25.5")
    line = order.lines[0]
    assert line.description == "STONEWARE MUG" and line.notes == ["GIFT WRAP"]
    assert [(c.kind, c.code, c.agency, c.value_code, c.text) for c in line.characteristics] == [
        ("F", "75", None, None, "NAVY"),
        ("S", "91", "VI", "LG", "LARGE"),
    ]
    assert line.pack == 12 and line.packing is not None
    assert (line.packing.packaging_code, line.packing.weight, line.packing.weight_uom) == (
        "CTN25",
        Decimal("18.5"),
        "LB",
    )
    assert [(s.quantity, s.date) for s in line.schedules] == [
        (Decimal(10), date(2026, 12, 1)),
        (Decimal(14), date(2026, 12, 15)),
    ]
    assert [(r.qualifier, r.value) for r in line.references] == [("LI", "0001")]
    assert order.lines[1].characteristics == [] and order.lines[1].packing is None


def test_a_po4_with_only_pack_counts_has_no_packing() -> None:
    order = only_order(interchange(["BEG*00*SA*PO-1**20261120", "PO1*1*1*EA", "PO4*6", "CTT*1"]))
    assert order.lines[0].pack == 6 and order.lines[0].packing is None


def test_the_hash_total_may_be_the_sum_or_the_standards_digit_sum() -> None:
    assert checked(interchange([*HEADER, *LINES, "CTT*2*25.5"])) == ("accepted", [])  # 24 + 1.5
    assert checked(interchange([*HEADER, *LINES, "CTT*2*39"])) == ("accepted", [])  # digits: 24 + 15
    assert checked(interchange([*HEADER, *LINES, "CTT*2"])) == ("accepted", [])


def test_a_wrong_hash_total_is_accepted_with_errors() -> None:
    (ts,) = read_transactions(interchange([*HEADER, *LINES, "CTT*2*30"]))
    validate(ts)
    assert status(ts) == "accepted_with_errors"
    (finding,) = ts.errors
    assert finding.code == "CTT02" and finding.segment_id == "CTT" and finding.element_position == 2
    assert "25.5" in finding.message


def test_the_acknowledgment_of_a_wrong_hash_total_says_e() -> None:
    inbound: InboundFile = read(interchange([*HEADER, *LINES, "CTT*2*30"]))
    ack = inbound.ack("997", interchange=1, group=1, transaction=1, usage="P", created=datetime(2026, 12, 7))
    assert b"AK5*E" in ack


def test_read_in_batches_the_details_and_the_hash_check_are_the_same() -> None:
    for ctt in ("CTT*2*25.5", "CTT*2*30"):
        data = interchange([*HEADER, *LINES, ctt])
        whole = read(data, batch=None)
        with small_windows(16):
            streamed = read(data, batch=1)
        assert outcome(streamed) == outcome(whole)
