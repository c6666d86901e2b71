"""What one document causes, planned in memory and written with one multi-row insert per table.

Outbound documents and their deliveries are planned here too, with the file names and idempotency keys that
make a repeated send harmless.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.engine import utcnow
from crossdock.core.order_json import OrderText
from crossdock.core.partners import Controls, Partner
from crossdock.core.schema import deliveries
from crossdock.core.store import Store


@dataclass(slots=True)
class Processed:
    document_id: int
    state: str
    error: str | None = None
    orders_new: int = 0
    orders_changed: int = 0
    orders_unchanged: int = 0
    deliveries: int = 0
    shipments: int = 0
    acks: int = 0


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(value: str) -> str:
    """A value fit for a file name on any partner's server."""
    return _UNSAFE.sub("_", value).strip("._") or "x"


def delivery_key(*parts: object) -> str:
    """The idempotency key of a delivery: stable for the same thing sent to the same place."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


class Ref:
    """A row planned in this transaction whose id is known only once the plan is written."""

    __slots__ = ("index", "table")

    def __init__(self, table: str, index: int) -> None:
        self.table = table
        self.index = index


Id = int | Ref | None


class Plan:
    """Everything one document causes, collected first and written with one multi-row insert per table."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.deliveries: list[tuple[dict[str, Any], Id, Id]] = []
        self.events: list[tuple[str, str, Id, Id]] = []

    def order(self, row: dict[str, Any]) -> Ref:
        self.orders.append(row)
        return Ref("orders", len(self.orders) - 1)

    def document(self, row: dict[str, Any]) -> Ref:
        self.documents.append(row)
        return Ref("documents", len(self.documents) - 1)

    def delivery(self, row: dict[str, Any], document: Id, order: Id) -> None:
        self.deliveries.append((row, document, order))

    def event(self, kind: str, message: str, *, order: Id = None, document: Id = None) -> None:
        self.events.append((kind, message, order, document))

    def write(self, store: Store, conn: Connection) -> None:
        ids = {
            "orders": store.insert_orders(conn, self.orders),
            "documents": store.insert_documents(conn, self.documents),
        }

        def resolve(ref: Id) -> int | None:
            return ids[ref.table][ref.index] if isinstance(ref, Ref) else ref

        store.enqueue_many(
            conn,
            [{**row, "document_id": resolve(doc), "order_id": resolve(order)} for row, doc, order in self.deliveries],
        )
        store.log_many(
            conn,
            [
                {"kind": kind, "message": message, "order_id": resolve(order), "document_id": resolve(document)}
                for kind, message, order, document in self.events
            ],
        )


def queued(conn: Connection, key: str) -> bool:
    return conn.execute(select(deliveries.c.id).where(deliveries.c.key == key)).first() is not None


def _expected_ack(partner: Partner, purpose: str, controls: Controls | None) -> dict[str, Any]:
    """An X12 document the partner must acknowledge waits for its 997 until the partner's window closes."""
    window = partner.config.ack_windows.get(purpose)  # type: ignore[call-overload]
    if controls is None or window is None or partner.config.ack == "none":
        return {}
    return {"ack_state": "waiting", "ack_due_at": utcnow() + timedelta(seconds=window)}


def outbound(
    plan: Plan,
    partner: Partner | str,
    data: bytes | OrderText,
    name: str,
    purpose: str,
    key: str,
    parent: int | None,
    order: Id,
    controls: Controls | None = None,
    sink: str | None = None,
    not_before: datetime | None = None,
    sets: int = 1,
    data_ref: str | None = None,
) -> None:
    """Plan an outbound document and its delivery; without a sink the document is kept as unsent.

    ``data`` is an ``OrderText`` for a document that refers to a large order's JSON (``data_ref``), never held whole.
    ``sets`` is how many transaction sets the interchange holds, numbered up from ``controls.transaction``:
    their ST02s are kept so each set's 997 AK2 finds its document. ``partner`` is only a name for a document
    that is not X12 (a fulfilment to a channel), which must name its sink.
    """
    if isinstance(partner, str):
        partner_name, expected = partner, {}
    else:
        partner_name, expected = partner.name, _expected_ack(partner, purpose, controls)
        sink = sink or partner.config.reply_to
    doc = plan.document(
        {
            "direction": "out",
            "data": data,
            "state": "queued" if sink else "unsent",
            "endpoint": sink,
            "remote_name": name,
            "kind": purpose,
            "partner": partner_name,
            "parent_id": parent,
            "error": None if sink else f"partner {partner_name} has no reply_to sink",
            "interchange_control": str(controls.interchange) if controls else None,
            **expected,
            "group_control": str(controls.group) if controls else None,
            "transaction_controls": ",".join(str(controls.transaction + i) for i in range(sets)) if controls else None,
            "data_ref": data_ref,
        }
    )
    if sink:  # no event: the delivery row says it is queued, and the dispatcher logs its sending
        plan.delivery({"key": key, "sink": sink, "purpose": purpose, "next_attempt_at": not_before}, doc, order)
    else:
        plan.event("unsent", f"{purpose} {name}: no sink to send it to", document=doc, order=order)
