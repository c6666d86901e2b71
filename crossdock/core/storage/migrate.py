"""Bring a database to the newest schema with alembic, once per open, safely from many processes at once."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "crossdock:migrations")
    return cfg


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied; a no-op costing one query when the schema is current."""
    if current(engine) == head():
        return
    cfg = _config()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # two workers starting together must not both migrate
            conn.execute(text("SELECT pg_advisory_xact_lock(7243018)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
