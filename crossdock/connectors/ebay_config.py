"""The configuration block of an eBay seller account (Sell Fulfillment API)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.types import Duration, SecretRef, Timeout

# getOrders' lastmodifieddate filter reaches back 90 days at most (channel-apis.md §2).
MAX_WINDOW = 90 * 86400.0
FULFILLMENT_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"


class EbaySourceConfig(ChannelSourceBase):
    """An eBay seller account (Sell Fulfillment API): its orders in, fulfilments back to it under the source's name."""

    type: Literal["ebay"]
    format: Literal["ebay"] = "ebay"
    url: str = Field(
        default="https://api.ebay.com",
        pattern=r"^https?://",
        description="the REST API's root (https://api.sandbox.ebay.com for the sandbox)",
    )
    token_url: str = Field(
        default="https://api.ebay.com/identity/v1/oauth2/token",
        pattern=r"^https?://",
        description="the OAuth token endpoint (https://api.sandbox.ebay.com/identity/v1/oauth2/token for the sandbox)",
    )
    client_id: SecretRef = Field(description="${VAR} holding the application's client id (App ID)")
    client_secret: SecretRef = Field(description="${VAR} holding its client secret (Cert ID)")
    refresh_token: SecretRef = Field(description="${VAR} holding the seller's user refresh token")
    scopes: list[str] = Field(
        default_factory=lambda: [FULFILLMENT_SCOPE],
        min_length=1,
        description="scopes asked for with each refreshed user token (a subset of those the seller granted)",
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="${VAR} holding the notification endpoint's verification token: notifications are then "
        "answered at /webhooks/<source> (the token answers eBay's GET challenge; each POST is checked by eBay's "
        "signature)",
    )
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https://",
        description="the public URL eBay calls, exactly as registered with the Notification API (part of the "
        "challenge hash); required with webhook_secret",
    )
    first_sync: Duration = Field(
        default=7 * 86400.0, le=MAX_WINDOW, description="how far back the very first poll reads (90 days at most)"
    )
    overlap: Duration = Field(
        default=300.0, description="each poll reads again this far before the last change it saw (clock skew)"
    )
    page_size: int = Field(default=200, ge=1, le=1000, description="orders per request (eBay allows 1 to 1000)")
    marketplace_id: str = Field(
        default="EBAY_US",
        pattern=r"^EBAY[_-][A-Z]{2,6}$",
        description="the seller's eBay site, sent as X-EBAY-C-MARKETPLACE-ID when crossdock cancels an order "
        "(Post-Order API), e.g. EBAY_US, EBAY_GB, EBAY_DE",
    )
    stock_site_id: int = Field(
        default=0,
        ge=0,
        le=300,
        description="the Trading API site id of listings made outside the Inventory API, sent with "
        "ReviseInventoryStatus when crossdock pushes stock (0 US, 3 UK, 77 Germany, ...)",
    )
    stock_throttle_wait: Duration = Field(
        default=60.0,
        description="how long one stock push may wait in all when the Trading API says its call limit is reached "
        "before it stops (the outbox sends it again later)",
    )
    timeout: Timeout = 30.0

    @model_validator(mode="after")
    def _endpoint(self) -> EbaySourceConfig:
        if self.webhook_secret is not None and self.endpoint_url is None:
            raise ValueError("webhook_secret needs endpoint_url: eBay's challenge hash includes the endpoint's URL")
        return self
