"""``column IN (values)`` as one bound parameter: the same SQL whatever the number of values.

SQLAlchemy's ``in_`` renders one parameter per value, so a statement is compiled again for every list length and
its parameters named one by one: on a poll of one-PO files the seven lookups of each chunk (documents already
stored, their heads and locks, interchanges seen, deliveries queued, orders found, orders held) cost a sixth of
what recording the chunk did in the database (cProfile, 2,000 files). Here the values travel as one JSON array
read by SQLite's ``json_each``, or as one array compared with PostgreSQL's ``= ANY``, and the statement is
compiled once and cached.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: ColumnElement[Any], values: Collection[Any], *, postgres: bool) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (strings or integers)."""
    if postgres:
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    if any(isinstance(v, str) and "\x00" in v for v in values):  # json_each would end such a text at its NUL
        return column.in_(list(values))
    listed = bindparam(None, json.dumps(list(values)), type_=String)
    return column.in_(select(literal_column("value")).select_from(func.json_each(listed)))
