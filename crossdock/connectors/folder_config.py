"""The folder connector's configuration: a local folder as a source and as a sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.connectors import (
    Bundling,
    OrderFormat,
    _FileSourceBase,
)
from crossdock.core.configuration.types import ConfigPath, Duration


class FolderSourceConfig(_FileSourceBase):
    """Files dropped in a local folder (a mounted share, a VAN mailbox synced to disk, the demo)."""

    type: Literal["folder"]
    path: ConfigPath
    min_age: Duration = Field(
        default=5.0, description="with ready: stable, how long a file must stay unchanged; 0 reads at once"
    )
    archive_dir: ConfigPath | None = Field(default=None, description="default: <path>/archive")
    follow_symlinks: bool = Field(
        default=False,
        description="read a file that is a symbolic link (its target); by default a link is moved to rejected/ "
        "unread, since it could point at any file crossdock can read",
    )
    read_hard_links: bool = Field(
        default=False,
        description="read a file that has more than one name (a hard link); by default it is moved to rejected/ "
        "unread, since its other name could be any file crossdock can read",
    )


class FolderSinkConfig(Bundling, OrderFormat):
    """Writes each document atomically (temporary name, then rename) into a local folder."""

    type: Literal["folder"]
    path: ConfigPath
