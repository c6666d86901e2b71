"""Walmart stock: one ``PUT /v3/inventory?sku=…`` a SKU for a few, the bulk inventory feed for many.

- Up to ``stock_feed_threshold`` levels: a call per SKU, paced at ``stock_rate`` calls a second (Walmart's US
  per-endpoint limits are [unverified]: its throttling page; the answer's ``X-Current-Token-Count`` and
  ``X-Next-Replenishment-Time`` say how much is left). A SKU Walmart refuses (a 4xx, or an answer that does not
  show the quantity sent) is named and the push goes on.
- More: ``POST /v3/feeds?feedType=inventory`` with the JSON file (spec 1.4, the default ship node) as multipart
  ``file``. Walmart processes a feed later and limits how many an hour [unverified: 10 in production]; the feed's
  item statuses are not read back here: the push is done once Walmart gives a ``feedId``.
- A 429 waits ``Retry-After`` (or the replenishment time) within the API client's budget (``walmart._Api``);
  past that the push raises ``TransientError`` and the outbox sends it again (the quantities are absolute).
"""

from __future__ import annotations

from functools import partial

from crossdock.connectors.stock_push import Outcome, Pace
from crossdock.connectors.walmart import _Api
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.core.errors import TransientError
from crossdock.core.stock.models import StockPush
from crossdock.mappings import walmart_stock as mapping

INVENTORY = "/v3/inventory"
FEEDS = "/v3/feeds"


def push(api: _Api, name: str, config: WalmartSourceConfig, stock: StockPush) -> str:
    """Every level of ``stock`` sent to the seller account, or the error naming what was refused."""
    outcome = Outcome(f"walmart {name}", stock)
    pace = Pace(config.stock_rate, max(1, int(config.stock_rate)))
    if len(stock.levels) > config.stock_feed_threshold:
        files = {"file": ("inventory.json", mapping.feed(stock.levels), "application/json")}
        call = partial(api.call, "POST", FEEDS, params={"feedType": "inventory"}, files=files)
        found = mapping.feed_id(outcome.call(call))
        if found is None:
            raise TransientError(f"{outcome.where}: POST {FEEDS}: the answer has no feedId")
        outcome.sent = len(stock.levels)
        return outcome.result(f"by the inventory feed (feed {found}; item statuses in its report)", done_as="submitted")
    for level in stock.levels:
        pace.wait()
        call = partial(api.call, "PUT", INVENTORY, params={"sku": level.sku}, json=mapping.update_body(level))
        answer = outcome.call(call, [level.sku])
        if answer is None:
            continue
        said = mapping.refusal(level, answer)
        if said is not None:
            outcome.refuse(level.sku, said)
        else:
            outcome.sent += 1
    return outcome.result("(PUT /v3/inventory)")
