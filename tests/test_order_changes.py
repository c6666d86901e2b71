"""An 860 applied to a stored order (core/lifecycle/order_changes.py): each POC code, shipped lines refused, and
properties that hold for any order and any change (hypothesis)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.lifecycle.order_changes import apply_change
from crossdock.core.models import DateRef, LineChange, Order, OrderChange, OrderLine, Party


def _order(*quantities: int) -> Order:
    return Order(
        po_number="PO-1",
        order_date=dt.date(2026, 11, 20),
        purpose="00",
        dates=[DateRef(qualifier="002", date=dt.date(2026, 12, 1))],
        parties=[Party(role="ST", name="DC 42")],
        lines=[
            OrderLine(
                position=i,
                line_number=f"{i:04d}",
                quantity=Decimal(q),
                uom="EA",
                unit_price=Decimal("12.50"),
                product_ids={"VN": f"SKU-{i}"},
            )
            for i, q in enumerate(quantities, 1)
        ],
    )


def _change(purpose: str, *lines: LineChange, **header: object) -> OrderChange:
    return OrderChange(po_number="PO-1", purpose=purpose, lines=list(lines), **header)  # type: ignore[arg-type]


def _poc(code: str, line: str | None, quantity: int | None = None, price: str | None = None, **ids: str) -> LineChange:
    return LineChange(
        position=1,
        line_number=line,
        change_code=code,
        quantity=None if quantity is None else Decimal(quantity),
        uom="EA",
        unit_price=None if price is None else Decimal(price),
        product_ids=ids,
    )


def _quantities(order: Order | None) -> dict[str | None, Decimal]:
    assert order is not None
    return {line.line_number: line.quantity for line in order.lines}


def test_each_poc_code_applied() -> None:
    order = _order(5, 5, 5, 5)
    change = _change(
        "04",
        _poc("QD", "1", 3),  # POC01 "1" is the order's "0001"
        _poc("QI", "0002", 9),
        _poc("PC", "0003", price="11.00"),
        _poc("DI", "0004"),
        _poc("AI", "0005", 2, "4.00", UP="012345678905"),
    )
    applied = apply_change(order, change)
    assert [a.status for a in applied.answers] == ["IA"] * 5
    new = applied.order
    assert new is not None and new.purpose == "04"
    assert _quantities(new) == {"0001": 3, "0002": 9, "0003": 5, "0005": 2}
    assert new.lines[2].unit_price == Decimal("11.00")
    added = new.lines[-1]
    assert (added.position, added.unit_price, added.product_ids) == (5, Decimal("4.00"), {"UP": "012345678905"})
    assert _quantities(order) == {"0001": 5, "0002": 5, "0003": 5, "0004": 5}, "the stored order is not touched"


def test_pq_ca_rz_and_a_quantity_of_zero() -> None:
    applied = apply_change(
        _order(5, 5, 5),
        _change(
            "04",
            _poc("PQ", "0001", 7, "10.00"),
            _poc("CA", "0002", 0),
            _poc("RZ", "0003", 4, "9.00", UP="000000000017"),
        ),
    )
    new = applied.order
    assert new is not None and _quantities(new) == {"0001": 7, "0003": 4}
    assert new.lines[0].unit_price == Decimal("10.00")
    assert new.lines[1].product_ids == {"UP": "000000000017"} and new.lines[1].unit_price == Decimal("9.00")


def test_ct_takes_the_new_dates_and_parties() -> None:
    later = DateRef(qualifier="002", date=dt.date(2026, 12, 24))
    applied = apply_change(
        _order(5), _change("04", _poc("CT", "0001"), dates=[later], parties=[Party(role="ST", name="DC 7")])
    )
    assert applied.order is not None and applied.order.dates == [later]
    assert [p.name for p in applied.order.parties] == ["DC 7"]
    assert _quantities(applied.order) == {"0001": 5}


@pytest.mark.parametrize(
    ("poc", "why"),
    [
        (_poc("QI", "0001", 3), "does not increase"),
        (_poc("QD", "0001", 8), "does not decrease"),
        (_poc("PC", "0001"), "needs the new price"),
        (_poc("QD", "0009", 1), "is not on the order"),
        (_poc("AI", "0001", 1), "on the order already"),
        (_poc("AI", "0002"), "needs its quantity"),
        (_poc("RS", "0001", 1), "not one crossdock applies"),
    ],
)
def test_a_change_that_cannot_be_applied_is_refused(poc: LineChange, why: str) -> None:
    applied = apply_change(_order(5), _change("04", poc))
    (answer,) = applied.answers
    assert answer.status == "IR" and answer.reason is not None and why in answer.reason
    assert applied.order is None, "nothing changed: no new revision"


def test_changes_to_shipped_lines_are_refused_the_rest_applied() -> None:
    applied = apply_change(_order(5, 5), _change("04", _poc("QD", "0001", 2), _poc("QD", "0002", 2)), {1: Decimal(5)})
    assert [(a.status, a.reason) for a in applied.answers] == [("IR", "shipped already"), ("IA", None)]
    assert _quantities(applied.order) == {"0001": 5, "0002": 2}


def test_a_line_shipped_in_part_changes_for_what_has_not_shipped_never_below_it() -> None:
    shipped = {1: Decimal(2), 2: Decimal(2), 3: Decimal(2), 4: Decimal(2)}
    asked = [_poc("QD", "0001", 3), _poc("QD", "0002", 1), _poc("PC", "0003", None, "1.00"), _poc("QI", "0004", 8)]
    applied = apply_change(_order(5, 5, 5, 5), _change("04", *asked), shipped)
    got = [(a.status, a.quantity, a.reason) for a in applied.answers]
    assert got == [
        ("IA", None, None),
        ("IQ", Decimal(2), "2 shipped already"),
        ("IR", None, "shipped already"),
        ("IA", None, None),
    ]
    assert _quantities(applied.order) == {"0001": 3, "0002": 2, "0003": 5, "0004": 8}


def test_cancel_before_anything_shipped_cancels_the_whole_order() -> None:
    applied = apply_change(_order(5, 3), _change("01"))
    assert applied.order is not None and applied.order.purpose == "01"
    assert _quantities(applied.order) == {"0001": 5, "0002": 3}, "the cancelled order keeps its lines"
    assert [(a.change.change_code, a.status) for a in applied.answers] == [("DI", "IA"), ("DI", "IA")]


def test_cancel_after_shipments_cancels_only_what_has_not_shipped() -> None:
    applied = apply_change(_order(5, 5, 5), _change("01"), {1: Decimal(5), 2: Decimal(2)})
    assert [(a.status, a.quantity) for a in applied.answers] == [("IR", None), ("IQ", Decimal(2)), ("IA", None)]
    assert applied.order is not None and applied.order.purpose == "04", "a change: what shipped stays"
    assert _quantities(applied.order) == {"0001": 5, "0002": 2}


def test_cancel_after_everything_shipped_changes_nothing() -> None:
    applied = apply_change(_order(5), _change("01"), {1: Decimal(5)})
    assert applied.order is None and [a.status for a in applied.answers] == ["IR"]


def test_replace_takes_the_lines_sent_and_keeps_the_shipped_ones() -> None:
    applied = apply_change(
        _order(5, 5), _change("05", _poc("RZ", "0001", 9), _poc("RZ", "0003", 4, "1.00")), {1: Decimal(1)}
    )
    assert [a.status for a in applied.answers] == ["IR", "IA"]
    assert applied.order is not None and applied.order.purpose == "05"
    assert _quantities(applied.order) == {"0001": 5, "0003": 4}


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="BCH01"):
        apply_change(_order(5), _change("18"))


CODES = st.sampled_from(["AI", "DI", "QI", "QD", "PC", "PQ", "CT", "CA", "RZ", "NC", "RS"])


@st.composite
def cases(draw: st.DrawFn) -> tuple[Order, OrderChange, dict[int, Decimal]]:
    order = _order(*draw(st.lists(st.integers(1, 20), min_size=1, max_size=5)))
    pocs = [
        LineChange(
            position=i,
            line_number=draw(st.sampled_from(["1", "0002", "0003", "0007", "", "9"])) or None,
            change_code=draw(CODES),
            quantity=draw(st.none() | st.integers(0, 25).map(Decimal)),
            uom="EA",
            unit_price=draw(st.none() | st.sampled_from([Decimal("1.25"), Decimal("12.50")])),
            product_ids=draw(st.sampled_from([{}, {"VN": "SKU-2"}, {"UP": "X"}])),
        )
        for i in range(1, draw(st.integers(0, 5)) + 1)
    ]
    change = _change(draw(st.sampled_from(["01", "04", "05"])), *pocs)
    shipped = draw(
        st.dictionaries(st.sampled_from([line.position for line in order.lines]), st.integers(0, 20).map(Decimal))
    )
    return order, change, shipped


@settings(max_examples=300, deadline=None)
@given(cases())
def test_any_change_never_takes_back_what_shipped_and_answers_every_change(
    case: tuple[Order, OrderChange, dict[int, Decimal]],
) -> None:
    order, change, shipped = case
    before = copy.deepcopy(order)
    applied = apply_change(order, change, shipped)
    assert order == before, "pure: the stored order is not changed in place"
    expected = len(order.lines) if change.purpose == "01" else len(change.lines)
    assert len(applied.answers) == expected
    assert all(a.status in ("IA", "IR", "IQ") for a in applied.answers)
    result = applied.order or order
    by_position = {line.position: line for line in result.lines}
    assert len(by_position) == len(result.lines), "positions stay unique"
    for line in order.lines:
        done = shipped.get(line.position, Decimal(0))
        if done <= 0:
            continue
        kept = by_position.get(line.position)
        assert kept is not None, "a line that shipped is never deleted"
        assert kept.quantity >= min(done, line.quantity)
        if change.purpose == "05" or (change.purpose == "04" and done >= line.quantity):
            assert kept == line, "a change to a line shipped in full, or replaced, is not applied"
        elif change.purpose == "04":
            same = (kept.unit_price, kept.product_ids) == (line.unit_price, line.product_ids)
            assert same, "the price and item of a line that shipped anything stay"
    numbers = [int(poc.line_number) for poc in change.lines if poc.line_number]
    one_change_a_line = len(numbers) == len(set(numbers)) == len(change.lines)  # else their order decides
    if change.purpose == "04" and applied.order is not None and one_change_a_line:
        again = apply_change(applied.order, change, shipped)
        assert _content(again.order or applied.order) == _content(applied.order), "the same 860 twice changes it once"


def _content(order: Order) -> list[tuple[object, ...]]:
    """The lines as the buyer sees them (a line deleted and added again by one 860 takes a new position)."""
    return [(ln.line_number, ln.quantity, ln.uom, ln.unit_price, ln.product_ids) for ln in order.lines]
