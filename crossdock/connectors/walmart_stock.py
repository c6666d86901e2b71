"""Walmart stock: one ``PUT /v3/inventory?sku=…`` a SKU for a few, the bulk inventory feed for many.

- Up to ``stock_feed_threshold`` levels: a call per SKU, paced at ``stock_rate`` calls a second (Walmart's US
  per-endpoint limits are [unverified]: its throttling page; the answer's ``X-Current-Token-Count`` and
  ``X-Next-Replenishment-Time`` say how much is left). A SKU Walmart refuses (a 4xx, or an answer that does not
  show the quantity sent) is named and the push goes on.
- More: ``POST /v3/feeds?feedType=inventory`` with the JSON file (spec 1.4, the default ship node) as multipart
  ``file``. Walmart processes a feed later and limits how many an hour [unverified: 10 in production]: the push
  is done once Walmart gives a ``feedId``, and core queues a ``stock-check`` for it (``check``): the feed's
  status with its item details, page by page, once it is ``PROCESSED`` (or ``ERROR``); an item not ingested
  for its data (``DATA_ERROR``) is that SKU's refusal, one Walmart failed itself (``SYSTEM_ERROR``,
  ``TIMEOUT_ERROR``) is sent again by the next push.
- A 429 waits ``Retry-After`` (or the replenishment time) within the API client's budget (``walmart._Api``);
  past that the push raises ``TransientError`` and the outbox sends it again (the quantities are absolute).
"""

from __future__ import annotations

import urllib.parse
from functools import partial

from crossdock.connectors.stock_push import Outcome, Pace
from crossdock.connectors.walmart import _Api
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.core.errors import TransientError
from crossdock.core.stock.models import FeedCheck, StockPush, StockSent
from crossdock.mappings import walmart_stock as mapping

INVENTORY = "/v3/inventory"
FEEDS = "/v3/feeds"


def push(api: _Api, name: str, config: WalmartSourceConfig, stock: StockPush) -> StockSent:
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
        how = f"by the inventory feed (feed {found}; its item statuses are read later)"
        return outcome.result(how, done_as="submitted", feeds=[found])
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


def check(api: _Api, name: str, feed: FeedCheck) -> StockSent:
    """A submitted inventory feed looked at: still processing (to be looked at again), or its items' refusals.
    An item Walmart failed itself is named, for the next push to send again (``retry``)."""
    where = f"walmart {name}: stock feed {feed.feed_id}"
    path = f"{FEEDS}/{urllib.parse.quote(feed.feed_id, safe='')}"
    refused: dict[str, tuple[str, bool]] = {}
    offset = 0
    while True:
        params = {"includeDetails": "true", "offset": str(offset), "limit": str(mapping.FEED_PAGE)}
        try:
            status, received, page = mapping.feed_status(api.call("GET", path, params=params))
        except ValueError as exc:
            raise TransientError(f"{where}: {exc}") from None
        if status not in mapping.DONE:
            return StockSent(f"{where}: {status}, looked at again later", feeds=[feed.feed_id])
        refused.update((sku, said) for sku, said in page.items() if sku in feed.levels)
        offset += mapping.FEED_PAGE
        if offset >= min(received, len(feed.levels)):
            break
    data = {sku: said for sku, (said, ours) in refused.items() if ours}
    again = sorted(sku for sku, (_, ours) in refused.items() if not ours)
    told = f"{where}: {status}, {len(data)} of {len(feed.levels)} SKUs refused"
    if again:
        told += f"; {len(again)} failed on Walmart's side, pushed again: {', '.join(again[:20])}"
    return StockSent(told, refused=data, retry=again)
