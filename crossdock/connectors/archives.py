"""Housekeeping of the file sources' archives: the dated folders older than a source's ``archive_days`` go."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime

from crossdock.connectors.folder import prune_archive
from crossdock.connectors.folder_config import FolderSourceConfig
from crossdock.connectors.sftp_config import SftpSourceConfig
from crossdock.core.errors import CrossdockError

log = logging.getLogger(__name__)


def prune_archives(sources: Mapping[str, object], today: date | None = None) -> list[str]:
    """Prune every folder and SFTP source's archive; one that fails is logged and tried again next time."""
    day = today or datetime.now(UTC).date()
    removed: list[str] = []
    for name, config in sources.items():
        try:
            if isinstance(config, FolderSourceConfig):
                removed += prune_archive(name, config, day)
            elif isinstance(config, SftpSourceConfig):
                from crossdock.connectors.sftp import SftpSource  # paramiko only where an SFTP source is

                removed += SftpSource(name, config).prune_archive(day)
        except CrossdockError as exc:
            log.warning("source %s: archive not pruned: %s", name, exc, extra={"source": name})
    for folder in removed:
        log.info("archive folder %s pruned", folder)
    return removed
