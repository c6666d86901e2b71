"""What a destination is sent of a partly shipped order, and when its part of a revision is the same as before."""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.lifecycle.left_to_ship import Progress, left_of, same_part, with_counts
from crossdock.core.models import Order, OrderLine


def _order(*quantities: int, notes: tuple[str, ...] = ()) -> Order:
    lines = [
        OrderLine(position=i, line_number=str(7010 + i), quantity=Decimal(q), uom="EA", product_ids={"SK": f"S{i}"})
        for i, q in enumerate(quantities, 1)
    ]
    return Order(po_number="1001", lines=lines, notes=list(notes))


def test_what_is_left_leaves_out_lines_shipped_in_full_cut_to_nothing_or_closed() -> None:
    done = Progress({1: Decimal(2), 2: Decimal(5)}, frozenset({4}))
    left = left_of(_order(6, 5, 0, 3, 4), done)
    assert [(line.line_number, line.quantity) for line in left.lines] == [("7011", 4), ("7015", 4)]
    dumped = with_counts({"lines": [{"position": 1, "quantity": "4"}]}, _order(6), done.shipped)
    assert dumped["lines"] == [{"position": 1, "quantity": "4", "ordered": "6", "shipped": "2"}]


def test_a_note_about_a_line_taken_out_elsewhere_is_no_change_of_this_part() -> None:
    before = _order(2)
    elsewhere = _order(2, notes=("line 9001 (SKU-9): all 2 cancelled at Walmart",))
    assert same_part(before, elsewhere)
    here = _order(2, notes=("line 7011 (S1): all 2 cancelled at Walmart",))
    assert not same_part(before, here), "a note about this part's own line is a change"
    assert not same_part(before, _order(2, notes=("deliver to the back door",))), "any other note is a change"
    assert not same_part(before, _order(3))
