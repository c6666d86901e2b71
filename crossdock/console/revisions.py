"""An order's revisions as the Order page shows them: each revision's source document, and what changed from
the one before, as a diff of their segments (X12) or lines (anything else, JSON pretty-printed first)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from crossdock.console.segments import SHOWN, show
from crossdock.core.storage.order_json import document_bytes
from crossdock.core.storage.queries import utc_text
from crossdock.core.storage.schema import events

MOST_REVISIONS = 50
MOST_DIFF_LINES = 400


@dataclass(slots=True)
class Revision:
    at: str | None
    message: str
    document_id: int
    changed: list[str]  # the unified diff from the revision before (empty for the first)


def _lines(data: bytes) -> list[str]:
    shown = show(data[:SHOWN], None)
    if shown.segments:
        return ["*".join(s.elements) for s in shown.segments if s.elements[0] not in ("ISA", "GS", "GE", "IEA")]
    try:
        return json.dumps(json.loads(data[:SHOWN]), indent=1, sort_keys=True).splitlines()
    except ValueError:
        return shown.text.splitlines()


def revisions(conn: Connection, order_id: int) -> list[Revision]:
    """The documents that made the order what it is, oldest first, each with what it changed."""
    query = (
        select(events.c.at, events.c.message, events.c.document_id)
        .where(events.c.order_id == order_id, events.c.kind == "order", events.c.document_id.is_not(None))
        .order_by(events.c.id)
        .limit(MOST_REVISIONS)
    )
    out: list[Revision] = []
    before: list[str] | None = None
    for row in conn.execute(query):
        lines = _lines(document_bytes(conn, int(row.document_id)) or b"")
        changed: list[Any] = []
        if before is not None:
            changed = list(difflib.unified_diff(before, lines, "before", "after", n=1, lineterm=""))[2:]
        out.append(Revision(utc_text(row.at), str(row.message), int(row.document_id), changed[:MOST_DIFF_LINES]))
        before = lines
    return out
