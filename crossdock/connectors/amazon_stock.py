"""Amazon stock: a few SKUs by Listings Items ``patchListingsItem``, many by one ``JSON_LISTINGS_FEED``.

- Up to ``stock_feed_threshold`` levels: ``PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=…``
  one SKU a call, paced by its usage plan (5 requests a second, burst 5 [spec]; ``amazon.USAGE_PLANS``). Amazon
  answers each at once: a 400 or an ``INVALID`` submission refuses that SKU, named, and the push goes on.
- More: the feed (``createFeedDocument``, the JSON uploaded to its pre-signed URL, ``createFeed``), at most
  25,000 messages a feed, so a push costs three calls instead of one per SKU at 5 a second. Amazon processes a
  feed later: the push is done once the feed is created, and core queues a ``stock-check`` for it (``check``):
  ``getFeed`` until it is ``DONE``, then its ``resultFeedDocumentId``'s processing report, whose per-SKU errors
  become the SKUs' refusals. A feed ``FATAL`` refuses every SKU it carried, with the report's words; one
  ``CANCELLED`` has its SKUs pushed again.
- A 429 empties the operation's bucket and waits one token's time, three tries in all (``amazon._Api``); past that
  the push raises ``TransientError`` and the outbox sends it again (the quantities are absolute).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import partial

from crossdock.connectors.amazon import _Api
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_feeds import WAITING, feed_state, processing_report, quoted, submit
from crossdock.connectors.stock_push import Outcome, chunks
from crossdock.core.errors import PermanentError
from crossdock.core.stock.models import FeedCheck, StockLevel, StockPush, StockSent
from crossdock.mappings import amazon_stock as mapping

LISTINGS = "/listings/2021-08-01/items/{seller}/{sku}"


def push(api: _Api, name: str, config: AmazonSourceConfig, stock: StockPush) -> StockSent:
    """Every level of ``stock`` sent to the seller account, or the error naming what was refused."""
    outcome = Outcome(f"amazon {name}", stock)
    seller = config.merchant_id
    if not seller:
        raise PermanentError(f"amazon {name}: set merchant_id (the seller id) to push stock to Amazon")
    if len(stock.levels) > config.stock_feed_threshold:
        feeds = [_feed(api, outcome, config, batch) for batch in chunks(stock.levels, mapping.MAX_MESSAGES)]
        outcome.sent = len(stock.levels)
        how = f"by {mapping.FEED_TYPE} (feed {', '.join(feeds)}; its processing report is read later)"
        return outcome.result(how, done_as="submitted", feeds=feeds)
    for level in stock.levels:
        path = LISTINGS.format(seller=quoted(seller), sku=quoted(level.sku))
        params = {"marketplaceIds": ",".join(config.marketplace_ids), "issueLocale": "en_US"}
        body = mapping.patch_body(level, config.stock_product_type)
        call = partial(api.call, "patchListingsItem", "PATCH", path, params=params, json=body, accept=(400,))
        found = outcome.call(call, [level.sku])
        if found is None:
            continue
        said = mapping.refusal(*found)
        if said is not None:
            outcome.refuse(level.sku, said, permanent=True)
        else:
            outcome.sent += 1
    return outcome.result("(patchListingsItem)")


def _feed(api: _Api, outcome: Outcome, config: AmazonSourceConfig, levels: list[StockLevel]) -> str:
    """One listings feed: a document made, its JSON uploaded, the feed created; its id."""
    content = mapping.feed(levels, config.merchant_id or "", config.stock_product_type)
    kind = mapping.FEED_CONTENT_TYPE
    return submit(api, outcome.where, mapping.FEED_TYPE, content, kind, config.marketplace_ids, outcome.call)


def check(api: _Api, name: str, config: AmazonSourceConfig, feed: FeedCheck) -> StockSent:
    """A submitted listings feed looked at: still processing (to be looked at again), or its report's refusals."""
    where = f"amazon {name}: stock feed {feed.feed_id}"
    status, document = feed_state(api, where, feed.feed_id)
    if status in WAITING:
        return StockSent(f"{where}: {status}, looked at again later", feeds=[feed.feed_id])
    refused: dict[str, str] = {}
    general: list[str] = []
    if document is not None:
        refused, general = _report(api, config, where, document, feed.levels)
    told = f"{where}: {status}"
    if status == "CANCELLED":  # someone cancelled it on Amazon before it ran: its SKUs go again with the next push
        return StockSent(f"{told}: its {len(feed.levels)} SKUs are pushed again", retry=list(feed.levels))
    if status == "FATAL":  # nothing of the feed was applied: every SKU it carried is refused, with Amazon's words
        said = "the feed was FATAL" + (f": {'; '.join(general)}"[:280] if general else "")
        refused = {sku: refused.get(sku, said) for sku in feed.levels}
    told += f", {len(refused)} of {len(feed.levels)} SKUs refused"
    return StockSent(told + (f"; the feed's own errors: {'; '.join(general)}" if general else ""), refused=refused)


def _report(
    api: _Api, config: AmazonSourceConfig, where: str, document_id: str, skus: Collection[str]
) -> tuple[dict[str, str], list[str]]:
    """The processing report, fetched and read: the SKUs it refuses and the feed's own errors."""
    content = processing_report(api, config, where, document_id)
    try:
        return mapping.report_refusals(json.loads(content), skus)
    except ValueError as exc:
        raise PermanentError(f"{where}: the processing report does not read: {exc}") from None
