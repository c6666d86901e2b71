"""The one exception tree of crossdock.

    CrossdockError
     ├── ConfigError        a configuration that cannot work: fix the file, nothing is retried
     ├── TransientError     worth retrying later (timeouts, 429, 5xx, a dropped connection)
     ├── PermanentError     retrying cannot help (4xx, a refused document): dead-letter with the reason
     │    └── TooLate       a destination says the order has shipped: a cancel or change came too late
     ├── DecodeError        inbound bytes that cannot be read: the raw document is kept, marked failed
     │    └── NotX12Error   the bytes are not an X12 interchange at all
     └── Held               a shipment that must not produce documents yet: kept with the reason

Validation findings inside a readable document are values (``crossdock.mappings.x12.errors.X12Error``),
not exceptions: a partner's bad segment is answered with a 997, not a crash.
"""

from __future__ import annotations


class CrossdockError(Exception):
    """Base of every error crossdock raises on purpose."""


class ConfigError(CrossdockError):
    pass


class TransientError(CrossdockError):
    """Worth retrying; ``retry_after`` (seconds) is the peer's own wish when it said one (Retry-After)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(CrossdockError):
    pass


class TooLate(PermanentError):
    """A destination answered a cancel or change with "already shipped" (or done): it wins, and the order is
    marked shipped rather than the delivery dead-lettered (``destination_changes.too_late``)."""


class DecodeError(CrossdockError):
    """Bytes that cannot be decoded; ``source`` names the file or document, ``offset`` the byte."""

    def __init__(self, message: str, *, source: str | None = None, offset: int | None = None) -> None:
        self.reason = message
        self.source = source
        self.offset = offset
        where = ""
        if source:
            where = f"{source}: "
        if offset is not None:
            where += f"byte {offset}: "
        super().__init__(f"{where}{message}")


class NotX12Error(DecodeError):
    pass


class Held(CrossdockError):
    """A shipment that must not produce documents yet; the message says why, for a person to act on."""
