"""Stock levels as Shopify's ``inventorySetQuantities`` (Admin GraphQL): the mutation text, its variables in
batches, and what its answers say. Pure: no I/O.

What this relies on (Shopify's reference pages for the mutation, its input objects and its error codes; the
facts in ``../shared/docs/channel-lifecycle.md`` §1):

- From API version 2026-04 each quantity is an ``InventorySetQuantityInput`` {inventoryItemId, locationId,
  quantity, changeFromQuantity}, and ``changeFromQuantity`` must be given: the quantity Shopify holds now, or an
  explicit null to skip the check. A stale one is refused with ``CHANGE_FROM_QUANTITY_STALE``. Before 2026-04 it
  was ``compareQuantity``, skipped with ``ignoreCompareQuantity: true`` (``COMPARE_QUANTITY_STALE``).
- From 2026-04 the inventory mutations take an idempotency key in the ``@idempotent(key:)`` directive (the set
  mutation's error codes include ``IDEMPOTENCY_CONCURRENT_REQUEST`` and ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``);
  the same key with other parameters is refused, so a key is made from the batch's own content.
- No limit on the number of quantities is documented [unverified]: batches of ``BATCH`` keep a call's cost and
  size modest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from crossdock.core.stock.models import StockLevel, StockPush

BATCH = 100
REASON = "correction"
CHANGE_FROM_FIRST = "2026-04"  # the first API version with changeFromQuantity and the @idempotent key
STALE = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}
AGAIN = {"IDEMPOTENCY_CONCURRENT_REQUEST"}

_PAYLOAD = "inventoryAdjustmentGroup { id } userErrors { code field message }"
INVENTORY_SET = f"""mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {{
  inventorySetQuantities(input: $input) @idempotent(key: $key) {{ {_PAYLOAD} }}
}}"""
INVENTORY_SET_BEFORE_2026_04 = f"""mutation InventorySet($input: InventorySetQuantitiesInput!) {{
  inventorySetQuantities(input: $input) {{ {_PAYLOAD} }}
}}"""
AVAILABLE_QUERY = """query InventoryAvailable($ids: [ID!]!, $location: ID!) {
  nodes(ids: $ids) { ... on InventoryItem { id inventoryLevel(locationId: $location) {
    quantities(names: ["available"]) { name quantity } } } }
}"""


def _gid(value: str, kind: str) -> str:
    text = value.strip()
    if text.startswith("gid://shopify/"):
        return text
    if not text.isdecimal():
        raise ValueError(f"{value!r} is not a Shopify {kind} id")
    return f"gid://shopify/{kind}/{text}"


def quantity_input(level: StockLevel, api_version: str, change_from: int | None) -> dict[str, Any]:
    """One quantity; ``change_from`` None skips the compare-and-set check (nothing known of what Shopify holds)."""
    item = level.ids.get("inventory_item_id")
    if not item or not level.location:
        raise ValueError(f"SKU {level.sku}: no Shopify inventory_item_id and location_id in the catalogue")
    out: dict[str, Any] = {
        "inventoryItemId": _gid(item, "InventoryItem"),
        "locationId": _gid(level.location, "Location"),
        "quantity": level.available,
    }
    if api_version >= CHANGE_FROM_FIRST:
        out["changeFromQuantity"] = change_from  # always present: null is an explicit "no check"
    elif change_from is not None:
        out["compareQuantity"] = change_from
    return out


def batches(push: StockPush, api_version: str) -> tuple[list[list[StockLevel]], dict[str, str]]:
    """The push's levels in batches of ``BATCH``, and the SKUs left out for want of their ids (sku -> why)."""
    ready: list[StockLevel] = []
    missing: dict[str, str] = {}
    for level in push.levels:
        try:
            quantity_input(level, api_version, None)
        except ValueError as exc:
            missing[level.sku] = str(exc)
        else:
            ready.append(level)
    return [ready[i : i + BATCH] for i in range(0, len(ready), BATCH)], missing


def set_variables(
    push: StockPush, levels: Sequence[StockLevel], api_version: str, change_from: dict[str, int | None]
) -> tuple[str, dict[str, Any]]:
    """The mutation and its variables for one batch; ``change_from`` by SKU (default: what the channel was told).
    The idempotency key is the push's id and a digest of the batch, so a retried batch keeps it and a batch
    sent again with other figures (after a stale answer) gets a new one."""
    quantities = [quantity_input(lv, api_version, change_from.get(lv.sku, lv.told)) for lv in levels]
    given: dict[str, Any] = {
        "name": "available",
        "reason": REASON,
        "referenceDocumentUri": f"crossdock://stock/{push.channel}/{push.push_id}",
        "quantities": quantities,
    }
    if api_version >= CHANGE_FROM_FIRST:
        digest = hashlib.sha256(json.dumps(quantities, sort_keys=True).encode()).hexdigest()[:16]
        return INVENTORY_SET, {"input": given, "key": f"crossdock-{push.push_id[:24]}-{digest}"}
    if any("compareQuantity" not in q for q in quantities):
        given["ignoreCompareQuantity"] = True
    return INVENTORY_SET_BEFORE_2026_04, {"input": given}


def user_errors(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found = (answer.get("inventorySetQuantities") or {}).get("userErrors") or []
    return [e for e in found if isinstance(e, dict)]


def stale_positions(errors: Sequence[dict[str, Any]]) -> set[int] | None:
    """The positions in the batch Shopify says are stale; None when some error is not a stale one, or a stale
    one does not say which quantity (then the whole batch is read again)."""
    positions: set[int] = set()
    for e in errors:
        if e.get("code") not in STALE:
            return None
        field = [str(f) for f in e.get("field") or []]
        index = next((int(f) for f in field if f.isdecimal()), None)
        if index is None:
            return None
        positions.add(index)
    return positions


def refused_positions(errors: Sequence[dict[str, Any]]) -> dict[int, str] | None:
    """The positions in the batch that errors other than stale ones name (position -> the words); None when such
    an error names no position (then which quantity it refuses is not known)."""
    found: dict[int, str] = {}
    for e in errors:
        if e.get("code") in STALE:
            continue
        field = [str(f) for f in e.get("field") or []]
        index = next((int(f) for f in field if f.isdecimal()), None)
        if index is None:
            return None
        words = f"{e.get('code') or ''} {e.get('message') or ''}".strip()
        found[index] = f"{found[index]}; {words}" if index in found else words
    return found


def available_now(answer: dict[str, Any]) -> dict[str, int]:
    """Inventory item GID -> its available quantity at the asked location, from ``AVAILABLE_QUERY``'s answer."""
    out: dict[str, int] = {}
    for node in answer.get("nodes") or []:
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        level = node.get("inventoryLevel") or {}
        for q in level.get("quantities") or []:
            if isinstance(q, dict) and q.get("name") == "available" and isinstance(q.get("quantity"), int):
                out[node["id"]] = q["quantity"]
    return out


def said(errors: Sequence[dict[str, Any]]) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in e.get('field') or [])}: {e.get('code') or ''} {e.get('message') or ''}".strip()
        for e in errors[:5]
    )[:500]
