"""A source's ``returns`` block: what crossdock does for the channel once a return's goods are received."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.types import Strict


class ReturnsPolicy(Strict):
    read: bool = Field(
        default=False,
        description="a sales channel's returns are read with its orders (Shopify: the app needs the read_returns "
        "scope); off, crossdock reads none and a return reaches it only as an EDI buyer's 180",
    )
    refund: Literal["on_receipt", "approve"] = Field(
        default="on_receipt",
        description="on_receipt: the channel is told (refunded or closed) as soon as the warehouse's receipt is "
        "recorded; approve: the refund waits for crossdock returns approve RETURN_ID",
    )
    action: Literal["refund", "close"] = Field(
        default="refund",
        description="refund: the channel pays back what was received (never more than was paid for it); close: "
        "the return is only closed on the channel, the money is left to a person",
    )
    restock: bool = Field(
        default=False,
        description="whether the channel itself puts the refunded units back into its own stock (Shopify "
        "restockType RETURN); crossdock counts the sellable units back into its own stock either way",
    )
