"""Reading a configuration file (and its folder of partner files) into a ``Config``, with every problem placed.

Validation errors become problems with file, line and key path; an unknown key says which known key it may
have meant; partner files' problems name the partner file; names that point nowhere are problems too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import ValidationError

from crossdock.core.configuration.blocks import SinkConfig, SourceConfig
from crossdock.core.configuration.keys import did_you_mean, known_keys
from crossdock.core.configuration.notices import CustomerNotices
from crossdock.core.configuration.trust import exposures
from crossdock.core.configuration.yaml_text import ConfigProblems, Lines, Loc, Problem, read_yaml
from crossdock.core.errors import ConfigError
from crossdock.core.notices.templates import templates

if TYPE_CHECKING:
    from crossdock.core.configuration.config import Config


@dataclass
class Loaded:
    """A file as read: its data (partner files merged in), the line of each key, and where each partner came from."""

    path: Path
    data: Any = None
    lines: Lines = field(default_factory=Lines)
    partner_files: dict[str, tuple[str, Lines]] = field(default_factory=dict)

    def problem(self, loc: Loc, message: str) -> Problem:
        """A problem at ``loc``, placed in the partner file that holds it, else in the main file."""
        key = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "partners" and str(loc[1]) in self.partner_files:
            file, lines = self.partner_files[str(loc[1])]
            return Problem(file, lines.line(loc[2:]), key, message)
        return Problem(str(self.path), self.lines.line(loc), key, message)


CONNECTOR_TYPES = frozenset(
    get_args(model.model_fields["type"].annotation)[0]
    for union in (SourceConfig, SinkConfig)
    for model in get_args(get_args(union)[0])
)


def _loc_path(loc: tuple[str | int, ...]) -> Loc:
    """Drop the tags pydantic adds to a location (``sources.x.sftp.host`` -> ``sources.x.host``): a connector's
    type right after its name (a sink may itself be named ``folder``), and validator names like ``list[str]``."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        tag = i == 2 and loc[0] in ("sources", "sinks") and part in CONNECTOR_TYPES
        if tag or (isinstance(part, str) and "[" in part):
            continue
        out.append(part)
    return tuple(out)


def _problems(exc: ValidationError, loaded: Loaded, root: type[Config]) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = _loc_path(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key" + did_you_mean(str(loc[-1]), known_keys(root, loaded.data, loc[:-1]))
        if err["type"] == "missing":
            message = "required key is missing"
        if err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            expected = str(ctx.get("expected_tags"))
            message = f"unknown type {ctx.get('tag')!r}: expected one of {expected}"
            message += did_you_mean(str(ctx.get("tag")), re.findall(r"'([^']+)'", expected))
            loc = (*loc, "type")
        out.append(loaded.problem(loc, message))
    return out


def _partner_files(loaded: Loaded, folder: Path) -> list[Problem]:
    """Merge ``<partner>.yaml`` files into the data's partners; a partner also defined inline is a problem."""
    data = loaded.data
    problems: list[Problem] = []
    inline = data.get("partners") or {}
    if not isinstance(inline, dict):
        problems.append(loaded.problem(("partners",), "must map each partner's name to its settings"))
        inline = {}
    partners = dict(inline)
    for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            pdata, plines, found = read_yaml(file)
        except ConfigProblems as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(Problem(p.file, p.line, f"partners.{file.stem}.{p.path}", p.message) for p in found)
        if file.stem in partners:
            problems.append(Problem(str(file), 1, "", f"partner {file.stem!r} is also defined in {loaded.path}"))
            continue
        partners[file.stem] = pdata
        loaded.partner_files[file.stem] = (str(file), plines)
    loaded.data = {**data, "partners": partners}
    return problems


def read_config(path: Path, root: type[Config]) -> tuple[Config | None, list[Problem], Loaded]:
    """The file validated as ``root`` (None when it is not valid), and every problem found, in file order."""
    loaded = Loaded(path)
    try:
        loaded.data, loaded.lines, problems = read_yaml(path)
    except ConfigProblems as exc:
        return None, exc.problems, loaded
    if loaded.data is None:
        loaded.data = {}
    if not isinstance(loaded.data, dict):
        return None, [Problem(str(path), 1, "", "the file must be a mapping of keys")], loaded
    partners_dir = loaded.data.get("partners_dir")
    if isinstance(partners_dir, str):
        folder = (path.parent / partners_dir).expanduser()
        if not folder.is_dir():
            problems.append(loaded.problem(("partners_dir",), f"no such folder: {folder}"))
        else:
            problems.extend(_partner_files(loaded, folder))
    config: Config | None
    try:
        config = root.model_validate(loaded.data, context={"base_dir": path.parent.resolve()})
    except ValidationError as exc:
        problems.extend(_problems(exc, loaded, root))
        config = None
    if config is not None:
        problems.extend(loaded.problem(loc, message) for loc, message in cross_references(config))
        problems.extend(loaded.problem(f.loc, f.message) for f in exposures(config) if f.refused)
    return config, sort_problems(problems, path), loaded


def sort_problems(problems: list[Problem], main: Path) -> list[Problem]:
    """The main file's problems first, then each other file's, each in line order."""
    return sorted(problems, key=lambda p: (p.file != str(main), p.file, p.line or 0))


def _notice_sink(config: Config, source: str, notify: CustomerNotices | None) -> list[tuple[Loc, str]]:
    """A source's buyer notices go to an smtp sink that takes them (``customers: true``), and their templates
    read and check (a template that names an unknown value stops the start, not the first mail)."""
    if notify is None:
        return []
    where: Loc = ("sources", source, "notify")
    sink = config.sinks.get(notify.sink)
    if sink is None:
        return [((*where, "sink"), f"no sink named {notify.sink!r}")]
    if not getattr(sink, "customers", False):
        return [((*where, "sink"), f"sink {notify.sink!r} is not an smtp sink with customers: true")]
    if notify.templates is not None and not notify.templates.is_dir():
        return []  # said by ``check`` (missing_paths), like a missing source folder
    try:
        templates(notify)
    except ConfigError as exc:
        return [((*where, "templates"), str(exc))]
    return []


def cross_references(config: Config) -> list[tuple[Loc, str]]:
    """Names that point nowhere (a rule to a missing sink) and partners that could not be told apart."""
    out: list[tuple[Loc, str]] = []
    for name, sink in config.sinks.items():
        sink_partner = getattr(sink, "partner", None)
        if sink_partner is not None and sink_partner not in config.partners:
            out.append((("sinks", name, "partner"), f"no partner named {sink_partner!r}"))
        labels_to = getattr(sink, "labels_to", None)
        if labels_to is not None and labels_to not in config.sinks:
            out.append((("sinks", name, "labels_to"), f"no sink named {labels_to!r}"))
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
        out += _notice_sink(config, name, source.notify)
    seen: dict[tuple[str, str], str] = {}
    for name, partner in config.partners.items():
        key = (partner.isa_qualifier, partner.isa_id.strip())
        if key in seen:
            out.append((("partners", name, "isa_id"), f"same ISA id {key[0]}/{key[1]} as partner {seen[key]!r}"))
        seen[key] = name
    return out
