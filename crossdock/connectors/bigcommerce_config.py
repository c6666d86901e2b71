"""The configuration block of a BigCommerce store (orders API v2, shipments)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.types import Duration, SecretRef, Timeout

# status_id -> name, as the orders API v2 lists them. 0 "Incomplete" is an abandoned checkout, never an order.
STATUSES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}


class BigCommerceSourceConfig(ChannelSourceBase):
    """A BigCommerce store (orders API v2, shipments): its orders in, fulfilments back to it under the source's name."""

    type: Literal["bigcommerce"]
    format: Literal["bigcommerce"] = "bigcommerce"
    store_hash: str = Field(pattern=r"^[A-Za-z0-9]+$", description="the store's hash, as in /stores/<hash>/v2/...")
    api_url: str = Field(
        default="https://api.bigcommerce.com", pattern=r"^https?://", description="the API host (a test double's)"
    )
    access_token: SecretRef = Field(description="${VAR} holding the API account's access token (X-Auth-Token)")
    first_sync: Duration = Field(default=7 * 86400.0, description="how far back the very first poll reads")
    overlap: Duration = Field(
        default=300.0,
        description="each poll reads again this far before the last change it saw: BigCommerce stamps "
        "date_modified as it saves, so 5 minutes covers clock skew and a save that commits late",
    )
    throttle_wait: Duration = Field(
        default=120.0,
        description="how long one poll may wait in all for a 429's quota window to reset before it stops",
    )
    limit: int = Field(default=50, ge=1, le=250, description="orders (and order products) per page")
    statuses: list[int] = Field(
        default_factory=lambda: list(range(1, 15)),
        min_length=1,
        description="status_ids imported (default every one but 0 Incomplete); leave 5 Cancelled in to hear of "
        "cancellations, 7 Awaiting Payment and 12 Manual Verification Required are kept waiting",
    )
    quota_reserve: int = Field(
        default=10,
        ge=0,
        description="requests of the store's 30-second quota (shared by every app) left to others: with this "
        "few left, crossdock waits for the window to reset",
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="${VAR} holding the secret crossdock asks BigCommerce to send in the X-Crossdock-Webhook-Secret "
        "header of each store/order/* webhook, or the app's client secret BigCommerce signs webhooks with "
        "(Standard Webhooks): order webhooks are then answered",
    )
    stock_location_id: int = Field(
        default=1,
        ge=1,
        description="the inventory location a stock level without its own location is set at (BigCommerce's first "
        "location is 1 [unverified])",
    )
    stock_batch_size: int = Field(
        default=2000, ge=1, le=2000, description="stock levels per absolute inventory adjustment (2,000 at most)"
    )
    stock_throttle_wait: Duration = Field(
        default=60.0,
        description="how long one stock push may wait in all for 429s' quota windows before it stops (the outbox "
        "sends it again later)",
    )
    return_prefix: str = Field(
        default="Return",
        min_length=1,
        description="a refund whose reason starts with this (any case) is a return: BigCommerce has no return object",
    )
    timeout: Timeout = 30.0

    @field_validator("statuses")
    @classmethod
    def _known_statuses(cls, value: list[int]) -> list[int]:
        if 0 in value:
            raise ValueError("status 0 (Incomplete) is an abandoned checkout and is never imported")
        unknown = sorted(set(value) - set(STATUSES))
        if unknown:
            raise ValueError(f"unknown status_id {unknown}: BigCommerce's are 1 to 14")
        return sorted(set(value))
