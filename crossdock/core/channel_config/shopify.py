"""The configuration block of a Shopify store (Admin GraphQL API)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.config_types import SecretRef
from crossdock.core.connector_config import _SourceBase


class ShopifySourceConfig(_SourceBase):
    """A Shopify store (Admin GraphQL API): its orders in, fulfilments back to it under the source's name."""

    type: Literal["shopify"]
    format: Literal["shopify"] = "shopify"
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
