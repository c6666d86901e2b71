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


def test_a_trailer_with_no_elements_is_placed_before_itself_not_at_the_end() -> None:
    data = (
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261122*1030*U*00401*000000007*0*P*>~"
        "GS*PO*SENDER*RECEIVER*20261122*1030*7*X*004010~ST*850*0001~BEG*00*SA*PO-1**20261122~GE~IEA*1*000000007~"
    )
    result = validate_file(data.encode())
    (ts,) = result.interchanges[0].groups[0].sets
    messages = [str(e) for e in ts.errors]
    at = data.index("GE~")
    assert any(f"before GE at byte {at}" in m for m in messages), messages
    assert not any("end of the file" in m for m in messages), messages


def test_a_999_to_a_bare_space_terminator_uses_standard_delimiters() -> None:
    """A space terminator cannot carry a CTX01 (SITUATIONAL TRIGGER) should a 999 need one."""
    data = (CORPUS / "x12/850/oopfactory_adobe-shrinkwrap_space-terminator.edi").read_bytes()
    data = data.replace(b" \r\n", b" ").replace(b"\r\n", b"")  # every segment ends with a bare space
    text = acknowledge(validate_file(data), "999", created=WHEN)
    assert text.startswith("ISA*") and text[105] == "~"
    assert "IK3*TO*7*N1*" in text, "the stray segment is named with its position"
    assert "CTX" not in text, "a segment out of place is no situational trigger"
    segments = list(pyx12.rawx12file.RawX12File(io.StringIO(text)))
    assert segments[0].startswith("ISA") and segments[-1].startswith("IEA")


def test_ids_beyond_latin_1_in_an_inbound_isa_become_spaces_in_the_answer() -> None:
    from crossdock.mappings.x12.hub import read

    data = (CORPUS / "x12/856/oopfactory_multibyte-ellipsis-terminator.edi").read_bytes()
    isa_end = data.index(b"\xe2\x80\xa6")  # the terminator of the ISA: the file is UTF-8
    ids = data[:isa_end].replace(b"965061609", "96506160\u2026".encode())  # ISA06 with a character of 3 bytes
    inbound = read(ids + data[isa_end:])
    answer = inbound.ack("997", interchange=1, group=1, transaction=1, usage="P", created=WHEN)
    assert answer is not None and b"*01*96506160       *ZZ*123456789      *" in answer
    (ic,) = parse(answer)
    assert (ic.sender_id, ic.receiver_id) == ("96506160", "123456789")


def test_a_999_names_its_guide_005010x231a1_whatever_the_group_version() -> None:
    result = validate_file(CORPUS / "x12/850/bots_thermatru_crlf.edi")
    text = acknowledge(result, "999", created=WHEN)
    assert "*X*005010X231A1~" in text and "ST*999*0001*005010X231A1~" in text
    assert "AK1*PO*8*004010~" in text
