"""Typed configuration: one YAML file (plus an optional folder of partner files), checked before anything runs.

Every block is a pydantic model that rejects unknown keys, so a misspelt key is an error with its file, line
and key path instead of a silently ignored setting. Secrets are never written in the file: a secret field
holds only a ``${ENV_VAR}`` reference, resolved when a connector is built, so the configuration can be
committed and logged. Relative paths (folders, key files, a SQLite database) are read from the directory
of the file that names them, not from wherever the command happens to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from crossdock.core.configuration.blocks import SinkConfig, SourceConfig
from crossdock.core.configuration.connectors import OrderFormat, Schedule
from crossdock.core.configuration.console import ConsoleConfig
from crossdock.core.configuration.documents import (
    AsnLevel,
    AsnReference,
    InvoiceNumbers,
    InvoiceRole,
    PartyConfig,
    ShipFrom,
)
from crossdock.core.configuration.house import LoggingConfig, RetentionConfig
from crossdock.core.configuration.load import read_config
from crossdock.core.configuration.stock import StockConfig
from crossdock.core.configuration.types import (
    URL_SECRET_HINT,
    ConfigPath,
    Duration,
    Name,
    SecretRef,
    Strict,
    Timeout,
    literal_url_password,
    resolve_url,
)
from crossdock.core.configuration.yaml_text import ConfigProblems as ConfigProblems
from crossdock.core.configuration.yaml_text import Problem as Problem

# --- partners -----------------------------------------------------------------------------------------------


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


# --- routing ------------------------------------------------------------------------------------------------


class Match(Strict):
    """Every key given must match (and); a list matches when any of its values does (or)."""

    source: list[str] | None = None
    partner: list[str] | None = None
    channel: list[str] | None = None
    country: list[str] | None = None
    state: list[str] | None = None
    postal_prefix: list[str] | None = None
    sku: list[str] | None = Field(default=None, description="glob patterns matched against every product id")
    fields: dict[str, str | list[str]] | None = Field(default=None, description="order field name -> value(s)")


class RoutingRule(Strict):
    name: str | None = None
    match: Match = Match()
    to: Name
    split: bool = Field(default=False, description="send only the lines matching sku here; the rest route on")


class RoutingConfig(Strict):
    rules: list[RoutingRule] = Field(default_factory=list)
    default: Name | None = Field(default=None, description="where an order no rule matches goes")
    hold: Duration = Field(default=0.0, description="wait this long before sending, so a quick change or cancel lands")


# --- outbox, store, the whole file --------------------------------------------------------------------------


class RetryConfig(Strict):
    """The one retry policy: exponential backoff with jitter, capped, honouring Retry-After."""

    max_attempts: int = Field(default=8, ge=1)
    initial: Duration = 2.0
    maximum: Duration = 600.0
    jitter: Duration = 1.0


class OutboxConfig(Strict):
    every: Duration = Field(default=2.0, gt=0, description="how often the dispatcher looks for due deliveries")
    batch: int = Field(default=100, ge=1)
    lease: Duration = Field(
        default=15.0, gt=0, description="a claimed delivery returns to the pool this long after its worker stopped"
    )
    process: bool = Field(
        default=False,
        description="crossdock run sends from a child process of its own, on a second CPU core beside the polls "
        "(restarted if it dies); off, it sends from a thread of the worker's process",
    )


class AlertsConfig(Strict):
    """Where a person is told about what needs them: a failed document, a dead letter, a source that fails."""

    sink: Name = Field(description="the sink alerts go to (an smtp sink mails them; a folder sink files them)")


class StoreConfig(Strict):
    url: str = Field(
        default="sqlite:///crossdock.db",
        validate_default=True,
        description="SQLAlchemy URL, or ${ENV_VAR} holding one; a password in it only as ${ENV_VAR}",
    )

    @field_validator("url")
    @classmethod
    def _relative_sqlite(cls, value: str, info: ValidationInfo) -> str:
        if literal_url_password(value):
            raise ValueError(f"a password is written in the URL, and secrets never are: {URL_SECRET_HINT}")
        base = (info.context or {}).get("base_dir")
        prefix = "sqlite:///"
        if base is not None and value.startswith(prefix) and not value.startswith(prefix + "/"):
            rest = value[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str(Path(base) / rest)
        return value


class InventoryFeedConfig(Strict):
    """Stock levels out on a schedule: a snapshot file the WMS writes, as an 846 to partners and JSON to sinks."""

    snapshot: ConfigPath | None = Field(
        default=None, description="the CSV file the warehouse system writes, one row per item"
    )
    snapshot_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="or an endpoint answering the snapshot to a GET: the same CSV, or JSON (a list of items, or "
        "an object holding one under items) with the columns as keys",
    )
    snapshot_auth_header: str = Field(default="Authorization", description="with snapshot_url: the secret's header")
    snapshot_auth: SecretRef | None = Field(default=None, description="with snapshot_url: ${VAR} holding its value")
    snapshot_timeout: Timeout = 30.0
    columns: dict[Literal["sku", "quantity", "uom", "description"], str] = Field(
        description="item field -> the file's column header (or the JSON key); sku and quantity are needed"
    )
    partners: list[Name] = Field(default_factory=list, description="each gets an 846 through its reply_to sink")
    sinks: list[Name] = Field(default_factory=list, description="each gets the snapshot as JSON (a stock feed)")
    schedule: Schedule = Schedule(cron="0 6 * * *")

    @model_validator(mode="after")
    def _needs(self) -> InventoryFeedConfig:
        if "sku" not in self.columns or "quantity" not in self.columns:
            raise ValueError("columns needs sku and quantity")
        if not self.partners and not self.sinks:
            raise ValueError("give partners (846s) or sinks (JSON) to send the snapshot to")
        if (self.snapshot is None) == (self.snapshot_url is None):
            raise ValueError("give exactly one of snapshot (a file) or snapshot_url (an endpoint)")
        return self


class ProductPacking(Strict):
    units_per_case: int | None = Field(default=None, ge=1, description="eaches in a case (CA, CS, CT, BX)")
    units_per_inner_pack: int | None = Field(default=None, ge=1, description="eaches in an inner pack (PK, IN)")


class ProductsConfig(Strict):
    """How items are packed, for quantities a warehouse confirms in another unit than the PO's (core/units.py)."""

    items: dict[str, ProductPacking] = Field(default_factory=dict, description="item id (SKU, VN, UPC ...) -> packing")
    csv: ConfigPath | None = Field(
        default=None, description="or a CSV file with columns sku, units_per_case, units_per_inner_pack"
    )


class ServerConfig(Strict):
    """Where ``crossdock serve`` (and ``run``) listen for the http sources and webhooks, and what one client may
    hold there: the bounds keep a slow or flooding client from starving the others (and ``/healthz``)."""

    host: str = Field(default="127.0.0.1", description="0.0.0.0 to listen on every interface")
    port: int = Field(default=8080, ge=0, le=65535)
    deadline: Timeout = Field(
        default=30.0,
        le=3600,
        description="a request, headers and body, must have come whole this soon after its "
        "connection opened (not an idle timeout); then it is answered 408 and closed",
    )
    max_connections: int = Field(
        default=500,
        ge=1,
        description="connections open at once; one more pushes out the oldest whose request has not come whole (503)",
    )
    max_requests: int = Field(
        default=64, ge=1, description="requests read or answered at once (/healthz apart); one more is answered 503"
    )
    metrics: bool = Field(default=False, description="run opens its port for /metrics and /readyz with no endpoints")
    metrics_token: SecretRef | None = Field(default=None, description="${VAR}: the bearer token /metrics asks for")

    @model_validator(mode="after")
    def _requests_fit_connections(self) -> ServerConfig:
        if self.max_requests > self.max_connections:  # each request needs a connection: the bound would never hold
            most = self.max_connections
            raise ValueError(f"max_requests ({self.max_requests}) is more than max_connections ({most})")
        return self


class Config(Strict):
    store: StoreConfig = StoreConfig()
    company: CompanyConfig
    partners: dict[Name, PartnerConfig] = Field(default_factory=dict)
    partners_dir: ConfigPath | None = Field(default=None, description="folder of <partner>.yaml files")
    sources: dict[Name, SourceConfig] = Field(default_factory=dict)
    sinks: dict[Name, SinkConfig] = Field(default_factory=dict)
    routing: RoutingConfig = RoutingConfig()
    retry: RetryConfig = RetryConfig()
    outbox: OutboxConfig = OutboxConfig()
    alerts: AlertsConfig | None = None
    server: ServerConfig = ServerConfig()
    console: ConsoleConfig | None = Field(default=None, description="the operator console in the browser, at /console")
    inventory: dict[Name, InventoryFeedConfig] = Field(default_factory=dict, description="stock feeds out")
    stock: StockConfig = Field(
        default_factory=StockConfig,
        description="stock in, available to sell and what each sales channel is told (crossdock stock)",
    )
    invoice_numbers: InvoiceNumbers = Field(
        default=InvoiceNumbers(), description="810 BIG02: one company-wide sequence, prefix and width"
    )
    ship_from: ShipFrom = Field(default=ShipFrom(), description="856 N1*SF when the warehouse's confirmation has none")
    products: ProductsConfig = ProductsConfig()
    housekeeping_every: Duration = Field(default=60.0, gt=0)
    process_every: Duration = Field(
        default=1.0,
        gt=0,
        description="how often each worker looks for stored documents nobody is processing: what another worker's "
        "poll stored (PostgreSQL), or what a crash left",
    )
    retention: RetentionConfig = RetentionConfig()
    logging: LoggingConfig = LoggingConfig()

    @model_validator(mode="before")
    @classmethod
    def _store_block(cls, data: Any) -> Any:
        """Validate the store block even when absent, so its SQLite path is read from the file's folder."""
        if isinstance(data, dict) and data.get("store") is None:
            data = {**data, "store": {}}
        return data

    @model_validator(mode="after")
    def _labels_need_a_prefix(self) -> Config:
        labelled = sorted(n for n, s in self.sinks.items() if isinstance(s, OrderFormat) and s.labels != "none")
        if labelled and self.company.gs1_prefix is None:
            raise ValueError(f"sinks {', '.join(labelled)} give SSCC labels: company.gs1_prefix is needed")
        return self

    @property
    def store_url(self) -> str:
        """The database URL with its ``${VAR}`` references (the whole URL, or its password) resolved."""
        return resolve_url(self.store.url)


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the configuration file, for editors."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "crossdock configuration"
    return schema


def load_config(path: str | Path) -> Config:
    """Read and validate a configuration file; every problem at once, each with file, line and key path."""
    config, problems, _ = read_config(Path(path), Config)
    if config is None or problems:
        raise ConfigProblems(problems)
    return config
