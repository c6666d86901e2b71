"""Partner guides: each shipped guide passes a document that has what it requires and names what one lacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from crossdock.cli import main
from crossdock.core.guides import held_reason, load_guide, shipped_guides
from crossdock.mappings.x12.guide import GuideError, guide_from_dict
from crossdock.mappings.x12.guide_check import check_interchanges, check_set
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate

FUNCTIONAL = {"855": "PR", "856": "SH", "810": "IN", "940": "OW"}


def wrap(code: str, body: list[str], version: str = "004010") -> bytes:
    """One set in an interchange as crossdock writes it (a fixed 106-byte ISA, ``~`` and a newline)."""
    segments = [f"ST*{code}*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = "ISA*00*          *00*          *ZZ*CROSSDOCK      *ZZ*BUYER          *261207*1200*U*00401*000000007*0*P*>"
    gs = f"GS*{FUNCTIONAL[code]}*CROSSDOCK*BUYER*20261207*1200*7*X*{version}"
    return ("~\n".join([isa, gs, *segments, "GE*1*7", "IEA*1*000000007"]) + "~\n").encode()


def base_valid(data: bytes) -> None:
    (ic,) = parse(data)
    (ts,) = ic.groups[0].transactions
    validate(ts)
    assert status(ts) == "accepted", [str(e) for e in ts.errors]


def findings(guide: str, data: bytes) -> list[str]:
    return [f"{e.message} @ {e.place}" for s in check_interchanges(load_guide(guide), data) for e in s.errors]


ASN_4010 = [
    "BSN*00*SHIP-1*20261121*0930*0001",
    "HL*1**S*1",
    "TD1*CTN25*2****G*20*LB",
    "TD5**2*UPSN*M*GROUND",
    "REF*BM*BOL123",
    "DTM*011*20261121",
    "DTM*017*20261124",
    "N1*ST*DC 42*92*0042",
    "N1*SF*CROSSDOCK WAREHOUSE*92*W1",
    "HL*2*1*O*1",
    "PRF*PO-1***20261120",
    "HL*3*2*P*1",
    "MAN*GM*00006141410000000012",
    "HL*4*3*I*0",
    "LIN*0001*VN*MUG-BLU",
    "SN1**5*EA",
    "CTT*4",
]

INVOICE_4010 = [
    "BIG*20261207*INV-1*20261120*PO-1",
    "REF*IA*123456",
    "REF*DP*042",
    "N1*SU*CROSSDOCK*92*V1",
    "N1*RE*CROSSDOCK*92*V1",
    "N1*ST*DC 42*92*0042",
    "ITD*01*3*2**30",
    "DTM*011*20261121",
    "IT1*0001*5*EA*12.5**VN*MUG-BLU",
    "TDS*6250",
    "CTT*1",
]

ACK_4010 = [
    "BAK*00*AD*PO-1*20261120",
    "PO1*0001*5*EA*12.5**VN*MUG-BLU",
    "ACK*IA*5*EA*068*20261125",
    "CTT*1",
]


def test_crossdock_ships_three_guides_each_rule_citing_its_source() -> None:
    assert shipped_guides() == ["bigbox-4010", "bigbox-5010", "marketplace-vendor"]
    for name in shipped_guides():
        guide = load_guide(name)
        assert guide.sets and all(rule.source for rules in guide.sets.values() for rule in rules)


@pytest.mark.parametrize(("code", "body"), [("856", ASN_4010), ("810", INVOICE_4010), ("855", ACK_4010)])
def test_the_big_box_4010_guide_passes_a_document_that_has_what_it_requires(code: str, body: list[str]) -> None:
    data = wrap(code, body)
    base_valid(data)
    assert findings("bigbox-4010", data) == []
    assert held_reason("bigbox-4010", data) is None


@pytest.mark.parametrize(
    ("code", "body", "drop", "expected"),
    [
        ("856", ASN_4010, "REF*BM*BOL123", "REF*BM is required in HL[S] and missing @ HL, segment 3"),
        ("856", ASN_4010, "N1*SF*CROSSDOCK WAREHOUSE*92*W1", "N1*SF is required in HL[S] and missing @ HL, segment 3"),
        ("856", ASN_4010, "MAN*GM*00006141410000000012", "MAN*GM is required in HL[P] and missing @ HL, segment 13"),
        ("810", INVOICE_4010, "REF*IA*123456", "REF*IA is required in the set and missing @ ST, segment 1"),
        ("810", INVOICE_4010, "ITD*01*3*2**30", "ITD is required in the set and missing @ ST, segment 1"),
        ("855", ACK_4010, "ACK*IA*5*EA*068*20261125", "ACK is required in PO1 and missing @ PO1, segment 3"),
    ],
)
def test_the_big_box_4010_guide_names_what_a_document_lacks_and_where(
    code: str, body: list[str], drop: str, expected: str
) -> None:
    data = wrap(code, [s for s in body if s != drop])
    (found,) = findings("bigbox-4010", data)
    assert found.removeprefix("guide bigbox-4010: ").startswith(expected.split(" @ ")[0])
    assert found.endswith(" @ " + expected.split(" @ ")[1])
    assert "[" in found, "the rule cites its source"


def test_an_element_rule_names_the_element_and_its_value() -> None:
    data = wrap("856", [s.replace("TD1*CTN25*2", "TD1*BOX*") for s in ASN_4010])
    assert findings("bigbox-4010", data) == [
        "guide bigbox-4010: TD101 'BOX' is not one of CTN25, PLT94 (retail-edi 2: shipment level TD1 packaging "
        "code, lading quantity, weight; codes CTN25/PLT94 [unverified]) @ TD1, segment 4, element 01",
        "guide bigbox-4010: TD102 is required in HL[S]: it comes from the lading quantity (cartons or pallets "
        "shipped) (retail-edi 2: shipment level TD1 packaging code, lading quantity, weight; codes CTN25/PLT94 "
        "[unverified]) @ TD1, segment 4, element 02",
    ]
    held = held_reason("bigbox-4010", wrap("855", [s.replace("*068*", "*067*") for s in ACK_4010]))
    assert held is not None and "855 0001: ACK04 must be '068', not '067'" in held and "element 04" in held


def test_a_segment_in_another_loop_does_not_count() -> None:
    """N1*ST at order level is not N1*ST at shipment level."""
    moved = [s for s in ASN_4010 if s != "N1*ST*DC 42*92*0042"]
    moved.insert(moved.index("PRF*PO-1***20261120") + 1, "N1*ST*DC 42*92*0042")
    data = wrap("856", moved)
    base_valid(data)
    assert [f.split(" (")[0] for f in findings("bigbox-4010", data)] == [
        "guide bigbox-4010: N1*ST is required in HL[S] and missing"
    ]


def test_a_segment_sent_too_often_is_named_at_its_extra_use() -> None:
    data = wrap("856", [*ASN_4010[:5], "REF*BM*BOL124", *ASN_4010[5:]])
    (found,) = findings("bigbox-4010", data)
    assert "REF*BM is sent 2 times in HL[S], at most 1" in found and found.endswith("@ REF, segment 7")


INVOICE_5010 = [
    "BIG*20261207*INV-1*20261120*PO-1",
    "REF*IA*123456",
    "REF*DP*042",
    "REF*MR*0020",
    "N1*SU*CROSSDOCK*UL*0614141000005",
    "N1*ST*DC 42*UL*0614141000012",
    "ITD*01*3*2**30",
    "DTM*011*20261121",
    "FOB*CC",
    "IT1*0001*5*EA*12.5**VN*MUG-BLU",
    "TDS*6250",
    "CAD*M****UPSN",
    "CTT*1",
]


def test_the_big_box_5010_guide_passes_a_complete_810_and_holds_one_with_an_empty_cad01() -> None:
    data = wrap("810", INVOICE_5010, "005010")
    base_valid(data)
    assert findings("bigbox-5010", data) == []
    held = findings("bigbox-5010", wrap("810", [s.replace("CAD*M", "CAD*") for s in INVOICE_5010], "005010"))
    assert len(held) == 1 and "CAD01 is required in the set" in held[0] and held[0].endswith("element 01")
    lacking = findings("bigbox-5010", wrap("810", [s for s in INVOICE_5010 if not s.startswith("FOB")], "005010"))
    assert len(lacking) == 1 and "FOB is required in the set and missing" in lacking[0]
    assert "it comes from the PO's FOB" in lacking[0], "the hold says where an FOB comes from"


def test_a_guide_for_one_version_holds_a_document_of_another() -> None:
    (found,) = findings("bigbox-5010", wrap("810", INVOICE_4010))
    assert "guide bigbox-5010 is written for 005010, this 810 is 004010" in found
    assert findings("bigbox-5010", wrap("855", ACK_4010)) == [], "the guide has no 855 rules"


def test_the_marketplace_guide_wants_every_line_acknowledged_and_both_dates() -> None:
    assert findings("marketplace-vendor", wrap("855", ACK_4010)) == []
    assert findings("marketplace-vendor", wrap("856", ASN_4010)) == []
    two_lines = [*ACK_4010[:3], "PO1*0002*5*EA*9.5**VN*KTL-STL", "CTT*2"]
    (found,) = findings("marketplace-vendor", wrap("855", two_lines))
    assert "ACK is required in PO1 and missing" in found and found.endswith("@ PO1, segment 5")
    no_eta = [s for s in ASN_4010 if not s.startswith("DTM*017")]
    (found,) = findings("marketplace-vendor", wrap("856", no_eta))
    assert "DTM*017 is required in HL[S] and missing: it comes from the warehouse's estimated delivery" in found
    assert "asn_transit_days" in found, "the hold names the key to configure"


def test_a_forbidden_segment_and_a_fixed_value_from_a_users_guide(tmp_path: Path) -> None:
    guide = guide_from_dict(
        {
            "name": "mine",
            "sets": {
                "810": [
                    {"segment": "N1*RE", "use": "forbidden", "source": "my buyer's guide p. 2"},
                    {"segment": "REF*IA", "elements": {2: {"value": "123456"}}, "source": "vendor number p. 1"},
                ]
            },
        },
        "guide mine",
    )
    found = check_set(guide, "810", "004010", ["ST*810*0001", *INVOICE_4010])
    assert [(e.message.split(" (")[0], e.segment_position) for e in found] == [
        ("guide mine: N1*RE must not be sent in the set", 6)
    ]
    wrong = [s.replace("REF*IA*123456", "REF*IA*999") for s in ["ST*810*0001", *INVOICE_4010]]
    (e,) = [e for e in check_set(guide, "810", "004010", wrong) if e.element_position]
    assert e.message.startswith("guide mine: REF*IA02 must be '123456', not '999'") and e.bad_value == "999"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "x", "sets": {"856": [{"segment": "REF*BM", "use": "required"}]}}, "sets.856.0.source"),
        ({"name": "x", "sets": {"856": [{"segment": "ref", "source": "s"}]}}, "not a segment id"),
        ({"name": "x", "sets": {"856": [{"segment": "REF", "in": "HL[", "source": "s"}]}}, "not a loop id"),
        ({"name": "x", "sets": {"856": [{"segment": "REF", "use": "needed", "source": "s"}]}}, "sets.856.0.use"),
        ({"name": "x", "sets": {}, "colour": "red"}, "colour"),
    ],
)
def test_a_mistaken_guide_is_refused_with_the_place_of_the_mistake(data: object, expected: str) -> None:
    with pytest.raises(GuideError, match=r"guide x\.yaml") as caught:
        guide_from_dict(data, "guide x.yaml")
    assert expected in str(caught.value)


def test_a_guide_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        yaml.safe_dump({"name": "g", "sets": {"810": [{"segment": "FOB", "use": "required", "source": "a"}]}})
    )
    assert held_reason(str(path), wrap("810", INVOICE_4010)) is not None
    path.write_text(yaml.safe_dump({"name": "g", "sets": {}}))
    os.utime(path, ns=(1, 10**18))
    assert held_reason(str(path), wrap("810", INVOICE_4010)) is None
    with pytest.raises(GuideError, match="no guide named 'walmart'"):
        load_guide("walmart")


def test_x12_validate_with_a_guide_prints_each_finding_with_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lacking = tmp_path / "asn.edi"
    lacking.write_bytes(wrap("856", [s for s in ASN_4010 if not s.startswith("REF*BM")]))
    complete = tmp_path / "ok.edi"
    complete.write_bytes(wrap("856", ASN_4010))
    assert main(["x12", "validate", str(complete), str(lacking)]) == 0, "without a guide both pass the base spec"
    capsys.readouterr()
    assert main(["x12", "validate", "--guide", "bigbox-4010", str(complete), str(lacking)]) == 1
    out = capsys.readouterr().out
    assert f"{complete}: ok" in out and f"{lacking}: REJECTED" in out
    assert "error code GUIDE at HL, segment 3: guide bigbox-4010: REF*BM is required in HL[S] and missing" in out
    assert main(["x12", "validate", "--json", "--guide", "bigbox-4010", str(lacking)]) == 1
    (ts,) = json.loads(capsys.readouterr().out)["files"][0]["interchanges"][0]["groups"][0]["transactions"]
    assert ts["status"] == "rejected" and ts["errors"][0]["segment_position"] == 3
    assert main(["x12", "validate", "--guide", "nosuch", str(lacking)]) == 2
    assert "no guide named 'nosuch'" in capsys.readouterr().err
