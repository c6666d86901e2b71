"""The configuration of keeping house: how long each kind of record is kept, and where ``run``/``serve`` log."""

from __future__ import annotations

from pydantic import Field

from crossdock.core.configuration.types import ConfigPath, Duration, Strict, Timeout

DAY = 86400.0
# Orders that can change no more: everything else is open and kept, whatever its age.
CLOSED_STATUSES = ("shipped", "invoiced", "cancelled")


class RetentionConfig(Strict):
    """How long each kind of record is kept; raw bytes go first, an order's thread is kept longer."""

    raw: Duration = Field(
        default=90 * DAY, description="raw bytes of documents in and out (the row stays, noted as purged)"
    )
    documents: Duration = Field(default=400 * DAY, description="document rows no order, delivery or child needs")
    orders: Duration = Field(
        default=400 * DAY, description="shipped, invoiced or cancelled orders, with their shipments, deliveries, events"
    )
    deliveries: Duration = Field(default=400 * DAY, description="finished deliveries of no open order")
    events: Duration = Field(default=400 * DAY, description="events of no open order")
    batch: int = Field(default=500, ge=1, le=10_000, description="rows per transaction")
    every: Timeout = Field(default=3600.0, description="how often crossdock run purges")


class LoggingConfig(Strict):
    """Where ``run`` and ``serve`` write their log: standard output for the service manager, or a file rotated by
    size (one file per process: two processes rotating one file would lose lines)."""

    file: ConfigPath | None = Field(default=None, description="write the log here instead of standard output")
    max_size: int = Field(default=10 * 1024 * 1024, ge=1024, description="bytes a file reaches before it is rotated")
    backups: int = Field(default=5, ge=1, description="rotated files kept: FILE.1 (newest) .. FILE.N")
