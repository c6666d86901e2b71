"""The templates of buyer notices: a source's own folder, else those crossdock ships, read and checked once."""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from crossdock.core.configuration.notices import CustomerNotices
from crossdock.core.errors import ConfigError, DecodeError
from crossdock.core.notices.models import Event
from crossdock.mappings.notices import Template, parse_template


def templates(config: CustomerNotices) -> dict[str, Template]:
    """The source's templates by event: its own folder's, else the shipped ones in its language."""
    return _templates(config.templates, config.language, tuple(config.events))


@functools.lru_cache(maxsize=32)
def _templates(folder: Path | None, language: str, events: tuple[Event, ...]) -> dict[str, Template]:
    found: dict[str, Template] = {}
    for event in events:
        if folder is None:
            where = f"crossdock/notices/{language}/{event}.txt"
            text, markup = (files("crossdock") / "notices" / language / f"{event}.txt").read_text("utf-8"), None
        else:
            where = str(folder / f"{event}.txt")
            try:
                text = (folder / f"{event}.txt").read_text("utf-8")
                html_path = folder / f"{event}.html"
                markup = html_path.read_text("utf-8") if html_path.exists() else None
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"notify templates: cannot read {where}: {exc}") from None
        try:
            found[event] = parse_template(text, markup, where)
        except DecodeError as exc:
            raise ConfigError(f"notify templates: {exc}") from None
    return found
