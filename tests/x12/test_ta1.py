"""Inbound TA1 -> InterchangeAcknowledgment: the corpus TA1s as sent, and each bad element named."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crossdock.cli import main
from crossdock.mappings.x12.errors import Severity
from crossdock.mappings.x12.hub import read
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.ta1 import interchange_acknowledgments
from tests.conftest import CORPUS

ISA = b"ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       *261203*1200*U*00401*000000007*0*P*>~\n"


def ta1_file(ta1: str, *, isa: bytes = ISA) -> bytes:
    return isa + f"{ta1}~\nIEA*0*000000007~\n".encode()


def summary(path: str) -> list[tuple[object, ...]]:
    (ic,) = parse(CORPUS / "x12" / path)
    return [
        (a.interchange_control, a.interchange_date, a.interchange_time, a.status, a.note_code, a.note)
        for a in interchange_acknowledgments(ic)
    ]


def test_corpus_ta1s_map_as_sent() -> None:
    assert summary("ta1/bots_ta1_reject-015.edi") == [
        ("000484889", dt.date(2004, 7, 9), "1339", "R", "015", "invalid interchange time value")
    ]
    assert summary("ta1/staedi_ta1_5010_iea01-1.edi") == [
        ("000000050", dt.date(2020, 2, 29), "1200", "A", "000", "no error")
    ]
    assert summary("ta1/oboe_ta1_lt-isa16_newline.edi")[0][3:5] == ("R", "024")
    assert summary("ta1/oopfactory_ta1_gt-elemsep_plus-term.edi")[0][3:5] == ("R", "006")
    assert summary("997/bots_ta1-plus-997.edi")[0][0] == "000484889", "a TA1 before the GS is read too"


def test_a_stray_element_after_ta105_is_only_a_warning() -> None:
    (ic,) = parse(CORPUS / "x12" / "ta1/oopfactory_ta1_gt-elemsep_plus-term.edi")
    (warning,) = ic.errors
    assert warning.severity is Severity.WARNING and warning.segment_id == "TA1" and warning.element_position == 6


@pytest.mark.parametrize(
    ("ta1", "position", "says"),
    [
        ("TA1*12345*261202*1100*R*006", 1, "TA101 interchange control number '12345' is not valid"),
        ("TA1*000000123*261302*1100*R*006", 2, "TA102 interchange date '261302' is not valid"),
        ("TA1*000000123*20261202*1100*R*006", 2, "TA102 interchange date '20261202' is not valid"),
        ("TA1*000000123*261202*2500*R*006", 3, "TA103 interchange time '2500' is not valid"),
        ("TA1*000000123*261202*1100*X*006", 4, "TA104 acknowledgment code 'X' is not valid"),
        ("TA1*000000123*261202*1100*R*099", 5, "TA105 note code '099' is not valid"),
        ("TA1*000000123*261202*1100*R", 5, "TA105 note code is missing"),
    ],
)
def test_each_bad_ta1_element_is_an_interchange_error_at_its_place(ta1: str, position: int, says: str) -> None:
    (ic,) = parse(ta1_file(ta1))
    (error,) = ic.errors
    assert (error.level.value, error.code, error.segment_id, error.element_position) == (
        "interchange",
        "024",
        "TA1",
        position,
    )
    assert error.message == says and error.offset == len(ISA)


def test_a_ta1_only_interchange_is_never_answered_even_when_it_is_bad() -> None:
    inbound = read(ta1_file("TA1*000000123*261202*1100*X*006"))
    assert inbound.interchanges[0].errors, "the bad TA104 is reported"
    assert inbound.ack_counts() == (0, 0)
    created = dt.datetime(2026, 12, 3)
    assert inbound.ack("997", interchange=1, group=1, transaction=1, usage="P", created=created) is None
    (ta1,) = inbound.interchanges[0].acknowledgments
    assert (ta1.interchange_control, ta1.status, ta1.note) == ("000000123", "X", "invalid interchange sender ID")


def test_to_json_lists_interchange_acknowledgments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["x12", "to-json", str(CORPUS / "x12" / "997" / "bots_ta1-plus-997.edi")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["interchange_acknowledgments"] == [
        {
            "interchange_control": "000484889",
            "interchange_date": "2004-07-09",
            "interchange_time": "1339",
            "status": "R",
            "note_code": "015",
            "note": "invalid interchange time value",
        }
    ]
    assert data["acknowledgments"][0]["group_control"] == "1", "the 997 beside it is still read"
