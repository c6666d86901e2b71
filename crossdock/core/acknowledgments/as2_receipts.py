"""AS2 receipts (MDNs) in the store: each one sent or received kept as its bytes beside its document, and the
messages our sinks sent that await an asynchronous MDN, reconciled like a 997.

A sink asking for an asynchronous MDN records its message as awaiting before it posts it (so an MDN that comes back
before the outbox has recorded the send still finds it). A positive MDN whose MIC is the one sent completes it; a
negative one, or a MIC that is not the one sent, raises one alert per attempt and dead-letters the delivery
(``crossdock retry`` sends it again, under the same Message-ID: a new attempt, alerted again if refused); none
within the sink's ``mdn_window`` does the same, from housekeeping. A delivery whose MDN is still awaited is sent
but not done: ``documents show`` says which. An asynchronous MDN we send is queued, then sent or dead as the outbox
made it (recorded by housekeeping, shown at once).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.config import Config
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import as2_mdns, deliveries, documents, orders
from crossdock.core.storage.store import Store

log = logging.getLogger("crossdock.as2")
NO_MDN = "no MDN within the partner's window"
_KEY = ["direction", "endpoint", "message_id"]  # uq_as2_mdns_message
# An asynchronous MDN we send: queued, then what the outbox made of its delivery (sent again after a retry)
_OUTCOME = {"pending": "queued", "sent": "sent", "dead": "dead"}


def put(conn: Connection, direction: str, endpoint: str, message_id: str, **values: Any) -> None:
    """Record (or update) the receipt of one AS2 message, by direction, endpoint and Message-ID: one statement (an
    upsert), since the AS2 endpoint records one for every message it receives."""
    now = utcnow()
    row = {"direction": direction, "endpoint": endpoint, "message_id": message_id, **values}
    ins = postgresql.insert(as2_mdns) if conn.dialect.name == "postgresql" else sqlite.insert(as2_mdns)
    stmt = ins.values(created_at=now, updated_at=now, **row)
    conn.execute(stmt.on_conflict_do_update(index_elements=_KEY, set_={"updated_at": now, **values}))


def _mark(conn: Connection, delivery_id: int, document_id: int, state: str, why: str | None) -> None:
    """A delivery and its document dead-lettered (``why``) or, its MDN come after all, sent. An order the outbox
    counted delivered on the send is routed again while its delivery is dead."""
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(state=state, last_error=why))
    conn.execute(update(documents).where(documents.c.id == document_id).values(state=state, error=why))
    if state == "dead":
        order = select(deliveries.c.order_id).where(deliveries.c.id == delivery_id).scalar_subquery()
        conn.execute(update(orders).where(orders.c.id == order, orders.c.status == "delivered").values(status="routed"))


def _delivery(conn: Connection, key: str) -> Any:
    return conn.execute(
        select(deliveries.c.id, deliveries.c.document_id, deliveries.c.state, deliveries.c.last_error).where(
            deliveries.c.key == key
        )
    ).first()


class MdnRecords:
    """What an AS2 sink records of its messages' receipts (bound to it by the hub: connectors hold no store)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def awaiting(self, sink: str, message_id: str, key: str, mic: str, window: float) -> None:
        """The message is about to be posted and its MDN will come later: awaited until ``window`` seconds on."""
        with self.store.transaction() as conn:
            found = conn.execute(
                select(as2_mdns.c.state, as2_mdns.c.attempt).where(
                    as2_mdns.c.direction == "out", as2_mdns.c.endpoint == sink, as2_mdns.c.message_id == message_id
                )
            ).first()
            if found is not None and found.state == "positive":
                return  # sent again (`crossdock retry`) after its MDN came: nothing more to await
            delivery = _delivery(conn, key)
            put(
                conn,
                "out",
                sink,
                message_id,
                state="awaiting",
                document_id=delivery.document_id if delivery else None,
                delivery_key=key,
                mic=mic,
                disposition=None,
                due_at=utcnow() + dt.timedelta(seconds=window),
                attempt=found.attempt + 1 if found is not None else 1,  # each post its own alert if refused
            )

    def received(
        self, sink: str, message_id: str, key: str, mic: str, mdn: bytes, disposition: str, good: bool
    ) -> None:
        """A synchronous MDN, kept as received (the sink then decides, as before, what the delivery came to)."""
        with self.store.transaction() as conn:
            delivery = _delivery(conn, key)
            put(
                conn,
                "out",
                sink,
                message_id,
                state="positive" if good else "negative",
                document_id=delivery.document_id if delivery else None,
                delivery_key=key,
                mic=mic,
                disposition=disposition,
                mdn=mdn,
                due_at=None,
            )


def awaited(conn: Connection, sink: str, message_id: str) -> Any:
    """The row of a message of ``sink`` awaiting (or already given) its asynchronous MDN, or None."""
    return conn.execute(
        select(as2_mdns).where(
            as2_mdns.c.direction == "out", as2_mdns.c.endpoint == sink, as2_mdns.c.message_id == message_id
        )
    ).first()


def settle(
    store: Store, config: Config, sink: str, message_id: str, mdn: bytes, disposition: str, problem: str | None
) -> str:
    """Apply an asynchronous MDN verified by its sink's keys: ``problem`` None completes the message, else it is
    refused (one alert, the delivery dead-lettered). Says what became of it."""
    with store.transaction() as conn:
        row = awaited(conn, sink, message_id)
        if row is None:
            return "matches no message sent"
        if row.state == "positive":
            return "a repeat of an MDN already received"
        put(
            conn, "out", sink, message_id, state="negative" if problem else "positive", disposition=disposition, mdn=mdn
        )
        said = f"asynchronous MDN to {message_id}: {disposition}" + (f" ({problem})" if problem else "")
        store.log(conn, "as2-mdn", said, document_id=row.document_id)
        delivery = _delivery(conn, row.delivery_key) if row.delivery_key else None
        if problem:
            _refuse(store, conn, config, sink, row, delivery, problem)
        elif delivery is not None and delivery.state == "dead" and (delivery.last_error or "").startswith(NO_MDN):
            _mark(conn, delivery.id, delivery.document_id, "sent", None)
        return "positive" if problem is None else "negative"


def _refuse(store: Store, conn: Connection, config: Config, sink: str, row: Any, delivery: Any, why: str) -> None:
    """One alert for the message's attempt (sent again, refused again: another), and its delivery dead-lettered if
    the outbox has recorded it sent."""
    text = f"AS2 message {row.message_id} to {sink}: {why}"
    if delivery is not None:
        text += f"\n\nDelivery {delivery.id}. After fixing the cause: crossdock retry {delivery.id}"
        if delivery.state == "sent":
            _mark(conn, delivery.id, delivery.document_id, "dead", why)
    cause = f"as2-mdn:{sink}:{row.message_id}" + (f":{row.attempt}" if row.attempt > 1 else "")  # per attempt
    raise_alert(store, conn, config, cause, f"crossdock: AS2 MDN from {sink}: {why}", text)


def overdue(store: Store, config: Config) -> int:
    """Housekeeping: each message whose window closed without an MDN raises one alert and is dead-lettered; one
    refused while the outbox was still recording its send is dead-lettered now. How many were overdue."""
    now = utcnow()
    count = 0
    with store.transaction() as conn:
        late = conn.execute(  # posted and recorded sent (or sent by hand, without a delivery): others wait
            select(as2_mdns)
            .outerjoin(deliveries, deliveries.c.key == as2_mdns.c.delivery_key)
            .where(as2_mdns.c.direction == "out", as2_mdns.c.state == "awaiting", as2_mdns.c.due_at < now)
            .where(or_(deliveries.c.state == "sent", deliveries.c.id.is_(None)))
            .order_by(as2_mdns.c.due_at)
            .limit(500)
        ).all()
        for row in late:
            delivery = _delivery(conn, row.delivery_key) if row.delivery_key else None
            put(conn, "out", row.endpoint, row.message_id, state="overdue")
            store.log(conn, "as2-mdn", f"{NO_MDN}: {row.message_id}", document_id=row.document_id)
            _refuse(store, conn, config, row.endpoint, row, delivery, f"{NO_MDN} (due {row.due_at:%Y-%m-%d %H:%M} UTC)")
            count += 1
        refused = conn.execute(
            select(deliveries.c.id, deliveries.c.document_id, as2_mdns.c.disposition)
            .join(as2_mdns, as2_mdns.c.delivery_key == deliveries.c.key)
            .where(as2_mdns.c.direction == "out", as2_mdns.c.state == "negative", deliveries.c.state == "sent")
        ).all()
        for d in refused:
            why = f"negative MDN: {d.disposition}"
            _mark(conn, d.id, d.document_id, "dead", why)
        _answered(conn)
    return count


def _answered(conn: Connection) -> None:
    """The asynchronous MDNs we queued say what became of their delivery: sent, or dead (the partner refused it,
    or the retries ran out), and queued again when `crossdock retry` sends a dead one again. Sent is final, so
    only queued and dead rows are looked at: few, however long the history."""
    rows = conn.execute(
        select(as2_mdns.c.id, as2_mdns.c.state, deliveries.c.state.label("delivered"))
        .join(deliveries, deliveries.c.key == as2_mdns.c.delivery_key)
        .where(as2_mdns.c.direction == "in", as2_mdns.c.state.in_(("queued", "dead")))
    ).all()
    for row in rows:
        state = _OUTCOME.get(row.delivered, row.state)
        if state != row.state:
            conn.execute(update(as2_mdns).where(as2_mdns.c.id == row.id).values(state=state, updated_at=utcnow()))


def receipts(conn: Connection, document_id: int) -> list[dict[str, Any]]:
    """The MDNs beside a document, for ``documents show`` and the console: each with its bytes as text, and an
    asynchronous one we send with its delivery's outcome (sent, dead) even before housekeeping has recorded it."""
    rows = conn.execute(
        select(as2_mdns, deliveries.c.state.label("delivered"), deliveries.c.last_error)
        .outerjoin(deliveries, (deliveries.c.key == as2_mdns.c.delivery_key) & (as2_mdns.c.direction == "in"))
        .where(as2_mdns.c.document_id == document_id)
        .order_by(as2_mdns.c.id)
    ).mappings()
    return [
        {
            "direction": "received" if r["direction"] == "out" else "sent",
            "endpoint": r["endpoint"],
            "message_id": r["message_id"],
            "state": _OUTCOME.get(r["delivered"], r["state"]) if r["state"] in _OUTCOME.values() else r["state"],
            "disposition": r["disposition"],
            "mic": r["mic"],
            "due_at": r["due_at"].isoformat(timespec="seconds") if r["due_at"] else None,
            "mdn": r["mdn"].decode("utf-8", "replace") if r["mdn"] else None,
        }
        for r in rows
    ]
