"""997 and 999 out: positions from validation, swapped parties, versions that follow GS08, golden files."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import pyx12.rawx12file

from crossdock.mappings.x12.ack import acknowledge
from crossdock.mappings.x12.fa997 import acknowledgment_from_997
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.report import validate_file
from crossdock.mappings.x12.validator import status, validate
from tests.conftest import CASES, CORPUS
from tests.golden import assert_golden

WHEN = datetime(2026, 11, 22, 10, 30)
CASES_997 = {
    "errors-for-997": "x12/malformed/ediengine_940_errors-for-997.edi",
    "syntax-note": "x12/malformed/ediengine_850_syntax-note-violation.edi",
    "mixed-versions": "x12/mixed/staedi_810-004010_and_850-003010_two-groups.edi",
    "missing-se": "x12/malformed/gtlog_no-se-trailer.edi",
    "nbsp-isa-iea-mismatch": "x12/850/edinet_consumer-dropship-placeholder_nbsp-isa.edi",
}


@pytest.mark.parametrize("kind", ["997", "999"])
@pytest.mark.parametrize("case", sorted(CASES_997))
def test_acknowledgment_matches_golden_and_reads_back(case: str, kind: str) -> None:
    result = validate_file(CORPUS / CASES_997[case])
    text = acknowledge(result, kind, created=WHEN)  # type: ignore[arg-type]
    assert_golden(CASES / "x12" / kind / case / "expected.edi", text.encode("latin-1"))
    for ic in parse(text.encode("latin-1")):
        assert ic.ok, [str(e) for e in ic.errors]
        for group in ic.groups:
            assert group.functional_id == "FA"
            for ts in group.transactions:
                validate(ts)
                assert status(ts) != "rejected", [str(e) for e in ts.errors]
                assert all(e.code == "1" for e in ts.errors), "only 'version read with envelope checks'"
    for interchange in re.split(r"(?m)^(?=ISA)", text)[1:]:
        segments = list(pyx12.rawx12file.RawX12File(io.StringIO(interchange)))
        assert segments[0].startswith("ISA") and segments[-1].startswith("IEA")


def test_997_carries_segment_and_element_positions() -> None:
    result = validate_file(CORPUS / "x12/malformed/ediengine_850_syntax-note-violation.edi")
    text = acknowledge(result, "997", created=WHEN)
    lines = [line.rstrip("~") for line in text.splitlines()]
    assert any(line.startswith("AK3*PO1*") for line in lines)
    ak4 = [line for line in lines if line.startswith("AK4*")]
    assert "AK4*7*234*2" in ak4
    assert any(line.startswith("AK5*R*5") for line in lines)
    assert any(line.startswith("AK9*R*1*1*0") for line in lines)


def test_parties_are_swapped_and_version_follows_gs08() -> None:
    result = validate_file(CORPUS / "x12/850/nodex12_1edisource-xyzretail_vics.edi")
    text = acknowledge(result, "997", created=WHEN)
    (ic,) = parse(text.encode())
    inbound = result.interchanges[0].interchange
    assert (ic.sender_id, ic.receiver_id) == (inbound.receiver_id, inbound.sender_id)
    assert (ic.sender_qualifier, ic.receiver_qualifier) == (inbound.receiver_qualifier, inbound.sender_qualifier)
    assert ic.groups[0].version == "004010VICS"
    assert "AK9*A*1*1*1" in text


def test_our_997_reads_back_as_the_acknowledgment_it_means() -> None:
    result = validate_file(CORPUS / "x12/malformed/ediengine_940_errors-for-997.edi")
    text = acknowledge(result, "997", created=WHEN)
    (ic,) = parse(text.encode())
    acks = [acknowledgment_from_997(ts) for g in ic.groups for ts in g.transactions]
    assert [a.status for a in acks] == ["P", "R"]
    assert [s.status for s in acks[0].sets] == ["A", "R"]
    assert acks[0].sets[1].control == "20067"


def test_a_999_for_a_4010_group_is_written_as_005010x231() -> None:
    result = validate_file(CORPUS / "x12/850/bots_thermatru_crlf.edi")
    text = acknowledge(result, "999", created=WHEN)
    assert "*005010X231~" in text and "ST*999*0001*005010X231~" in text
    assert "AK1*PO*8*004010~" in text
