"""A buyer's change (an 860) applied to the stored order: a new order, and an answer for every change asked.

Pure: no store, no I/O. The caller says how much of each line has shipped already (by position). A line that
shipped in part may have its quantity changed (QI, QD, DI) for what has not shipped, never below what did: a
decrease past it is answered IQ with the line kept at what shipped. Any other change to a line that shipped
anything (its price, its item, a line shipped in full) is not applied and is answered IR, and so is a change
crossdock cannot tell how to apply (an unknown line, a code it does not handle, a quantity increase that
decreases). What is applied:

* BCH01 01 cancels: every line with nothing shipped goes; a line shipped in part keeps what shipped (IQ), a line
  shipped in full stays (IR). With nothing shipped at all the order keeps its lines and takes purpose 01.
* BCH01 04 changes, POC line by line (POC03 is the line's new quantity ordered, as the standard defines it):
  AI adds a line, DI deletes one, QI/QD set a higher/lower quantity, PC the price, PQ both, CA and RZ whatever
  the POC carries (RZ replaces the item ids too), CT takes the header's new dates, NC changes nothing. A
  quantity of zero deletes the line. The 860's header dates, parties and references replace the order's of
  the same qualifier or role.
* BCH01 05 replaces the lines with the POC lines sent; shipped lines stay as they were.

The new order has purpose 01 (cancelled), 04 (changed) or 05 (replaced), which is what its next revision says.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from crossdock.core.models import LineChange, LineChangeAnswer, Order, OrderChange, OrderLine

CANCEL, CHANGE, REPLACE = "01", "04", "05"
PURPOSES = (CANCEL, CHANGE, REPLACE)
ACCEPTED, REJECTED, QUANTITY_CHANGED = "IA", "IR", "IQ"
QUANTITY_CODES = frozenset({"QI", "QD", "PQ", "CA", "RZ"})
PRICE_CODES = frozenset({"PC", "PQ", "CA", "RZ"})
CODES = frozenset({"AI", "DI", "NC", "CT"}) | QUANTITY_CODES | PRICE_CODES


@dataclass(slots=True)
class Applied:
    """The order after the change (None when nothing in it changed) and the answer to each change asked."""

    order: Order | None
    answers: list[LineChangeAnswer] = field(default_factory=list)

    @property
    def rejected(self) -> list[LineChangeAnswer]:
        return [a for a in self.answers if a.status == REJECTED]


def apply_change(order: Order, change: OrderChange, shipped: Mapping[int, Decimal] | None = None) -> Applied:
    """``order`` changed as ``change`` asks; ``shipped`` is each line's quantity shipped so far, by position."""
    done = {pos: qty for pos, qty in (shipped or {}).items() if qty > 0}
    new = copy.deepcopy(order)
    if change.purpose == CANCEL:
        answers = _cancel(new, done)
    elif change.purpose == REPLACE:
        answers = _replace(new, change, done)
        _header(new, change)
    elif change.purpose == CHANGE:
        top = max((line.position for line in order.lines), default=0)  # a deleted line's position is not reused
        answers = [_one(new, line, done, top) for line in change.lines]
        _header(new, change)
    else:
        raise ValueError(f"860 BCH01 {change.purpose!r}: crossdock applies 01 (cancel), 04 (change), 05 (replace)")
    whole_cancel = change.purpose == CANCEL and not done
    if not whole_cancel and new.lines == order.lines and not _header_changed(order, new):
        return Applied(None, answers)
    new.purpose = CANCEL if whole_cancel else (REPLACE if change.purpose == REPLACE else CHANGE)
    return Applied(new, answers)


def _header_changed(before: Order, after: Order) -> bool:
    return (before.dates, before.parties, before.references) != (after.dates, after.parties, after.references)


def deletion(line: OrderLine, position: int) -> LineChange:
    """A line of the order as the change that deletes it (POC02 DI): how a whole cancel is answered line by line."""
    return LineChange(
        position=position,
        line_number=line.line_number,
        change_code="DI",
        quantity=line.quantity,
        uom=line.uom,
        unit_price=line.unit_price,
        product_ids=dict(line.product_ids),
    )


def _cancel(order: Order, done: Mapping[int, Decimal]) -> list[LineChangeAnswer]:
    """The whole PO cancelled: one answer per line, as a deletion (DI) of it."""
    answers: list[LineChangeAnswer] = []
    kept: list[OrderLine] = []
    for line in order.lines:
        asked = deletion(line, len(answers) + 1)
        shipped = done.get(line.position)
        if shipped is None:
            answers.append(LineChangeAnswer(change=asked, status=ACCEPTED))
            continue
        if shipped < line.quantity:
            line.quantity = shipped
            answers.append(
                LineChangeAnswer(
                    change=asked, status=QUANTITY_CHANGED, quantity=shipped, reason=f"{shipped} shipped already"
                )
            )
        else:
            answers.append(LineChangeAnswer(change=asked, status=REJECTED, reason="shipped already"))
        kept.append(line)
    if done:
        order.lines = kept
    return answers


def _replace(order: Order, change: OrderChange, done: Mapping[int, Decimal]) -> list[LineChangeAnswer]:
    """The lines replaced by the POC lines; a shipped line stays as it was, whatever the replacement says."""
    shipped_lines = [line for line in order.lines if line.position in done]
    top = max((line.position for line in order.lines), default=0)  # new lines never take an old line's position
    answers: list[LineChangeAnswer] = []
    lines: list[OrderLine] = list(shipped_lines)
    for asked in change.lines:
        target = _find(shipped_lines, asked)
        if target is not None:
            answers.append(LineChangeAnswer(change=asked, status=REJECTED, reason="shipped already"))
            continue
        if asked.quantity is None or asked.quantity <= 0:
            answers.append(LineChangeAnswer(change=asked, status=REJECTED, reason="no quantity (POC03)"))
            continue
        lines.append(_new_line(asked, max([top, *(ln.position for ln in lines)]) + 1))
        answers.append(LineChangeAnswer(change=asked, status=ACCEPTED))
    order.lines = lines
    return answers


def _one(order: Order, asked: LineChange, done: Mapping[int, Decimal], top: int) -> LineChangeAnswer:
    """One POC line applied to ``order`` in place, answered."""

    def no(reason: str) -> LineChangeAnswer:
        return LineChangeAnswer(change=asked, status=REJECTED, reason=reason)

    code = asked.change_code
    if code not in CODES:
        return no(f"change code {code} is not one crossdock applies")
    target = _find(order.lines, asked)
    if code == "AI":
        if target is not None:
            return no(f"line {asked.line_number} is on the order already")
        if asked.quantity is None or asked.quantity <= 0:
            return no("an added line needs its quantity (POC03)")
        order.lines.append(_new_line(asked, max([top, *(ln.position for ln in order.lines)]) + 1))
        return LineChangeAnswer(change=asked, status=ACCEPTED)
    if target is None:
        return no(f"line {asked.line_number or dict(asked.product_ids)} is not on the order")
    if target.position in done:
        return _shipped_line(target, asked, done[target.position])
    if code in ("NC", "CT"):
        return LineChangeAnswer(change=asked, status=ACCEPTED)
    if code == "DI":
        order.lines.remove(target)
        return LineChangeAnswer(change=asked, status=ACCEPTED)
    quantity, price = asked.quantity, asked.unit_price
    if code in ("QI", "QD", "PQ") and quantity is None:
        return no(f"{code} needs the new quantity (POC03)")
    if code in ("PC", "PQ") and price is None:
        return no(f"{code} needs the new price (POC06)")
    if quantity is not None and code in QUANTITY_CODES:
        if quantity < 0:
            return no("a negative quantity")
        if code == "QI" and quantity <= target.quantity:
            return no(f"QI to {quantity} does not increase {target.quantity}")
        if code == "QD" and quantity >= target.quantity:
            return no(f"QD to {quantity} does not decrease {target.quantity}")
    if quantity is not None and code in QUANTITY_CODES:
        target.quantity = quantity
        target.uom = asked.uom or target.uom
    if price is not None and code in PRICE_CODES:
        target.unit_price = price
    if code == "RZ" and asked.product_ids:
        target.product_ids = dict(asked.product_ids)
    elif code == "CA":
        target.product_ids = {**target.product_ids, **asked.product_ids}
    if target.quantity == 0:
        order.lines.remove(target)
    return LineChangeAnswer(change=asked, status=ACCEPTED)


def _shipped_line(target: OrderLine, asked: LineChange, shipped: Decimal) -> LineChangeAnswer:
    """A change to a line that shipped something: the quantity of a line shipped in part may change (QI, QD, DI)
    for what has not shipped, never below what did (a decrease past it is answered IQ, the line kept at what
    shipped); a line shipped in full, and the price or item of a line that shipped anything, are not changed."""
    code = asked.change_code

    def no(reason: str) -> LineChangeAnswer:
        return LineChangeAnswer(change=asked, status=REJECTED, reason=reason)

    if shipped >= target.quantity or code not in ("QI", "QD", "DI"):
        return no("shipped already")
    if code == "DI":
        new = Decimal(0)
    elif asked.quantity is None:
        return no(f"{code} needs the new quantity (POC03)")
    elif code == "QI" and asked.quantity <= target.quantity:
        return no(f"QI to {asked.quantity} does not increase {target.quantity}")
    elif code == "QD" and asked.quantity >= target.quantity:
        return no(f"QD to {asked.quantity} does not decrease {target.quantity}")
    else:
        new = asked.quantity
        target.uom = asked.uom or target.uom
    if new < shipped:
        target.quantity = shipped
        return LineChangeAnswer(
            change=asked, status=QUANTITY_CHANGED, quantity=shipped, reason=f"{shipped} shipped already"
        )
    target.quantity = new
    return LineChangeAnswer(change=asked, status=ACCEPTED)


def _find(lines: list[OrderLine], asked: LineChange) -> OrderLine | None:
    """The order line a POC line names: by the buyer's line number (POC01, "0001" = "1"), else by an item id."""
    number = (asked.line_number or "").strip()
    if number:
        for line in lines:
            if _same_number(line.line_number, number):
                return line
        return None
    wanted = set(asked.product_ids.items())
    return next((line for line in lines if wanted and wanted & set(line.product_ids.items())), None)


def _same_number(theirs: str | None, number: str) -> bool:
    mine = (theirs or "").strip()
    if mine.isdigit() and number.isdigit():
        return int(mine) == int(number)
    return mine == number


def _new_line(asked: LineChange, position: int) -> OrderLine:
    assert asked.quantity is not None
    return OrderLine(
        position=position,
        line_number=asked.line_number,
        quantity=asked.quantity,
        uom=asked.uom or "EA",
        unit_price=asked.unit_price,
        product_ids=dict(asked.product_ids),
    )


def _header(order: Order, change: OrderChange) -> None:
    """The 860's header dates, parties and references replace the order's of the same qualifier or role."""
    if change.dates:
        changed = {d.qualifier for d in change.dates}
        order.dates = [d for d in order.dates if d.qualifier not in changed] + copy.deepcopy(change.dates)
    if change.parties:
        roles = {p.role for p in change.parties}
        order.parties = [p for p in order.parties if p.role not in roles] + copy.deepcopy(change.parties)
    kept = [r for r in change.references if r.description not in ("BCH04", "BCH08")]
    if kept:
        qualifiers = {r.qualifier for r in kept}
        order.references = [r for r in order.references if r.qualifier not in qualifiers] + copy.deepcopy(kept)
