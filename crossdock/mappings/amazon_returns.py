"""Amazon: the rows of the flat-file returns report for one return (RMA) -> a canonical Return; and the report's
tab-separated text -> those rows. Pure: no I/O.

What it relies on (channel-lifecycle.md §4; the columns of ``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE`` as
Amazon's "Returns reports attributes" page lists them): ``Order ID``, ``Order date``, ``Return request date``,
``Return request status``, ``Amazon RMA ID``, ``Merchant RMA ID``, ``Currency code``, ``Tracking ID``, ``ASIN``,
``Merchant SKU``, ``Item Name``, ``Return quantity``, ``Return Reason``, ``Resolution``, ``Return delivery date``,
``Order Amount``, ``Order quantity``, ``Refunded Amount`` and more. A row is one item of one return; the source
stores the rows of one ``Amazon RMA ID`` as one document ``{"rows": [{column: value}, …]}``, the channel's own
words for that return. Column names are matched ignoring case, spaces and underscores; the report's value formats
(dates, status words) are not documented [unverified]: dates are read as ISO 8601 or ``YYYY-MM-DD``, others are
kept in the notes, never guessed.

The report names items by SKU, not by order item: a line has ``sku`` and no ``line_number``. The status: a
delivery date means received; the request status says requested (pending), cancelled (rejected, cancelled),
closed (closed, completed), else open (approved, authorized).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Return, ReturnLine, Status
from crossdock.mappings.jsonnode import JsonNode
from crossdock.mappings.returns_json import MAX_LINES, cut, load, reason

MAX_ROWS = 100_000  # rows of one report read: a seller's returns over 60 days
_CENTS = Decimal("0.01")


def returns_from_json(data: bytes, name: str) -> list[Return]:
    """The return the rows of one RMA make."""
    node = JsonNode(load(data, name), "", name)
    rows = [_Row(row.data, row.path, name) for row in node.children("rows", required=True)]
    if not rows:
        node.fail("rows", "no row")
    if len(rows) > MAX_LINES:
        node.fail("rows", f"{len(rows)} rows, more than {MAX_LINES}")
    first = rows[0]
    rma = first.need("Amazon RMA ID")
    order_id = first.need("Order ID")
    for row in rows[1:]:
        if row.need("Amazon RMA ID") != rma or row.need("Order ID") != order_id:
            row.fail("Amazon RMA ID", f"another return than {rma} of order {order_id}")
    currency = {c.upper() for c in (row.get("Currency code") for row in rows) if c}
    if len(currency) > 1:
        node.fail("rows", f"rows in {sorted(currency)}: one return is in one currency")
    notes = [
        f"Amazon RMA {rma}" + (f", merchant RMA {first.get('Merchant RMA ID')}" if first.get("Merchant RMA ID") else "")
    ]
    for column in ("Return request status", "Resolution", "Tracking ID", "Refunded Amount"):
        if first.get(column):
            notes.append(f"{column}: {cut(first.get(column))}")
    return [
        Return(
            channel="amazon",
            return_id=rma,
            rma_number=rma,
            po_number=order_id,
            external_id=order_id,
            status=_status(
                first.get("Return request status") or "", any(row.get("Return delivery date") for row in rows)
            ),
            created=_date(first.get("Return request date")),
            currency=currency.pop() if currency else None,
            lines=[_line(row) for row in rows],
            notes=notes,
        )
    ]


def _line(row: _Row) -> ReturnLine:
    quantity = row.count("Return quantity")
    amount, ordered = row.number("Order Amount"), row.number("Order quantity")
    code = row.get("Return Reason")
    return ReturnLine(
        sku=row.get("Merchant SKU"),
        product_ids={k: v for k, v in (("SK", row.get("Merchant SKU")), ("ASIN", row.get("ASIN"))) if v},
        quantity=quantity,
        reason=reason(code),
        reason_text=cut(code),
        unit_price=(amount / ordered).quantize(_CENTS, rounding=ROUND_HALF_UP) if amount and ordered else None,
    )


def _status(said: str, delivered: bool) -> Status:
    low = said.lower()
    if "reject" in low or "cancel" in low:
        return "cancelled"
    if "closed" in low or "complete" in low:
        return "closed"
    if delivered:
        return "received"
    if "pending" in low or "request" in low:
        return "requested"
    return "open"


def _date(text: str | None) -> dt.datetime | None:
    """ISO 8601 (UTC when it has no offset) or a plain date; anything else is no date (kept in the rows)."""
    if not text:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def _key(column: str) -> str:
    return "".join(column.lower().replace("_", " ").replace("-", " ").split())


class _Row(JsonNode):
    """One report row: column -> text, found by its name ignoring case, spaces, dashes and underscores."""

    __slots__ = ()

    def get(self, column: str) -> str | None:
        wanted = _key(column)
        for key in self.data:
            if _key(str(key)) == wanted:
                return self.text(str(key))
        return None

    def need(self, column: str) -> str:
        found = self.get(column)
        return found if found is not None else self.fail(column, "missing")

    def number(self, column: str) -> Decimal | None:
        found = self.get(column)
        if found is None:
            return None
        bag = JsonNode({"v": found.replace(",", "")}, self.at(column), self.source)
        return bag.decimal("v")

    def count(self, column: str) -> Decimal:
        found = self.number(column)
        if found is None or found <= 0 or found != found.to_integral_value():
            self.fail(column, f"{self.get(column)!r} is not a quantity of units")
        return found


def report_rows(text: str, name: str) -> list[dict[str, Any]]:
    """The rows of a tab-separated report (its first line the column names); a row of another width is refused."""
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        header = next(reader, None)
        if not header:
            return []
        rows: list[dict[str, Any]] = []
        for number, values in enumerate(reader, 2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise DecodeError(f"line {number}: {len(values)} columns, the header has {len(header)}", source=name)
            if len(rows) >= MAX_ROWS:
                raise DecodeError(f"more than {MAX_ROWS} rows", source=name)
            rows.append(dict(zip((h.strip() for h in header), (v.strip() for v in values), strict=True)))
    except csv.Error as exc:
        raise DecodeError(f"not a tab-separated report: {exc}", source=name) from None
    return rows


def by_return(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The rows grouped by order and Amazon RMA ID (rows without either are skipped: nothing to match them by)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        keys = {_key(k): str(v).strip() for k, v in row.items()}
        order_id, rma = keys.get(_key("Order ID"), ""), keys.get(_key("Amazon RMA ID"), "")
        if order_id and rma:
            groups.setdefault((order_id, rma), []).append(row)
    return groups
