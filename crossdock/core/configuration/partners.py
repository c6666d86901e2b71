"""A trading partner's configuration block, and the company identity partners see: who we are on an interchange,
how each partner is recognised and answered, and the windows in which its acknowledgments are due. Apart from
``config`` (the whole file) because it is the biggest block and the one a partners_dir file holds."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from crossdock.core.configuration.connectors import Schedule
from crossdock.core.configuration.documents import (
    AsnLevel,
    AsnReference,
    InvoiceRole,
    PartyConfig,
)
from crossdock.core.configuration.types import (
    Duration,
    Name,
    Strict,
)


class Delimiters(Strict):
    element: str = Field(default="*", min_length=1, max_length=1)
    segment: str = Field(default="~", min_length=1, max_length=1)
    component: str = Field(default=">", min_length=1, max_length=1)
    repetition: str = Field(default="^", min_length=1, max_length=1)
    newline: bool = Field(default=True, description="write a newline after each segment terminator")

    @model_validator(mode="after")
    def _distinct(self) -> Delimiters:
        chars = [self.element, self.segment, self.component, self.repetition]
        if len(set(chars)) != 4:
            raise ValueError("element, segment, component and repetition separators must all differ")
        if any(c.isalnum() or c == " " for c in chars):
            raise ValueError("a separator cannot be a letter, digit or space")
        return self


class Identity(Strict):
    """Who we are on an interchange: our ISA qualifier and id, and our GS application id."""

    isa_qualifier: str = Field(default="ZZ", min_length=2, max_length=2)
    isa_id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = Field(default=None, max_length=15, description="default: isa_id")


class CompanyConfig(Identity):
    """Who we are: our X12 identifiers, and the GS1 company prefix our SSCC-18 carton and pallet labels are
    numbered under. One serial sequence per prefix and extension digit serves every partner, so no SSCC is
    ever given twice (GS1 forbids reuse for at least a year)."""

    gs1_prefix: str | None = Field(
        default=None, pattern=r"^\d{6,11}$", description="our GS1 company prefix: the SSCC-18s crossdock assigns"
    )
    extension_digit: str = Field(
        default="0", pattern=r"^\d$", description="SSCC extension digit (0-9) of the SSCCs crossdock assigns"
    )


AckedDocument = Literal["810", "846", "855", "856", "865", "940"]


DEFAULT_ACK_WINDOWS: dict[AckedDocument, float] = {
    "855": 86400.0,
    "865": 86400.0,
    "856": 14400.0,
    "810": 86400.0,
    "940": 14400.0,
    "846": 86400.0,
}


class PartnerConfig(Strict):
    """A trading partner: how to recognise its files and how to answer them."""

    name: str | None = None
    isa_qualifier: str = Field(min_length=2, max_length=2)
    isa_id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = Field(default=None, max_length=15, description="default: isa_id")
    us: Identity | None = Field(default=None, description="our identifiers for this partner, if not the company's")
    version: Literal["004010", "005010"] = "004010"
    mode: Literal["test", "production"] = "production"
    encoding: str = Field(
        default="auto",
        description="the text encoding of the partner's files: auto (UTF-8 where a value is UTF-8, Windows-1252 "
        "elsewhere), or a codec name such as utf-8, cp1252 or latin-1",
    )
    charset: Literal["basic", "extended"] = Field(
        default="extended",
        description="the X12 character set of what we send: extended (printable ASCII) or basic (upper case, "
        "digits and some punctuation); other text is transliterated (é -> e), never sent as it is",
    )
    delimiters: Delimiters = Delimiters()
    ack: Literal["997", "999", "none"] = "997"
    send_855: bool = False
    backorder_855: bool = Field(
        default=False,
        description="when a warehouse ships lines short, send an 855 change (BAK01 04) with the rest as backordered",
    )
    ack_ship_date: bool = Field(
        default=False,
        description="the 855's lines carry the scheduled ship date (ACK04 068, ACK05): the order's requested ship "
        "date (DTM 010, else 037), else the 855's date plus ack_lead_days",
    )
    ack_lead_days: int | None = Field(default=None, ge=0, description="with ack_ship_date: days from PO to shipping")
    ack_price_basis: bool = Field(default=False, description="the 855's PO105 echoes the PO's basis of unit price")
    send_865: bool = Field(
        default=False, description="answer each 860 change with an 865: every change accepted (IA) or rejected (IR)"
    )
    send_855_change: bool = Field(
        default=False,
        description="answer each 860 with an 855 change (BAK01 04): each line as it now stands (IA), each line the "
        "change deleted ID; for partners that take changes as an updated 855",
    )
    reply_to: Name | None = Field(default=None, description="sink that carries acks and answers to this partner")
    asn_profile: Literal["SOI", "SOPI", "SOTPI"] = Field(
        default="SOPI", description="856 HL structure: SOI, SOPI (pick and pack) or SOTPI (with pallets)"
    )
    asn_transit_days: int | None = Field(
        default=None,
        ge=0,
        le=365,
        description="the 856's estimated delivery (DTM 017) when the warehouse gives none (945 G62 17): the ship "
        "date plus this many calendar days; unset, no DTM 017 is written without the warehouse's date",
    )
    gs1_prefix: str | None = Field(
        default=None,
        pattern=r"^\d{6,11}$",
        description="GS1 company prefix for the SSCC-18s of this partner's 856s, when not company.gs1_prefix; "
        "numbered from the company-wide sequence of that prefix",
    )
    invoice: Literal["on_shipment", "daily", "none"] = Field(
        default="none", description="an 810 for each shipment: with it (on_shipment), or batched on invoice_schedule"
    )
    invoice_schedule: Schedule = Field(
        default=Schedule(cron="0 18 * * *"), description="with invoice daily: when the day's 810s go out (UTC)"
    )
    allow_overship: bool = Field(default=False, description="accept shipped quantities above the ordered ones")
    invoice_parties: dict[InvoiceRole, PartyConfig] = Field(
        default_factory=dict,
        description="N1 loops our 810s carry: RI remit-to, RE remittance party, SU supplier (replaces the PO's)",
    )
    asn_references: dict[AsnReference, AsnLevel] = Field(
        default_factory=dict,
        description="856 REF IA (vendor number), DP (department), BM (bill of lading) -> the HL level they go on; "
        "by default BM at shipment level only",
    )
    asn_consolidate: bool = Field(
        default=False,
        description="POs shipped on one bill of lading go in one 856 with an order level each (else one 856 a PO)",
    )
    asn_consolidate_window: Duration = Field(
        default=0.0,
        ge=0,
        le=86400,
        description="with asn_consolidate: how long an 856 for a bill of lading waits to take the POs on that bill "
        "that come in later ship confirmations (e.g. 30m); 0 (the default) consolidates within one file only",
    )
    lenient: bool | list[str] = Field(
        default=False,
        description="accept common slips in the partner's sets with a warning (AK5 E) instead of rejecting them: "
        "true for all, or a list of msg_in_n9, po4_before_pid, out_of_order",
    )
    ack_windows: dict[AckedDocument, Duration] = Field(
        default_factory=lambda: dict(DEFAULT_ACK_WINDOWS),
        description="how long the partner has to send its 997/999 for each document type we send it",
    )
    asn_due_within: Duration | None = Field(
        default=None,
        gt=0,
        description="how soon after a shipment is recorded its 856 must be sent (the partner's compliance window, "
        "e.g. 2h); only counted: a later 856 is late in the console's and /metrics' compliance figures; "
        "default none: 24 hours",
    )
    guide: str | None = Field(
        default=None,
        description="the partner's implementation guide: a guide crossdock ships (bigbox-4010, bigbox-5010, "
        "marketplace-vendor) or a YAML file; every X12 document we send it is checked first, and held if it fails",
    )

    @field_validator("guide")
    @classmethod
    def _guide(cls, value: str | None, info: ValidationInfo) -> str | None:
        from crossdock.core.guides import is_path, load_guide

        if value is None:
            return None
        base = (info.context or {}).get("base_dir")
        if is_path(value) and base is not None and not Path(value).expanduser().is_absolute():
            value = str(Path(base) / Path(value).expanduser())
        load_guide(value)  # a GuideError (a ValueError) is a problem of this key
        return value

    @field_validator("lenient")
    @classmethod
    def _slips(cls, value: bool | list[str]) -> bool | list[str]:
        from crossdock.mappings.x12.walk import SLIPS

        unknown = sorted(set(value) - SLIPS.keys()) if isinstance(value, list) else []
        if unknown:
            raise ValueError(f"unknown slips {', '.join(unknown)}: lenient takes {', '.join(SLIPS)}")
        return value

    @property
    def slips(self) -> frozenset[str]:
        """The slips accepted with a warning (``lenient``)."""
        from crossdock.mappings.x12.walk import SLIPS

        if isinstance(self.lenient, bool):
            return frozenset(SLIPS) if self.lenient else frozenset()
        return frozenset(self.lenient)

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        import codecs

        if value == "auto":
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}") from None
        return value
