"""The value types of the configuration: secrets by reference, durations, paths read from the file's folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema

from crossdock.core.errors import ConfigError

ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]i?B|B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def _secret_ref(value: str) -> str:
    if not ENV_REF.match(value):
        raise ValueError("a secret must be an environment reference like ${ACME_SFTP_PASSWORD}, never the value")
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (write 30s, 5m, 2h, 1d or a number of seconds)")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
        raise ValueError(f"{value!r} is not a duration (write 30s, 5m, 2h, 1d or a number of seconds)")
    return value


def _size(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size (write 25MB, 512KiB, 1GB or a number of bytes)")
    if isinstance(value, str):
        m = _SIZE.match(value)
        if not m:
            raise ValueError(f"{value!r} is not a size (write 25MB, 512KiB, 1GB or a number of bytes)")
        return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    return value


def _relative_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


SecretRef = Annotated[
    str,
    AfterValidator(_secret_ref),
    WithJsonSchema({"type": "string", "pattern": ENV_REF.pattern, "description": "${ENV_VAR} reference"}),
]
Duration = Annotated[
    float,
    BeforeValidator(_duration),
    Field(ge=0),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DURATION.pattern}]}),
]
Timeout = Annotated[
    float,
    BeforeValidator(_duration),
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": _DURATION.pattern}]}
    ),
]
ByteSize = Annotated[
    int,
    BeforeValidator(_size),
    Field(gt=0),
    WithJsonSchema(
        {"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "string", "pattern": _SIZE.pattern}]}
    ),
]
ConfigPath = Annotated[Path, AfterValidator(_relative_path)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


def resolve_secret(ref: str | None) -> str | None:
    """The value behind a ``${VAR}`` reference; an unset variable is a ConfigError naming it (never its value)."""
    if ref is None:
        return None
    m = ENV_REF.match(ref)
    if not m:
        raise ConfigError("a secret must be an environment reference like ${NAME}")
    value = os.environ.get(m.group(1))
    if value is None:
        raise ConfigError(f"environment variable {m.group(1)} is not set")
    return value


# a password in a database URL: in its user part (bob:secret@host) or as a query parameter (?password=secret)
_URL_PASSWORDS = (
    re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^:/@?#]*:(?P<pw>[^@/?#]*)@"),
    re.compile(r"[?&]password=(?P<pw>[^&#]*)"),
)
URL_SECRET_HINT = (
    "put the whole URL in an environment variable (url: ${CROSSDOCK_STORE_URL}) or only its password "
    "(postgresql+psycopg://bob:${CROSSDOCK_DB_PASSWORD}@host/db)"
)


def url_password_refs(url: str) -> list[str]:
    """The ``${VAR}`` references a URL holds: the whole URL, or its password."""
    if ENV_REF.match(url):
        return [url]
    return [m["pw"] for pattern in _URL_PASSWORDS for m in pattern.finditer(url) if ENV_REF.match(m["pw"])]


def literal_url_password(url: str) -> bool:
    """Whether a URL has a password written in it rather than a ``${VAR}`` reference."""
    return any(m["pw"] and not ENV_REF.match(m["pw"]) for pattern in _URL_PASSWORDS for m in pattern.finditer(url))


def resolve_url(url: str) -> str:
    """The URL with its ``${VAR}`` references replaced: the whole URL, or the password (percent-encoded)."""
    if ENV_REF.match(url):
        value = resolve_secret(url)
        assert value is not None
        return value
    for ref in url_password_refs(url):
        value = resolve_secret(ref)
        assert value is not None
        url = url.replace(ref, quote(value, safe=""), 1)
    return url


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
