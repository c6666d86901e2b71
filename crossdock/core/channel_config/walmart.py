"""The configuration block of a Walmart Marketplace seller account (Marketplace APIs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.config_types import SecretRef
from crossdock.core.connector_config import _SourceBase


class WalmartSourceConfig(_SourceBase):
    """A Walmart Marketplace seller account (Marketplace APIs)."""

    type: Literal["walmart"]
    format: Literal["walmart"] = "walmart"
    webhook_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the webhooks' secret: order webhooks are then answered"
    )
