"""The log every command writes to stderr (``run`` and ``serve``: to stdout, or a rotated file): text or JSON
lines, times in UTC with a Z, secrets redacted, and the libraries' chatter (APScheduler's job runs, alembic's
migration context, each HTTP request) kept for debug.

Logging is process-wide, so the redaction is too: ``watch`` adds a configuration's secrets to the one
``REDACTOR`` the handler's formatter consults, whichever command loaded it.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from crossdock.core.errors import ConfigError
from crossdock.terminal import terminal_safe

if TYPE_CHECKING:
    from crossdock.core.configuration.config import Config
    from crossdock.core.configuration.house import LoggingConfig

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
# Libraries whose lines are chatter for an operator, shown in full at --log-level debug, else from this level:
# APScheduler's warnings only say a run was skipped because the last one still goes on (max_instances=1, wanted).
CHATTY = {
    "apscheduler": logging.ERROR,
    "alembic": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "paramiko": logging.WARNING,
}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_URL_PASSWORD = re.compile(r"(?P<user>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")
# What every LogRecord carries; anything else on a record came from ``extra=`` and goes into a JSON line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class Redactor:
    """Replaces every known secret value, and the password of any URL, with ``***``."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def add(self, values: Iterable[str | None]) -> None:
        self.secrets.update(value for value in values if value)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):  # a secret inside a longer one goes with it
            text = text.replace(secret, "***")
        return _URL_PASSWORD.sub(r"\g<user>***@", text)


REDACTOR = Redactor()


def watch(config: Config) -> None:
    """Redact from now on every value the configuration's ``${VAR}`` references resolve to, and the password of
    its store URL."""
    from crossdock.core.configuration.types import ENV_REF  # here: the x12 commands load no configuration, nor pydantic

    REDACTOR.add(_referenced(config.model_dump(), ENV_REF))
    store_url = os.environ.get(m.group(1), "") if (m := ENV_REF.match(config.store.url)) else config.store.url
    REDACTOR.add([_password(store_url)])


def _referenced(value: Any, ref: re.Pattern[str]) -> Iterable[str]:
    """The environment's values for every ``${VAR}`` anywhere in a dumped configuration."""
    if isinstance(value, str):
        if (m := ref.match(value)) and os.environ.get(m.group(1)):
            yield os.environ[m.group(1)]
    elif isinstance(value, dict):
        for item in value.values():
            yield from _referenced(item, ref)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _referenced(item, ref)


def _password(url: str) -> str | None:
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        return None
    return urllib.parse.unquote(password) if password else None


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """UTC, ISO 8601 with a Z, whatever the machine's zone: lines from several machines sort together."""
        return time.strftime(TIME_FORMAT, time.gmtime(record.created))


class TextFormatter(_UtcFormatter):
    """``2026-12-07T05:47:12Z WARNING crossdock.outbox: delivery 12 ...``, redacted; the message on one line with
    its control characters escaped (it may quote a file name or a sender: a forged newline would forge a line),
    a traceback below it as Python wrote it."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def formatMessage(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(_UtcFormatter):
    """One JSON object a line: time, level, logger, message, the record's structured fields (document, delivery,
    source, sink, ...) and the traceback if any; every string redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if value is None or isinstance(value, bool | int | float) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps({k: self.redact(v) if isinstance(v, str) else v for k, v in entry.items()})


class _Handler(logging.StreamHandler[IO[str]]):
    """crossdock's own handler, so a second ``setup`` in one process (tests) replaces it and no other. Like
    logging's last resort, it writes to ``sys.stderr`` (or ``sys.stdout``) as it is at each line, so a replaced
    stream is followed."""

    def __init__(self, to: str = "stderr") -> None:
        self.to = to
        super().__init__(sys.stderr)  # the property below decides at each line

    @property
    def stream(self) -> IO[str]:
        return sys.stdout if self.to == "stdout" else sys.stderr

    @stream.setter
    def stream(self, _: IO[str]) -> None:
        return None


class _File(logging.handlers.RotatingFileHandler):
    """crossdock's handler when the configuration names a log file: rotated at ``max_size``, ``backups`` kept."""


def _replace(handler: logging.Handler) -> None:
    """``handler`` instead of crossdock's earlier one (a file handler replaced is closed)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler | _File)]:
        root.removeHandler(old)
        if isinstance(old, _File):
            old.close()
    root.addHandler(handler)


def setup(level: str, form: str = "text") -> None:
    """Log at ``level`` and above to stderr in ``form``; the chatty libraries only at debug."""
    number = logging.getLevelNamesMapping()[level.upper()]
    root = logging.getLogger()
    handler = _Handler()
    handler.setFormatter(JsonFormatter(REDACTOR) if form == "json" else TextFormatter(REDACTOR))
    _replace(handler)
    root.setLevel(number)
    for name, least in CHATTY.items():
        logging.getLogger(name).setLevel(logging.NOTSET if number <= logging.DEBUG else max(number, least))


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` and ``--log-format`` on the main parser and, given after the command, on every command."""
    _options(parser, default=True)
    _below(parser)


def _below(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _options(sub, default=False)
                _below(sub)


def _options(parser: argparse.ArgumentParser, *, default: bool) -> None:
    """On a command the options default to nothing, so the main parser's value is not overwritten."""
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=LEVELS,
        default=None if default else argparse.SUPPRESS,
        help="least important log lines shown (default info for run and serve, error for demo, else warning; "
        "or $CROSSDOCK_LOG_LEVEL)",
    )
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text" if default else argparse.SUPPRESS,
        help="text lines, or JSON lines for a log shipper (default text)",
    )


def configure(args: argparse.Namespace, default: str) -> None:
    """Set up the log from the command line: ``--log-level``, else ``$CROSSDOCK_LOG_LEVEL``, else the command's
    ``default``; an unknown level in the variable stops the command (exit 2) with the usual ones named."""
    level = args.log_level or os.environ.get("CROSSDOCK_LOG_LEVEL") or default
    if level.upper() not in logging.getLevelNamesMapping():  # the variable takes any name logging knows, as before
        print(f"crossdock: CROSSDOCK_LOG_LEVEL={level!r} is not one of {', '.join(LEVELS)}", file=sys.stderr)
        raise SystemExit(2)
    setup(level, args.log_format)


def for_service(settings: LoggingConfig) -> None:
    """``run`` and ``serve``: the log goes to standard output, where a service manager (systemd, a container
    runtime) collects it, or to ``settings.file`` rotated by size; level and format stay as set up. Other
    commands keep logging to stderr, so what they print on stdout stays their data."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _Handler | _File)]
    formatter = ours[0].formatter if ours and ours[0].formatter else TextFormatter(REDACTOR)
    handler: logging.Handler
    if settings.file is None:
        handler = _Handler("stdout")
    else:
        try:
            settings.file.parent.mkdir(parents=True, exist_ok=True)
            handler = _File(settings.file, maxBytes=settings.max_size, backupCount=settings.backups, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"logging.file {settings.file}: cannot be opened: {exc.strerror}") from None
    handler.setFormatter(formatter)
    _replace(handler)
