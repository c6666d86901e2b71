"""856: golden files per HL profile, both readers on what we write, the round trip, HL trees and SSCC checks.

Regenerate the golden files with ``CROSSDOCK_REGEN_GOLDEN=1 .venv/bin/pytest tests/x12/test_asn856.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.fulfilment.models import Package, Pallet, Shipment, ShipmentLine, ShipmentOrder
from crossdock.core.models import Reference
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.asn856 import build_856, shipment_from_856
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.errors import Severity
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.sscc import sscc18
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.writer import Envelope, TransactionSet, X12WriteError, write_interchange
from tests.conftest import CASES, CORPUS
from tests.golden import assert_golden
from tests.x12.strategies import DATES, LINE_NUMBERS, PRODUCT_IDS, TEXT, decimals, parties
from tests.x12.written import read_back

ENV = Envelope("ZZ", "CROSSDOCK", "ZZ", "PARTNER", 1, 1, "SH", created=datetime(2026, 11, 22, 10, 30))
DELIMS = Delimiters("*", ">", "~")
CASE_DIR = CASES / "x12" / "856"
PROFILES = {"pick_and_pack": "SOPI", "pallets": "SOTPI", "simple": "SOI"}


def write(ts: TransactionSet) -> bytes:
    return write_interchange(replace(ENV, functional_id="SH"), [ts], DELIMS, newline=True)


@pytest.mark.parametrize("case", sorted(PROFILES))
def test_golden(case: str) -> None:
    shipment = Shipment.model_validate_json((CASE_DIR / case / "input.json").read_text())
    data = write(build_856(shipment, "0001", PROFILES[case]))
    assert_golden(CASE_DIR / case / "expected.edi", data)
    assert shipment_from_856(read_back(data)) == shipment


def _segments(case: str) -> list[str]:
    return (CASE_DIR / case / "expected.edi").read_text().replace("\n", "").split("~")


def test_golden_hl_trees() -> None:
    sopi = _segments("pick_and_pack")
    hls = [s for s in sopi if s.startswith("HL*")]
    assert hls == [
        "HL*1**S*1",
        "HL*2*1*O*1",
        "HL*3*2*P*1",
        "HL*4*3*I*0",
        "HL*5*3*I*0",
        "HL*6*2*P*1",
        "HL*7*6*I*0",
        "HL*8*1*O*1",
        "HL*9*8*P*1",
        "HL*10*9*I*0",
    ]
    assert sopi[3].startswith("BSN*00*ASN-20261122-01*20261122*0930*0001")
    assert "CTT*10*41" in sopi
    assert (
        "MAN*GM*00006141410000000012" in sopi
        and "LIN**VN*NW-200" in sopi
        and "LIN*0001*UP*012345678905*VN*NW-100" in sopi
    )
    assert "SN1**6*EA**10*EA" in sopi and "PRF*PO-778812***20261118" in sopi and "TD5**2*ODFL*M*LTL STANDARD" in sopi
    sotpi = [s for s in _segments("pallets") if s.startswith(("HL*", "BSN", "CTT"))]
    assert [s.split("*")[3] for s in sotpi if s.startswith("HL*")] == list("SOTPIPITPIIPI")
    assert sotpi[0].endswith("*0001") and sotpi[-1].startswith("CTT*13*")
    soi = [s for s in _segments("simple") if s.startswith(("HL*", "BSN"))]
    assert soi[0].endswith("*0000*0004")
    assert [s.split("*")[3] for s in soi[1:]] == list("SOIIOI")


def _tiny(**order: object) -> Shipment:
    line = ShipmentLine(product_ids={"UP": "012345678905"}, quantity=Decimal(1))
    base: dict[str, object] = {"po_number": "PO1", "packages": [Package(lines=[line])]}
    return Shipment(
        shipment_id="S1", ship_date=date(2026, 1, 2), orders=[ShipmentOrder.model_validate({**base, **order})]
    )


@pytest.mark.parametrize(
    ("shipment", "profile", "message"),
    [
        (_tiny(packages=[Package(sscc="006141410000000013")]), "SOPI", "pack HL 3: .* SSCC"),
        (_tiny(packages=[Package(sscc="00000715670002152360")]), "SOPI", "pack HL 3: .* SSCC"),
        (_tiny(pallets=[Pallet(sscc="12345")]), "SOTPI", "tare HL 3: .* SSCC"),
        (_tiny(), "SOI", "no pack"),
        (_tiny(pallets=[Pallet()]), "SOPI", "no tare"),
        (
            _tiny(packages=[], lines=[ShipmentLine(product_ids={"UP": "1"}, quantity=Decimal(1))]),
            "SOPI",
            "inside packs",
        ),
        (_tiny(packages=[Package(lines=[ShipmentLine(quantity=Decimal(1))])]), "SOPI", "product ID"),
        (
            _tiny(packages=[Package(lines=[ShipmentLine(product_ids={"UP": ""}, quantity=Decimal(1))])]),
            "SOPI",
            "item HL 4: product ID pair 'UP'/'' needs both halves",
        ),
        (_tiny(), "SOIP", "unknown 856 profile"),
    ],
)
def test_bad_inputs_are_refused(shipment: Shipment, profile: str, message: str) -> None:
    with pytest.raises(X12WriteError, match=message):
        build_856(shipment, "0001", profile)


def test_delimiter_in_a_value_is_refused() -> None:
    shipment = _tiny()
    shipment.bill_of_lading = "BOL*7"
    with pytest.raises(X12WriteError, match="delimiter"):
        write(build_856(shipment, "0001"))
    shipment = _tiny()
    shipment.ship_date = None
    with pytest.raises(X12WriteError, match="ship date"):
        build_856(shipment, "0001")


def test_a_reference_that_repeats_the_bill_of_lading_or_a_tracking_number_is_written_once() -> None:
    shipment = _tiny(packages=[])
    shipment.orders[0].lines = [ShipmentLine(product_ids={"UP": "012345678905"}, quantity=Decimal(1))]
    shipment.bill_of_lading = "BOL7"
    shipment.tracking_numbers = ["1Z9"]
    shipment.references = [Reference(qualifier="BM", value="BOL7"), Reference(qualifier="CN", value="1Z9")]
    shipment.references.append(Reference(qualifier="BM", value="BOL8"))
    text = write(build_856(shipment, "0001", "SOI")).decode()
    assert text.count("REF*BM*BOL7~") == 1 and text.count("REF*CN*1Z9~") == 1 and "REF*BM*BOL8~" in text


# --- reading: HL links, inferred parents, SSCC warnings ---------------------------------------------------------


def _corpus(name: str) -> list[ReadSet]:
    path = CORPUS / "x12" / "856" / name
    return list(read_transactions(path))


def test_tree_follows_hl02_not_level_order() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261122*1030*U*00401*000000001*0*P*>~"
        b"GS*SH*A*B*20261122*1030*1*X*004010~ST*856*0001~BSN*00*X1*20261122*1030*0001~HL*1**S~"
        b"HL*2*1*O~PRF*PO-A~HL*3*1*O~PRF*PO-B~HL*4*2*P~MAN*GM*00007121610006156802~HL*5*4*I~LIN*7*UP*1~SN1**2*EA~"
        b"HL*6*3*I~LIN**UP*2~SN1**1*CA~CTT*6~SE*17*0001~GE*1*1~IEA*1*000000001~"
    )
    (ts,) = read_transactions(data)
    shipment = shipment_from_856(ts)
    a, b = shipment.orders
    assert (a.po_number, b.po_number) == ("PO-A", "PO-B")
    assert a.packages[0].sscc == "007121610006156802" and a.packages[0].lines[0].line_number == "7"
    assert b.lines == [ShipmentLine(product_ids={"UP": "2"}, quantity=Decimal(1), uom="CA")]
    assert validate(ts) == [] and status(ts) == "accepted"


def test_empty_hl02_is_inferred_and_warned() -> None:
    (ts,) = _corpus("oopfactory_retailer_hl-parent-missing.edi")
    shipment = shipment_from_856(ts)
    (order,) = shipment.orders
    assert order.po_number == "PO NUMBER"
    assert [line.line_number for line in order.lines][:3] == ["001", "002", "003"]
    assert len(order.lines) == sum(1 for s in ts.segments if s.id == "HL" and s.get(3) == "I")
    warnings = [e for e in validate(ts) if e.code == E.RULE_HL_PARENT]
    hl_count = sum(1 for s in ts.segments if s.id == "HL")
    assert len(warnings) == hl_count - 1
    assert all(w.severity is Severity.WARNING and w.level.value == "transaction" for w in warnings)


def test_wrong_and_unknown_parents_and_bad_sscc_are_warned() -> None:
    (ts,) = _corpus("ediengine_crossdock_s-o-p-i_multi-store.edi")
    warnings = [e for e in validate(ts) if e.code == E.RULE_HL_PARENT]
    assert len(warnings) == 5 and all("check digit" in w.message for w in warnings)
    shipment = shipment_from_856(ts)
    assert [o.store for o in shipment.orders] == ["002", "003"]
    assert [len(o.packages) for o in shipment.orders] == [4, 1]
    assert shipment.orders[0].packages[0].sscc == "000715670002152360"  # kept as sent, warned about
    (good,) = _corpus("oopfactory_jewelry-vics_s-o-p-i_man-gm-sscc.edi")
    assert not [e for e in validate(good) if e.code == E.RULE_HL_PARENT]
    data = (
        b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261122*1030*U*00401*000000001*0*P*>~"
        b"GS*SH*A*B*20261122*1030*1*X*004010~ST*856*0001~BSN*00*X1*20261122*1030*0004~HL*1**S~"
        b"HL*2*9*O~PRF*PO-A~HL*3*2*I~LIN**UP*1~SN1**2*EA~SE*9*0001~GE*1*1~IEA*1*000000001~"
    )
    (ts,) = read_transactions(data)
    (warning,) = [e for e in validate(ts) if e.code == E.RULE_HL_PARENT]
    assert "'9'" in warning.message and warning.segment_position == 4
    assert shipment_from_856(ts).orders[0].lines[0].quantity == 2


def test_other_corpus_trees_read() -> None:
    (pharma,) = _corpus("silvenga_pharma-dscsa_pipe-elemsep.edi")
    shipment = shipment_from_856(pharma)
    packages = [p for o in shipment.orders for p in o.packages]
    assert packages and all(p.sscc and len(p.sscc) == 16 for p in packages)  # not SSCCs: kept raw
    first, _second = _corpus("stupidedi_002001_s-t-i-p_two-asn.edi")
    sti = shipment_from_856(first)
    assert sti.orders and sum(len(o.pallets) for o in sti.orders) >= 1


# --- hypothesis round trip ------------------------------------------------------------------------------------------

SSCCS = st.builds(
    lambda prefix, serial, ext: sscc18(prefix, serial % 10 ** (16 - len(prefix)), ext),
    st.from_regex(r"[0-9]{6,10}", fullmatch=True),
    st.integers(0, 10**6),
    st.sampled_from("0123456789"),
)
WEIGHTS = st.none() | st.tuples(decimals(9999, 2), st.sampled_from(["LB", "KG"]))


@st.composite
def items(draw: st.DrawFn) -> ShipmentLine:
    return ShipmentLine(
        line_number=draw(LINE_NUMBERS),
        product_ids=draw(PRODUCT_IDS.filter(bool)),
        quantity=draw(decimals(9999, 3)),
        uom=draw(st.sampled_from(["EA", "CA", "LB"])),
        ordered_quantity=draw(st.none() | decimals(9999, 3)),
        lot=draw(st.none() | TEXT),
        description=draw(st.none() | TEXT),
    )


@st.composite
def packages(draw: st.DrawFn) -> Package:
    weight = draw(WEIGHTS)
    return Package(
        sscc=draw(st.none() | SSCCS),
        tracking_number=draw(st.none() | st.from_regex(r"1Z[0-9A-Z]{16}", fullmatch=True)),
        weight=weight[0] if weight else None,
        weight_uom=weight[1] if weight else None,
        lines=draw(st.lists(items(), max_size=3)),
    )


@st.composite
def orders(draw: st.DrawFn, profile: str) -> ShipmentOrder:
    order = ShipmentOrder(
        po_number=draw(TEXT),
        po_date=draw(st.none() | DATES),
        store=draw(st.none() | st.from_regex(r"[0-9]{2,6}", fullmatch=True)),
    )
    if profile == "SOI":
        order.lines = draw(st.lists(items(), max_size=3))
    else:
        order.packages = draw(st.lists(packages(), max_size=2))
    if profile == "SOTPI":
        order.pallets = draw(
            st.lists(st.builds(Pallet, sscc=st.none() | SSCCS, packages=st.lists(packages(), max_size=2)), max_size=2)
        )
    return order


@st.composite
def shipments(draw: st.DrawFn) -> tuple[Shipment, str]:
    profile = draw(st.sampled_from(["SOI", "SOPI", "SOTPI"]))
    weight = draw(WEIGHTS)
    count = draw(st.none() | st.integers(1, 999))
    shipment = Shipment(
        shipment_id=draw(TEXT.filter(lambda t: len(t) >= 2)),
        ship_date=draw(DATES),
        ship_time=draw(st.none() | st.from_regex(r"([01][0-9]|2[0-3])[0-5][0-9]", fullmatch=True)),
        delivery_date=draw(st.none() | DATES),
        carrier_scac=draw(st.none() | st.from_regex(r"[A-Z]{2,4}", fullmatch=True)),
        carrier_service=draw(st.none() | TEXT),
        transport_mode=draw(st.none() | st.sampled_from(["M", "A", "U"])),
        tracking_numbers=draw(st.lists(TEXT, max_size=2)),
        bill_of_lading=draw(st.none() | TEXT),
        gross_weight=weight[0] if weight else None,
        weight_uom=weight[1] if weight else None,
        lading_quantity=count,
        packaging_code=draw(st.sampled_from(["CTN25", "PLT90"])) if count is not None else None,
        parties=draw(st.lists(parties(), max_size=2)),
        references=draw(
            st.lists(st.builds(Reference, qualifier=st.sampled_from(["IA", "DP", "IV"]), value=TEXT), max_size=2)
        ),
        orders=draw(st.lists(orders(profile), min_size=1, max_size=3)),
    )
    return shipment, profile


@settings(max_examples=50, deadline=None)
@given(shipments())
def test_round_trip(case: tuple[Shipment, str]) -> None:
    """Everything survives except ``status`` (no 856 element carries it; generated as the default)."""
    shipment, profile = case
    data = write(build_856(shipment, "0001", profile))
    assert shipment_from_856(read_back(data)) == shipment
