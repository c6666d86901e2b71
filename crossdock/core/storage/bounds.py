"""Values from outside cut to the store's column sizes before they reach it.

A sender, a file or attachment name, a remote identity: a partner, a shopper or a mail sender chooses them, and
one too long for its column made the store refuse the document and stop its source (issue 17). A shown value
is cut with a marker naming how much was cut; an identity, which deduplicates, ends in a digest of the whole,
so two long identities that share their beginning stay two.
"""

from __future__ import annotations

from hashlib import sha256

from crossdock.core.storage.schema import documents


def _size(column: str) -> int:
    length = getattr(documents.c[column].type, "length", None)
    assert isinstance(length, int), column
    return length


SENDER = _size("sender")
REMOTE_NAME = _size("remote_name")
IDENTITY = _size("identity")


def cut(value: str | None, limit: int) -> str | None:
    """``value``, or its beginning and a marker saying how many characters were cut, in ``limit`` characters."""
    if value is None or len(value) <= limit:
        return value
    keep = limit - len(f"…[{len(value)} more characters cut]")  # the count is never wider than this
    return value[:keep] + f"…[{len(value) - keep} more characters cut]"


def cut_identity(value: str, limit: int = IDENTITY) -> str:
    """``value``, or its beginning and the sha256 of the whole, in ``limit`` characters: still one per object."""
    if len(value) <= limit:
        return value
    tail = "…#" + sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value[: limit - len(tail)] + tail
