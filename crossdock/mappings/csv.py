"""CSV both ways: orders as rows for a destination, and the rows of a file a partner sends us.

Orders go out one row per line, in the columns a warehouse or ERP asked for.

A column names a dotted path in the canonical order's JSON (``po_number``, ``ship_to.address.city``) or, after
``line.``, in one of its lines (``line.quantity``, ``line.product_ids.VN``). A path that leads nowhere gives
an empty cell, never an error: most columns are optional in the partner's own file spec.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.mappings.paths import value_at


def _cell(data: Any, path: str) -> str:
    value = value_at(data, path)
    return "" if value is None or isinstance(value, dict | list) else str(value)


def order_rows(order: dict[str, Any], columns: Sequence[tuple[str, str]]) -> bytes:
    """``order`` as the JSON-ready dict of the canonical order; ``columns`` as (header, field) pairs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    for line in order.get("lines") or [{}]:
        writer.writerow(
            [_cell(line, field[5:]) if field.startswith("line.") else _cell(order, field) for _, field in columns]
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
