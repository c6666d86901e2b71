"""Looks at a feed a channel processes later (Amazon's and Walmart's feeds answer minutes after they are sent).

One document holds what every look reads (the feed's id and what it carried), stored once; each look is a
delivery of it to the channel's sink, ``CHECK_EVERY`` after the last, keyed by the look's number so a look is
queued once, and after ``CHECK_ROUNDS`` looks (a day) the feed is given up on and a person told. The stock pushes'
feeds (``stock-check``) and the refunds' (``refund-check``) are looked at this way.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, func, select

from crossdock.core.plan import delivery_key
from crossdock.core.returns.models import RefundCheck
from crossdock.core.stock.models import FeedCheck
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries

CHECK_EVERY = dt.timedelta(minutes=5)  # between looks at a feed still processing
CHECK_ROUNDS = 288  # a day of looks: then the feed is given up on, and a person told


Looked = FeedCheck | RefundCheck  # what a look reads: the channel, its feed's id, and what the feed carried


def looks(conn: Connection, document_id: int) -> int:
    """How many looks at a feed were queued: each is a delivery of the feed's one check document."""
    query = select(func.count()).select_from(deliveries).where(deliveries.c.document_id == document_id)
    return int(conn.execute(query).scalar() or 0)


def check_later(store: Any, conn: Connection, check: Looked, purpose: str, order_id: int | None = None) -> None:
    """Queue the first look at a feed, ``CHECK_EVERY`` from now, with the document every look reads."""
    data = json.dumps(check.model_dump(mode="json"), separators=(",", ":")).encode()
    key = delivery_key(purpose, check.channel, check.feed_id, "0")
    doc = store.add_document(
        conn,
        direction="out",
        data=data,
        state="queued",
        endpoint=check.channel,
        remote_name=f"{purpose}-{check.channel}-{key[:8]}.json",
        kind=purpose,
        partner=check.channel,
    )
    if not look_again(store, conn, check, purpose, 0, doc, order_id):
        store.delete_document(conn, doc)


def look_again(
    store: Any,
    conn: Connection,
    check: Looked,
    purpose: str,
    number: int,
    document_id: int,
    order_id: int | None = None,
) -> bool:
    """Queue look ``number`` (from 0) at a feed, ``CHECK_EVERY`` from now; False when it was queued before."""
    queued = store.enqueue(
        conn,
        key=delivery_key(purpose, check.channel, check.feed_id, str(number)),
        sink=check.channel,
        purpose=purpose,
        document_id=document_id,
        order_id=order_id,
        not_before=utcnow() + CHECK_EVERY,
    )
    return queued is not None
