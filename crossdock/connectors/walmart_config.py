"""The configuration block of a Walmart Marketplace seller account (Marketplace APIs, US)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.types import Duration, SecretRef, Timeout

# Walmart serves only the last 180 days of orders [spec]; a first poll reaching further back is refused there.
MAX_HISTORY = 180 * 86400.0


class WalmartSourceConfig(ChannelSourceBase):
    """A Walmart Marketplace seller account: its purchase orders in by modification time, each acknowledged once
    stored, and shipments back as Shipped lines with tracking."""

    type: Literal["walmart"]
    format: Literal["walmart"] = "walmart"
    url: str = Field(
        default="https://marketplace.walmartapis.com",
        pattern=r"^https?://",
        description="the Marketplace API; https://sandbox.walmartapis.com to test",
    )
    client_id: SecretRef = Field(description="${VAR} holding the API client id (token: client credentials)")
    client_secret: SecretRef = Field(description="${VAR} holding its client secret")
    service_name: str = Field(
        default="Walmart Marketplace", min_length=1, description="sent as WM_SVC.NAME on every call"
    )
    channel_type: str | None = Field(
        default=None,
        min_length=1,
        description="WM_CONSUMER.CHANNEL.TYPE: the consumer channel type a solution provider got at onboarding",
    )
    first_sync: Duration = Field(
        default=7 * 86400.0, le=MAX_HISTORY, description="how far back the very first poll reads (180 days at most)"
    )
    overlap: Duration = Field(
        default=300.0, description="each poll reads again this far before the last poll's start (clock skew)"
    )
    limit: int = Field(default=100, ge=1, le=200, description="orders per page (Walmart allows 1 to 200)")
    tracking_urls: dict[str, str] = Field(
        default_factory=dict,
        description="carrier SCAC -> tracking page with {number}, e.g. https://track.example.com/{number}; "
        "Walmart needs one for a carrier outside its own list (sent as otherCarrier)",
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="${VAR} holding userName:password, the BASIC_AUTH authDetails given when subscribing to the "
        "order events: PO_CREATED and PO_LINE_AUTOCANCELLED webhooks at /webhooks/<source> are then answered",
    )
    webhook_header: str = Field(
        default="Authorization",
        min_length=1,
        description="the authHeaderName given when subscribing: where Walmart puts the Base64 userName:password",
    )
    stock_feed_threshold: int = Field(
        default=50,
        ge=0,
        description="a stock push of more levels than this goes as one bulk inventory feed (processed by Walmart "
        "later, a few feeds an hour) instead of one inventory update a SKU",
    )
    stock_rate: float = Field(
        default=5.0,
        gt=0,
        description="inventory updates a second crossdock makes ([unverified]: Walmart publishes its per-endpoint "
        "limits on its throttling page; set yours from there)",
    )
    timeout: Timeout = 30.0

    @field_validator("tracking_urls")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for scac, url in value.items():
            if not url.startswith(("https://", "http://")) or "{number}" not in url:
                raise ValueError(f"tracking_urls.{scac}: {url!r} must be an http(s) URL with {{number}} in it")
        return {scac.strip().upper(): url for scac, url in value.items()}
