"""The shipping side's canonical documents: what a warehouse shipped (``Shipment``, its orders, packages,
pallets and carton labels), what goes back to the order's origin (``Fulfilment``), and the invoice (``Invoice``).

Plain slotted dataclasses like the order models in ``models.py``, validated and written by pydantic at the edges.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from crossdock.core.models import (
    Charge,
    Party,
    Reference,
    Terms,
)
from crossdock.core.models_base import Model
from crossdock.core.order_details import ShippingTerms


@dataclass(slots=True, kw_only=True)
class ShipmentLine(Model):
    line_number: str | None = None
    product_ids: dict[str, str] = field(default_factory=dict)
    quantity: Decimal
    uom: str = "EA"
    ordered_quantity: Decimal | None = None
    lot: str | None = None
    description: str | None = None
    # The warehouse ships no more of this line (945 W1201 CP, CU, IC): what is left of it is cancelled.
    closed: bool = False
    pack: int | None = None  # PO401/PO414 of the order line, echoed on the 856 item (PO4)
    inner_pack: int | None = None


@dataclass(slots=True, kw_only=True)
class Package(Model):
    sscc: str | None = None
    tracking_number: str | None = None
    weight: Decimal | None = None
    weight_uom: str | None = None
    lines: list[ShipmentLine] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Pallet(Model):
    sscc: str | None = None
    packages: list[Package] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class CartonLabel(Model):
    """One GS1-128 shipping label: the SSCC-18 crossdock gave a carton before it shipped, and what the label's
    zones show (from, to and its postal code, carrier, PO, carton x of y, the store). The 856's MAN*GM for the
    carton is this SSCC."""

    sscc: str
    po_number: str
    carton: int
    cartons: int
    ship_from: Party | None = None
    ship_to: Party | None = None
    carrier: str | None = None  # SCAC, or the carrier's name
    line_position: int | None = None  # the order line whose goods the carton holds
    product_ids: dict[str, str] = field(default_factory=dict)
    quantity: Decimal | None = None
    mark_for: Party | None = None  # the store the carton is for (zone G): the order's Z7 mark-for, else its BY


@dataclass(slots=True, kw_only=True)
class ShipmentOrder(Model):
    """The order level of a shipment: one PO (and optionally one store) and what shipped against it."""

    po_number: str
    po_date: dt.date | None = None
    store: str | None = None
    # What names the order beyond its PO number, when the warehouse echoes it: the source crossdock read it from
    # and the channel's own order id, or the reference crossdock gave the warehouse (ShipBob: the delivery's key).
    source: str | None = None
    external_id: str | None = None
    reference: str | None = None
    pallets: list[Pallet] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    lines: list[ShipmentLine] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)  # REF at the 856 order level (IA, DP ...)

    def all_lines(self) -> list[ShipmentLine]:
        """Every shipped line, loose, packed or on a pallet."""
        return (
            self.lines
            + [line for p in self.packages for line in p.lines]
            + [line for pallet in self.pallets for p in pallet.packages for line in p.lines]
        )


@dataclass(slots=True, kw_only=True)
class Shipment(Model):
    shipment_id: str
    ship_date: dt.date | None = None
    ship_time: str | None = None
    purpose: str = "00"
    carrier_scac: str | None = None
    carrier_service: str | None = None
    transport_mode: str | None = None
    tracking_numbers: list[str] = field(default_factory=list)
    bill_of_lading: str | None = None
    gross_weight: Decimal | None = None
    weight_uom: str | None = None
    lading_quantity: int | None = None
    packaging_code: str | None = None
    # DTM*017 on the 856: the warehouse's estimate (945 G62*17), else the ship date plus asn_transit_days
    delivery_date: dt.date | None = None
    status: Literal["complete", "partial"] = "complete"
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    orders: list[ShipmentOrder] = field(default_factory=list)
    # the carrier or warehouse says it reached the buyer then (Shipment JSON, a ship file's column); read, never
    # written: what crossdock prints of a shipment (x12 to-json, stored shipments) stays as it was
    delivered_at: Annotated[dt.datetime | None, Field(exclude=True)] = None


@dataclass(slots=True, kw_only=True)
class FulfilmentLine(Model):
    line_number: str | None = None  # the order line's own number as the channel or partner sent it
    product_ids: dict[str, str] = field(default_factory=dict)
    quantity: Decimal
    uom: str = "EA"


@dataclass(slots=True, kw_only=True)
class FulfilmentPackage(Model):
    """One tracked package and, when the warehouse said, what is in it: a channel that takes one tracking number
    per call (eBay, Amazon) sends one call per package."""

    tracking_number: str
    lines: list[FulfilmentLine] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Fulfilment(Model):
    """A shipment as the order's origin needs it to mark the order fulfilled: which lines, how many, tracking.

    What crossdock sends to a source's ``fulfilment_sink`` (a channel's API, an ERP hook) for each recorded
    shipment; ``order_status`` is the order's status once this shipment is counted.
    """

    channel: str
    partner: str | None = None
    po_number: str
    external_id: str | None = None  # the channel's own id for the order
    shipment_id: str
    ship_date: dt.date | None = None
    carrier_scac: str | None = None
    carrier_service: str | None = None
    tracking_numbers: list[str] = field(default_factory=list)
    order_status: Literal["partially shipped", "shipped"] = "shipped"
    lines: list[FulfilmentLine] = field(default_factory=list)
    packages: list[FulfilmentPackage] = field(default_factory=list)  # the tracked packages, when packed


@dataclass(slots=True, kw_only=True)
class InvoiceLine(Model):
    position: int
    line_number: str | None = None
    quantity: Decimal
    uom: str
    unit_price: Decimal
    price_basis: str | None = None
    product_ids: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    charges: list[Charge] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Invoice(Model):
    invoice_number: str
    invoice_date: dt.date
    po_number: str | None = None
    po_date: dt.date | None = None
    currency: str = "USD"
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    terms: list[Terms] = field(default_factory=list)
    shipping_terms: list[ShippingTerms] = field(default_factory=list)  # FOB, as the PO had it
    ship_date: dt.date | None = None
    carrier_scac: str | None = None
    transport_mode: str | None = None  # CAD01: M motor, A air, U parcel... (required in 5010 when CAD is written)
    lines: list[InvoiceLine] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    total_amount: Decimal | None = None  # TDS01 as money (crossdock computes it when writing)
