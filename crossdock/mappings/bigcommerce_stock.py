"""BigCommerce stock: absolute inventory adjustments (``PUT /v3/inventory/adjustments/absolute``) for a push.

Each item names its product the way the catalogue knows it, the most precise first: ``variant_id``, else
``product_id`` (a product tracked as a whole, without variants), else the SKU itself; and its location, the level's
own or the sink's ``stock_location_id``. BigCommerce answers 422 for the whole call when an item is tracked by
product but named by variant [docs inventory.v3.yml]: nothing of that call is applied.
"""

from __future__ import annotations

from typing import Any

from crossdock.core.stock.models import StockLevel

VARIANT = "variant_id"
PRODUCT = "product_id"
MAX_ITEMS = 2000  # items per call [docs inventory.v3.yml, channel-lifecycle.md §3]


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdecimal() and int(value) > 0 else None


def item(level: StockLevel, location: int) -> dict[str, Any] | None:
    """One adjustment; None when the level's location is not a BigCommerce location id."""
    where = _number(level.location) if level.location is not None else location
    if where is None:
        return None
    found: dict[str, Any] = {"location_id": where, "quantity": max(0, level.available)}
    variant, product = _number(level.ids.get(VARIANT)), _number(level.ids.get(PRODUCT))
    if variant is not None:
        found["variant_id"] = variant
    elif product is not None:
        found["product_id"] = product
    else:
        found["sku"] = level.sku
    return found


def adjustment(items: list[dict[str, Any]], push_id: str) -> dict[str, Any]:
    """The call's body: its reason names the push, so the store's inventory log shows where a figure came from."""
    return {"reason": f"crossdock stock push {push_id}"[:255], "items": items}
