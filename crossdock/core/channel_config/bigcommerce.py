"""The configuration block of a BigCommerce store (orders API v2, shipments)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.config_types import SecretRef
from crossdock.core.connector_config import _SourceBase


class BigCommerceSourceConfig(_SourceBase):
    """A BigCommerce store (orders API v2, shipments): its orders in, fulfilments back to it under the source's name."""

    type: Literal["bigcommerce"]
    format: Literal["bigcommerce"] = "bigcommerce"
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
