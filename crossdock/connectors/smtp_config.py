"""The SMTP connector's configuration: documents and buyer notices sent by mail."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from crossdock.core.configuration.types import SecretRef, Strict, Timeout


class SmtpSinkConfig(Strict):
    """Sends documents as attachments, and alerts, by mail."""

    type: Literal["smtp"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    from_address: str
    to: list[str] = Field(default_factory=list, description="who gets documents and alerts; needed but with customers")
    subject: str = "crossdock: {name}"
    timeout: Timeout = 30.0
    customers: bool = Field(
        default=False, description="mails buyer notices (notify: on a source) to each order's buyer, and nothing else"
    )

    @model_validator(mode="after")
    def _login(self) -> SmtpSinkConfig:
        if self.username is not None and self.password is None:
            raise ValueError("username is set but password is not")
        if not self.to and not self.customers:
            raise ValueError("to: at least one address is needed (or customers: true for buyer notices)")
        try:
            self.subject.format(name="x")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"subject {self.subject!r} may use only {{name}}") from None
        return self
