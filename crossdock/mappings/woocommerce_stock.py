"""WooCommerce stock: the products' and variations' batch bodies for a push, and the refusals in their answers.

A level names its product by the catalogue's ids: ``product_id``, and ``variation_id`` for a variation (whose
stock is its own, set through its parent's variations batch). Each item sets ``manage_stock`` as well as
``stock_quantity``: WooCommerce ignores a quantity on a product that does not track its stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crossdock.core.stock.models import StockLevel

PRODUCT = "product_id"
VARIATION = "variation_id"


@dataclass
class Plan:
    """The levels by where they go: products' batch, each parent's variations batch, or nowhere (no ids)."""

    products: list[tuple[str, int]] = field(default_factory=list)  # (sku, product id), quantity in ``quantities``
    variations: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # parent -> (sku, variation id)
    quantities: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # SKUs whose ids are absent or not numbers


def _id(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdecimal() and int(value) > 0 else None


def plan(levels: list[StockLevel]) -> Plan:
    found = Plan()
    for level in levels:
        product, variation = _id(level.ids.get(PRODUCT)), _id(level.ids.get(VARIATION))
        if product is None or (VARIATION in level.ids and variation is None):
            found.missing.append(level.sku)
            continue
        found.quantities[level.sku] = max(0, level.available)
        if variation is None:
            found.products.append((level.sku, product))
        else:
            found.variations.setdefault(product, []).append((level.sku, variation))
    return found


def batch_body(items: list[tuple[str, int]], quantities: dict[str, int]) -> dict[str, Any]:
    """``{"update": [...]}`` for ``POST products/batch`` or ``products/<id>/variations/batch``."""
    return {"update": [{"id": ident, "manage_stock": True, "stock_quantity": quantities[sku]} for sku, ident in items]}


def refusals(answer: Any, items: list[tuple[str, int]]) -> dict[str, tuple[str, bool]]:
    """SKU -> (WooCommerce's words, whether a retry cannot help) for each item the batch answer refused: an
    item with an ``error`` (matched by its id, else by its place), or one the answer leaves out."""
    updated = answer.get("update") if isinstance(answer, dict) else None
    if not isinstance(updated, list):
        return {sku: ("the batch answer has no update list", False) for sku, _ in items}
    by_id = {item.get("id"): item for item in updated if isinstance(item, dict) and item.get("id")}
    found: dict[str, tuple[str, bool]] = {}
    for place, (sku, ident) in enumerate(items):
        item = by_id.get(ident)
        if item is None and place < len(updated) and isinstance(updated[place], dict):
            item = updated[place] if not updated[place].get("id") else None
        if item is None:
            found[sku] = (f"id {ident} is not in the answer", False)
            continue
        error = item.get("error")
        if isinstance(error, dict):
            data = error.get("data")
            status = data.get("status") if isinstance(data, dict) else None
            said = f"id {ident}: {error.get('code', '')} {error.get('message', '')}".strip()
            found[sku] = (said[:300], isinstance(status, int) and 400 <= status < 500)
    return found
