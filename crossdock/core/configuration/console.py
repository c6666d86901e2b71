"""The ``console:`` block: who may sign in to the operator console in the browser, and how sessions are kept.

Passwords are never in the file: a user's ``password_hash`` is what ``crossdock console hash-password`` prints
(a salted scrypt hash, safe to commit) or a ``${VAR}`` reference to one. The session secret signs the cookies
and is always a ``${VAR}`` reference.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from crossdock.core.configuration.types import ENV_REF, Name, SecretRef, Strict

Role = Literal["viewer", "operator"]
HASH_PREFIX = "scrypt$"


class ConsoleUser(Strict):
    role: Role = Field(default="viewer", description="viewer reads; operator also retries, replays, holds")
    password_hash: str | None = Field(
        default=None,
        max_length=512,
        description="from `crossdock console hash-password`, or a ${VAR} holding it; "
        "none: the user signs in only through the proxy header",
    )

    @field_validator("password_hash")
    @classmethod
    def _a_hash(cls, value: str | None) -> str | None:
        if value is not None and not ENV_REF.match(value) and not value.startswith(HASH_PREFIX):
            raise ValueError("a password hash from `crossdock console hash-password` (scrypt$...) or a ${VAR}")
        return value


class ConsoleConfig(Strict):
    """The console at ``/console`` on the server's port (``crossdock serve`` and ``run``)."""

    session_secret: SecretRef = Field(description="${VAR} holding at least 32 random characters; signs the cookies")
    users: dict[Name, ConsoleUser] = Field(default_factory=dict, description="who may sign in, by name")
    proxy_header: str | None = Field(
        default=None,
        max_length=64,
        description="a header a reverse proxy sets to the signed-in user's name (e.g. X-Remote-User); only set "
        "this when every request passes that proxy",
    )
    secure_cookie: bool = Field(
        default=True, description="send the session cookie over HTTPS only (browsers treat localhost as secure)"
    )
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, description="a session ends this long after sign-in")
