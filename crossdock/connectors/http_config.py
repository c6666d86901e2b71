"""The HTTP connector's configuration: an endpoint posted to (sink) and one crossdock serves (source)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from crossdock.core.configuration.connectors import (
    OrderFormat,
    _SourceBase,
)
from crossdock.core.configuration.types import SecretRef, Timeout


class HttpSinkConfig(OrderFormat):
    """A WMS, ERP or 3PL web hook: each document is POSTed (or PUT) as the body of one request."""

    type: Literal["http"]
    url: str = Field(pattern=r"^https?://", description="where documents are sent")
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers that hold no secret")
    auth_header: str = Field(default="Authorization", description="the header that carries the secret")
    auth: SecretRef | None = Field(default=None, description="${VAR} holding e.g. 'Bearer abc...'")
    idempotency_header: str = Field(default="Idempotency-Key", description="carries the delivery's stable key")
    timeout: Timeout = 30.0


class HttpSourceConfig(_SourceBase):
    """An endpoint a warehouse posts to (ship confirmations, files): served by ``crossdock serve`` and ``run``."""

    type: Literal["http"]
    path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$", description="the URL path it answers, e.g. /inbound/acme")
    token: SecretRef = Field(description="${VAR} holding the bearer token the poster must send")
    max_bytes: int = Field(default=20_000_000, ge=1, description="a larger body is refused (413)")
