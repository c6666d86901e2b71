"""CSV both ways: orders as rows for a destination, and the rows of a file a partner sends us.

Orders go out one row per line, in the columns a warehouse or ERP asked for. Their values come from partners and
shoppers, and warehouses open the files in spreadsheets: a value that would run as a formula is written as text
(a leading ``'``) unless the destination asks for raw values (``neutralise_formulas: false``).

A column names a dotted path in the canonical order's JSON (``po_number``, ``ship_to.address.city``) or, after
``line.``, in one of its lines (``line.quantity``, ``line.product_ids.VN``). A path that leads nowhere gives
an empty cell, never an error: most columns are optional in the partner's own file spec.

The field ``action`` is no path but what the file asks: ``new`` (a new order), ``change`` (the rows replace
every row the destination holds for the order) or ``cancel`` (the rows it holds, to cancel). A change or cancel
file also says so in its name (``-change.csv``, ``-cancel.csv``), for a destination whose columns have no action.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.mappings.paths import value_at

# a spreadsheet that opens the file runs a cell starting with one of these as a formula (=HYPERLINK(...),
# +cmd|..., @SUM(...)); tab and CR start one in some, and the full-width forms are read as the plain ones
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralised(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs: one that starts like a formula gets a leading ``'``
    (OWASP's advice), unless it is a plain number: ``-5`` or ``+1.5E3`` is data, and a spreadsheet reads it as
    that number whether it starts with a sign or not."""
    if text.lstrip(" ").startswith(FORMULA_STARTS) and not _NUMBER.match(text.strip()):
        return "'" + text
    return text


ACTIONS = ("new", "change", "cancel")


def _cell(data: Any, path: str, neutralise: bool) -> str:
    value = value_at(data, path)
    if value is None or isinstance(value, dict | list):
        return ""
    text = str(value)
    return neutralised(text) if neutralise and not isinstance(value, int | float | Decimal) else text


def order_rows(
    order: dict[str, Any], columns: Sequence[tuple[str, str]], *, neutralise: bool = True, action: str = "new"
) -> bytes:
    """``order`` as the JSON-ready dict of the canonical order; ``columns`` as (header, field) pairs. With
    ``neutralise`` (the default) a value that a spreadsheet would run as a formula is written as text.
    ``action`` (one of ``ACTIONS``) fills the column whose field is ``action``; ``line.ordered`` and
    ``line.shipped`` are what the order asks and what shipped already (``line.quantity`` is what is left)."""
    if action not in ACTIONS:
        raise ValueError(f"CSV action {action!r}: one of {', '.join(ACTIONS)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    for line in order.get("lines") or [{}]:
        if line:  # a new order's line: all of it is left to ship (a change's lines say so themselves)
            line = {"ordered": line.get("quantity"), "shipped": "0", **line}
        writer.writerow(
            [
                action
                if field == "action"
                else _cell(line, field[5:], neutralise)
                if field.startswith("line.")
                else _cell(order, field, neutralise)
                for _, field in columns
            ]
        )
    return out.getvalue().encode("utf-8")


def file_rows(data: bytes, columns: Mapping[str, str], name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, row) of a partner's CSV file, after checking its header has every configured column.

    Row numbers count the header as row 1, as a spreadsheet shows them, so an error names the row to fix.
    Lines may end in CR LF, LF or a lone CR (old Mac exports); a quote never closed is refused with its row.
    """
    text = io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")
    reader = csv.DictReader(text)
    at = 1  # the row being read
    try:
        headers = reader.fieldnames or []
        missing = [header for header in columns.values() if header not in headers]
        if missing:
            raise DecodeError(f"{name}: no column {', '.join(repr(m) for m in missing)} in the header row {headers}")
        at = 2
        for row in reader:
            yield at, row
            at += 1
    except csv.Error as exc:
        raise DecodeError(f"{name}: row {at}: not CSV ({exc})") from None
