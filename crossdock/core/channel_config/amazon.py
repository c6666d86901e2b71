"""The configuration block of an Amazon seller account (SP-API: Orders 2026-01-01, v0 confirmShipment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.config_types import SecretRef
from crossdock.core.connector_config import _SourceBase


class AmazonSourceConfig(_SourceBase):
    """An Amazon seller account (SP-API: Orders 2026-01-01, v0 confirmShipment)."""

    type: Literal["amazon"]
    format: Literal["amazon"] = "amazon"
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
