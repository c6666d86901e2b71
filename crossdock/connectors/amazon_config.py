"""The configuration block of an Amazon seller account (SP-API: Orders 2026-01-01, v0 confirmShipment).

There is no ``webhook_secret``: Amazon's ``ORDER_CHANGE`` notifications come through SQS or EventBridge, never
as an HTTP POST, so there is no webhook to answer and nothing to sign; the poll is the only way in.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.types import Duration, SecretRef, Timeout


class AmazonSourceConfig(ChannelSourceBase):
    """An Amazon seller account (SP-API): its merchant-fulfilled orders in by update time, shipments back."""

    type: Literal["amazon"]
    format: Literal["amazon"] = "amazon"
    endpoint: str = Field(
        default="https://sellingpartnerapi-na.amazon.com",
        pattern=r"^https?://",
        description="the region's SP-API host: https://sellingpartnerapi-na.amazon.com, -eu or -fe",
    )
    token_url: str = Field(
        default="https://api.amazon.com/auth/o2/token",
        pattern=r"^https?://",
        description="Login with Amazon's token endpoint, where the refresh token buys an access token",
    )
    marketplace_ids: list[str] = Field(
        min_length=1,
        max_length=50,
        description="the marketplaces whose orders are read, e.g. [ATVPDKIKX0DER]; with one, shipments are "
        "confirmed there without reading the order first",
    )
    client_id: SecretRef = Field(description="${VAR} holding the LWA client id of the app (amzn1.application-oa2-…)")
    client_secret: SecretRef = Field(description="${VAR} holding the LWA client secret")
    refresh_token: SecretRef = Field(description="${VAR} holding the seller's LWA refresh token (Atzr|…)")
    first_sync: Duration = Field(default=7 * 86400.0, description="how far back the very first poll reads")
    overlap: Duration = Field(
        default=3600.0,
        description="each poll reads again this far before the last change it saw: Amazon shows a change under "
        "its lastUpdatedTime, but only once its data settled (at least two minutes [spec: lastUpdatedBefore], "
        "an order held for Amazon's checks later still [unverified: sellers report half an hour]); five minutes "
        "missed such changes, an hour costs a few more pages per poll",
    )
    page_size: int = Field(default=100, ge=1, le=100, description="maxResultsPerPage of searchOrders")
    fulfilled_by: Literal["MERCHANT"] = Field(
        default="MERCHANT",
        description="only merchant-fulfilled orders are read: an FBA order is Amazon's to ship, never a warehouse's",
    )
    merchant_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9]+$",
        description="the seller's merchant token (Seller Central: Account Info, Merchant Token): the "
        "MerchantIdentifier of the feeds that cancel orders (acknowledgement) and refund returns (order "
        "adjustment); without it crossdock cannot cancel or refund on Amazon",
    )
    stock_feed_threshold: int = Field(
        default=100,
        ge=0,
        description="a stock push of more levels than this goes as one JSON_LISTINGS_FEED (three calls, processed "
        "by Amazon within minutes) instead of one patchListingsItem a SKU (5 a second, applied at once)",
    )
    stock_product_type: str = Field(
        default="PRODUCT",
        min_length=1,
        max_length=100,
        description="the Amazon product type sent with a stock patch when the catalogue gives none for the SKU "
        "(PRODUCT [unverified: Amazon's guides use it for offer-only patches]; else the listing's own type)",
    )
    returns_every: Duration = Field(
        default=3600.0,
        ge=600.0,
        description="how often a new returns report is asked for (each covers from a day before the last one ended)",
    )
    timeout: Timeout = 30.0
