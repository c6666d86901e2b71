"""Orders as the JSON a WMS or ERP web hook asks for, declared in configuration rather than coded.

``fields`` maps an output path to an order path (``{"order.reference": "po_number"}``); ``line_fields`` does
the same for each line, written as a list under ``lines_key``. Values keep their JSON types (amounts stay the
decimal strings of the canonical order, so no float ever rounds a price).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crossdock.mappings.paths import put, value_at


def mapped_order(
    order: dict[str, Any], fields: Mapping[str, str], line_fields: Mapping[str, str], lines_key: str
) -> bytes:
    out: dict[str, Any] = {}
    for target, source in fields.items():
        put(out, target, value_at(order, source))
    if line_fields:
        lines = []
        for line in order.get("lines") or []:
            row: dict[str, Any] = {}
            for target, source in line_fields.items():
                put(row, target, value_at(line, source))
            lines.append(row)
        put(out, lines_key, lines)
    return json.dumps(out, separators=(",", ":")).encode("utf-8")
