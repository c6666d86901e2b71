"""What every sales channel's source block has, whatever the channel: how large one answer of its API and one
order may be (a real page of orders is a few MB and a real order a few kB; beyond these bounds an answer is a
mistake or an attack, refused before it is held whole), and what crossdock tells it about stock."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, StringConstraints

from crossdock.core.configuration.connectors import _SourceBase
from crossdock.core.configuration.types import ByteSize, Strict

MAX_ANSWER = 100_000_000  # one API answer (a page of orders, one order), as sent: the default of max_answer
MAX_ORDER = 5_000_000  # one order's JSON: the default of max_order

Percent = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{1,3}(\.\d{1,2})?%$")]


class ChannelStock(Strict):
    """What crossdock tells this channel about stock (``crossdock stock``): how many of each catalogued SKU it
    may sell, worked out from the on-hand figures at ``locations``, less open orders, less ``buffer``."""

    push: bool = Field(default=True, description="push available-to-sell figures to this channel")
    locations: list[str] = Field(
        default_factory=list,
        description="crossdock's stock locations this channel sells from (as the stock sources name them); "
        "empty: every location",
    )
    buffer: Annotated[int, Field(ge=0, le=1_000_000_000)] | Percent = Field(
        default=0,
        description="held back from the channel: a number of units (2) or a percentage of what is free (10%)",
    )
    location_id: str | None = Field(
        default=None,
        max_length=256,
        description="the channel's own location id the figures are set at (Shopify, BigCommerce), unless the "
        "catalogue names one per SKU",
    )

    def held_back(self, free: int) -> int:
        """The units of ``free`` (on hand less reservations) kept from this channel."""
        if isinstance(self.buffer, int):
            return self.buffer
        return math.ceil(free * float(self.buffer[:-1]) / 100) if free > 0 else 0


class ChannelSourceBase(_SourceBase):
    max_answer: ByteSize = Field(
        default=MAX_ANSWER,
        description="one answer of the channel's API (a page of orders, one order), as sent: a larger one is "
        "refused as it arrives and the poll fails with the reason",
    )
    max_order: ByteSize = Field(
        default=MAX_ORDER,
        description="one order's JSON: a larger one is stored quarantined, naming the order, and not processed",
    )
    stock: ChannelStock | None = Field(
        default=None,
        description="available-to-sell pushed to this channel (crossdock stock): locations, buffer, push on/off",
    )
