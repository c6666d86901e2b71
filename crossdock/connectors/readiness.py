"""When a partner's file may be read, and how its archive is laid out by day: shared by the folder and SFTP sources.

A partner's upload can stall half-way for longer than ``min_age``: a file whose modification time is old enough
may still be growing. So with ``ready: stable`` a file is read only when a look taken at least ``min_age``
earlier, on an earlier poll, saw the same size and modification time (Redpanda Connect's ``minimum_age`` with a
second look). The looks are kept between polls by the poller, as the opaque text ``Looks.dump()`` returns.
A stall longer than ``min_age`` looks exactly like a finished file, so an X12 file that looked stable is read
only once it ends with its IEA trailer: one that does not is still being written, and waits (issue 16, 4.1: the
half file was read, archived while its writer went on, and the rest never read). One that still lacks its
trailer after ``STALL_LOOKS`` times ``min_age`` unchanged is truncated for good and read as it is, to fail with
the reason. A partner that marks finished uploads (``po.edi.done`` beside ``po.edi``) or uploads under a
temporary name and renames is read at once by its convention (``ready: marker`` or ``renamed``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase

from crossdock.connectors.folder_config import FolderSourceConfig
from crossdock.connectors.sftp_config import SftpSourceConfig

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STALL_LOOKS = 10  # an X12 file without its trailer waits this many times min_age before it is read as it is
_BLANK = b" \t\r\n"


class Looks:
    """The size and modification time each waiting file had when first seen unchanged, and when that was."""

    def __init__(self, config: FolderSourceConfig | SftpSourceConfig, kept: str | None, now: float) -> None:
        self.config = config
        self.now = now
        try:
            earlier = json.loads(kept) if kept else {}
        except ValueError:
            earlier = {}
        self.earlier: dict[str, list[float]] = earlier if isinstance(earlier, dict) else {}
        self.waiting: dict[str, list[float]] = {}

    def ready(self, name: str, size: int, mtime: float, names: set[str]) -> bool:
        """Whether the file ``name`` (of ``size`` bytes, modified at ``mtime`` seconds) may be read now; ``names``
        are the other names in its folder, where a done-marker would be."""
        config = self.config
        if any(fnmatchcase(name, temp) for temp in config.temp_names):
            return False
        if config.ready == "renamed":
            return True
        if config.ready == "marker":
            if any(name.endswith(marker) for marker in config.markers):
                return False  # the marker itself
            return any(name + marker in names for marker in config.markers)
        if config.min_age == 0:
            return True
        seen = self.earlier.get(name)
        if seen and len(seen) == 3 and seen[0] == size and seen[1] == mtime:
            if self.now - seen[2] >= config.min_age and self.now - mtime >= config.min_age:
                return True
            self.waiting[name] = seen
            return False
        self.waiting[name] = [size, mtime, self.now]
        return False

    def unfinished(self, name: str, data: bytes) -> bool:
        """Whether the file ``name``, ready by its looks, is an X12 interchange whose end is not written yet: then it
        goes on waiting (from its first unchanged look), until it has waited ``STALL_LOOKS`` times ``min_age``."""
        config = self.config
        if config.ready != "stable" or config.min_age == 0 or not lacks_trailer(data):
            return False
        seen = self.earlier.get(name)
        if seen is None or self.now - seen[2] >= STALL_LOOKS * config.min_age:
            return False
        self.waiting[name] = seen
        return True

    def marker(self, name: str, names: set[str]) -> str | None:
        """The done-marker found beside ``name``, settled together with it."""
        if self.config.ready != "marker":
            return None
        return next((name + m for m in self.config.markers if name + m in names), None)

    def dump(self) -> str:
        """What to remember until the next poll: the files seen but not yet ready."""
        return json.dumps(self.waiting, separators=(",", ":"))


def lacks_trailer(data: bytes) -> bool:
    """An X12 interchange (it opens with ISA) whose last segment is not an IEA: the file ends before it does."""
    head = data[:256].lstrip(b"\xef\xbb\xbf" + _BLANK)
    if not head.startswith(b"ISA"):
        return False
    if len(head) < 106:
        return True
    element, terminator = head[3:4], head[105:106]
    tail = data[-256:].rstrip(_BLANK)
    tail = tail.removesuffix(terminator).rstrip(_BLANK)
    return not tail.rsplit(terminator, 1)[-1].lstrip(_BLANK).startswith(b"IEA" + element)


def day_folder(now: datetime | None = None) -> str:
    """The archive folder of a file read now: its UTC date, ``YYYY-MM-DD``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")


def expired(names: list[str], days: int, today: date) -> list[str]:
    """The dated archive folders among ``names`` older than ``days`` days; flat archived files are never among them."""
    oldest = (today - timedelta(days=days)).isoformat()
    return sorted(n for n in names if _DAY.match(n) and n < oldest)


def too_large(where: str, size: int, limit: int, target: str) -> str:
    """The reason a file is refused, naming it and both sizes."""
    return (
        f"{where} is {size} bytes, more than max_file_size {limit} bytes: not read, moved to {target} "
        "(raise max_file_size and move it back to read it)"
    )
