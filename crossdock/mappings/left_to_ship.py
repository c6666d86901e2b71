"""What of a channel's order is left to ship once refunds, edits and lines that need no shipping are read, the
same way for every channel whose mapping reads them (Shopify, WooCommerce, BigCommerce). Pure: no I/O.

A mapping gives each line the quantity left to ship and a note saying what was taken out (``ordered 3, 1
refunded or removed``) or ``needs no shipping``, then calls ``settle`` with which lines ever needed shipping:

- when no line that needed shipping has anything left, the order is a cancel (``purpose`` ``01``); when none
  ever needed shipping, it is ``already_shipped`` (nothing for a warehouse, noted ``no line needs shipping``).
  Either way its lines stay as they are, so the stored order still shows what it was;
- otherwise a line with nothing left is taken out of the order (a warehouse, a 940 or a 3PL's API would be
  asked for 0 units) and the order's notes keep it: ``line 7011 (SKU-1): ordered 1, 1 refunded or removed``.
  Lines keep their positions, so a later revision still lines up with the one a destination holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from crossdock.core.models import Order, OrderLine

NO_SHIPPING = "needs no shipping"
TAKEN_OUT = "refunded or removed"


def taken_out(ordered: Decimal, left: Decimal) -> str:
    """The line note for units refunded or removed."""
    return f"ordered {ordered}, {ordered - left} {TAKEN_OUT}"


def settle(order: Order, ships: Sequence[bool]) -> None:
    """``ships[i]``: whether ``order.lines[i]`` ever needed shipping."""
    shippable = [line for line, needed in zip(order.lines, ships, strict=True) if needed]
    if order.purpose == "01" or not order.lines:
        return
    if not any(line.quantity > 0 for line in shippable):
        if shippable:
            order.purpose = "01"
        else:
            order.already_shipped = True
            order.notes.append("no line needs shipping")
        return
    for line in order.lines:
        if line.quantity <= 0:
            order.notes.append(_gone(line))
    order.lines = [line for line in order.lines if line.quantity > 0]


def _gone(line: OrderLine) -> str:
    sku = line.product_ids.get("SK")
    said = [note for note in line.notes if note == NO_SHIPPING or note.endswith(TAKEN_OUT)]
    return f"line {line.line_number}{f' ({sku})' if sku else ''}: {'; '.join(said) or 'nothing left'}"
