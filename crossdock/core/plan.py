"""What one document causes, planned in memory and written with one multi-row insert per table.

Outbound documents and their deliveries are planned here too, with the file names and idempotency keys that
make a repeated send harmless. An outbound X12 document planned with ``numbered`` (a 997/999, an 855) takes its
control numbers only when the plan is written, the last thing before the commit, one statement per partner for
all of them: on PostgreSQL a partner's sequence row stays locked from that statement to the commit, so the
shorter that window, the more two workers recording that partner's documents overlap.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core.guides import held_reason
from crossdock.core.partners import Controls, Partner
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.order_json import OrderText
from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.schema import documents as documents_table
from crossdock.core.storage.store import Store


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
_DIGESTED = re.compile(r"--[0-9a-f]{8}$")
LONGEST_NAME_PART = 80  # characters of one value in a file name; a longer one is cut and keeps its digest


def safe_name(value: str) -> str:
    """A value fit for a file name on any partner's server (letters, digits, ``.``, ``_``, ``-``), and never the
    name of another value: one that had to change to fit (``A/1`` and ``A 1`` both clean to ``A_1``; ``..`` and
    a full-width ``ＰＯ／．．／x`` to almost nothing; a very long one is cut) keeps a short stable digest of
    itself, ``A_1--5f0e5e3c``. A value that fits is kept as it is, unless it ends like such a digest."""
    cleaned = _UNSAFE.sub("_", value).strip("._")[:LONGEST_NAME_PART] or "x"
    if cleaned == value and not _DIGESTED.search(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned}--{digest}"


def delivery_key(*parts: object) -> str:
    """The idempotency key of a delivery: stable for the same thing sent to the same place."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def warehouse_order_number(channel: str, who: str, external: str, po: str) -> str:
    """The number a 940 gives the order at the warehouse (W0502, at most 22 characters), echoed by its 945: the PO
    number (cut to 10) and 8 hex digits of the order's key (channel, source, its id), so two sources' PO 1001
    are two orders there, and every revision of one order keeps its number (a cancel finds what it cancels). It
    leaves room for the ``-1``, ``-2`` ... of an order split by ship-to (``whse940.split_by_ship_to``)."""
    digest = hashlib.sha256("\x1f".join((channel, who, external)).encode()).hexdigest()[:8].upper()
    return f"{po[:10]}-{digest}"


class Ref:
    """A row planned in this transaction whose id is known only once the plan is written."""

    __slots__ = ("index", "table")

    def __init__(self, table: str, index: int) -> None:
        self.table = table
        self.index = index


Id = int | Ref | None


@dataclass(slots=True)
class Numbered:
    """An outbound X12 document whose control numbers are taken when the plan is written.

    ``render`` writes it with the numbers given: its bytes and file name, None when there is nothing to send,
    or ValueError when it cannot be written (then ``refused`` and the reason are logged); only a document
    written uses numbers, so none is skipped.
    """

    partner: Partner
    counts: tuple[int, int, int]  # interchanges, groups, sets
    render: Callable[[Controls], tuple[bytes, str] | None]
    purpose: str
    key: str
    parent: int | None
    order: Id
    refused: str


class Plan:
    """Everything one document (or a run of a chunk's documents) causes, collected first and written with one
    multi-row insert per table. With ``late``, the documents planned with ``numbered`` are handed on to that
    plan (a chunk's, written after all its runs) instead of being numbered when this one is written."""

    def __init__(self, late: Plan | None = None) -> None:
        self.orders: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.deliveries: list[tuple[dict[str, Any], Id, Id]] = []
        self.events: list[tuple[str, str, Id, Id]] = []
        self.numbers: list[Numbered] = []
        self.retired: list[tuple[str, str, int]] = []  # partner, purpose, parent of the held documents replaced
        self.held_orders: list[Id] = []  # orders whose document a guide held: a replay routes them again
        self.late = late
        # run once the rows are written, in the same transaction: (connection, how a Ref became its id)
        self.after_write: list[Callable[[Connection, Callable[[Id], int | None]], None]] = []

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

    def numbered(self, document: Numbered) -> None:
        self.numbers.append(document)

    def mark(self) -> tuple[int, ...]:
        """Where the plan stands, to ``undo`` back to when the document planned next fails alone."""
        counts = len(self.orders), len(self.documents), len(self.deliveries), len(self.events), len(self.numbers)
        return (*counts, len(self.retired), len(self.held_orders))

    def undo(self, mark: tuple[int, ...]) -> None:
        del self.orders[mark[0] :], self.documents[mark[1] :], self.deliveries[mark[2] :], self.events[mark[3] :]
        del self.numbers[mark[4] :], self.retired[mark[5] :], self.held_orders[mark[6] :]

    def write(self, store: Store, conn: Connection) -> None:
        resolve = self._write_rows(store, conn)
        hooks, self.after_write = self.after_write, []
        for hook in hooks:
            hook(conn, resolve)
        for document in self.numbers:
            document.order = resolve(document.order)
        numbers, self.numbers = self.numbers, []
        if self.late is not None:
            self.late.numbers.extend(numbers)
        elif numbers:
            self._number(store, conn, numbers)
            self._write_rows(store, conn)

    def _number(self, store: Store, conn: Connection, numbers: list[Numbered]) -> None:
        """Number and plan the documents, each partner's from one reservation; what is left is given back."""
        by_partner: dict[str, list[Numbered]] = {}
        for document in numbers:
            by_partner.setdefault(document.partner.name, []).append(document)
        for partner, documents in by_partner.items():
            need = {kind: sum(d.counts[i] for d in documents) for i, kind in enumerate(("isa", "gs", "st"))}
            first = store.next_numbers_of(conn, partner, need)
            taken = dict.fromkeys(need, 0)
            for document in documents:
                controls = Controls(first["isa"] + taken["isa"], first["gs"] + taken["gs"], first["st"] + taken["st"])
                try:
                    written = document.render(controls)
                except ValueError as exc:
                    self.event(document.purpose, f"{document.refused}: {exc}", order=document.order)
                    continue
                if written is None:
                    continue
                data, name = written
                held = outbound(
                    self,
                    document.partner,
                    data,
                    name,
                    document.purpose,
                    document.key,
                    document.parent,
                    document.order,
                    controls,
                )
                if held:  # a held document takes no number: the next one sent gets them, and a replay new ones
                    continue
                for i, kind in enumerate(("isa", "gs", "st")):
                    taken[kind] += document.counts[i]
            store.return_numbers(conn, partner, {kind: need[kind] - taken[kind] for kind in need})

    def _write_rows(self, store: Store, conn: Connection) -> Callable[[Id], int | None]:
        """Write the planned rows (and forget them); returns how a planned row's reference became its id."""
        for partner, purpose, parent in self.retired:
            conn.execute(
                update(documents_table)
                .where(
                    documents_table.c.state == "held",
                    documents_table.c.partner == partner,
                    documents_table.c.kind == purpose,
                    documents_table.c.parent_id == parent,
                )
                .values(state="cancelled", updated_at=utcnow())
            )
        self.retired = []
        ids = {
            "orders": store.insert_orders(conn, self.orders),
            "documents": store.insert_documents(conn, self.documents),
        }

        def resolve(ref: Id) -> int | None:
            return ids[ref.table][ref.index] if isinstance(ref, Ref) else ref

        held = sorted({order_id for order in self.held_orders if (order_id := resolve(order)) is not None})
        if held:
            store.set_order_statuses(conn, [("held", order_id) for order_id in held])
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
        self.orders, self.documents, self.deliveries, self.events, self.held_orders = [], [], [], [], []
        return resolve


def queued(conn: Connection, key: str) -> bool:
    return conn.execute(select(deliveries.c.id).where(deliveries.c.key == key)).first() is not None


def sent_keys(conn: Connection, order_id: int, sink: str) -> list[str]:
    """The keys of the order's order deliveries sent to ``sink``, oldest first: what an ERP that reports no
    shipments (Odoo) holds the order under, revision after revision, so what it delivered under any is counted."""
    query = select(deliveries.c.key).where(
        deliveries.c.order_id == order_id,
        deliveries.c.sink == sink,
        deliveries.c.purpose == "order",
        deliveries.c.state == "sent",
    )
    return [str(key) for key in conn.execute(query.order_by(deliveries.c.id)).scalars()]


def _expected_ack(
    partner: Partner, purpose: str, controls: Controls | None, not_before: datetime | None
) -> dict[str, Any]:
    """An X12 document the partner must acknowledge waits for its 997 until the partner's window closes, counted
    from when it may first be sent."""
    window = partner.config.ack_windows.get(purpose)  # type: ignore[call-overload]
    if controls is None or window is None or partner.config.ack == "none":
        return {}
    return {"ack_state": "waiting", "ack_due_at": max(utcnow(), not_before or utcnow()) + timedelta(seconds=window)}


def _guide_hold(
    partner: Partner, data: bytes | OrderText, purpose: str, parent: int | None, again: str | None
) -> str | None:
    """Why the partner's guide holds this X12 document (None: send it), with what sends it after the fix
    (``again``, else a replay of its cause). A document that passes retires the ones held before it for the
    same partner, purpose and cause: the replay that sends it replaces them."""
    guide = partner.config.guide
    if guide is None or not isinstance(data, bytes) or not data.startswith(b"ISA"):
        return None
    reason = held_reason(guide, data)
    if reason is None:
        return None
    replay = again or (f"crossdock replay {parent}" if parent is not None else None)
    return reason + (f"; after the fix, {replay}" if replay else "")


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
    guide_checked: bool = False,
    again: str | None = None,
) -> str | None:
    """Plan an outbound document and its delivery; without a sink the document is kept as unsent. Returns why
    the partner's guide holds it, if it does: a held document keeps no control numbers, so the caller gives
    back the ones it reserved and the partner sees no gap in ISA13/GS06 (a replay numbers it again).

    ``data`` is an ``OrderText`` for a document that refers to a large order's JSON (``data_ref``), never held whole.
    ``sets`` is how many transaction sets the interchange holds, numbered up from ``controls.transaction``:
    their ST02s are kept so each set's 997 AK2 finds its document. ``partner`` is only a name for a document
    that is not X12 (a fulfilment to a channel), which must name its sink. An X12 document to a partner with a
    guide is checked against it first (unless the caller did, ``guide_checked``) and held if it fails; ``again``
    says what sends a held one after the fix when that is not a replay of ``parent``.
    """
    held = None
    if isinstance(partner, str):
        partner_name, expected = partner, {}
    else:
        partner_name, expected = partner.name, _expected_ack(partner, purpose, controls, not_before)
        sink = sink or partner.config.reply_to
        held = None if guide_checked else _guide_hold(partner, data, purpose, parent, again)
        if partner.config.guide is not None and parent is not None:
            plan.retired.append((partner.name, purpose, parent))
    doc = plan.document(
        {
            "direction": "out",
            "data": data,
            "state": "held" if held else "queued" if sink else "unsent",
            "endpoint": sink,
            "remote_name": name,
            "kind": purpose,
            "partner": partner_name,
            "parent_id": parent,
            "error": held or (None if sink else f"partner {partner_name} has no reply_to sink"),
            "interchange_control": str(controls.interchange) if controls and not held else None,
            **({} if held else expected),
            "group_control": str(controls.group) if controls and not held else None,
            "transaction_controls": (
                ",".join(str(controls.transaction + i) for i in range(sets)) if controls and not held else None
            ),
            "data_ref": data_ref,
        }
    )
    if held:
        plan.event("held", f"{purpose} {name}: {held}", document=doc, order=order)
        if order is not None:
            plan.held_orders.append(order)
    elif sink:  # no event: the delivery row says it is queued, and the dispatcher logs its sending
        plan.delivery({"key": key, "sink": sink, "purpose": purpose, "next_attempt_at": not_before}, doc, order)
    else:
        plan.event("unsent", f"{purpose} {name}: no sink to send it to", document=doc, order=order)
    return held
