"""A destination that answered a cancel or change with "already shipped": it wins, and the buyer side is told.

Called by the outbox in the transaction that records the refused delivery (``TooLate``). The order is marked
shipped and the event logged. Then, by where the cancel or change came from (the inbound document behind the
refused delivery):

* a buyer's 860, for a partner that answers 860s: the answer says the change is refused. With ``send_865`` an
  865 answers each change of the 860 IR (a cancel: each line's deletion); with ``send_855_change`` an 855 change
  names the lines as they ship: every line accepted (IA) for a cancel, each line the 860 named rejected (IR)
  for a change. A person is alerted as well, since the buyer was told first that the change was taken.
* anything else (a channel's cancel, an operator's ``orders cancel``, a partner without either answer): one
  alert naming the order and the destination, saying its source heard of the cancel or change and must hear
  it ships as it was. The channel's fulfilment goes when the shipment is recorded, as for any order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.config import Config
from crossdock.core.errors import CrossdockError
from crossdock.core.lifecycle.order_changes import deletion
from crossdock.core.models import (
    ChangeAcknowledgment,
    LineAcknowledgment,
    LineChangeAnswer,
    Order,
    OrderAcknowledgment,
    OrderChange,
)
from crossdock.core.partners import Controls, Directory, Partner, created_now
from crossdock.core.plan import Numbered, Plan, delivery_key, queued, safe_name
from crossdock.core.storage.blobs import read_pieces
from crossdock.core.storage.schema import documents, orders
from crossdock.core.storage.store import Store

CANCEL = "01"  # BCH01: the whole order cancelled


@dataclass(frozen=True, slots=True)
class TooLateNotice:
    """A destination said the order had shipped when told of its cancel or change: what the source is told."""

    order_id: int
    channel: str
    partner: str
    po_number: str
    external_id: str
    sink: str
    said: str
    answered: str | None = None  # the answer planned for the EDI buyer (865, 855), None when a person tells it


def too_late(
    store: Store, conn: Connection, config: Config, order_id: int, sink: str, said: str, document_id: int | None = None
) -> TooLateNotice:
    """A destination answered a cancel or change with "already shipped": it wins. The order is marked shipped,
    the event logged, the buyer answered where an 860 asked and a partner takes answers, and a person alerted.
    ``document_id`` is the refused delivery's document (its parent is what asked for the cancel or change)."""
    row = conn.execute(select(orders).where(orders.c.id == order_id)).one()
    if row.status not in ("shipped", "invoiced"):  # a shipment recorded first already says as much
        conn.execute(update(orders).where(orders.c.id == order_id).values(status="shipped"))
    po, partner_name = str(row.po_number), str(row.partner)
    reason = f"order {po} from {partner_name} was shipped by {sink} before its cancel or change arrived: {said}"
    store.log(conn, "too-late", reason, order_id=order_id)
    buyer = Directory(config).get(partner_name) if row.channel == "x12" else None
    changes = _asked(conn, document_id, po) if buyer is not None else []
    answered = None
    if buyer is not None and changes:
        answered = _answer(store, conn, buyer, row, changes, sink, order_id, document_id)
    if answered is not None:
        then = f"{buyer.name if buyer else partner_name} is answered with an {answered} that refuses the 860"
    else:
        then = (
            "its source heard of the cancel or change and was not told otherwise: tell the buyer the order ships as "
            "it was (a channel's fulfilment goes when the shipment is recorded)"
        )
    raise_alert(
        store,
        conn,
        config,
        f"too-late:{partner_name}:{row.external_id}:{sink}",
        f"crossdock: the cancel or change of order {po} came too late at {sink}",
        f"{reason}\n\nThe order is marked shipped; {then}.",
    )
    return TooLateNotice(order_id, str(row.channel), partner_name, po, str(row.external_id), sink, said, answered)


def _asked(conn: Connection, document_id: int | None, po: str) -> list[OrderChange]:
    """The buyer's 860s for ``po`` in the inbound document behind the refused delivery; none when it is no X12."""
    if document_id is None:
        return []
    parent = conn.execute(select(documents.c.parent_id).where(documents.c.id == document_id)).scalar_one_or_none()
    if parent is None:
        return []
    data = b"".join(read_pieces(conn, documents, "data", int(parent)))
    if not data.lstrip().startswith(b"ISA"):
        return []
    try:
        inbound = registry.mapping("x12").read(data, batch=None)
    except (CrossdockError, ValueError):  # kept as it came, but no X12 crossdock reads: nothing to answer
        return []
    return [
        ts.document
        for ic in inbound.interchanges
        for group in ic.groups
        for ts in group.sets
        if isinstance(ts.document, OrderChange) and ts.document.po_number == po
    ]


def _answer(
    store: Store,
    conn: Connection,
    buyer: Partner,
    row: Any,
    changes: list[OrderChange],
    sink: str,
    order_id: int,
    document_id: int | None,
) -> str | None:
    """Plan and write the 865 (or 855 change) refusing the 860s; returns which was planned, None when neither."""
    x12 = registry.mapping("x12")
    order: Order = x12.order_from_dict(json.loads(row.data))
    why = f"shipped already by {sink}"
    plan = Plan()
    kinds: list[str] = []
    for change in changes:
        answers: list[ChangeAcknowledgment | OrderAcknowledgment] = []
        if buyer.config.send_865:
            answers.append(_865(order, change, why))
        if buyer.config.send_855_change:
            answers.append(_855(order, change))
        for answer in answers:
            kind = "865" if isinstance(answer, ChangeAcknowledgment) else "855"
            key = delivery_key(f"{kind}-too-late", buyer.name, change.po_number, change.change_sequence, sink)
            if queued(conn, key):
                continue
            kinds.append(kind)
            plan.numbered(
                Numbered(buyer, (1, 1, 1), _render(buyer, answer, kind), kind, key, document_id, order_id, why)
            )
    plan.write(store, conn)
    return " and ".join(dict.fromkeys(kinds)) or None


def _render(buyer: Partner, answer: ChangeAcknowledgment | OrderAcknowledgment, kind: str) -> Any:
    x12 = registry.mapping("x12")

    def render(controls: Controls) -> tuple[bytes, str]:
        created = created_now()
        answer.ack_date = created.date()
        data = x12.write_change_answer(answer, x12.Outgoing(**buyer.envelope(controls, created)))
        return data, f"{safe_name(buyer.name)}-{kind}-{safe_name(answer.po_number)}-{controls.interchange:09d}.edi"

    return render


def _865(order: Order, change: OrderChange, why: str) -> ChangeAcknowledgment:
    """Each change the 860 asked, refused (IR); a cancel is answered as the deletion of each line."""
    asked = change.lines or (
        [deletion(line, i) for i, line in enumerate(order.lines, 1)] if change.purpose == CANCEL else []
    )
    return ChangeAcknowledgment(
        po_number=change.po_number,
        po_date=order.order_date or change.order_date or date.today(),
        change_sequence=change.change_sequence,
        change_date=change.change_date,
        lines=[LineChangeAnswer(change=line, status="IR", reason=why) for line in asked],
    )


def _855(order: Order, change: OrderChange) -> OrderAcknowledgment:
    """An 855 change: a cancel refused is every line accepted as ordered; a change refused, each line it named
    rejected (IR) with the quantity it asked."""
    if change.purpose == CANCEL or not change.lines:
        lines = [
            LineAcknowledgment(
                position=line.position,
                line_number=line.line_number,
                status="IA",
                quantity=line.quantity,
                uom=line.uom,
                ordered_quantity=line.quantity,
                unit_price=line.unit_price,
                product_ids=dict(line.product_ids),
            )
            for line in order.lines
        ]
    else:
        lines = [
            LineAcknowledgment(
                position=i,
                line_number=asked.line_number,
                status="IR",
                quantity=asked.quantity,
                uom=asked.uom,
                unit_price=asked.unit_price,
                product_ids=dict(asked.product_ids),
            )
            for i, asked in enumerate(change.lines, 1)
        ]
    return OrderAcknowledgment(
        po_number=change.po_number,
        po_date=order.order_date or change.order_date or date.today(),
        purpose="04",
        lines=lines,
    )
