"""The configuration of AS2 (RFC 4130): the endpoint a partner posts to (source) and the partner's endpoint we post
to (sink). Certificates and keys are given by reference: a file's path, or ``${VAR}`` holding the PEM text."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.connectors import OrderFormat, _SourceBase
from crossdock.core.configuration.types import Duration, Strict, Timeout
from crossdock.core.errors import ConfigError

As2Id = Annotated[str, Field(pattern=r"^[!#-~]{1,128}$", description="an AS2 name (AS2-From / AS2-To)")]
PemRef = Annotated[str, Field(min_length=1, description="a PEM file's path, or ${VAR} holding the PEM text")]


class _As2Party(Strict):
    as2_id: As2Id = Field(description="our AS2 name: the AS2-To a partner sends to, the AS2-From we send as")
    partner_as2_id: As2Id = Field(description="the partner's AS2 name")
    certificate: PemRef = Field(
        description="our certificate (PEM): file path or ${VAR}; `crossdock as2 cert` prints it"
    )
    private_key: PemRef = Field(description="our private key (PEM, unencrypted): file path or ${VAR}")
    partner_certificate: PemRef = Field(description="the partner's certificate (PEM): file path or ${VAR}")


class As2SourceConfig(_As2Party, _SourceBase):
    """An AS2 endpoint at ``/as2/<source name>`` on crossdock's HTTP server (``crossdock serve`` and ``run``)."""

    type: Literal["as2"]
    max_bytes: int = Field(default=20_000_000, ge=1, description="a larger message is refused (413)")
    require_encryption: bool = Field(default=True, description="refuse a message that is not encrypted")
    require_signature: bool = Field(default=True, description="refuse a message that is not signed")
    partner_mdn_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="where the partner takes asynchronous MDNs: a message asking for one at another origin is "
        "answered none (never a relay to a URL a sender chose)",
    )


class As2SinkConfig(_As2Party, OrderFormat):
    """A partner's AS2 endpoint: each document is signed, encrypted (compressed if asked) and posted, and its MDN
    checked: the answer to the post, or (``mdn: async``) posted to us later at ``mdn_url``."""

    type: Literal["as2"]
    url: str = Field(pattern=r"^https?://", description="the partner's AS2 URL")
    sign: bool = Field(default=True, description="sign each message")
    encrypt: bool = Field(default=True, description="encrypt each message")
    digest: Literal["sha256", "sha384", "sha512"] = Field(
        default="sha256", description="the signature's and the MIC's digest"
    )
    encryption: Literal["aes128", "aes256"] = Field(default="aes256", description="the content cipher")
    signed_mdn: bool = Field(default=True, description="ask for a signed MDN, and refuse one that is not")
    compression: Literal["none", "before-signing", "after-signing"] = Field(
        default="none",
        description="compress each message (RFC 5402, zlib) before or after signing it; none: as the partner asks",
    )
    timeout: Timeout = 60.0
    mdn: Literal["sync", "async"] = Field(
        default="sync", description="sync: the MDN is the answer to the post; async: the partner posts it to mdn_url"
    )
    mdn_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="with mdn: async, our URL the partner posts its MDN to: this crossdock's /as2/<source> for "
        "that partner",
    )
    mdn_window: Duration = Field(
        default=4 * 3600.0, description="with mdn: async, how long an MDN may take before one alert says it is missing"
    )

    @model_validator(mode="after")
    def _async_needs_url(self) -> As2SinkConfig:
        if self.mdn == "async" and not self.mdn_url:
            raise ValueError("mdn: async needs mdn_url (our /as2/<source> URL the partner posts its MDN to)")
        return self


def read_pem(ref: str, where: str) -> bytes:
    """The PEM text behind a reference: ``${VAR}``'s value or the file's bytes; a ConfigError naming ``where``."""
    if ref.startswith("${") and ref.endswith("}"):
        value = os.environ.get(ref[2:-1])
        if value is None:
            raise ConfigError(f"{where}: environment variable {ref[2:-1]} is not set")
        return value.encode()
    try:
        return Path(ref).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {ref}: {exc.strerror}") from None
