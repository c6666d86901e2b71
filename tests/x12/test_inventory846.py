"""846 both ways: the corpus files read into snapshots, golden files written, and build -> read round trips."""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from decimal import Decimal

import pytest
import pyx12.rawx12file
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventoryItem, InventorySnapshot
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.inventory846 import build_846, inventory_from_846
from crossdock.mappings.x12.reader import parse, read_transactions
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.writer import Envelope, X12WriteError, write_interchange
from tests.conftest import CASES, CORPUS

X12 = CORPUS / "x12"
GOLDEN = CASES / "x12" / "846"
DELIMITERS = Delimiters(element="*", component=">", segment="~")
ENVELOPE = Envelope("ZZ", "CROSSDOCK", "ZZ", "WAREHOUSE", 1, 1, "IB", created=datetime(2026, 11, 22, 10, 30))


def snapshots(path: str) -> list[InventorySnapshot]:
    return [inventory_from_846(ts) for ts in read_transactions(X12 / path)]


def test_x12types_qty33() -> None:
    (snap,) = snapshots("846/x12types_5010_bia-lin-qty33.edi")
    assert (snap.purpose, snap.report_type, snap.report_id) == ("00", "SI", "REF1")
    assert snap.report_date == date(2020, 1, 1)
    assert [(p.role, p.name, p.id_qualifier, p.id) for p in snap.parties] == [("SU", "SUPPLIER", "92", "S1")]
    (item,) = snap.items
    assert item.line_number == "1"
    assert item.product_ids == {"VN": "ABC123"}
    assert item.quantities == {"33": Decimal("100")} and item.uom == "EA"


def test_oopfactory_tilde_elements_and_uit_units() -> None:
    (snap,) = snapshots("846/oopfactory_ems_tilde-elem_brace-term.edi")
    assert (snap.report_type, snap.report_id, snap.report_date) == ("CM", "10353", date(2004, 8, 11))
    assert [(p.role, p.name, p.id) for p in snap.parties] == [
        ("ST", "EMS PLANT E88", "SAN003"),
        ("SE", "XYZ Corporation", "XYZ001"),
    ]
    (item,) = snap.items
    assert item.line_number == "1"
    assert item.product_ids == {"BP": "46L5055", "EC": "5V", "MF": "XYZ Corporation", "MG": "1234123232"}
    assert item.quantities == {"34": Decimal(5250), "QH": Decimal(100), "QB": Decimal(50), "87": Decimal(75)}
    assert item.uom == "EA"  # from the UIT after each QTY


def test_oopfactory_missing_terminators() -> None:
    """LIN without LIN01, decimal feet; two lost terminators swallow a QTY into a REF and CTT into a QTY."""
    (snap,) = snapshots("846/oopfactory_missing-terminators.edi")
    assert (snap.report_type, snap.report_id, snap.report_date) == ("DM", "20030828234648", date(2003, 8, 28))
    assert len(snap.items) == 5
    assert all(item.line_number is None for item in snap.items)
    first = snap.items[0]
    assert first.product_ids == {"BP": "38490-B", "VN": "H304L0750040", "ZZ": "TX"}
    assert first.quantities == {"17": Decimal("1998.61")} and first.uom == "FT"
    assert snap.items[2].quantities == {"63": Decimal("1000")}  # its QTY*17 went into the broken REF
    assert snap.items[4].quantities == {"17": Decimal("7280")}
    assert snap.items[4].uom == "FTCTT"  # reported as sent; the validator rejects the segment


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_golden_and_round_trip(case: str) -> None:
    snapshot = InventorySnapshot.model_validate_json((GOLDEN / case / "input.json").read_text())
    data = write_interchange(ENVELOPE, [build_846(snapshot, "0001")], DELIMITERS, newline=True)
    expected = GOLDEN / case / "expected.edi"
    if os.environ.get("CROSSDOCK_REGEN_GOLDEN") == "1":
        expected.write_bytes(data)
    assert data == expected.read_bytes()
    assert inventory_from_846(read_back(data)) == snapshot


def read_back(data: bytes) -> ReadSet:
    (interchange,) = parse(data)
    assert interchange.errors == []
    (group,) = interchange.groups
    assert group.errors == []
    (ts,) = group.transactions
    findings = validate(ts)
    assert status(ts) == "accepted", [str(e) for e in findings]
    segments = list(pyx12.rawx12file.RawX12File(io.StringIO(data.decode("latin-1"))))
    assert len(segments) == data.count(b"~")
    return ts


def test_refuses_what_an_846_cannot_say() -> None:
    today = date(2026, 11, 22)
    with pytest.raises(X12WriteError, match="at least one item"):
        build_846(InventorySnapshot(report_id="R", report_date=today), "0001")
    with pytest.raises(X12WriteError, match="product id"):
        build_846(InventorySnapshot(report_id="R", report_date=today, items=[InventoryItem()]), "0001")


def test_unreadable_report_date_is_refused() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *200101*1200*U*00401*000000001*0*P*>~"
        b"GS*IB*SENDER*RECEIVER*20200101*1200*1*X*004010~ST*846*0001~BIA*00*SI*R1*TODAY~LIN**VN*A~"
        b"QTY*33*1~SE*5*0001~GE*1*1~IEA*1*000000001~"
    )
    (ts,) = read_transactions(data)
    with pytest.raises(DecodeError, match="BIA04"):
        inventory_from_846(ts)


_ID = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/", min_size=1, max_size=20)
_WORDS = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8), min_size=1, max_size=5
)


@st.composite
def items(draw: st.DrawFn) -> InventoryItem:
    quantities = draw(
        st.dictionaries(
            st.sampled_from(["33", "17", "02", "QH", "QB", "87"]),
            st.tuples(st.integers(0, 10**9), st.integers(0, 3)).map(lambda t: Decimal(t[0]).scaleb(-t[1])),
            max_size=4,
        )
    )
    return InventoryItem(
        line_number=draw(st.one_of(st.none(), st.from_regex(r"[0-9]{1,6}", fullmatch=True))),
        product_ids=draw(st.dictionaries(st.sampled_from(["UP", "VN", "SK", "BP", "IN", "EN"]), _ID, min_size=1)),
        quantities=quantities,
        uom=draw(st.sampled_from(["EA", "CA", "FT", "LB"])),
        description=draw(st.one_of(st.none(), _WORDS.map(" ".join))),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(items(), min_size=1, max_size=6),
    st.sampled_from(["SI", "DM", "CM"]),
    st.dates(date(1950, 1, 1), date(2099, 12, 31)),
)
def test_round_trip_property(found: list[InventoryItem], report_type: str, when: date) -> None:
    snapshot = InventorySnapshot(report_id="R1", report_date=when, report_type=report_type, items=found)
    data = write_interchange(ENVELOPE, [build_846(snapshot, "0001")], DELIMITERS, newline=True)
    assert inventory_from_846(read_back(data)) == snapshot
