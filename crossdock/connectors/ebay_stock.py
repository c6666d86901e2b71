"""eBay stock: the Inventory API's ``bulk_update_price_quantity`` for its own listings, the Trading API's
``ReviseInventoryStatus`` for listings made elsewhere (Seller Hub, Trading), as the catalogue's ids say.

- ``POST /sell/inventory/v1/bulk_update_price_quantity``: at most 25 SKUs a call; 200 or 207 with a
  ``statusCode`` per SKU, and each SKU not at 200 is named. The Inventory API publishes daily call quotas, not a
  rate per second [unverified per-API figures]: calls are not paced; a 429 waits its Retry-After within the API
  client's budget (``ebay_client.Api``). The seller's refresh token must carry the ``sell.inventory`` scope
  (``scopes``).
- ``POST /ws/api.dll`` with ``X-EBAY-API-CALL-NAME: ReviseInventoryStatus``, the OAuth user token in
  ``X-EBAY-API-IAF-TOKEN`` and the listings' site in ``X-EBAY-API-SITEID`` (``stock_site_id``): at most 4 listings
  a call, paced to the published burst of 6,000 calls in 15 s a seller. eBay answers throttling with error 518 in a
  200 [unverified code]: that call waits within ``stock_throttle_wait``, then the push raises ``TransientError``.
- Each listing may be revised 250 times a day [docs]: the pushes only carry what changed.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from crossdock.connectors.ebay_client import Api
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.http import check, request
from crossdock.connectors.stock_push import Outcome, Pace, chunks, patience
from crossdock.connectors.throttle import Throttled
from crossdock.core.stock.models import StockLevel, StockPush
from crossdock.mappings import ebay_stock as mapping

BULK = "/sell/inventory/v1/bulk_update_price_quantity"
TRADING = "/ws/api.dll"
COMPATIBILITY = "1331"  # the Trading API schema version the request is written against [unverified]
TRADING_RATE = (400.0, 6000)  # 6,000 calls in 15 s a seller [docs ReviseInventoryStatus]
THROTTLED_WAIT = 15.0  # eBay's 518 says no wait: the burst window's length


def push(api: Api, name: str, config: EbaySourceConfig, stock: StockPush) -> str:
    """Every level of ``stock`` set on eBay, or the error naming what was refused."""
    outcome = Outcome(f"ebay {name}", stock)
    inventory = [level for level in stock.levels if not mapping.by_trading(level)]
    trading = [level for level in stock.levels if mapping.by_trading(level)]
    headers = {"Content-Language": "en-US"}

    def bulk(part: list[StockLevel]) -> Any:
        return api.call("POST", BULK, json=mapping.bulk_body(part), headers=headers)

    for batch in chunks(inventory, mapping.MAX_BULK):
        for part, found in outcome.call_split(bulk, batch, _sku):
            _tally(outcome, part, mapping.bulk_refusals(found[0], part))
    pace = Pace(*TRADING_RATE)
    waiting = patience(config.stock_throttle_wait)

    def revise(part: list[StockLevel]) -> mapping.Revised:
        pace.wait()
        return waiting.call(partial(_revise, api, config, part))

    for batch in chunks(trading, mapping.MAX_REVISE):
        for part, revised in outcome.call_split(revise, batch, _sku):
            _tally(outcome, part, revised.refused)
    return outcome.result("(bulk_update_price_quantity, ReviseInventoryStatus)")


def _sku(level: StockLevel) -> str:
    return level.sku


def _tally(outcome: Outcome, batch: list[StockLevel], refused: dict[str, tuple[str, bool]]) -> None:
    for sku, (said, permanent) in refused.items():
        outcome.refuse(sku, said, permanent=permanent)
    outcome.sent += len(batch) - len(refused)


def _revise(api: Api, config: EbaySourceConfig, batch: list[StockLevel]) -> mapping.Revised:
    """One ``ReviseInventoryStatus`` call; eBay's throttling answer raised as ``Throttled``."""
    where = f"ebay {api.who}: ReviseInventoryStatus"
    headers = {
        "X-EBAY-API-CALL-NAME": "ReviseInventoryStatus",
        "X-EBAY-API-SITEID": str(config.stock_site_id),
        "X-EBAY-API-COMPATIBILITY-LEVEL": COMPATIBILITY,
        "X-EBAY-API-IAF-TOKEN": api.token("user"),
        "Content-Type": "text/xml",
    }
    response = request(api.client, "POST", TRADING, where, content=mapping.revise_request(batch), headers=headers)
    if response.status_code == 429:
        raise Throttled(f"{where}: 429 Too Many Requests", retry_after=THROTTLED_WAIT)
    check(response, where)
    revised = mapping.revise_answer(response.content, batch)
    if revised.throttled:
        raise Throttled(f"{where}: eBay says the call limit is reached (518)", retry_after=THROTTLED_WAIT)
    return revised
