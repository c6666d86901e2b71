"""The 855 for an order (issue 19 item 10): ACK04 068 and ACK05 the scheduled ship date, from the order's
requested ship date or the partner's lead time, and PO105 echoed for partners that want it. Golden files in
tests/cases/x12/855-order (regenerate with CROSSDOCK_REGEN_GOLDEN=1)."""

from __future__ import annotations

import datetime as dt
import json
from datetime import datetime
from typing import Any

import pytest

from crossdock.core.models import DateRef, Order
from crossdock.mappings.x12.hub import Outgoing, write_855
from crossdock.mappings.x12.poack855 import ack_from_855, scheduled_ship
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from tests.conftest import CASES
from tests.golden import assert_golden

GOLDEN = CASES / "x12" / "855-order"
OUT = Outgoing(
    "ZZ", "CROSSDOCK", "ZZ", "BIGBOX", "CROSSDOCK", "BIGBOX", "004010", "P", 7, 7, 7, datetime(2026, 11, 21, 8, 0)
)


def _case(name: str) -> tuple[Order, dict[str, Any]]:
    order = Order.model_validate_json((GOLDEN / name / "input.json").read_text())
    return order, json.loads((GOLDEN / name / "options.json").read_text())


def _acks(data: bytes) -> list[list[str]]:
    (interchange,) = parse(data)
    (ts,) = interchange.groups[0].transactions
    validate(ts)
    assert status(ts) == "accepted"
    return [seg.elements[1:] for seg in ts.segments if seg.id in ("PO1", "ACK")]


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_golden(case: str) -> None:
    order, options = _case(case)
    assert_golden(GOLDEN / case / "expected.edi", write_855(order, OUT, **options))


def test_the_requested_ship_date_is_the_scheduled_one_and_po105_is_echoed() -> None:
    order, options = _case("scheduled")
    segments = _acks(write_855(order, OUT, **options))
    assert [s[:5] for s in segments if len(s) > 5] == [
        ["1", "4", "CA", "54", "PE"],
        ["2", "10", "EA", "3.1", "CP"],
    ]
    acks = [s for s in segments if s[0] == "IA"]
    assert [a[3:5] for a in acks] == [["068", "20261126"], ["068", "20261126"]]  # DTM 010, not the 038
    (ts,) = parse(write_855(order, OUT, **options))[0].groups[0].transactions
    back = ack_from_855(ts)
    assert [(line.date, line.date_qualifier, line.price_basis) for line in back.lines] == [
        (dt.date(2026, 11, 26), "068", "PE"),
        (dt.date(2026, 11, 26), "068", "CP"),
    ]


def test_without_a_requested_date_the_lead_time_counts_from_the_855() -> None:
    order, options = _case("lead-time")
    acks = [s for s in _acks(write_855(order, OUT, **options)) if s[0] == "IA"]
    assert acks == [["IA", "6", "EA", "068", "20261126"]]  # 21 November plus 5 days


def test_a_partner_that_asks_for_neither_gets_the_855_as_before() -> None:
    order, _ = _case("scheduled")
    segments = _acks(write_855(order, OUT))
    assert all(len(s) < 5 or s[4] == "" for s in segments if s[0] != "IA")  # PO105 blank
    assert [s for s in segments if s[0] == "IA"] == [["IA", "4", "CA"], ["IA", "10", "EA"]]


def test_scheduled_ship() -> None:
    today = dt.date(2026, 11, 21)
    window = Order(po_number="P", dates=[DateRef(qualifier="037", date=dt.date(2026, 11, 24))])
    assert scheduled_ship(window, today, 2) == dt.date(2026, 11, 24)
    assert scheduled_ship(Order(po_number="P"), today, 0) == today
    assert scheduled_ship(Order(po_number="P"), today, None) is None
