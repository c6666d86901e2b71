"""Alembic environment: runs on the connection crossdock hands over, never on a URL of its own."""

from __future__ import annotations

from alembic import context

from crossdock.core.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
