"""Shipments as crossdock's canonical JSON: one ``Shipment`` object, or a list of them, posted by a warehouse."""

from __future__ import annotations

import json

from pydantic import ValidationError

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Shipment


def shipments_from_json(data: bytes, *, name: str = "request") -> list[Shipment]:
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(Shipment.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top)"
            prefix = f"shipment {i}: " if isinstance(parsed, list) else ""
            raise DecodeError(f"{name}: {prefix}{where}: {first['msg']}") from None
    if not out:
        raise DecodeError(f"{name}: an empty list of shipments")
    return out
