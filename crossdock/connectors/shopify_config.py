"""The configuration block of a Shopify store (Admin GraphQL API)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.channels import ChannelSourceBase
from crossdock.core.configuration.types import ConfigPath, Duration, SecretRef, Timeout


class ShopifySourceConfig(ChannelSourceBase):
    """A Shopify store (Admin GraphQL API): its orders in, fulfilments back to it under the source's name.

    Two ways in: a non-expiring ``access_token`` (custom and merchant-created apps), or the expiring offline token
    of a public app: ``client_id``, ``client_secret`` and the ``refresh_token`` from the app's OAuth grant, with a
    ``token_file`` where each rotated refresh token and the current access token are kept (Shopify replaces the
    refresh token on every refresh, so the one in the environment is only the first).
    """

    type: Literal["shopify"]
    format: Literal["shopify"] = "shopify"
    url: str = Field(
        pattern=r"^https?://[^/]+/?$", description="the shop's admin host, e.g. https://example.myshopify.com"
    )
    api_version: str = Field(
        default="2026-10",
        pattern=r"^\d{4}-(01|04|07|10)$",
        description="the Admin API version (quarterly, YYYY-MM): pinned, upgraded deliberately",
    )
    access_token: SecretRef | None = Field(
        default=None, description="${VAR} holding a non-expiring Admin API access token (custom or merchant app)"
    )
    client_id: SecretRef | None = Field(default=None, description="${VAR} holding the app's client id")
    client_secret: SecretRef | None = Field(
        default=None, description="${VAR} holding the app's client secret (refreshes the expiring token)"
    )
    refresh_token: SecretRef | None = Field(
        default=None, description="${VAR} holding the first refresh token of the app's offline grant"
    )
    token_file: ConfigPath | None = Field(
        default=None,
        description="where the rotated refresh token and the current access token are kept (mode 0600); "
        "delete it after putting a new grant's refresh token in the environment",
    )
    first_sync: Duration = Field(
        default=7 * 86400.0,
        description="how far back the very first poll reads (60 days at most without read_all_orders)",
    )
    overlap: Duration = Field(
        default=300.0,
        description="each poll reads again this far before the last change it saw: Shopify's updated_at is set "
        "when the change is saved and the search index follows within seconds, so 5 minutes covers clock skew and "
        "that lag",
    )
    throttle_wait: Duration = Field(
        default=120.0,
        description="how long one poll may wait in all for a throttled query's bucket to refill before it stops "
        "(and the next poll goes on from its checkpoint)",
    )
    hold_risk: Literal["high", "medium", "low", "never"] = Field(
        default="high",
        description="an order whose risk assessment is at this level or above waits (awaiting 'risk ...') until "
        "a later read says otherwise; never: risk holds nothing",
    )
    cancel_refund: bool = Field(
        default=True, description="a cancellation crossdock sends back refunds the buyer (original payment method)"
    )
    cancel_restock: bool = Field(default=True, description="and puts the cancelled units back in stock")
    page_size: int = Field(
        default=10, ge=1, le=50, description="orders a query (each with up to 50 lines): the query cost grows with it"
    )
    notify_customer: bool = Field(
        default=True, description="Shopify emails the buyer the shipment with its tracking (notifyCustomer)"
    )
    tracking_urls: dict[str, str] = Field(
        default_factory=dict,
        description="carrier SCAC -> tracking link with {number}, for carriers Shopify does not link itself",
    )
    webhook_secret: SecretRef | None = Field(
        default=None,
        description="${VAR} holding the app's client secret, which signs its webhooks: order webhooks are then "
        "answered at /webhooks/<source>",
    )
    timeout: Timeout = 30.0

    def mapping_options(self) -> dict[str, object]:
        """What the Shopify mapping is told when it reads this store's orders."""
        return {"hold_risk": None if self.hold_risk == "never" else self.hold_risk.upper()}

    @model_validator(mode="after")
    def _one_way_in(self) -> ShopifySourceConfig:
        refresh = (self.client_id, self.client_secret, self.refresh_token, self.token_file)
        if self.access_token is not None:
            if any(x is not None for x in refresh):
                raise ValueError("give access_token, or client_id/client_secret/refresh_token/token_file, not both")
        elif any(x is None for x in refresh):
            raise ValueError(
                "give access_token (a non-expiring token), or all of client_id, client_secret, refresh_token and "
                "token_file (an expiring offline token)"
            )
        for scac, link in self.tracking_urls.items():
            if "{number}" not in link or not link.startswith(("https://", "http://")):
                raise ValueError(
                    f"tracking_urls.{scac}: a link with {{number}} in it, like https://t.example/{{number}}"
                )
        return self
