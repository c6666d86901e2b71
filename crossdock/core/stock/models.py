"""What crossdock tells a sales channel about stock: how many of each product it may sell now.

Core works out the figures (on hand at the locations a channel sells from, less open orders' reservations, less
the channel's buffer) and queues one ``StockPush`` per channel as a delivery of purpose ``STOCK``. The channel's
sink turns it into the channel's own calls, batched and paced to that API's limits. Every level is absolute, so
a push sent twice sets the same figures; ``push_id`` is stable for APIs that take an idempotency key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crossdock.core.models_base import Model

STOCK = "stock"  # the delivery purpose, seen by a sink as ``Outbound.purpose``


@dataclass(slots=True, kw_only=True)
class StockLevel(Model):
    """One product's figure for one channel (and one of its locations, where the channel has locations)."""

    sku: str  # the merchant's SKU, as the catalogue knows it
    available: int  # what the channel should offer for sale, never below zero
    ids: dict[str, str] = field(default_factory=dict)  # the channel's own ids for the product, from the catalogue
    location: str | None = None  # the channel's location id (Shopify, BigCommerce), when it has locations
    told: int | None = None  # what this channel was last told for it, when known (compare-and-set)


@dataclass(slots=True, kw_only=True)
class StockPush(Model):
    """The levels that changed for one channel since it was last told; the sink sends them all or raises."""

    channel: str  # the channel sink's name
    push_id: str  # stable: the same push retried keeps it
    as_of: dt.datetime  # when the figures were worked out (UTC)
    levels: list[StockLevel] = field(default_factory=list)


STOCK_CHECK = "stock-check"  # the purpose of a later look at a submitted feed's processing report


class StockSent(str):
    """What a stock sink returns: the push's summary (the outbox keeps it as the remote reference) carrying, for
    core, the SKUs the channel refused for good (sku -> its words) and the feeds it accepted for processing later.
    A push with refusals still counts as sent: the other SKUs were set, and the refused ones are recorded per SKU
    (``stock_results``) instead of failing the push, so that one bad SKU never stops a channel's pushes."""

    refused: dict[str, str]
    feeds: list[str]
    retry: list[str]  # SKUs the channel did not set for reasons of its own: the next push sends them again

    def __new__(
        cls,
        summary: str,
        refused: dict[str, str] | None = None,
        feeds: list[str] | None = None,
        retry: list[str] | None = None,
    ) -> StockSent:
        made = super().__new__(cls, summary[:1000])  # the outbox's remote reference: each SKU's words are kept apart
        made.refused = dict(refused or {})
        made.feeds = list(feeds or [])
        made.retry = list(retry or [])
        return made


@dataclass(slots=True, kw_only=True)
class FeedCheck(Model):
    """A feed a channel took for processing later, to be read back: its id and the levels it carried."""

    channel: str
    push_id: str  # the push that submitted it
    feed_id: str
    levels: dict[str, int] = field(default_factory=dict)  # sku -> the figure the feed carried
