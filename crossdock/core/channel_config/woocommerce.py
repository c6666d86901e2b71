"""A WooCommerce store's configuration block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.channel_config.common import ChannelSourceBase
from crossdock.core.config_types import Duration, SecretRef, Timeout


class WooCommerceSourceConfig(ChannelSourceBase):
    """A WooCommerce store (REST API v3): its orders in by modification time, fulfilments back to it."""

    type: Literal["woocommerce"]
    format: Literal["woocommerce"] = "woocommerce"
    url: str = Field(pattern=r"^https?://", description="the store, e.g. https://shop.example.com")
    consumer_key: SecretRef = Field(description="${VAR} holding the REST API consumer key (ck_...)")
    consumer_secret: SecretRef = Field(description="${VAR} holding its consumer secret (cs_...)")
    first_sync: Duration = Field(default=7 * 86400.0, description="how far back the very first poll reads")
    overlap: Duration = Field(
        default=300.0, description="each poll reads again this far before the last change it saw (clock skew)"
    )
    per_page: int = Field(default=100, ge=1, le=100)
    tracking: Literal["note", "shipment-tracking"] = Field(
        default="note",
        description="note: tracking as a customer note; shipment-tracking: also the Shipment Tracking extension",
    )
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
    timeout: Timeout = 30.0
