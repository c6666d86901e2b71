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
from dataclasses import dataclass
from typing import Any

from crossdock.connectors import shopify_client
from crossdock.connectors.stock_push import STREAK
from crossdock.connectors.throttle import Patience
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.stock.models import StockLevel, StockPush, StockSent
from crossdock.mappings import shopify_stock as mapping

ROUNDS = 3  # a batch sent once, then again at most twice after stale answers


def push_stock(shop: Any, who: str, config: Any, push: StockPush) -> StockSent:
    """Set every level of the push, or refuse the SKUs Shopify refuses (the rest set), or raise."""
    where = f"shopify {who}: stock push {push.push_id[:12]}"
    groups, refused = mapping.batches(push, config.api_version)
    patience = Patience(config.throttle_wait, lambda seconds: shopify_client.sleep(seconds))  # tests count its waits
    setter = _Setter(shop, where, push, config.api_version, patience, refused)
    reset = sum(setter.batch(levels) for levels in groups)
    note = f"; {reset} changed on Shopify since last told, set from what it held" if reset else ""
    if not refused:
        return StockSent(f"shopify {who}: {len(push.levels)} level(s) set in {len(groups)} batch(es){note}")
    done = f"shopify {who}: {len(push.levels) - len(refused)} of {len(push.levels)} level(s) set{note}"
    named = "; ".join(f"{sku}: {said}" for sku, said in list(refused.items())[:20])
    return StockSent(f"{done}; {len(refused)} refused: {named}", refused=refused)


@dataclass
class _Setter:
    """What one push's batches share: the store, the push, and the SKUs refused so far."""

    shop: Any
    where: str
    push: StockPush
    api: str
    patience: Patience
    refused: dict[str, str]
    streak: int = 0  # batches refused whole in a row, down to one SKU: the store refuses the call, not the SKUs

    def batch(self, levels: Sequence[StockLevel]) -> int:
        """Set one batch; returns how many of its levels were set from a fresh read after a stale answer.
        Quantities Shopify refuses for their data (an unknown item, a location it is not stocked at) are refused
        and the rest sent again; an error that names no quantity has the batch sent again in halves."""
        change_from: dict[str, int | None] = {}
        pending = list(levels)
        stale = 0
        while pending:
            text, variables = mapping.set_variables(self.push, pending, self.api, change_from)
            errors = mapping.user_errors(_call(self.shop, self.patience, "InventorySet", text, variables))
            if not errors:
                self.streak = 0
                return len(change_from)
            if {str(e.get("code")) for e in errors} & mapping.AGAIN:
                raise TransientError(f"{self.where}: {mapping.said(errors)}")
            bad = mapping.refused_positions(errors)
            if bad is None:
                return self._split(pending, errors)
            if bad:
                self.refused.update((pending[i].sku, words[:300]) for i, words in bad.items() if i < len(pending))
                pending = [lv for i, lv in enumerate(pending) if i not in bad]
                continue  # nothing of the batch was set: the rest go again
            held = _held(self.shop, pending, self.patience)
            pending = [lv for lv in pending if held.get(_item(lv)) != lv.available]
            change_from.update((lv.sku, held.get(_item(lv))) for lv in pending)
            stale += 1
            if pending and stale >= ROUNDS:
                raise TransientError(f"{self.where}: the store's quantities kept changing while they were set")
        return len(change_from)

    def _split(self, pending: list[StockLevel], errors: list[dict[str, Any]]) -> int:
        if len(pending) > 1:
            half = len(pending) // 2
            return self.batch(pending[:half]) + self.batch(pending[half:])
        self.refused[pending[0].sku] = f"inventorySetQuantities refused: {mapping.said(errors)}"[:300]
        self.streak += 1
        if self.streak >= STREAK:
            raise PermanentError(
                f"{self.where}: stopped: {STREAK} SKUs refused in a row with no quantity named, the last: "
                f"{mapping.said(errors)}"
            )
        return 0


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
