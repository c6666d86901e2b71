"""ShipBob's inventory levels by fulfilment center (``connectors/shipbob.py``, ``inventory_levels``) as on-hand
figures. Pure: no I/O.

``on_hand_quantity`` is read, not ``fulfillable_quantity``: ShipBob's fulfillable quantity is on hand less what
its open orders hold, and those orders are ones crossdock sent and still holds itself until they ship, so
counting them there too would take them off twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventoryItem, InventorySnapshot

ON_HAND = "17"  # QTY01: quantity on hand


def _items(pages: Any, name: str) -> Iterator[dict[str, Any]]:
    if not isinstance(pages, list):
        raise DecodeError(f"{name}: not the pages of ShipBob's inventory levels")
    for page in pages:
        items = page.get("items") if isinstance(page, dict) else page
        if not isinstance(items, list):
            raise DecodeError(f"{name}: a page without a list of inventory items")
        yield from (item for item in items if isinstance(item, dict))


def snapshot_from_levels(data: bytes, *, report_id: str, report_date: dt.date, name: str) -> InventorySnapshot:
    """Each SKU's on hand summed over every fulfilment center (a SKU on two inventory items counts both)."""
    try:
        pages = json.loads(data)
    except ValueError as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    totals: dict[str, int] = {}
    for number, item in enumerate(_items(pages, name), start=1):
        sku = item.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            continue  # an inventory item without a SKU cannot be matched to the catalogue
        on_hand = 0
        for place in item.get("locations") or []:
            qty = place.get("on_hand_quantity") if isinstance(place, dict) else None
            if qty is None:
                continue
            if not isinstance(qty, int) or isinstance(qty, bool):
                raise DecodeError(f"{name}: item {number} ({sku[:64]!r}): on_hand_quantity {qty!r} is not a number")
            on_hand += max(qty, 0)
        totals[sku.strip()] = totals.get(sku.strip(), 0) + on_hand
    items = [
        InventoryItem(line_number=str(i), product_ids={"VN": sku}, quantities={ON_HAND: Decimal(qty)})
        for i, (sku, qty) in enumerate(sorted(totals.items()), start=1)
    ]
    return InventorySnapshot(report_id=report_id, report_date=report_date, items=items)
