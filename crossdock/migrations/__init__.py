"""Alembic migrations of the store, applied by ``crossdock.core.migrate.upgrade`` whenever a store opens."""
