"""BigCommerce stock: absolute inventory adjustments, at most ``stock_batch_size`` (2,000) items a call.

- ``PUT /v3/inventory/adjustments/absolute`` ``{reason, items: [{location_id, variant_id|product_id|sku,
  quantity}]}``; BigCommerce applies a call whole or not at all (a 422 names what it refused [docs
  inventory.v3.yml]): a refused call is sent again in halves, down to the SKU it refuses, and the push goes on.
- Pace: the store's own quota (150 requests in 30 s on Standard and Plus, 450 on Pro, shared by every app), read
  from ``X-Rate-Limit-Requests-Left`` and ``-Time-Reset-Ms`` on each answer: with ``quota_reserve`` left the next
  call waits for the window (``bigcommerce._Store``). A 429 waits for the window within ``stock_throttle_wait``
  seconds a push; past that the push raises ``TransientError`` and the outbox sends it again (absolute levels).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
from crossdock.connectors.stock_push import Outcome, chunks, patience
from crossdock.core.stock.models import StockPush
from crossdock.mappings import bigcommerce_stock as mapping

if TYPE_CHECKING:  # the sink's module imports this one
    from crossdock.connectors.bigcommerce import _Store

ABSOLUTE = "/v3/inventory/adjustments/absolute"


def push(api: _Store, name: str, config: BigCommerceSourceConfig, stock: StockPush) -> str:
    """Every level of ``stock`` set on the store, or the error naming what was not."""
    outcome = Outcome(f"bigcommerce {name}", stock)
    items = []
    for level in stock.levels:
        found = mapping.item(level, config.stock_location_id)
        if found is None:
            outcome.refuse(level.sku, f"location {level.location!r} is not a BigCommerce location id", permanent=True)
        else:
            items.append((level.sku, found))
    waiting = patience(config.stock_throttle_wait)

    def send(part: list[tuple[str, dict[str, Any]]]) -> object:
        body = mapping.adjustment([item for _, item in part], stock.push_id)
        return waiting.call(partial(api.call, "PUT", ABSOLUTE, json=body))

    for batch in chunks(items, config.stock_batch_size):
        for part, _ in outcome.call_split(send, batch, lambda item: item[0]):
            outcome.sent += len(part)
    return outcome.result("(absolute adjustments)")
