"""A warehouse system's stock snapshot as JSON (a list of items, or an object holding one under ``items``).

The item keys are the configured columns; numbers may come as JSON numbers or as text, and are read from
their text so a quantity never passes through float.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventorySnapshot
from crossdock.mappings.stockcsv import snapshot_from_rows


def snapshot_from_json(
    data: bytes, columns: Mapping[str, str], *, report_id: str, report_date: dt.date, name: str = "snapshot"
) -> InventorySnapshot:
    try:
        parsed = json.loads(data, parse_float=Decimal, parse_int=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    items = parsed.get("items") if isinstance(parsed, dict) else parsed
    if not isinstance(items, list):
        raise DecodeError(f"{name}: expected a list of items, or an object with items")
    return snapshot_from_rows(
        _rows(items, name), columns, report_id=report_id, report_date=report_date, name=name, kind="key"
    )


def _rows(items: list[Any], name: str) -> Iterator[tuple[str, dict[str, str | None]]]:
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise DecodeError(f"{name} item {i}: not an object")
        yield f"item {i}", {k: None if v is None else str(v) for k, v in item.items()}
