"""The owner's Swagger 2.0 files as test oracles: what a fake API answers and what a connector sends is checked
against them with ``jsonschema`` (Draft 4, the dialect of Swagger 2.0), ``$ref`` resolved within the spec's own
``definitions``. ``jsonschema`` has no ``date-time`` checker without extra packages, so one is added here: an
ISO 8601 date and time with its UTC offset, as the specs' descriptions ask.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from tests.conftest import FIXTURES

AMAZON = FIXTURES / "specs" / "amazon-sp-api"

FORMATS = FormatChecker()
# Headers any HTTP server sends, which a spec does not list.
_TRANSPORT_HEADERS = {"content-type", "content-length", "date", "server", "connection"}


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})", value):
        raise ValueError(f"{value!r} is not an ISO 8601 date-time with an offset")
    dt.datetime.fromisoformat(value)
    return True


class Spec:
    """One Swagger 2.0 file: its definitions as schemas, its paths as request and response checks."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.doc: dict[str, Any] = json.loads(path.read_text())
        self._templates = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(t)) + "$"), t) for t in self.doc["paths"]
        ]

    def errors(self, schema: Mapping[str, Any], value: Any) -> list[str]:
        """Every way ``value`` breaks ``schema`` (a spec schema, typically ``{"$ref": "#/definitions/X"}``)."""
        validator = Draft4Validator({**schema, "definitions": self.doc["definitions"]}, format_checker=FORMATS)
        found = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        return [f"{e.json_path}: {e.message}" for e in found]

    def definition(self, name: str, value: Any) -> list[str]:
        return self.errors({"$ref": f"#/definitions/{name}"}, value)

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """The path template and operation a concrete path is, or KeyError."""
        for pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.doc["paths"][template]:
                return template, self.doc["paths"][template][method.lower()]
        raise KeyError(f"{self.name}: no operation {method} {path}")

    def request_errors(self, method: str, path: str, query: Mapping[str, list[str]], body: Any = None) -> list[str]:
        """Query parameters (each one declared, required ones present, arrays comma-separated, enums, integers,
        date-times) and the body against the operation's body schema."""
        template, operation = self.operation(method, path)
        where = f"{method} {template}"
        errors: list[str] = []
        declared = {p["name"]: p for p in operation.get("parameters", [])}
        for name in query:
            if declared.get(name, {}).get("in") != "query":
                errors.append(f"{where}: query parameter {name!r} is not in the spec")
        for name, parameter in declared.items():
            if parameter["in"] == "query" and name in query:
                errors += [f"{where}: {name}: {e}" for e in self._query_errors(parameter, query[name])]
            elif parameter["in"] == "query" and parameter.get("required"):
                errors.append(f"{where}: query parameter {name!r} is required")
            elif parameter["in"] == "body":
                if body is None:
                    errors += [f"{where}: no body"] if parameter.get("required") else []
                else:
                    errors += [f"{where}: body {e}" for e in self.errors(parameter["schema"], body)]
        return errors

    def _query_errors(self, parameter: Mapping[str, Any], values: list[str]) -> Iterable[str]:
        if len(values) != 1:
            yield f"given {len(values)} times (Swagger 2.0 arrays are comma-separated by default)"
            return
        if parameter["type"] == "array":
            if parameter.get("collectionFormat", "csv") != "csv":
                yield "only csv arrays are checked here"
            items = values[0].split(",")
            if "maxItems" in parameter and len(items) > parameter["maxItems"]:
                yield f"{len(items)} items, at most {parameter['maxItems']}"
            schema = parameter["items"]
        else:
            items, schema = values, parameter
        for item in items:
            if schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", item):
                yield f"{item!r} is not an integer"
            if "enum" in schema and item not in schema["enum"]:
                yield f"{item!r} is not one of {schema['enum']}"
            if schema.get("format") == "date-time":
                try:
                    _date_time(item)
                except ValueError as exc:
                    yield str(exc)

    def response_errors(
        self, method: str, path: str, status: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> list[str]:
        """The status is one the operation declares, the body fits its schema (none when it has none) and every
        header beyond the transport's is one it declares."""
        template, operation = self.operation(method, path)
        where = f"{method} {template} {status}"
        answer = operation["responses"].get(str(status))
        if answer is None:
            return [f"{where}: status not in the spec"]
        errors = []
        if "schema" in answer:
            errors += [f"{where}: {e}" for e in self.errors(answer["schema"], body)]
        elif body not in (None, b"", {}):
            errors.append(f"{where}: the spec has no body here")
        allowed = {h.lower() for h in answer.get("headers", {})} | _TRANSPORT_HEADERS
        errors += [f"{where}: header {h!r} is not in the spec" for h in headers or {} if h.lower() not in allowed]
        return errors


@cache
def amazon(file: str) -> Spec:
    """``ordersV0.json``, ``orders_2026-01-01.json`` or ``tokens_2021-03-01.json``."""
    return Spec(AMAZON / file)


def amazon_spec_for(path: str) -> Spec:
    """The Amazon spec that serves a path."""
    if path.startswith("/orders/2026-01-01/"):
        return amazon("orders_2026-01-01.json")
    if path.startswith("/orders/v0/"):
        return amazon("ordersV0.json")
    raise KeyError(f"no Amazon spec saved for {path}")
