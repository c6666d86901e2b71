"""Which keys a block of the configuration takes, read from the models: for "did you mean", and to find the
keys that hold secrets even in a file that does not validate (so every unset variable is told in one pass).

The walk follows the file's own data: a ``type:`` picks the connector block, a mapping of names or a list
takes the model of its items.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel

from crossdock.core.configuration.types import ENV_REF, _secret_ref
from crossdock.core.configuration.yaml_text import Loc


def _unwrap(annotation: Any) -> Any:
    """The type under ``Annotated`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _models(annotation: Any) -> list[type[BaseModel]]:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for a in get_args(annotation) for m in _models(a)]
    return []


def _pick(annotation: Any, data: Any) -> type[BaseModel] | None:
    """The model a value of ``annotation`` is read as: with several, the one whose ``type`` literal it gives."""
    models = _models(annotation)
    if len(models) == 1:
        return models[0]
    tag = data.get("type") if isinstance(data, dict) else None
    for model in models:
        field = model.model_fields.get("type")
        if field is not None and get_origin(field.annotation) is Literal and tag in get_args(field.annotation):
            return model
    return None


def annotation_at(root: type[BaseModel], data: Any, loc: Loc) -> Any:
    """The annotation of the value at ``loc`` (a model, a field's type), or None when no key there is known."""
    annotation: Any = root
    for part in loc:
        model = _pick(annotation, data)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation if not field.metadata else Annotated[(field.annotation, *field.metadata)]
        else:
            container = _unwrap(annotation)
            origin = get_origin(container)
            if origin is dict:
                annotation = get_args(container)[1]
            elif origin is list:
                annotation = get_args(container)[0]
            else:
                return None
        data = _get(data, (part,))
    return annotation


def known_keys(root: type[BaseModel], data: Any, loc: Loc) -> list[str]:
    """The keys the block at ``loc`` takes; empty when it is not a block of known keys."""
    annotation = annotation_at(root, data, loc)
    value = _get(data, loc)
    model = _pick(annotation, value) if annotation is not None else None
    return list(model.model_fields) if model is not None else []


def did_you_mean(word: str, choices: list[str]) -> str:
    """`` (did you mean `x`?)`` when one of ``choices`` is close to ``word``; else nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _is_secret(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        return any(isinstance(m, AfterValidator) and m.func is _secret_ref for m in metadata) or _is_secret(inner)
    if origin in (Union, types.UnionType):
        return any(_is_secret(a) for a in get_args(annotation))
    return False


def secret_refs(root: type[BaseModel], data: Any) -> Iterator[tuple[Loc, str]]:
    """Every ``(loc, ${VAR})`` given for a secret key of the file, read from its data as written."""
    for loc, value in _leaves(data, ()):
        if isinstance(value, str) and ENV_REF.match(value) and _is_secret(annotation_at(root, data, loc)):
            yield loc, value


def _leaves(data: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, (*loc, i))
    else:
        yield loc, data


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data
