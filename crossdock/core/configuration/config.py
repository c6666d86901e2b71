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
    InvoiceNumbers,
    ShipFrom,
)
from crossdock.core.configuration.house import LoggingConfig, RetentionConfig
from crossdock.core.configuration.load import read_config
from crossdock.core.configuration.partners import CompanyConfig, PartnerConfig
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
