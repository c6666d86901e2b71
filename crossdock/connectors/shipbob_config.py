"""The ShipBob connector's configuration: the 3PL's order API as a sink, its shipments polled back as a source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.connectors import _SourceBase
from crossdock.core.configuration.types import Duration, SecretRef, Strict, Timeout


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
    return_center: int | None = Field(
        default=None,
        description="the ShipBob fulfillment center id a return is sent to when the order's shipments name none "
        "(else the centre the goods left from)",
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
    read_returns: bool = Field(
        default=False,
        description="also read ShipBob's completed returns of the channel, each as the receipt of its RMA "
        "(restocked units sellable), matched to crossdock's return",
    )

    @model_validator(mode="after")
    def _estimates_once(self) -> ShipBobSourceConfig:
        if self.estimated_delivery and not self.mark_uploaded:
            raise ValueError(
                "estimated_delivery needs mark_uploaded: true (else every poll asks again for every shipment of the "
                "lookback)"
            )
        return self
