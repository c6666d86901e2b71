"""The configuration blocks of the connectors that speak a partner's API (an ERP, a 3PL, a sales channel), and
the unions of every source and sink ``type:``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from crossdock.core.as2_config import As2SinkConfig, As2SourceConfig
from crossdock.core.channel_config.amazon import AmazonSourceConfig
from crossdock.core.channel_config.bigcommerce import BigCommerceSourceConfig
from crossdock.core.channel_config.ebay import EbaySourceConfig
from crossdock.core.channel_config.shopify import ShopifySourceConfig
from crossdock.core.channel_config.walmart import WalmartSourceConfig
from crossdock.core.channel_config.woocommerce import WooCommerceSourceConfig
from crossdock.core.config_types import Duration, SecretRef, Strict, Timeout
from crossdock.core.connector_config import (
    FolderSinkConfig,
    FolderSourceConfig,
    HttpSinkConfig,
    HttpSourceConfig,
    ImapSourceConfig,
    SftpSinkConfig,
    SftpSourceConfig,
    SmtpSinkConfig,
    _SourceBase,
)

# --- API references: an ERP (Odoo) and a 3PL (ShipBob) ---------------------------------------------------


class OdooSinkConfig(Strict):
    """An Odoo ERP: each order becomes a ``sale.order`` (customer and products looked up) over JSON-RPC."""

    type: Literal["odoo"]
    url: str = Field(pattern=r"^https?://", description="the Odoo server, e.g. https://erp.example.com")
    database: str
    username: str
    api_key: SecretRef = Field(description="${VAR} holding the user's API key (or password)")
    customer_field: str = Field(default="ref", description="the res.partner field that identifies the customer")
    customer: str = Field(
        default="partner",
        description="where the customer's value is in the order: a dotted path (partner: crossdock's partner "
        "name; parties.BY.id: the buyer party's id, parties keyed by their role)",
    )
    product_field: str = Field(default="default_code", description="the product.product field holding the item code")
    product_ids: list[str] = Field(
        default_factory=lambda: ["VN", "SK", "BP", "UP", "EN"],
        min_length=1,
        description="the line's product id qualifiers to use as the item code, the first one present wins",
    )
    ship_to: Literal["delivery-address", "customer"] = Field(
        default="delivery-address",
        description="delivery-address: the order's ship-to party becomes a delivery address under the customer, "
        "found by name or created; customer: ship to the customer's own address",
    )
    confirm: bool = Field(default=False, description="confirm each order (action_confirm); else it stays a quotation")
    timeout: Timeout = 30.0


class _ShipBobApi(Strict):
    url: str = Field(
        default="https://api.shipbob.com", pattern=r"^https?://", description="sandbox-api.shipbob.com to test"
    )
    api_version: str = Field(
        default="2026-01", pattern=r"^[0-9.-]+$", description="the dated API version in every path, e.g. /2026-01/order"
    )
    token: SecretRef = Field(description="${VAR} holding the personal access token (sent as Authorization: Bearer)")
    timeout: Timeout = 30.0


class ShipBobSinkConfig(_ShipBobApi):
    """ShipBob's order API: each delivery is created as one ShipBob order (its shipments are polled back)."""

    type: Literal["shipbob"]
    channel_id: str = Field(pattern=r"^[0-9]+$", description="shipbob_channel_id: the channel with write scopes")
    shipping_method: str = Field(
        default="Standard", min_length=1, description="ShipBob's shipping_method, mapped to a ship option there"
    )
    order_type: Literal["DTC", "B2B", "DropShip"] = Field(
        default="DTC", description="ShipBob's order type; B2B also sends the PO number as purchase_order_number"
    )
    product_ids: list[str] = Field(
        default_factory=lambda: ["VN", "SK", "BP", "UP"],
        min_length=1,
        description="the line's product id qualifiers to use as ShipBob's product reference_id, the first present wins",
    )
    default_country: str = Field(
        default="US",
        pattern=r"^[A-Z]{2}$",
        description="ISO country for a ship-to without one (N404 is often left out)",
    )


class ShipBobSourceConfig(_ShipBobApi, _SourceBase):
    """Polls ShipBob for the shipments of the orders crossdock created there; each becomes a ``Shipment``."""

    type: Literal["shipbob"]
    format: Literal["shipbob"] = "shipbob"
    channel_id: str | None = Field(
        default=None, pattern=r"^[0-9]+$", description="read only the orders of this channel (the sink's channel_id)"
    )
    lookback: Duration = Field(
        default=604800.0,
        gt=0,
        description="each poll reads the orders updated this long ago or later; a shipment read again changes nothing",
    )
    page_size: int = Field(default=250, ge=1, le=250, description="orders per request (ShipBob allows 1 to 250)")
    mark_uploaded: bool = Field(
        default=False,
        description="read only shipments not yet marked is_tracking_uploaded, and mark each once it is stored, so "
        "a poll does not read the lookback's shipments again",
    )
    estimated_delivery: bool = Field(
        default=False,
        description="ask ShipBob's tracking API for each shipment's estimated delivery (edd), the 856's DTM*017: one "
        "request a shipment read, so it needs mark_uploaded",
    )

    @model_validator(mode="after")
    def _estimates_once(self) -> ShipBobSourceConfig:
        if self.estimated_delivery and not self.mark_uploaded:
            raise ValueError(
                "estimated_delivery needs mark_uploaded: true (else every poll asks again for every shipment of the "
                "lookback)"
            )
        return self


SourceConfig = Annotated[
    FolderSourceConfig
    | SftpSourceConfig
    | ImapSourceConfig
    | HttpSourceConfig
    | As2SourceConfig
    | ShipBobSourceConfig
    | ShopifySourceConfig
    | WooCommerceSourceConfig
    | BigCommerceSourceConfig
    | AmazonSourceConfig
    | EbaySourceConfig
    | WalmartSourceConfig,
    Field(discriminator="type"),
]
SinkConfig = Annotated[
    FolderSinkConfig
    | SftpSinkConfig
    | SmtpSinkConfig
    | HttpSinkConfig
    | OdooSinkConfig
    | ShipBobSinkConfig
    | As2SinkConfig,
    Field(discriminator="type"),
]
# Sinks whose request body a mapping of the same name writes from the order (``order_request``).
ORDER_APIS = ("odoo", "shipbob")
# Order APIs crossdock reads shipments from: a revision of a partly shipped order names the shipments it counted.
SHIPMENT_APIS = ("shipbob",)
# Sources that are a sales channel: each is also where its orders' fulfilments go, under the source's name.
CHANNELS = ("shopify", "woocommerce", "bigcommerce", "amazon", "ebay", "walmart")
ChannelConfig = (
    ShopifySourceConfig
    | WooCommerceSourceConfig
    | BigCommerceSourceConfig
    | AmazonSourceConfig
    | EbaySourceConfig
    | WalmartSourceConfig
)
