"""The masker: every secret of a connector's configuration taken out of a text before it is stored, logged or
shown. Connector errors pass through it where they enter core, so a peer that echoes a request (an error page
quoting the Authorization header) cannot carry a token into ``crossdock status``, the event log or the logs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from pydantic import AfterValidator, BaseModel

from crossdock.core.configuration.keys import _is_secret
from crossdock.core.configuration.types import _secret_ref, resolve_secret
from crossdock.core.errors import ConfigError

MASK = "***"
_SHORTEST_PART = 8  # a word of a secret ("Bearer abc...") masked on its own only from this length


def secrets_of(config: BaseModel) -> list[str]:
    """The values of every secret field of ``config`` (nested models included), and the long words of each
    (the token of ``Bearer <token>``), longest first so no shorter one masks half of a longer."""
    found: set[str] = set()
    for value in _secret_values(config):
        found.add(value)
        found.update(part for part in value.split() if len(part) >= _SHORTEST_PART)
    return sorted(found, key=len, reverse=True)


def mask(text: str, secrets: Collection[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def masked(text: str, config: BaseModel | None) -> str:
    """``text`` with every secret of ``config`` (a connector's block; None when there is none) masked."""
    return text if config is None else mask(text, secrets_of(config))


def _secret_values(model: BaseModel) -> Iterator[str]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name, None)
        secret = _is_secret(field.annotation) or any(
            isinstance(m, AfterValidator) and m.func is _secret_ref for m in field.metadata
        )
        if secret and isinstance(value, str):
            try:
                resolved = resolve_secret(value)
            except ConfigError:
                continue  # unset: nothing to leak
            if resolved:
                yield resolved
        else:
            yield from _nested(value)


def _nested(value: Any) -> Iterator[str]:
    if isinstance(value, BaseModel):
        yield from _secret_values(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _nested(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _nested(item)
