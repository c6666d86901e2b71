"""The ``stock:`` block: the catalogue (SKU <-> each channel's ids), when figures are pushed, and the stock
sources (files, endpoints) whose on-hand figures come in. What each channel is told is set on the channel's own
block (``ChannelStock``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.connectors import Schedule
from crossdock.core.configuration.types import ConfigPath, Name, SecretRef, Strict, Timeout

IdValue = Annotated[str, Field(min_length=1, max_length=256)]
Sku = Annotated[str, Field(min_length=1, max_length=128)]


class StockSourceConfig(Strict):
    """On-hand figures read on a schedule: an 846, a CSV or a JSON stock file from a file or an endpoint, or a
    3PL's or an ERP's API (ShipBob's inventory levels, Odoo's stock quants)."""

    file: ConfigPath | None = Field(default=None, description="the stock file (846, CSV or JSON) to read")
    url: str | None = Field(default=None, pattern=r"^https?://", description="or the endpoint that answers with it")
    shipbob: Name | None = Field(
        default=None, description="or ShipBob's inventory levels, with this ShipBob sink's (or source's) url and token"
    )
    odoo: Name | None = Field(default=None, description="or Odoo's stock.quant, with this Odoo sink's login")
    auth_header: str = Field(default="Authorization", description="with url: the header carrying auth")
    auth: SecretRef | None = Field(default=None, description="with url: ${VAR} holding that header's value")
    timeout: Timeout = 30.0
    format: Literal["auto", "x12", "csv", "json"] = Field(
        default="auto", description="auto: an 846 when it starts with ISA, JSON with [ or {, else CSV"
    )
    columns: dict[Literal["sku", "quantity", "uom", "description"], str] = Field(
        default={"sku": "sku", "quantity": "quantity"},
        description="CSV/JSON: item field -> the file's column header (or the JSON key)",
    )
    location: str = Field(
        default="default",
        min_length=1,
        max_length=64,
        description="the stock location these figures are for (an 846's N1 or a file's location column aside)",
    )
    schedule: Schedule = Schedule(every=900.0)

    @model_validator(mode="after")
    def _one(self) -> StockSourceConfig:
        if sum(x is not None for x in (self.file, self.url, self.shipbob, self.odoo)) != 1:
            raise ValueError("give exactly one of file, url, shipbob or odoo")
        return self


class StockConfig(Strict):
    catalogue: ConfigPath | None = Field(
        default=None,
        description="CSV of sku,channel and one column per id (inventory_item_id, location_id, product_id, "
        "variation_id, variant_id, product_type, offer_id, item_id, variation_sku); with items below, both count",
    )
    items: dict[Sku, dict[Name, dict[str, IdValue]]] = Field(
        default_factory=dict, description="SKU -> channel -> id name -> the channel's id, like a catalogue row"
    )
    push: Schedule = Field(
        default=Schedule(every=300.0), description="when crossdock run pushes what changed to every channel"
    )
    sources: dict[Name, StockSourceConfig] = Field(
        default_factory=dict, description="stock files and endpoints read on their schedules (on hand in)"
    )
    ships_from: dict[Name, Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=dict,
        description="destination (sink) -> the stock location it ships from: an open order's units are held at "
        "the location of the destination its lines are routed to, so they lower only the channels selling from "
        "there; a destination not named holds them at every location",
    )
