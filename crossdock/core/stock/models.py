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
