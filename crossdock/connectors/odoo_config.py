"""The Odoo connector's configuration: an ERP that takes each order as a sale order over JSON-RPC."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.types import SecretRef, Strict, Timeout


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
