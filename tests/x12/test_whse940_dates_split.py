"""940 dates, store distribution and ship-tos per line (issue 19 item 5): each date kind under its own G62
qualifier, SDQ carried, and an order whose lines go to several ship-tos split into one 940 per ship-to for a 3PL
that takes one ship-to an order, with distinct depositor order numbers (W0502) and the PO (W0503) in each."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal

import pytest

from crossdock.core.models import DateRef, Party
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.hub import Outgoing
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status
from crossdock.mappings.x12.warehouse import count_940s, write_940, write_940s
from crossdock.mappings.x12.whse940 import CANCEL, ORIGINAL, build_940, g62_segments, split_by_ship_to
from crossdock.mappings.x12.writer import X12WriteError
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.x12.test_whse940 import case_input, read_back, seg_values, write

GOLDEN = CASES / "x12" / "940"
SPLIT = CASES / "x12" / "940-split"
OUT = Outgoing(
    "ZZ",
    "CROSSDOCK",
    "ZZ",
    "WAREHOUSE",
    "CROSSDOCK",
    "WAREHOUSE",
    "004010",
    "P",
    1,
    1,
    1,
    datetime(2026, 11, 22, 10, 30),
)


def test_each_date_kind_keeps_its_meaning() -> None:
    order, *_ = case_input(GOLDEN / "dates-stores")
    ts = read_back(write(order))
    header = [v for v in seg_values(ts, "G62")][:7]
    assert header == [
        ["10", "20261125"],  # requested ship (DTM 010)
        ["37", "20261124"],  # ship not before
        ["38", "20261127"],  # ship no later than
        ["02", "20261202"],  # delivery requested
        ["53", "20261201"],  # DTM 064 do not deliver before
        ["54", "20261204"],  # DTM 063 do not deliver after
        ["01", "20261210"],  # cancel after
    ]
    assert seg_values(ts, "G62")[7:] == [["38", "20261126"]]  # line 2's own ship-by, in its LX loop


def test_a_channel_ship_by_is_a_ship_no_later_than() -> None:
    ship_by = DateRef(qualifier="038", date=dt.date(2026, 12, 1))
    assert g62_segments([ship_by]) == [["G62", "38", "20261201"]]
    pickup = DateRef(qualifier="118", date=dt.date(2026, 12, 2))
    assert g62_segments([pickup, DateRef(qualifier="010", date=dt.date(2026, 12, 3))]) == [["G62", "10", "20261203"]]


def test_store_distribution_reaches_the_3pl() -> None:
    order, *_ = case_input(GOLDEN / "dates-stores")
    ts = read_back(write(order))
    sdq = seg_values(ts, "SDQ")
    assert [s[:2] for s in sdq] == [["EA", "92"], ["EA", "92"]]
    pairs = [x for s in sdq for x in s[2:]]
    stores = [(pairs[i], Decimal(pairs[i + 1])) for i in range(0, len(pairs), 2)]
    assert stores == [(s.location, s.quantity) for s in order.lines[0].stores]
    assert sum(q for _, q in stores) == order.lines[0].quantity


def _interchange_sets(data: bytes) -> list[ReadSet]:
    (interchange,) = parse(data)
    (group,) = interchange.groups
    for ts in group.transactions:
        assert status(ts) == "accepted"
    return list(group.transactions)


def test_lines_to_several_ship_tos_become_one_940_each() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    data = write_940(order, OUT)
    assert_golden(SPLIT / "by-ship-to" / "expected.edi", data)
    sets = _interchange_sets(data)
    assert count_940s([order]) == len(sets) == 2
    w05 = [s.segments[1].elements[1:4] for s in sets]
    assert w05 == [["N", "PO-8800-1", "PO-8800"], ["N", "PO-8800-2", "PO-8800"]]
    ship_tos = [[seg.elements[4] for seg in s.segments if seg.id == "N1" and seg.elements[1] == "ST"] for s in sets]
    assert ship_tos == [["0101"], ["0202"]]
    lines = [[seg.elements[2] for seg in s.segments if seg.id == "N9" and seg.elements[1] == "LI"] for s in sets]
    assert lines == [["1", "3"], ["2"]]  # line numbers kept: the 945 of each part finds its order lines


def test_a_3pl_taking_a_ship_to_per_line_gets_one_940() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    header = Party(role="ST", name="BIGBOX DC", id_qualifier="92", id="DC1")
    order = order.model_copy(update={"parties": [header, *order.parties]})
    assert count_940s([order], ship_to_per_line=True) == 1
    ts = read_back(write_940(order, OUT, ship_to_per_line=True))
    assert seg_values(ts, "W05") == [["N", "PO-8800", "PO-8800"]]
    n1 = [v[:4] for v in seg_values(ts, "N1")]
    assert n1 == [
        ["ST", "BIGBOX DC", "92", "DC1"],
        ["BY", "BIGBOX STORES INC", "92", "BUYER1"],
        ["ST", "STORE 0101", "92", "0101"],
        ["ST", "STORE 0202", "92", "0202"],
        ["ST", "STORE 0101", "92", "0101"],
    ]


def test_one_ship_to_on_every_line_keeps_the_po_number() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    same = order.lines[0].parties
    order = order.model_copy(update={"lines": [ln.model_copy(update={"parties": same}) for ln in order.lines]})
    ((part, number),) = split_by_ship_to(order)
    assert number == "PO-8800" and part.ship_to == same[0]  # the header takes the lines' ship-to
    ts = read_back(write(part))
    assert seg_values(ts, "N1")[0][:4] == ["ST", "STORE 0101", "92", "0101"]


def test_a_changed_split_order_cancels_and_resends_each_part() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    sets = _interchange_sets(write_940s([(order, CANCEL), (order, ORIGINAL)], OUT))
    w05 = [s.segments[1].elements[1:3] for s in sets]
    assert w05 == [["F", "PO-8800-1"], ["F", "PO-8800-2"], ["N", "PO-8800-1"], ["N", "PO-8800-2"]]
    assert [s.control for s in sets] == ["0001", "0002", "0003", "0004"]


def test_a_depositor_order_number_too_long_for_w0502_is_refused() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    long_po = order.model_copy(update={"po_number": "P" * 21})
    with pytest.raises(X12WriteError, match="W0502"):
        write_940(long_po, OUT)
    with pytest.raises(X12WriteError, match="W0502"):
        build_940(long_po, "0001", depositor_order="X" * 23)


def test_an_order_without_any_ship_to_is_still_refused() -> None:
    order, *_ = case_input(SPLIT / "by-ship-to")
    bare = order.model_copy(update={"lines": [ln.model_copy(update={"parties": []}) for ln in order.lines]})
    with pytest.raises(X12WriteError, match="ship-to"):
        write_940(bare, OUT)
