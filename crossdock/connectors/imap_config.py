"""The IMAP connector's configuration: a mailbox read as a source."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from crossdock.core.configuration.connectors import (
    _SourceBase,
)
from crossdock.core.configuration.types import ByteSize, SecretRef, Timeout

_SENDER = re.compile(r"^[^@\s<>(),;:\"]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class ImapSourceConfig(_SourceBase):
    """A mailbox whose attachments (EDI or CSV) are documents."""

    type: Literal["imap"]
    host: str
    security: Literal["ssl", "starttls", "none"] = Field(
        default="ssl", description="ssl (port 993), starttls (143) or none: only for a server on this machine"
    )
    port: int = Field(default=0, ge=0, le=65535, description="default 993 with ssl, else 143")
    username: str
    password: SecretRef
    folder: str = "INBOX"
    processed_folder: str | None = Field(default=None, description="move read mail here; else flag it")
    processed_flag: str = "$Crossdock"
    quarantine_folder: str = "Quarantine"
    allowed_senders: list[str] | None = Field(
        default=None,
        validate_default=True,
        description="required: addresses or @domains (that domain only) whose mail is read; mail from anyone "
        "else is quarantined",
    )
    authserv_id: str | None = Field(
        default=None,
        pattern=r'^[^\s;()"]+$',
        description="the authserv-id your receiving mail server writes in the Authentication-Results field it "
        "adds (e.g. mx.example.com); only its fields count, never one that came with the mail",
    )
    require_dkim: bool = Field(
        default=False,
        description="with authserv_id: read only mail whose DKIM signature that server found valid for the "
        "From address's domain (or a parent of it)",
    )
    require_dmarc: bool = Field(
        default=False, description="with authserv_id: read only mail that passed DMARC there for the From domain"
    )
    attachments: list[str] = Field(default_factory=lambda: ["*.edi", "*.x12", "*.txt", "*.csv", "*.dat"])
    max_file_size: ByteSize = Field(
        default=100_000_000, description="a mail with a larger attachment is not read but moved to quarantine_folder"
    )
    timeout: Timeout = 30.0

    @field_validator("allowed_senders")
    @classmethod
    def _senders(cls, value: list[str] | None) -> list[str]:
        if not value:
            raise ValueError(
                "allowed_senders is required: list the addresses or @domains your partners mail "
                "from, or anyone who knows the mailbox's address could send orders"
            )
        for entry in value:
            if not _SENDER.match(entry.strip()):
                raise ValueError(f"{entry!r} is neither an address (edi@partner.com) nor a domain (@partner.com)")
        return value

    @model_validator(mode="after")
    def _port(self) -> ImapSourceConfig:
        if self.port == 0:
            object.__setattr__(self, "port", 993 if self.security == "ssl" else 143)
        if (self.require_dkim or self.require_dmarc) and self.authserv_id is None:
            raise ValueError(
                "require_dkim and require_dmarc need authserv_id: the receiving server's id in the "
                "Authentication-Results field it adds (any other such field could come from the sender)"
            )
        if self.authserv_id is not None and not (self.require_dkim or self.require_dmarc):
            raise ValueError("authserv_id is set but neither require_dkim nor require_dmarc: it would check nothing")
        return self
