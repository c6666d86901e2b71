"""Orders as CSV rows for a destination: one row per line, the columns a warehouse or ERP asked for.

A column names a dotted path in the canonical order's JSON (``po_number``, ``ship_to.address.city``) or, after
``line.``, in one of its lines (``line.quantity``, ``line.product_ids.VN``). A path that leads nowhere gives
an empty cell, never an error: most columns are optional in the partner's own file spec.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

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
