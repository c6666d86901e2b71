"""A warehouse system's stock snapshot as CSV (one row per item) into the canonical ``InventorySnapshot``.

Columns are named in the configuration; a bad row is refused with its row number and column, and nothing of
the file is used, so a partner never receives half a stock report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventoryItem, InventorySnapshot
from crossdock.mappings.csv import file_rows

AVAILABLE = "33"  # QTY01: quantity available for sale


def snapshot_from_csv(
    data: bytes, columns: Mapping[str, str], *, report_id: str, report_date: dt.date, name: str = "snapshot"
) -> InventorySnapshot:
    rows = ((f"row {number}", row) for number, row in file_rows(data, columns, name))
    return snapshot_from_rows(rows, columns, report_id=report_id, report_date=report_date, name=name, kind="column")


def snapshot_from_rows(
    rows: Iterable[tuple[str, Mapping[str, str | None]]],
    columns: Mapping[str, str],
    *,
    report_id: str,
    report_date: dt.date,
    name: str,
    kind: str,
) -> InventorySnapshot:
    """Items from rows already split into fields (CSV rows, JSON objects); ``kind`` names a field in errors."""
    snapshot = InventorySnapshot(report_id=report_id, report_date=report_date)
    for where, row in rows:
        sku = (row.get(columns["sku"]) or "").strip()
        raw = (row.get(columns["quantity"]) or "").strip()
        if not sku:
            raise DecodeError(f"{name} {where}: {kind} {columns['sku']!r} (sku) is empty")
        try:
            quantity = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise DecodeError(f"{name} {where} {kind} {columns['quantity']!r}: {raw!r} is not a number") from None
        if not quantity.is_finite():
            raise DecodeError(f"{name} {where} {kind} {columns['quantity']!r}: {raw!r} is not a quantity")
        uom = (row.get(columns["uom"]) or "").strip() if "uom" in columns else ""
        description = (row.get(columns["description"]) or "").strip() if "description" in columns else ""
        snapshot.items.append(
            InventoryItem(
                line_number=str(len(snapshot.items) + 1),
                product_ids={"VN": sku},
                quantities={AVAILABLE: max(quantity, Decimal(0))},
                uom=uom or "EA",
                description=description or None,
            )
        )
    if not snapshot.items:
        raise DecodeError(f"{name}: no items")
    return snapshot
