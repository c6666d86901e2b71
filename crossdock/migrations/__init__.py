"""Alembic migrations of the store, applied by ``crossdock.core.storage.migrate.upgrade`` whenever a store opens."""
