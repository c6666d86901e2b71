"""A ``StockPush`` to a Shopify store: ``inventorySetQuantities`` batch by batch, compare-and-set against what
the store was last told, paced by the shop's cost bucket, a throttled batch waited for and sent again.

Shopify's available quantity moves by itself (every sale in the shop lowers it), so what crossdock told it last is
often no longer what it holds: such a quantity is refused as stale. Its batch is then read back
(``inventoryLevel``), the levels Shopify already holds are left out, and the rest are set again from what it holds
now, twice at most; crossdock is the source of truth for what may be sold (its figure counts every order it has
recorded, and the channel's buffer covers orders still on their way to it). Each batch carries an idempotency
key made of its content: the outbox's retry of a push sends the batches already made with their keys again, which
Shopify answers without doing them twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crossdock.connectors.throttle import Patience
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.stock.models import StockLevel, StockPush
from crossdock.mappings import shopify_stock as mapping

ROUNDS = 3  # a batch sent once, then again at most twice after stale answers


def push_stock(shop: Any, who: str, config: Any, push: StockPush) -> str:
    """Set every level of the push or raise; returns what was done, in words."""
    from crossdock.connectors import shopify  # the module's sleep, which tests count instead of waiting

    where = f"shopify {who}: stock push {push.push_id[:12]}"
    api = config.api_version
    try:
        groups = mapping.batches(push, api)
    except ValueError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    patience = Patience(config.throttle_wait, lambda seconds: shopify.sleep(seconds))
    reset = 0
    for levels in groups:
        reset += _set_batch(shop, where, push, levels, api, patience)
    note = f"; {reset} changed on Shopify since last told, set from what it held" if reset else ""
    return f"shopify {who}: {len(push.levels)} level(s) set in {len(groups)} batch(es){note}"


def _set_batch(
    shop: Any, where: str, push: StockPush, levels: Sequence[StockLevel], api: str, patience: Patience
) -> int:
    """Set one batch; returns how many of its levels were set from a fresh read after a stale answer."""
    change_from: dict[str, int | None] = {}
    pending = list(levels)
    for _ in range(ROUNDS):
        text, variables = mapping.set_variables(push, pending, api, change_from)
        answer = _call(shop, patience, "InventorySet", text, variables)
        errors = mapping.user_errors(answer)
        if not errors:
            return len(change_from)
        codes = {str(e.get("code")) for e in errors}
        if codes & mapping.AGAIN:
            raise TransientError(f"{where}: {mapping.said(errors)}")
        if mapping.stale_positions(errors) is None:
            raise PermanentError(f"{where}: inventorySetQuantities refused: {mapping.said(errors)}")
        held = _held(shop, pending, patience)
        pending = [lv for lv in pending if held.get(_item(lv)) != lv.available]
        if not pending:
            return len(change_from)
        change_from.update((lv.sku, held.get(_item(lv))) for lv in pending)
    raise TransientError(f"{where}: the store's quantities kept changing while they were set (stale each time)")


def _item(level: StockLevel) -> str:
    return mapping.quantity_input(level, "2026-04", None)["inventoryItemId"]  # type: ignore[no-any-return]


def _held(shop: Any, levels: Sequence[StockLevel], patience: Patience) -> dict[str, int]:
    """What the store holds available now of each level's item, read per location."""
    by_location: dict[str, list[str]] = {}
    for lv in levels:
        location = mapping.quantity_input(lv, "2026-04", None)["locationId"]
        by_location.setdefault(location, []).append(_item(lv))
    held: dict[str, int] = {}
    for location, items in by_location.items():
        variables = {"ids": items, "location": location}
        held.update(
            mapping.available_now(_call(shop, patience, "InventoryAvailable", mapping.AVAILABLE_QUERY, variables))
        )
    return held


def _call(shop: Any, patience: Patience, operation: str, text: str, variables: dict[str, Any]) -> dict[str, Any]:
    """One query, waited for and made again while throttled, as long as the push's patience lasts."""
    answer: dict[str, Any] = patience.call(lambda: shop.query(operation, text, variables))
    return answer
