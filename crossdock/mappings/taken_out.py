"""Lines a sales channel took out of an order (cancelled or refunded units), read the same way on every marketplace
mapping (Amazon, eBay, Walmart). Pure: no I/O.

A line's ``quantity`` is what is left to ship. What was taken out stays visible: a line with some units taken out
keeps a note ``"<n> of <ordered> <how>"`` (e.g. ``"1 of 3 cancelled at Walmart"``); a line with nothing left
leaves the order, which keeps a note ``"line <id> (<sku>): all <ordered> <how>"``. When every line is taken out
whole the order is a cancel (purpose ``01``) and keeps its lines as ordered, so a warehouse can match them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from crossdock.core.models import Order


def take_out(order: Order, taken: Mapping[str, tuple[Decimal, str]]) -> None:
    """Apply ``taken`` (by ``line_number``: units taken out, and how, e.g. ``"refunded at eBay"``) to ``order``'s
    lines, as the module says. Positions are renumbered over the lines kept."""
    kept = []
    gone = []
    for line in order.lines:
        units, how = taken.get(line.line_number or "", (Decimal(0), ""))
        units = min(max(units, Decimal(0)), line.quantity)
        if units <= 0:
            kept.append(line)
        elif units < line.quantity:
            line.notes.append(f"{_number(units)} of {_number(line.quantity)} {how}")
            line.quantity -= units
            kept.append(line)
        else:
            gone.append((line, how))
    if not kept:
        order.purpose = "01"
        return
    for line, how in gone:
        sku = line.product_ids.get("SK")
        named = f"line {line.line_number}" + (f" ({sku})" if sku else "")
        order.notes.append(f"{named}: all {_number(line.quantity)} {how}")
    order.lines = kept
    for position, line in enumerate(kept, 1):
        line.position = position


def _number(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value)
