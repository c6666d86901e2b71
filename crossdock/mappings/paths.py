"""Dotted paths into an order's JSON (``ship_to.address.city``, ``product_ids.VN``), shared by the declarative
CSV and JSON mappings. A path that leads nowhere gives None: most fields are optional in a partner's spec."""

from __future__ import annotations

from typing import Any


def value_at(data: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and key.isdecimal() and int(key) < len(data):
            data = data[int(key)]
        else:
            return None
        if data is None:
            return None
    return data


def put(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path, making the nested objects on the way."""
    keys = path.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value
