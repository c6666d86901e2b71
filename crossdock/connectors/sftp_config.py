"""The SFTP connector's configuration: a partner's server as a source and as a sink."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.connectors import (
    Bundling,
    OrderFormat,
    _FileSourceBase,
)
from crossdock.core.configuration.types import ConfigPath, Duration, SecretRef, Strict, Timeout


class _SftpBase(Strict):
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    password: SecretRef | None = None
    private_key: SecretRef | None = Field(
        default=None, description="${VAR} holding a key file path or the key itself (OpenSSH or PEM)"
    )
    private_key_passphrase: SecretRef | None = None
    known_hosts: ConfigPath | None = Field(default=None, description="known_hosts file holding the server's key")
    host_key_fingerprint: str | None = Field(
        default=None, pattern=r"^SHA256:[A-Za-z0-9+/]{43}=?$", description="the server key's SHA256 fingerprint"
    )
    legacy_algorithms: bool = Field(
        default=False,
        description="allow SHA-1 key exchange and ssh-rsa signatures for a partner's old server (off by default)",
    )
    timeout: Timeout = 30.0

    @model_validator(mode="after")
    def _pinned(self) -> _SftpBase:
        if self.known_hosts is None and self.host_key_fingerprint is None:
            raise ValueError("pin the server's host key with known_hosts or host_key_fingerprint")
        if self.password is None and self.private_key is None:
            raise ValueError("give password or private_key (as ${ENV_VAR} references)")
        return self


class SftpSourceConfig(_SftpBase, _FileSourceBase):
    type: Literal["sftp"]
    remote_dir: str = "."
    min_age: Duration = Field(
        default=30.0, description="with ready: stable, how long a file must stay unchanged; 0 reads at once"
    )
    archive_dir: str | None = Field(
        default=None, description="default <remote_dir>/archive; a relative path starts at the login folder"
    )


class SftpSinkConfig(_SftpBase, Bundling, OrderFormat):
    type: Literal["sftp"]
    remote_dir: str = "."
    temp_suffix: str = Field(default=".part", description="uploads are written under this suffix, then renamed")
