"""The value types of the configuration: secrets by reference, durations, paths read from the file's folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, WithJsonSchema

from crossdock.core.errors import ConfigError

ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
