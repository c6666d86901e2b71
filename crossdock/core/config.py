"""Typed configuration: one YAML file (plus an optional folder of partner files), checked before anything runs.

Every block is a pydantic model that rejects unknown keys, so a misspelt key is an error with its file, line
and key path instead of a silently ignored setting. Secrets are never written in the file: a secret field
holds only a ``${ENV_VAR}`` reference, resolved when a connector is built, so the configuration can be
committed and logged. Relative paths (folders, key files, a SQLite database) are read from the directory
of the file that names them, not from wherever the command happens to run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crossdock.core.api_config import SinkConfig, SourceConfig
from crossdock.core.config_types import ENV_REF, ConfigPath, Duration, Name, SecretRef, Strict, Timeout, resolve_secret
from crossdock.core.connector_config import Schedule
from crossdock.core.errors import ConfigError

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


AckedDocument = Literal["810", "846", "855", "856", "940"]
DEFAULT_ACK_WINDOWS: dict[AckedDocument, float] = {
    "855": 86400.0,
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
    encoding: str = "latin-1"
    delimiters: Delimiters = Delimiters()
    ack: Literal["997", "999", "none"] = "997"
    send_855: bool = False
    backorder_855: bool = Field(
        default=False,
        description="when a warehouse ships lines short, send an 855 change (BAK01 04) with the rest as backordered",
    )
    reply_to: Name | None = Field(default=None, description="sink that carries acks and answers to this partner")
    asn_profile: Literal["SOI", "SOPI", "SOTPI"] = Field(
        default="SOPI", description="856 HL structure: SOI, SOPI (pick and pack) or SOTPI (with pallets)"
    )
    gs1_prefix: str | None = Field(
        default=None, pattern=r"^\d{6,11}$", description="GS1 company prefix for the SSCC-18 labels of our 856s"
    )
    invoice: Literal["on_shipment", "daily", "none"] = Field(
        default="none", description="an 810 for each shipment: with it (on_shipment), or batched on invoice_schedule"
    )
    invoice_schedule: Schedule = Field(
        default=Schedule(cron="0 18 * * *"), description="with invoice daily: when the day's 810s go out (UTC)"
    )
    allow_overship: bool = Field(default=False, description="accept shipped quantities above the ordered ones")
    ack_windows: dict[AckedDocument, Duration] = Field(
        default_factory=lambda: dict(DEFAULT_ACK_WINDOWS),
        description="how long the partner has to send its 997/999 for each document type we send it",
    )

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        import codecs

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
    lease: Duration = Field(default=120.0, gt=0, description="a claimed delivery returns to the pool after this")


class AlertsConfig(Strict):
    """Where a person is told about what needs them: a failed document, a dead letter, a source that fails."""

    sink: Name = Field(description="the sink alerts go to (an smtp sink mails them; a folder sink files them)")


class StoreConfig(Strict):
    url: str = Field(
        default="sqlite:///crossdock.db", validate_default=True, description="SQLAlchemy URL, or ${ENV_VAR} holding one"
    )

    @field_validator("url")
    @classmethod
    def _relative_sqlite(cls, value: str, info: ValidationInfo) -> str:
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


class ServerConfig(Strict):
    """Where ``crossdock serve`` (and ``run``) listen for the http sources."""

    host: str = Field(default="127.0.0.1", description="0.0.0.0 to listen on every interface")
    port: int = Field(default=8080, ge=0, le=65535)


class Config(Strict):
    store: StoreConfig = StoreConfig()
    company: Identity
    partners: dict[Name, PartnerConfig] = Field(default_factory=dict)
    partners_dir: ConfigPath | None = Field(default=None, description="folder of <partner>.yaml files")
    sources: dict[Name, SourceConfig] = Field(default_factory=dict)
    sinks: dict[Name, SinkConfig] = Field(default_factory=dict)
    routing: RoutingConfig = RoutingConfig()
    retry: RetryConfig = RetryConfig()
    outbox: OutboxConfig = OutboxConfig()
    alerts: AlertsConfig | None = None
    server: ServerConfig = ServerConfig()
    inventory: dict[Name, InventoryFeedConfig] = Field(default_factory=dict, description="stock feeds out")
    housekeeping_every: Duration = Field(default=60.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _store_block(cls, data: Any) -> Any:
        """Validate the store block even when absent, so its SQLite path is read from the file's folder."""
        if isinstance(data, dict) and data.get("store") is None:
            data = {**data, "store": {}}
        return data

    def secret_refs(self) -> Iterator[tuple[str, str]]:
        """Every ``(key path, ${VAR})`` in the file, so ``check`` can say which variables are unset."""
        for section in ("sources", "sinks"):
            for name, block in getattr(self, section).items():
                for key, value in block:
                    if isinstance(value, str) and ENV_REF.match(value):
                        yield f"{section}.{name}.{key}", value
        if ENV_REF.match(self.store.url):
            yield "store.url", self.store.url

    @property
    def store_url(self) -> str:
        url = resolve_secret(self.store.url) if ENV_REF.match(self.store.url) else self.store.url
        assert url is not None
        return url


# --- loading with line numbers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a configuration, with the place to fix it."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(top)'}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigProblems(ConfigError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Lines:
    """Key path -> line, read from the YAML node tree, so a pydantic error location becomes a line."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}

    def walk(self, node: yaml.Node, path: tuple[str | int, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                k = key.value
                self.lines[(*path, k)] = key.start_mark.line + 1
                self.walk(value, (*path, k))
                self.lines[(*path, k)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, (*path, i))

    def line(self, loc: tuple[str | int, ...]) -> int | None:
        loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def _read_yaml(path: Path) -> tuple[Any, _Lines]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigProblems([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None
    lines = _Lines()
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigProblems([Problem(str(path), line, "", f"not valid YAML: {exc}")]) from None
    if node is not None:
        lines.walk(node, ())
    return data, lines


CONNECTOR_TYPES = frozenset(
    get_args(model.model_fields["type"].annotation)[0]
    for union in (SourceConfig, SinkConfig)
    for model in get_args(get_args(union)[0])
)


def _loc_path(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop the discriminator tags pydantic adds to a location (``sources.x.sftp.host`` -> ``sources.x.host``)."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part in CONNECTOR_TYPES or "[" in part):
            continue
        out.append(part)
    return tuple(out)


def _problems(exc: ValidationError, file: str, lines: _Lines, prefix: tuple[str | int, ...] = ()) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = (*prefix, *_loc_path(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        if err["type"] == "missing":
            message = "required key is missing"
        if err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            message = f"unknown type {ctx.get('tag')!r}: expected one of {ctx.get('expected_tags')}"
            loc = (*loc, "type")
        out.append(Problem(file, lines.line(loc), ".".join(str(p) for p in loc), message))
    return out


def load_config(path: str | Path) -> Config:
    """Read and validate a configuration file; every problem at once, each with file, line and key path."""
    path = Path(path)
    data, lines = _read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigProblems([Problem(str(path), 1, "", "the file must be a mapping of keys")])
    problems: list[Problem] = []
    partners_dir = data.get("partners_dir")
    partner_lines: dict[str, tuple[str, _Lines]] = {}
    if isinstance(partners_dir, str):
        folder = (path.parent / partners_dir).expanduser()
        if not folder.is_dir():
            problems.append(Problem(str(path), lines.line(("partners_dir",)), "partners_dir", "no such folder"))
        else:
            inline = data.get("partners") or {}
            if not isinstance(inline, dict):
                where = lines.line(("partners",))
                problems.append(Problem(str(path), where, "partners", "must map each partner's name to its settings"))
                inline = {}
            partners = dict(inline)
            for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                try:
                    pdata, plines = _read_yaml(file)
                except ConfigProblems as exc:
                    problems.extend(exc.problems)
                    continue
                if file.stem in partners:
                    problems.append(Problem(str(file), 1, "", f"partner {file.stem!r} is also defined in {path}"))
                    continue
                partners[file.stem] = pdata
                partner_lines[file.stem] = (str(file), plines)
            data = {**data, "partners": partners}
    try:
        config = Config.model_validate(data, context={"base_dir": path.parent.resolve()})
    except ValidationError as exc:
        for problem in _problems(exc, str(path), lines):
            parts = problem.path.split(".")
            if len(parts) >= 2 and parts[0] == "partners" and parts[1] in partner_lines:
                pfile, plines = partner_lines[parts[1]]
                rest = tuple(int(p) if p.isdecimal() else p for p in parts[2:])
                problem = Problem(pfile, plines.line(rest), problem.path, problem.message)
            problems.append(problem)
        raise ConfigProblems(problems) from None
    for loc, message in cross_references(config):
        problems.append(Problem(str(path), lines.line(loc), ".".join(str(p) for p in loc), message))
    if problems:
        raise ConfigProblems(problems)
    return config


def cross_references(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Names that point nowhere (a rule to a missing sink) and partners that could not be told apart."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name, sink in config.sinks.items():
        sink_partner = getattr(sink, "partner", None)
        if sink_partner is not None and sink_partner not in config.partners:
            out.append((("sinks", name, "partner"), f"no partner named {sink_partner!r}"))
    for name, partner in config.partners.items():
        if partner.reply_to is not None and partner.reply_to not in config.sinks:
            out.append((("partners", name, "reply_to"), f"no sink named {partner.reply_to!r}"))
    for i, rule in enumerate(config.routing.rules):
        if rule.to not in config.sinks:
            out.append((("routing", "rules", i, "to"), f"no sink named {rule.to!r}"))
        if rule.split and not rule.match.sku:
            out.append((("routing", "rules", i, "split"), "a split rule needs sku patterns to choose its lines"))
    for name, feed in config.inventory.items():
        for i, partner_name in enumerate(feed.partners):
            if partner_name not in config.partners:
                out.append((("inventory", name, "partners", i), f"no partner named {partner_name!r}"))
        for i, sink_name in enumerate(feed.sinks):
            if sink_name not in config.sinks:
                out.append((("inventory", name, "sinks", i), f"no sink named {sink_name!r}"))
    if config.alerts is not None and config.alerts.sink not in config.sinks:
        out.append((("alerts", "sink"), f"no sink named {config.alerts.sink!r}"))
    if config.routing.default is not None and config.routing.default not in config.sinks:
        out.append((("routing", "default"), f"no sink named {config.routing.default!r}"))
    for name, source in config.sources.items():
        if source.partner is not None and source.partner not in config.partners:
            out.append((("sources", name, "partner"), f"no partner named {source.partner!r}"))
        if source.fulfilment_sink is not None and source.fulfilment_sink not in config.sinks:
            out.append((("sources", name, "fulfilment_sink"), f"no sink named {source.fulfilment_sink!r}"))
    seen: dict[tuple[str, str], str] = {}
    for name, partner in config.partners.items():
        key = (partner.isa_qualifier, partner.isa_id.strip())
        if key in seen:
            out.append((("partners", name, "isa_id"), f"same ISA id {key[0]}/{key[1]} as partner {seen[key]!r}"))
        seen[key] = name
    return out


def check_config(path: str | Path) -> list[Problem]:
    """Everything ``crossdock check`` reports: validation problems, then unset secret variables."""
    try:
        config = load_config(path)
    except ConfigProblems as exc:
        return exc.problems
    _, lines = _read_yaml(Path(path))
    problems = []
    for key, ref in config.secret_refs():
        try:
            resolve_secret(ref)
        except ConfigError as exc:
            loc = tuple(int(p) if p.isdecimal() else p for p in key.split("."))
            problems.append(Problem(str(path), lines.line(loc), key, str(exc)))
    return problems


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the configuration file, for editors."""
    schema = Config.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "crossdock configuration"
    return schema
