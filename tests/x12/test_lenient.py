"""Lenient partners: MSG in a 5010 N9 loop, PO4 before PID and segments out of order within a loop are accepted
with a warning (AK5 E) instead of rejecting the PO, and read into the order (issue 19, item 9)."""

from __future__ import annotations

import pytest

from crossdock.mappings.x12.hub import read
from crossdock.mappings.x12.po850 import order_from_850
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.validator import status, validate
from crossdock.mappings.x12.walk import SLIPS
from tests.x12.test_po850_details import interchange
from tests.x12.test_streamed import outcome, small_windows

BEG = "BEG*00*SA*PO-1**20261120"
PO1 = "PO1*1*1*EA*1**UP*012345678905"
SLIPPED = {
    "msg_in_n9": ("005010", [BEG, "N9*L1*NOTES", "MSG*RING THE BELL", PO1, "CTT*1"]),
    "po4_before_pid": ("004010", [BEG, PO1, "PO4*12", "PID*F****STONEWARE MUG", "CTT*1"]),
    "out_of_order": ("004010", [BEG, PO1, "DTM*002*20261201", "REF*DP*042", "CTT*1"]),
}


def slipped(slip: str) -> bytes:
    version, body = SLIPPED[slip]
    return interchange(body, version)


def checked(data: bytes, lenient: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    (ts,) = read_transactions(data)
    validate(ts, lenient)
    return status(ts), [str(e) for e in ts.errors]


@pytest.mark.parametrize("slip", sorted(SLIPPED))
def test_a_slip_is_rejected_unless_the_partner_is_lenient_about_it(slip: str) -> None:
    version, body = SLIPPED[slip]
    data = interchange(body, version)
    assert checked(data)[0] == "rejected"
    others = frozenset(SLIPS) - {slip}
    assert checked(data, others)[0] == "rejected"
    state, found = checked(data, frozenset({slip}))
    assert state == "accepted_with_errors"
    (warning,) = found
    assert warning.startswith("warning segment") and f"(accepted: {SLIPS[slip]})" in warning


def test_what_a_lenient_partner_slipped_is_read_into_the_order() -> None:
    (ts,) = read_transactions(slipped("msg_in_n9"))
    assert order_from_850(ts).note_groups[0].messages[0].text == "RING THE BELL"
    (ts,) = read_transactions(slipped("po4_before_pid"))
    line = order_from_850(ts).lines[0]
    assert line.pack == 12 and line.description == "STONEWARE MUG"
    (ts,) = read_transactions(slipped("out_of_order"))
    assert [r.value for r in order_from_850(ts).lines[0].references] == ["042"]


def test_a_misplaced_segment_that_is_no_slip_is_still_an_error() -> None:
    data = interchange([BEG, PO1, "CTT*1", "BEG*00*SA*PO-2**20261120"], "004010")  # a second BEG after the lines
    assert checked(data, frozenset(SLIPS))[0] == "rejected"


def test_a_lenient_read_in_batches_finds_the_same() -> None:
    for version, body in SLIPPED.values():
        data = interchange(body, version)
        whole = read(data, batch=None, lenient=frozenset(SLIPS))
        with small_windows(16):
            streamed = read(data, batch=1, lenient=frozenset(SLIPS))
        assert outcome(streamed) == outcome(whole)
        (ts,) = whole.interchanges[0].groups[0].sets
        assert ts.status == "accepted_with_errors" and ts.document is not None
