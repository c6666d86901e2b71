"""What ``crossdock check`` finds beyond validation, in the same pass: unset secret variables, tokens too short
to keep anyone out, files and folders that the runtime would miss only at poll time, and warnings.

Variables and paths are read from the file's data as written, so they are told even when other keys are wrong. With
``secrets=False`` (CI, where the variables are not set) the variables are not looked up; a secret written in
the file is still refused, by validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossdock.core import registry
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.keys import secret_refs
from crossdock.core.configuration.load import Loaded, read_config, sort_problems
from crossdock.core.configuration.trust import exposures, weak_tokens
from crossdock.core.configuration.types import resolve_secret, url_password_refs
from crossdock.core.configuration.yaml_text import Problem
from crossdock.core.errors import ConfigError
from crossdock.core.stock.catalogue import problems as catalogue_problems


@dataclass
class Checked:
    """A file checked: its configuration when it validates, and every problem found."""

    config: Config | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_config(path: str | Path, *, secrets: bool = True) -> Checked:
    """Every problem of a configuration file at once, each with file, line and key, and what is only warned of
    (mail without TLS that carries no password, a server on every interface)."""
    path = Path(path)
    config, problems, loaded = read_config(path, Config)
    if not isinstance(loaded.data, dict):
        return Checked(None, problems)
    problems.extend(missing_paths(loaded))
    if secrets:
        problems.extend(unset_variables(loaded))
        if config is not None:
            problems.extend(loaded.problem(f.loc, f.message) for f in weak_tokens(config))
    if config is not None:
        problems.extend(loaded.problem(loc, message) for loc, message in catalogue_problems(config))
    warnings = [loaded.problem(f.loc, f.message) for f in exposures(config) if not f.refused] if config else []
    for check in registry.config_checks() if config is not None else []:
        for found in check(config, secrets=secrets):
            (problems if found.refused else warnings).append(loaded.problem(found.loc, found.message))
    return Checked(config, sort_problems(problems, path), sort_problems(warnings, path))


def unset_variables(loaded: Loaded) -> list[Problem]:
    """A problem for each secret's ``${VAR}`` that is not set, and for a key file such a variable names."""
    refs = list(secret_refs(Config, loaded.data))
    store = loaded.data.get("store")
    url = store.get("url") if isinstance(store, dict) else None
    if isinstance(url, str):
        refs.extend((("store", "url"), ref) for ref in url_password_refs(url))
    out = []
    for loc, ref in refs:
        try:
            value = resolve_secret(ref)
        except ConfigError as exc:
            out.append(loaded.problem(loc, str(exc)))
            continue
        if loc[-1] == "private_key" and value and "-----BEGIN" not in value:
            key = Path(value).expanduser()  # read from where the command runs, as the connector reads it
            if not key.is_file():  # the value is not shown: it may be a key that lost its -----BEGIN line
                said = f"{ref} is neither a key (no -----BEGIN line) nor an existing key file; its value is not shown"
                out.append(loaded.problem(loc, said))
    return out


def _local(base: Path, value: str) -> Path:
    """A path as the configuration reads it: relative to the file's folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def missing_paths(loaded: Loaded) -> list[Problem]:
    """known_hosts files and source folders that do not exist (a sink's folder is made when first written)."""
    base = loaded.path.parent.resolve()
    out = []
    for section in ("sources", "sinks"):
        blocks: Any = loaded.data.get(section)
        if not isinstance(blocks, dict):
            continue
        for name, block in blocks.items():
            if not isinstance(block, dict):
                continue
            known_hosts = block.get("known_hosts")
            if block.get("type") == "sftp" and isinstance(known_hosts, str):
                file = _local(base, known_hosts)
                if not file.is_file():
                    out.append(loaded.problem((section, name, "known_hosts"), f"no such file: {file}"))
            folder = block.get("path")
            if section == "sources" and block.get("type") == "folder" and isinstance(folder, str):
                where = _local(base, folder)
                if not where.is_dir():
                    out.append(loaded.problem((section, name, "path"), f"no such folder: {where}"))
            notify = block.get("notify")
            templates = notify.get("templates") if isinstance(notify, dict) else None
            if section == "sources" and isinstance(templates, str) and not _local(base, templates).is_dir():
                where = _local(base, templates)
                out.append(loaded.problem((section, name, "notify", "templates"), f"no such folder: {where}"))
    return out
