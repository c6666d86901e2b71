"""What a retail purchase order says beyond its lines and parties: typed notes, item characteristics, packing,
line schedules, sales requirements and shipping terms.

Each was dropped silently by the 850 reader before (a colour arrived as an untyped note, a ship-complete
requirement not at all); kept here with the X12 code that types it, the order JSON and the CSV columns carry
them and a warehouse writer can act on them. Small slotted models, like ``core.models``, which holds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from crossdock.core.models_base import Model


@dataclass(slots=True, kw_only=True)
class Message(Model):
    """One line of free text: MSG (4010) or MTX (5010, with its MTX01 note reference code: GEN, SPE ...)."""

    text: str
    code: str | None = None


@dataclass(slots=True, kw_only=True)
class NoteGroup(Model):
    """An N9 loop: the reference that types its messages (N901 L1 letters or notes, ZZ mutually defined ...)."""

    qualifier: str
    value: str | None = None
    description: str | None = None
    date: dt.date | None = None
    messages: list[Message] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Characteristic(Model):
    """A PID that describes one property of the item rather than the item: PID02 75 buyer's colour, 74 vendor
    size, 91 buyer's size ...; ``value_code`` is PID04 (a code of agency PID03), ``text`` PID05."""

    kind: str  # PID01: F free-form, S structured (from a code list), X both
    code: str | None = None  # PID02 item characteristic code (none in a structured PID that has PID04)
    agency: str | None = None
    value_code: str | None = None
    text: str | None = None


@dataclass(slots=True, kw_only=True)
class Packing(Model):
    """PO4 beyond the pack and inner pack counts (``OrderLine.pack``/``inner_pack``): size, packaging, weight,
    volume and dimensions of one pack."""

    size: Decimal | None = None  # PO402, in size_uom (PO403)
    size_uom: str | None = None
    packaging_code: str | None = None  # PO404: CTN25, PLT94 ...
    weight_qualifier: str | None = None  # PO405: G gross ...
    weight: Decimal | None = None  # PO406
    weight_uom: str | None = None  # PO407: LB, KG
    volume: Decimal | None = None  # PO408
    volume_uom: str | None = None  # PO409
    length: Decimal | None = None  # PO410-PO412 in dimension_uom (PO413)
    width: Decimal | None = None
    height: Decimal | None = None
    dimension_uom: str | None = None


@dataclass(slots=True, kw_only=True)
class LineSchedule(Model):
    """An SCH: part of a line's quantity wanted at its own date (SCH05 002 delivery requested, 010 ship ...)."""

    quantity: Decimal
    uom: str
    date_qualifier: str
    date: dt.date | None = None
    time: str | None = None
    end_date_qualifier: str | None = None  # SCH08-SCH10: the end of a window
    end_date: dt.date | None = None
    end_time: str | None = None
    party_role: str | None = None  # SCH03/04: the party the schedule is for
    party_name: str | None = None
    reference: str | None = None  # SCH12 assigned identification


@dataclass(slots=True, kw_only=True)
class SalesRequirement(Model):
    """A CSH: SC ship complete, P2 ship partial then cancel, N no backorder ...; ``action`` is CSH02 (element
    306), ``amount`` CSH03 (a money limit), ``date`` CSH05 and ``percent`` CSH09."""

    code: str | None = None
    action: str | None = None
    amount: Decimal | None = None
    account: str | None = None
    date: dt.date | None = None
    percent: Decimal | None = None


@dataclass(slots=True, kw_only=True)
class ShippingTerms(Model):
    """An FOB: who pays the freight (FOB01 PP prepaid, CC collect, TP third party ...) and where title and risk
    pass (FOB02/03 location, FOB04/05 transportation terms such as 01 Incoterms and FOB, FOB08/09 risk)."""

    payment_method: str
    location_qualifier: str | None = None
    location: str | None = None
    terms_qualifier: str | None = None
    terms: str | None = None
    risk_qualifier: str | None = None
    risk_description: str | None = None
