"""Opening the store for a command: a database that answers, a store that is there, and one line when not.

A command that only reads (``status``, ``orders``, ``documents``) or works on what is stored (``replay``,
``retry``, ``resend``) must not create an empty store where none was: that would hide a wrong ``-c`` or a
wrong working folder behind empty answers. An unreachable database is one line naming host and port, not a
driver's traceback; the URL's password never appears.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.storage.engine import make_engine


def open_hub(config: Config, config_path: str, *, existing: bool) -> Hub:
    """The hub of ``config``; with ``existing``, only over a store that some earlier command created."""
    url = config.store_url
    try:
        if existing:
            _require_store(url, config_path)
        return Hub(config)
    except DBAPIError as exc:
        raise CrossdockError(unreachable(url, exc)) from None


def unreachable(url: str, exc: DBAPIError) -> str:
    """One line for a database that cannot be opened: where, and the driver's own reason (no password)."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
    reason = lines[0].rsplit("failed: ", 1)[-1].strip() if lines else type(exc).__name__
    parsed = _parse(url)
    if parsed is not None and parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        return f"cannot open the SQLite store at {parsed.database}: {reason}"
    return f"cannot reach the database at {where(url)}: {reason}"


def where(url: str) -> str:
    """The database's place for a message: host:port and database name, never user or password."""
    parsed = _parse(url)
    if parsed is None:
        return "the configured store.url"
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database or ":memory:")
    place = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"{place}/{parsed.database}" if parsed.database else place


def _require_store(url: str, config_path: str) -> None:
    start = (
        f"nothing has run with {config_path} yet; start with `crossdock poll SOURCE -c {config_path}` "
        f"or `crossdock run -c {config_path}`"
    )
    parsed = _parse(url)
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
            raise CrossdockError(f"no store exists yet at {path}: {start}")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            there = inspect(conn).has_table("documents")
    finally:
        engine.dispose()
    if not there:
        raise CrossdockError(f"no store exists yet in the database at {where(url)}: {start}")


def _parse(url: str) -> URL | None:
    try:
        return make_url(url)
    except ArgumentError:
        return None
