"""A WooCommerce store's configuration block."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.trust import loopback
from crossdock.core.configuration.types import Duration, SecretRef, Timeout


class WooCommerceSourceConfig(ChannelSourceBase):
    """A WooCommerce store (REST API v3): its orders in by modification time, fulfilments back to it."""

    type: Literal["woocommerce"]
    format: Literal["woocommerce"] = "woocommerce"
    url: str = Field(
        pattern=r"^https?://",
        description="the store, e.g. https://shop.example.com (check refuses plain http to another machine: the "
        "keys would cross the network in clear text)",
    )
    auth: Literal["basic", "query"] = Field(
        default="basic",
        description="basic: the keys in the Authorization header; query: as consumer_key/consumer_secret in the "
        "query string, for hosts that strip Authorization (https only)",
    )
    consumer_key: SecretRef = Field(description="${VAR} holding the REST API consumer key (ck_...)")
    consumer_secret: SecretRef = Field(description="${VAR} holding its consumer secret (cs_...)")
    first_sync: Duration = Field(default=7 * 86400.0, description="how far back the very first poll reads")
    overlap: Duration = Field(
        default=300.0,
        description="each poll reads again this far before the last change it saw: WooCommerce stamps "
        "date_modified_gmt as it saves, so 5 minutes covers clock skew and a save that commits late",
    )
    throttle_wait: Duration = Field(
        default=120.0, description="how long one poll may wait in all for a 429's Retry-After before it stops"
    )
    check_virtual: bool = Field(
        default=True,
        description="read each line's product to tell a virtual one (no shipping: left out of the order) from one "
        "that ships; off: every line ships",
    )
    cancel_refund: bool = Field(
        default=True, description="a cancellation crossdock sends back refunds through the gateway (api_refund)"
    )
    cancel_restock: bool = Field(default=True, description="and restocks the cancelled units (api_restock)")
    return_prefix: str = Field(
        default="Return",
        min_length=1,
        description="a refund whose reason starts with this (any case) is a return: WooCommerce has no return object",
    )
    return_refund: bool = Field(
        default=True,
        description="a refund crossdock sends for a received return goes through the gateway (api_refund); off: "
        "recorded in WooCommerce only, the money moved by hand",
    )
    per_page: int = Field(default=100, ge=1, le=100)
    tracking: Literal["note", "shipment-tracking"] = Field(
        default="note",
        description="note: tracking as a customer note; shipment-tracking: also the Shipment Tracking extension",
    )
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
    stock_batch_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="stock levels per products (or variations) batch call: WooCommerce takes 100 unless the store's "
        "woocommerce_rest_batch_items_limit filter allows more",
    )
    stock_throttle_wait: Duration = Field(
        default=60.0,
        description="how long one stock push may wait in all for 429s' Retry-After before it stops (the outbox "
        "sends it again later)",
    )
    timeout: Timeout = 30.0

    @model_validator(mode="after")
    def _query_keys_over_https(self) -> WooCommerceSourceConfig:
        if self.auth == "query" and not self.url.lower().startswith("https://") and not _local(self.url):
            raise ValueError("auth: query puts the keys in the URL: the store must be https")
        return self


def _local(url: str) -> bool:
    return loopback(urlsplit(url).hostname or "")
