"""``crossdock check --connect``: the store and every source and sink tried once, one verdict each.

Each connector's own probe (found through the registry by its type) logs in or looks, and changes nothing:
no order is read or written, nothing is moved, flagged or deleted on the peer. The store is opened the same
way, read only: a SQLite file that does not exist yet is not made.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crossdock.core import registry
from crossdock.core.errors import CrossdockError, PermanentError, TransientError
from crossdock.core.masking import masked

if TYPE_CHECKING:
    from crossdock.core.configuration.config import Config

State = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What trying one connector (or the store) found."""

    side: Literal["store", "source", "sink"]
    name: str
    type: str
    state: State
    message: str

    def __str__(self) -> str:
        what = "store" if self.side == "store" else f"{self.side} {self.name}"
        return f"{what} ({self.type}): {self.state}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "name": self.name, "type": self.type, "state": self.state, "message": self.message}


def try_connections(config: Config) -> list[Verdict]:
    """The store, then each source and each sink, tried once in the file's order."""
    verdicts = [_store(config)]
    sides: tuple[tuple[Literal["source", "sink"], dict[str, Any]], ...] = (
        ("source", config.sources),
        ("sink", config.sinks),
    )
    for side, blocks in sides:
        for name, block in blocks.items():
            verdicts.append(_try(side, name, block))
    return verdicts


def _try(side: Literal["source", "sink"], name: str, block: Any) -> Verdict:
    probe = registry.probe(side, block.type)
    if probe is None:
        return Verdict(side, name, block.type, "skipped", "nothing to connect to: crossdock answers it itself")
    try:
        return Verdict(side, name, block.type, "ok", probe(name, block))
    except CrossdockError as exc:
        return Verdict(side, name, block.type, "failed", masked(str(exc), block))
    except Exception as exc:  # a probe must not stop the others: say what broke
        return Verdict(side, name, block.type, "failed", masked(f"{type(exc).__name__}: {exc}", block))


def _store(config: Config) -> Verdict:
    kind = config.store.url.partition(":")[0].partition("+")[0] or "store"
    try:
        url = config.store_url
        kind = url.partition(":")[0].partition("+")[0]
        return Verdict("store", "store", kind, "ok", probe_store(url))
    except CrossdockError as exc:
        return Verdict("store", "store", kind, "failed", str(exc))


SQLITE_HEADER = b"SQLite format 3\x00"


def probe_store(url: str) -> str:
    """Open the database once and ask it ``SELECT 1``; a SQLite file is only read, never made."""
    if url.startswith("sqlite"):
        return _probe_sqlite(url)
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
    except Exception:
        raise PermanentError("store: url is not a database URL (dialect+driver://user@host:port/database)") from None
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
    connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        if parsed.password:
            reason = reason.replace(parsed.password, "***")
        raise TransientError(f"store: cannot connect to {where}: {reason}") from None
    return f"connected to {where} as {parsed.username!r}"


def _probe_sqlite(url: str) -> str:
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:" or path.startswith("file:"):
        return "an in-memory database: nothing to try"
    file = Path(path)
    if not file.exists():
        folder = file.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise PermanentError(f"store: {folder} is not a folder, so {file} cannot be made")
        return f"SQLite file {file} does not exist yet; the first run makes it"
    try:
        with file.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise PermanentError(f"store: SQLite file {file} cannot be read: {exc.strerror}") from None
    if header != SQLITE_HEADER and header:
        raise PermanentError(f"store: {file} is not a SQLite database")
    return f"SQLite file {file} can be read"
