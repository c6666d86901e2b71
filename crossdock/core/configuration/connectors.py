"""What the connectors' configuration blocks share: schedules, the keys of every source, of file sources and of
destinations that write orders. Each connector's own block lives beside it (``connectors/<name>_config.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.notices import CustomerNotices
from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.configuration.types import ByteSize, Duration, Name, Strict


class Schedule(Strict):
    """When a source is polled: ``every`` seconds, or a five-field ``cron`` expression (UTC)."""

    every: Duration | None = None
    cron: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of every or cron")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError(f"cron {self.cron!r} must have five fields: minute hour day month weekday")
        if self.every is not None and self.every <= 0:
            raise ValueError("every must be more than zero")
        return self


SHIPMENT_FIELDS = (
    "shipment_id",
    "po_number",
    "ship_date",
    "delivered_at",
    "delivery_date",
    "carrier_scac",
    "carrier_service",
    "tracking_number",
    "line_number",
    "sku",
    "quantity",
    "uom",
    "sscc",
    "weight",
    "weight_unit",
    "source",
    "external_id",
)


RECEIPT_FORMATS = ("return-receipt-json", "return-receipt-csv")  # a warehouse's receipts of returned goods
MAX_INTERCHANGES = 10_000  # per X12 file: each costs about 13 kB while the file is processed (bench/README.md)


class _SourceBase(Strict):
    schedule: Schedule = Schedule(every=60.0)
    notify: CustomerNotices | None = Field(
        default=None, description="mail each order's buyer when it is received, shipped, cancelled or refunded"
    )
    max_interchanges: int = Field(
        default=MAX_INTERCHANGES,
        ge=1,
        description="an X12 file with more interchanges is failed with the reason, unacknowledged, its raw kept",
    )
    partner: Name | None = Field(
        default=None,
        description="who sends here: for X12 the ISA ids still decide and must agree; a CSV source needs it",
    )
    format: Literal[
        "x12",
        "csv-shipments",
        "shipment-json",
        "shipbob",
        "return-receipt-json",
        "return-receipt-csv",
        "shopify",
        "woocommerce",
        "bigcommerce",
        "amazon",
        "ebay",
        "walmart",
    ] = Field(
        default="x12",
        description="x12; csv-shipments: a warehouse's ship file, one row per shipped line; shipment-json: "
        "crossdock's canonical Shipment as JSON; shipbob: shipments read from ShipBob's API (type shipbob); "
        "return-receipt-json, return-receipt-csv: a warehouse's receipts of returned goods (README: Returns); "
        "shopify, woocommerce, bigcommerce, amazon, ebay, walmart: a sales channel's orders as its API gives them "
        "(the channel's own type sets it)",
    )
    returns: ReturnsPolicy = Field(
        default_factory=ReturnsPolicy,
        description="what the channel hears once a return from here is received: refund on receipt or on "
        "approval, refund or only close, restock on the channel or not",
    )
    fulfilment_sink: Name | None = Field(
        default=None,
        description="where each shipment of an order read here is reported as crossdock's Fulfilment JSON "
        "(a channel's API, an ERP hook), besides any 856 to an EDI partner",
    )
    shipment_columns: dict[str, str] = Field(
        default_factory=dict,
        description="with csv-shipments: shipment field -> the file's column header, for " + ", ".join(SHIPMENT_FIELDS),
    )
    weight_unit: Literal["LB", "KG"] | None = Field(
        default=None,
        description="with csv-shipments: the unit of the weight column, for a file without a weight_unit column",
    )

    @model_validator(mode="after")
    def _csv(self) -> _SourceBase:
        if self.format in ("csv-shipments", "shipment-json", *RECEIPT_FORMATS) and self.partner is None:
            raise ValueError(f"a {self.format} source needs partner: the warehouse that sends the documents")
        if self.format != "csv-shipments":
            return self
        unknown = sorted(set(self.shipment_columns) - set(SHIPMENT_FIELDS))
        if unknown:
            raise ValueError(f"unknown shipment fields {unknown}: use {', '.join(SHIPMENT_FIELDS)}")
        missing = [f for f in ("shipment_id", "po_number", "quantity") if f not in self.shipment_columns]
        if missing or not ({"line_number", "sku"} & set(self.shipment_columns)):
            raise ValueError("shipment_columns needs shipment_id, po_number, quantity, and line_number or sku")
        if "weight" in self.shipment_columns and "weight_unit" not in self.shipment_columns and not self.weight_unit:
            raise ValueError(
                "a weight needs its unit: name the file's weight_unit column in shipment_columns, or give the "
                "source weight_unit: LB or KG"
            )
        return self


# --- what file sources share ------------------------------------------------------------------------------


class _FileSourceBase(_SourceBase):
    """What a folder and an SFTP source share: when a file is ready, how large it may be, where it goes after."""

    pattern: str = "*"
    ready: Literal["stable", "marker", "renamed"] = Field(
        default="stable",
        description="stable: size and mtime unchanged across two looks min_age apart (polls), and an X12 file "
        "ends with its IEA; marker: read only "
        "once a done-marker (name + one of markers) is beside it; renamed: the partner uploads under a temporary "
        "name and renames, so a name matching pattern is read at once",
    )
    markers: list[str] = Field(
        default_factory=lambda: [".done", ".ok"], min_length=1, description="with ready: marker, the suffixes"
    )
    temp_names: list[str] = Field(
        default_factory=lambda: ["*.part", "*.tmp"], description="names never read: uploads still in progress"
    )
    max_file_size: ByteSize = Field(
        default=100_000_000, description="a larger file is not read but moved to rejected/ beside it, with an alert"
    )
    after_read: Literal["archive", "delete"] = "archive"
    archive_days: int = Field(
        default=90, ge=1, description="dated archive folders (archive/YYYY-MM-DD) older than this are pruned"
    )


class CsvColumn(Strict):
    """One column of an order file: its header and the order field it holds (one row per order line)."""

    header: str
    field: str = Field(
        description="po_number, order_date, ship_to.name, ship_to.address.city, line.quantity, "
        "line.product_ids.VN, ... (a dotted path in the order, or in the line after line.)"
    )


class OrderFormat(Strict):
    """How a destination wants an order written: canonical JSON, CSV rows, or an X12 940 to a 3PL."""

    format: Literal["json", "mapped", "csv", "x12-940"] = Field(
        default="json", description="json (the canonical order), mapped (fields below), csv or x12-940"
    )
    fields: dict[str, str] = Field(
        default_factory=dict, description="with format mapped: output path -> order path, e.g. ref: po_number"
    )
    line_fields: dict[str, str] = Field(default_factory=dict, description="with format mapped: the same, per line")
    lines_key: str = Field(default="lines", description="with format mapped: where the list of lines goes")
    columns: list[CsvColumn] = Field(default_factory=list, description="with format csv: the columns, in order")
    neutralise_formulas: bool = Field(
        default=True,
        description="with format csv: a value starting with = + - @, tab or CR is written with a leading ' so a "
        "spreadsheet shows it instead of running it as a formula; plain numbers (-5, +1.5) stay as they are; "
        "false writes every value raw, for a destination that is no spreadsheet and needs them so",
    )
    partner: Name | None = Field(
        default=None, description="with format x12-940: the partner block of the 3PL (its ids and delimiters)"
    )
    depositor: str | None = Field(default=None, description="with format x12-940: our depositor code at the 3PL")
    changes: Literal["cancel-then-reissue", "change"] = Field(
        default="cancel-then-reissue",
        description="with format x12-940: how the 3PL hears of a changed order it holds: a 940 cancel (W0501 F) "
        "then the new order (N) in one file, or, for a 3PL whose guide says it takes them, one 940 change (R)",
    )
    ship_to_per_line: bool = Field(
        default=False,
        description="with format x12-940: the 3PL takes a ship-to per line (N1 in the LX loop), so an order whose "
        "lines go to several ship-tos is one 940; by default it is one 940 per ship-to, W0502 the PO number -1, -2...",
    )
    returns_as: Literal["180", "943"] = Field(
        default="180",
        description="with format x12-940: how the 3PL is told to expect a return (and that one is cancelled): an X12 "
        "180 return authorization, or a 943 warehouse stock transfer shipment advice for a 3PL that takes one instead; "
        "its 944 receipt is matched either way",
    )

    labels: Literal["none", "sscc"] = Field(
        default="none",
        description="sscc: give each carton of an order an SSCC-18 before the warehouse ships (company.gs1_prefix), "
        "sent with the order (940 MAN*GM per line, or the JSON's labels); the 945 must echo them, and the 856 "
        "uses them; `crossdock labels PO` prints them (ZPL or PDF)",
    )
    labels_to: Name | None = Field(
        default=None,
        description="with labels sscc: the sink that gets a file of the order's labels (labels_format) each time "
        "crossdock gives its cartons new SSCCs, for a printer or the warehouse to print; none by default",
    )
    labels_format: Literal["zpl", "pdf"] = Field(
        default="zpl", description="with labels_to: zpl (4x6 in thermal printers, 203 dpi) or pdf (desk printers)"
    )

    @model_validator(mode="after")
    def _complete(self) -> OrderFormat:
        if self.format == "mapped" and not self.fields and not self.line_fields:
            raise ValueError("format mapped needs fields (and line_fields for the lines)")
        if self.format == "csv" and not self.columns:
            raise ValueError("format csv needs columns")
        if self.format == "x12-940" and self.partner is None:
            raise ValueError("format x12-940 needs partner: the 3PL's partner block")
        if self.changes != "cancel-then-reissue" and self.format != "x12-940":
            raise ValueError("changes is a setting of format x12-940")
        if self.ship_to_per_line and self.format != "x12-940":
            raise ValueError("ship_to_per_line is a setting of format x12-940")
        if self.returns_as != "180" and self.format != "x12-940":
            raise ValueError("returns_as is a setting of format x12-940")
        if self.labels != "none" and self.format not in ("json", "x12-940"):
            raise ValueError("labels travel with format json or x12-940 only")
        if self.labels_to is not None and self.labels != "sscc":
            raise ValueError("labels_to sends the labels crossdock gives: it needs labels: sscc")
        return self


class Bundling(Strict):
    """How many X12 interchanges a file sink may put in one file."""

    interchanges_per_file: int = Field(
        default=1,
        ge=1,
        le=10_000,
        description="X12 documents sent in one dispatch round go into files of up to this many interchanges, "
        "each with its own control numbers, for partners that accept several interchanges per file; "
        "a file is named after its first document; other documents are written one per file",
    )
