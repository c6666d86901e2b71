"""The canonical documents every connector and mapping speaks: orders, their changes and acknowledgments (the
shipping side, shipments, fulfilments and invoices, is in ``shipment_models.py``).

Money is ``Decimal`` with a currency beside it, never float; quantities carry their unit of measure; a
partner's own line number is kept exactly as sent (``line_number``) beside crossdock's 1-based ``position``,
because the 855, 856 and 810 must echo it and it is often blank, zero-padded or non-sequential.

The models are plain slotted dataclasses, built by the mappings with values already of the right type;
pydantic validates them at the edges (``model_validate``, ``model_validate_json``) and writes them out
(``model_dump``). Measured on the 850 benchmark: a pydantic ``BaseModel`` line costs 6.4 µs to build, a
dataclass about 1 µs, and a mapping builds a dozen of them per order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from crossdock.core.models_base import Model as Model
from crossdock.core.order_details import (
    Characteristic,
    LineSchedule,
    NoteGroup,
    Packing,
    SalesRequirement,
    ShippingTerms,
)


@dataclass(slots=True, kw_only=True)
class Address(Model):
    lines: list[str] = field(default_factory=list)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(slots=True, kw_only=True)
class Contact(Model):
    function: str | None = None  # PER01: BD buyer, IC information contact ...
    name: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None


@dataclass(slots=True, kw_only=True)
class Party(Model):
    role: str  # N101 entity code: ST ship-to, BT bill-to, BY buyer, SF ship-from, VN vendor, ...
    name: str | None = None
    extra_names: list[str] = field(default_factory=list)
    id_qualifier: str | None = None  # N103: 92 buyer-assigned, 9 DUNS+4, UL GLN, 1 DUNS, 15 SAN ...
    id: str | None = None
    address: Address | None = None
    contacts: list[Contact] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Reference(Model):
    qualifier: str
    value: str
    description: str | None = None


@dataclass(slots=True, kw_only=True)
class DateRef(Model):
    qualifier: str  # DTM01 / G62: 002 delivery requested, 010 ship, 037/038 ship window, 001 cancel after ...
    date: dt.date | None = None
    time: str | None = None
    time_zone: str | None = None


@dataclass(slots=True, kw_only=True)
class Charge(Model):
    indicator: str  # A allowance, C charge, N information only
    code: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    percent_basis: str | None = None  # SAC06 (element 378): what ``percent`` is of, 1 item list cost, 3 gross ...
    rate: Decimal | None = None
    quantity: Decimal | None = None
    uom: str | None = None
    handling: str | None = None
    agency: str | None = None  # SAC03: VI (VICS), UC ...
    agency_code: str | None = None  # SAC04: ticketing and marking codes ride here with SAC01=N
    reference: str | None = None  # SAC13
    description: str | None = None


@dataclass(slots=True, kw_only=True)
class Terms(Model):
    type_code: str | None = None
    basis_date_code: str | None = None
    discount_percent: Decimal | None = None
    discount_due_date: dt.date | None = None
    discount_days: int | None = None
    net_due_date: dt.date | None = None
    net_days: int | None = None
    discount_amount: Decimal | None = None
    description: str | None = None


@dataclass(slots=True, kw_only=True)
class Carrier(Model):
    routing_sequence: str | None = None
    id_qualifier: str | None = None
    scac: str | None = None
    mode: str | None = None
    routing: str | None = None
    service_level: str | None = None


@dataclass(slots=True, kw_only=True)
class StoreQuantity(Model):
    """One store's share of a line (SDQ): the ship notice needs an order level per store."""

    location: str
    quantity: Decimal


Collector = Literal["seller", "marketplace"]  # who collects and remits a tax


@dataclass(slots=True, kw_only=True)
class TaxLine(Model):
    """A tax as the channel computed it. ``collected_by`` is ``marketplace`` for marketplace-facilitator tax,
    which the marketplace collects and remits: money the buyer paid that is not the seller's revenue."""

    title: str | None = None
    rate: Decimal | None = None
    amount: Decimal
    collected_by: Collector = "seller"


@dataclass(slots=True, kw_only=True)
class Discount(Model):
    code: str | None = None
    description: str | None = None
    amount: Decimal  # positive: what was taken off


@dataclass(slots=True, kw_only=True)
class ShippingLine(Model):
    """What the buyer paid for shipping, by the channel's method, kept apart from the goods."""

    code: str | None = None
    title: str | None = None
    amount: Decimal
    taxes: list[TaxLine] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class OrderLine(Model):
    position: int
    line_number: str | None = None  # the partner's PO101 exactly as sent (may be blank or "0001")
    quantity: Decimal
    uom: str
    unit_price: Decimal | None = None
    price_basis: str | None = None
    product_ids: dict[str, str] = field(default_factory=dict)  # qualifier -> value, every pair in any position
    description: str | None = None
    pack: int | None = None
    inner_pack: int | None = None
    prices: dict[str, Decimal] = field(default_factory=dict)  # CTP class of trade/price id -> price (UCP, RES)
    dates: list[DateRef] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    stores: list[StoreQuantity] = field(default_factory=list)
    store_id_qualifier: str | None = None
    notes: list[str] = field(default_factory=list)
    taxes: list[TaxLine] = field(default_factory=list)  # a channel's taxes on this line
    discounts: list[Discount] = field(default_factory=list)  # and its discounts (unit_price is before them)
    characteristics: list[Characteristic] = field(default_factory=list)  # typed PIDs: colour, size ...
    packing: Packing | None = None  # the rest of PO4
    schedules: list[LineSchedule] = field(default_factory=list)  # SCH: the line's quantity by date
    requirements: list[SalesRequirement] = field(default_factory=list)  # the line's CSH


@dataclass(slots=True, kw_only=True)
class Order(Model):
    """A purchase order from any source; ``(channel, partner, po_number)`` is its natural key."""

    channel: str = "x12"
    partner: str | None = None
    po_number: str
    order_date: dt.date | None = None
    purpose: str | None = None  # BEG01: 00 original, 05 replace, 01 cancel, 06 confirmation, 07 duplicate
    order_type: str | None = None  # BEG02: SA stand-alone, NE new, RE reorder, BK blanket, RL release, DS ...
    release_number: str | None = None
    contract_number: str | None = None
    currency: str = "USD"
    parties: list[Party] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    carriers: list[Carrier] = field(default_factory=list)
    terms: list[Terms] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)
    total_amount: Decimal | None = None
    declared_line_count: int | None = None
    declared_hash_total: Decimal | None = None  # CTT02: the sum of the PO1 quantities, as the sender counted
    note_groups: list[NoteGroup] = field(default_factory=list)  # N9 loops with their messages (also in notes)
    requirements: list[SalesRequirement] = field(default_factory=list)  # CSH: ship complete, no backorder ...
    shipping_terms: list[ShippingTerms] = field(default_factory=list)  # FOB: who pays the freight, where
    external_id: str | None = None  # a channel's own id for the order (its natural key); an EDI PO is keyed by number
    updated_at: dt.datetime | None = None  # when the channel last changed it (the sync's high-water mark)
    taxes: list[TaxLine] = field(default_factory=list)  # order-level taxes not on a line
    discounts: list[Discount] = field(default_factory=list)  # order-level discounts not on a line
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    # What the channel still waits for before the order may ship ("payment", "review"...): kept, not routed.
    awaiting: str | None = None
    # The channel shows it shipped already (fulfilled outside crossdock, or by crossdock's own fulfilment): an order
    # first read that way is stored, never sent to a warehouse.
    already_shipped: bool = False
    # Where crossdock read it: the EDI partner's name, or the channel source's. Written into the order destinations
    # get, so a warehouse that echoes it back in its shipment (``ShipmentOrder.source``) names the order's store.
    source: str | None = None

    @property
    def is_replacement(self) -> bool:
        return self.purpose == "05"

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)

    @property
    def ship_to(self) -> Party | None:
        return self.party("ST")


@dataclass(slots=True, kw_only=True)
class LineChange(Model):
    position: int
    line_number: str | None = None
    change_code: str  # POC02: CA change, DI delete item, AI add item, QD quantity decrease, PC price change ...
    quantity: Decimal | None = None
    quantity_left: Decimal | None = None
    uom: str | None = None
    unit_price: Decimal | None = None
    product_ids: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class OrderChange(Model):
    """An 860: changes to an order already received, found by its PO number."""

    channel: str = "x12"
    partner: str | None = None
    po_number: str
    purpose: str  # BCH01: 01 cancel, 04 change, 18 reissue ...
    order_type: str | None = None
    order_date: dt.date | None = None
    change_date: dt.date | None = None
    references: list[Reference] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    lines: list[LineChange] = field(default_factory=list)
    change_sequence: str | None = None  # BCH05, exactly as sent: the buyer's count of its changes to the PO


@dataclass(slots=True, kw_only=True)
class LineChangeAnswer(Model):
    """One change to a line, accepted (ACK01 IA, or IQ with the quantity kept) or rejected (IR) with why."""

    change: LineChange
    status: str
    quantity: Decimal | None = None  # the line's quantity after the answer, where it differs from the change's
    reason: str | None = None


@dataclass(slots=True, kw_only=True)
class ChangeAcknowledgment(Model):
    """An 865: the seller's answer to an 860, change by change."""

    po_number: str
    po_date: dt.date | None = None
    purpose: str = "00"
    ack_type: str | None = None  # BCA02; derived from the lines when crossdock writes it
    change_sequence: str | None = None
    change_date: dt.date | None = None
    ack_date: dt.date | None = None
    lines: list[LineChangeAnswer] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class LineAcknowledgment(Model):
    position: int
    line_number: str | None = None
    status: str  # ACK01: IA accepted, IB backordered, IR rejected, IQ quantity changed, IP price changed ...
    quantity: Decimal | None = None
    uom: str | None = None
    date: dt.date | None = None
    date_qualifier: str | None = None
    ordered_quantity: Decimal | None = None
    unit_price: Decimal | None = None
    product_ids: dict[str, str] = field(default_factory=dict)
    price_basis: str | None = None  # PO105 echoed from the PO (PE, CP ...), for partners whose guide wants it


@dataclass(slots=True, kw_only=True)
class OrderAcknowledgment(Model):
    """An 855: the supplier's answer to a PO, line by line."""

    po_number: str
    po_date: dt.date | None = None
    purpose: str = "00"
    ack_type: str | None = None  # BAK02; derived from the lines when crossdock writes it
    ack_date: dt.date | None = None
    parties: list[Party] = field(default_factory=list)
    lines: list[LineAcknowledgment] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class SetAcknowledgment(Model):
    code: str
    control: str
    status: str  # AK501: A accepted, E accepted with errors, R rejected, ...
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Acknowledgment(Model):
    """An inbound 997/999: which group and sets of ours the partner accepted or rejected."""

    kind: Literal["997", "999"] = "997"
    functional_id: str
    group_control: str
    version: str | None = None
    status: str  # AK901: A, E, P, R
    sets_included: int | None = None
    sets_received: int | None = None
    sets_accepted: int | None = None
    errors: list[str] = field(default_factory=list)
    sets: list[SetAcknowledgment] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class InterchangeAcknowledgment(Model):
    """An inbound TA1: the partner's verdict on the envelope of one of our interchanges, as a whole.

    R means the partner's translator discarded the interchange: no 997 will follow for any set in it.
    """

    interchange_control: str  # TA101: our ISA13, as the partner sent it back
    interchange_date: dt.date | None = None  # TA102: our ISA09
    interchange_time: str | None = None  # TA103: our ISA10
    status: str  # TA104: A accepted, E accepted with errors, R rejected
    note_code: str  # TA105: 000 no error, 001-031 what was wrong
    note: str | None = None  # the note code's standard meaning


@dataclass(slots=True, kw_only=True)
class InventoryItem(Model):
    line_number: str | None = None
    product_ids: dict[str, str] = field(default_factory=dict)
    quantities: dict[str, Decimal] = field(default_factory=dict)  # QTY01 qualifier -> quantity (33 available)
    uom: str = "EA"
    description: str | None = None


@dataclass(slots=True, kw_only=True)
class InventorySnapshot(Model):
    report_id: str
    report_date: dt.date
    purpose: str = "00"
    report_type: str = "SI"
    parties: list[Party] = field(default_factory=list)
    items: list[InventoryItem] = field(default_factory=list)
