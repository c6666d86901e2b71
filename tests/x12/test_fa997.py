"""Inbound 997/999 -> Acknowledgment: all 13 corpus 997s, reported as sent, and a 999 written by us."""

from __future__ import annotations

import pytest

from crossdock.core.errors import DecodeError
from crossdock.core.models import Acknowledgment
from crossdock.mappings.x12.fa997 import acknowledgment_from_997, acknowledgment_from_999
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import status, validate
from tests.conftest import CORPUS

ACKS = CORPUS / "x12" / "997"


def acks(name: str) -> list[Acknowledgment]:
    return [acknowledgment_from_997(ts) for ts in read_transactions(ACKS / name)]


def summary(ack: Acknowledgment) -> tuple[object, ...]:
    return (ack.functional_id, ack.group_control, ack.status, ack.sets_included, ack.sets_received, ack.sets_accepted)


def sets(ack: Acknowledgment) -> list[tuple[str, str, str]]:
    return [(s.code, s.control, s.status) for s in ack.sets]


def test_every_corpus_997_maps() -> None:
    files = sorted(p.name for p in ACKS.iterdir())
    assert len(files) == 13
    for name in files:
        assert acks(name), name


def test_multi_ak2() -> None:
    (ack,) = acks("bots_ack-850_multi-ak2.edi")
    assert ack.kind == "997" and ack.version is None
    assert summary(ack) == ("PO", "100001", "A", 4, 4, 4)
    assert sets(ack) == [("850", f"000{i}", "A") for i in range(1, 5)]
    assert all(s.errors == [] for s in ack.sets) and ack.errors == []


def test_ak4_composite_positions_and_bad_values() -> None:
    (ack,) = acks("bots_ak4-composite-position.edi")
    assert summary(ack) == ("HC", "1", "R", 1, 1, 0)
    (rejected,) = ack.sets
    assert (rejected.code, rejected.control, rejected.status) == ("837", "300145997", "R")
    assert rejected.errors == [
        "AK3 segment SV2 at position 57: error 8 (segment has data element errors)",
        "AK4 element 2:1 (ref 235) of SV2 at position 57: error 7 (invalid code value), bad value '  '",
        "AK4 element 2:2 (ref 234) of SV2 at position 57: error 1 (required data element missing)",
        "AK3 segment SVD at position 59: error 8 (segment has data element errors)",
        "AK4 element 3:1 (ref 235) of SVD at position 59: error 7 (invalid code value), bad value '  '",
        "AK4 element 3:2 (ref 234) of SVD at position 59: error 1 (required data element missing)",
        "AK5 error 5 (one or more segments in error)",
    ]


def test_ta1_plus_997_extra_ak5_and_ak9_codes() -> None:
    (ack,) = acks("bots_ta1-plus-997.edi")
    assert summary(ack) == ("HC", "1", "R", 1, 1, 0)
    assert sets(ack) == [("837", "300145997", "R")]
    assert ack.sets[0].errors == [
        "AK5 error 3 (transaction set control number in header and trailer do not match)",
        "AK5 error 7 (missing or invalid transaction set control number)",
    ]
    assert ack.errors == ["AK9 error 1 (functional group not supported)"]


def test_inconsistent_ak9_is_reported_as_sent() -> None:
    (ack,) = acks("bots_ta1_ak9-r-with-accepted.edi")
    assert summary(ack) == ("HC", "1", "R", 2, 2, 1)  # R although one set was accepted: not "fixed" to P
    assert sets(ack) == [("837", "300207436", "R"), ("837", "300207437", "A")]
    assert ack.sets[0].errors == ["AK5 error 4 (number of included segments does not match actual count)"]
    assert ack.errors == ["AK9 error 4 (group control number in the functional group header and trailer do not agree)"]


def test_three_997s_in_one_group_keep_leading_zeros() -> None:
    found = acks("bots_three-997-in-group.edi")
    assert [summary(a) for a in found] == [
        ("PO", "142", "A", 1, 1, 1),
        ("PO", "150", "A", 1, 1, 1),
        ("PO", "151", "A", 1, 1, 1),
    ]
    assert [sets(a) for a in found] == [
        [("850", "101308635", "A")],
        [("850", "000000001", "A")],
        [("850", "000000002", "A")],
    ]


def test_vics_0x15_terminator() -> None:
    (ack,) = acks("bots_vics_nak-0x15-terminator.edi")
    assert summary(ack) == ("PR", "10001", "A", 1, 1, 1)
    assert sets(ack) == [("855", "1294", "A")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gtlog_ak1-no-ak2_gs05-8digit.edi", ("SM", "1", "A", 1, 1, 1)),
        ("staedi_isb-ise-service-segments.edi", ("HC", "000001", "A", 1, 1, 1)),
    ],
)
def test_group_level_only(name: str, expected: tuple[object, ...]) -> None:
    (ack,) = acks(name)
    assert summary(ack) == expected
    assert ack.sets == [] and ack.errors == []


def test_5010_ak3_ak4_reject() -> None:
    (ack,) = acks("staedi_5010_ak3-ak4_reject.edi")
    assert summary(ack) == ("HC", "000001", "R", 1, 1, 0)
    assert sets(ack) == [("837", "0021", "R")]
    assert ack.sets[0].errors == [
        "AK3 segment NM1 at position 8: error 8 (segment has data element errors)",
        "AK4 element 8 (ref 66) of NM1 at position 8: error 7 (invalid code value), bad value 'MI'",
        "AK5 error 5 (one or more segments in error)",
    ]


def test_5010_repetitions_inside_ak3_ak4() -> None:
    (ack,) = acks("staedi_5010_repetition-in-ak3-ak4.edi")
    assert summary(ack) == ("HC", "000001", "R", 1, 1, 0)
    ak3, ak4, ak5 = ack.sets[0].errors
    assert ak3 == (
        "AK3 segment NM1 at position AK302-R1^AK302-R2^AK302-R3-COMP1:AK302-R3-COMP2: error AK304-R1^AK304-R2^AK304-R3"
    )
    assert ak4.endswith("bad value 'AK404-R1-COMP1:AK404-R1-COMP2:AK404-R1-COMP3^AK404-R2-COMP1:AK404-R2-COMP2'")
    assert ak5 == "AK5 error 5 (one or more segments in error)"


def test_three_interchanges() -> None:
    found = acks("staedi_three-interchanges.edi")
    assert len(found) == 3
    assert all(summary(a) == ("HC", "000001", "R", 1, 1, 0) for a in found)
    assert all(sets(a) == [("837", "0021", "R")] for a in found)


def test_ack_of_824_and_5010_accept() -> None:
    (ack,) = acks("stupidedi_ack-824_backtick-isa16_short-isa06.edi")
    assert summary(ack) == ("AG", "160", "A", 1, 1, 1)
    assert sets(ack) == [("824", "0160", "A")]
    (ack,) = acks("x12types_5010_accept.edi")
    assert summary(ack) == ("HC", "17456", "A", 1, 1, 1)
    assert sets(ack) == [("837", "0001", "A")]


def _interchange(code: str, version: str, body: list[str]) -> bytes:
    segments = [
        "ISA*00*          *00*          *ZZ*PARTNER        *ZZ*CROSSDOCK      *261124*1600*^*00501*000000009*0*P*:",
        f"GS*FA*PARTNER*CROSSDOCK*20261124*1600*9*X*{version}",
        f"ST*{code}*0001*{version}" if code == "999" else f"ST*{code}*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*9",
        "IEA*1*000000009",
    ]
    return "~\n".join(segments).encode() + b"~\n"


# A 999 written by us (the corpus has none): IK3/IK4 with CTX context, a repetition position, IK5 codes.
OUR_999 = _interchange(
    "999",
    "005010X231A1",
    [
        "AK1*PO*000123*005010",
        "AK2*850*0042*005010",
        "IK3*PO1*12*PO1*8",
        "CTX*SITUATIONAL TRIGGER*PO1*12**7:2",
        "IK4*7:2*234*7*XX",
        "IK4*2::3*235*I12",
        "IK5*R*5*I5",
        "AK2*850*0043*005010",
        "IK5*A",
        "AK9*P*2*2*1",
    ],
)


def test_999_with_context_and_repetition_positions() -> None:
    (ts,) = read_transactions(OUR_999)
    validate(ts)
    assert status(ts) == "accepted"
    ack = acknowledgment_from_999(ts)
    assert ack.kind == "999" and ack.version == "005010"
    assert summary(ack) == ("PO", "000123", "P", 2, 2, 1)
    assert sets(ack) == [("850", "0042", "R"), ("850", "0043", "A")]
    assert ack.sets[0].errors == [
        "IK3 segment PO1 at position 12 in loop PO1: error 8 (segment has data element errors)"
        " [context: SITUATIONAL TRIGGER, PO1, 12, 7:2]",
        "IK4 element 7:2 (ref 234) of PO1 at position 12: error 7 (invalid code value), bad value 'XX'",
        "IK4 element 2 repetition 3 (ref 235) of PO1 at position 12: error I12 (implementation pattern match failure)",
        "IK5 error 5 (one or more segments in error)",
        "IK5 error I5 (implementation one or more segments in error)",
    ]


def test_missing_ak1_is_refused_and_missing_ak9_noted() -> None:
    (ts,) = read_transactions(_interchange("997", "005010", ["AK2*850*0001", "AK5*A"]))
    with pytest.raises(DecodeError, match="AK1"):
        acknowledgment_from_997(ts)
    (ts,) = read_transactions(_interchange("997", "005010", ["AK1*PO*5", "AK2*850*0001", "AK5*A"]))
    ack = acknowledgment_from_997(ts)
    assert ack.status == "" and ack.sets_included is None
    assert ack.errors == ["AK9 missing: the partner sent no group response"]
    assert sets(ack) == [("850", "0001", "A")]
