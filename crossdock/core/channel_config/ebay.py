"""The configuration block of an eBay seller account (Sell Fulfillment API)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.config_types import SecretRef
from crossdock.core.connector_config import _SourceBase


class EbaySourceConfig(_SourceBase):
    """An eBay seller account (Sell Fulfillment API): its orders in, fulfilments back to it under the source's name."""

    type: Literal["ebay"]
    format: Literal["ebay"] = "ebay"
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
