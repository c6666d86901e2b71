"""WooCommerce stock: each level's ``stock_quantity`` (with ``manage_stock``) through the batch endpoints.

- ``POST /wp-json/wc/v3/products/batch`` ``{"update": [...]}`` for products, ``POST .../products/<id>/variations/
  batch`` for each parent's variations; at most ``stock_batch_size`` items a call (WooCommerce's default limit is
  100, the ``woocommerce_rest_batch_items_limit`` filter; over it the store answers
  ``woocommerce_rest_request_entity_too_large``).
- WooCommerce core publishes no request rate [unverified: the host is the ceiling], so calls are not paced; a 429
  (a host's or a plugin's) waits its Retry-After within ``stock_throttle_wait`` seconds a push, then the push
  raises ``TransientError`` and the outbox sends it again (the levels are absolute: a repeat sets the same).
- A batch answers 200 with an ``error`` per refused item: those SKUs are named (``stock_push.Outcome``); a batch
  refused whole (a 4xx) is sent again in halves, down to the SKU it refuses.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from crossdock.connectors.stock_push import Outcome, chunks, patience
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig
from crossdock.core.stock.models import StockPush
from crossdock.mappings import woocommerce_stock as mapping

if TYPE_CHECKING:  # the sink's module imports this one
    from crossdock.connectors.woocommerce import _Store

API = "/wp-json/wc/v3/"


def push(api: _Store, name: str, config: WooCommerceSourceConfig, stock: StockPush) -> str:
    """Every level of ``stock`` set on the store, or the error naming what was not."""
    outcome = Outcome(f"woocommerce {name}", stock)
    planned = mapping.plan(stock.levels)
    for sku in planned.missing:
        outcome.refuse(sku, "the catalogue gives no WooCommerce product_id (or variation_id)", permanent=True)
    waiting = patience(config.stock_throttle_wait)
    size = config.stock_batch_size
    jobs = [(f"{API}products/batch", batch) for batch in chunks(planned.products, size)]
    for parent, items in planned.variations.items():
        jobs += [(f"{API}products/{parent}/variations/batch", batch) for batch in chunks(items, size)]
    for path, batch in jobs:

        def send(part: list[Any], path: str = path) -> Any:
            body = mapping.batch_body(part, planned.quantities)
            return waiting.call(partial(api.call, "POST", path, json=body))

        for part, found in outcome.call_split(send, batch, lambda item: str(item[0])):
            refused = mapping.refusals(found[0], part)
            for sku, (said, permanent) in refused.items():
                outcome.refuse(sku, said, permanent=permanent)
            outcome.sent += len(part) - len(refused)
    return outcome.result("(stock_quantity)")
