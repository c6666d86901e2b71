"""The base of the canonical models (``core.models``, ``core.order_details``): plain slotted dataclasses that
pydantic validates and writes out at the edges only."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Literal, Self

from pydantic import ConfigDict, TypeAdapter

_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(cls)
    if found is None:
        found = _ADAPTERS[cls] = TypeAdapter(cls)
    return found


class Model:
    """Base of the canonical models: validation and serialisation through pydantic, at the edges only."""

    __slots__ = ()
    __pydantic_config__ = ConfigDict(extra="forbid")

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        result: Self = _adapter(cls).validate_python(data)
        return result

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        result: Self = _adapter(cls).validate_json(data)
        return result

    def model_dump(
        self, *, mode: Literal["json", "python"] = "python", exclude: set[str] | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = _adapter(type(self)).dump_python(self, mode=mode, exclude=exclude)
        return data

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self:
        base = copy.deepcopy(self) if deep else self
        return dataclasses.replace(base, **(update or {}))  # type: ignore[type-var]
