"""A partner's 860s applied to its stored orders, in the transaction that records the document.

Each 860 is found its order by PO number. Its version is judged like any (``order_gate``): an older one is kept
and recorded, a conflicting one is held with an alert. Otherwise the change is applied (``order_changes``) with
what has shipped so far, from the shipments table, so that a change to a shipped line is refused for it; the
changed order then goes through ``upsert_orders`` as the order's next revision, with everything a revision
causes (superseded deliveries cancelled, the new revision routed and delivered, a cancel told to the
destinations that have the order). Refused changes alert a person; a partner with ``send_865`` is answered
with an 865, change by change, and one with ``send_855_change`` with an 855 change of the order as it stands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.fulfilment.models import Shipment, ShipmentLine
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.order_changes import PURPOSES, REPLACE, apply_change
from crossdock.core.lifecycle.order_gate import gate
from crossdock.core.lifecycle.order_versions import ORIGINAL, Verdict, Version, made_at, sequence_of
from crossdock.core.models import (
    ChangeAcknowledgment,
    LineAcknowledgment,
    LineChangeAnswer,
    Order,
    OrderAcknowledgment,
    OrderChange,
    OrderLine,
    Party,
)
from crossdock.core.orders import upsert_orders
from crossdock.core.partners import Controls, Partner, created_now
from crossdock.core.plan import Numbered, Plan, Processed, delivery_key, queued, safe_name
from crossdock.core.storage.schema import events, shipments

Answer = Callable[[date], ChangeAcknowledgment | OrderAcknowledgment]  # the answer to an 860, made on the day
REISSUE = "18"  # BCH01: the PO sent again whole, taken as a replacement (05) when it is the next version
APPLIED = "860"  # the event kind that records an 860 document applied to an order
FORCE = "force"  # documents.flags of a document replayed with --force (``pipeline.replay``)


def forced(row: Any) -> bool:
    """Whether the document is replayed with ``--force``: its version is applied even when older or conflicting."""
    return getattr(row, "flags", None) == FORCE


def order_version(order: Order, group: Any) -> Version:
    """An 850's version: its BEG01 purpose and when its group was made (GS04/GS05)."""
    return Version(order.purpose or ORIGINAL, None, made_at(group.date, group.time))


def apply_changes(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    source: str | None,
    changes: list[tuple[OrderChange, str | None]],
    partner: Partner,
    result: Processed,
    force: bool = False,
) -> list[str]:
    """Apply a document's 860s, each with when its group was made; returns why any was not applied."""
    plan.write(hub.store, conn)  # an 850 earlier in the same file is stored before its 860 looks for it
    rows = hub.store.find_orders(conn, "x12", partner.name, sorted({c.po_number for c, _ in changes}))
    problems: list[str] = []
    for change, made in changes:
        change.partner = partner.name
        problem = _apply(hub, conn, plan, document_id, source, change, made, partner, result, rows, force)
        if problem:
            problems.append(problem)
        rows = hub.store.find_orders(conn, "x12", partner.name, sorted({c.po_number for c, _ in changes}))
    return problems


def _apply(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    source: str | None,
    change: OrderChange,
    made: str | None,
    partner: Partner,
    result: Processed,
    rows: dict[str, Any],
    force: bool,
) -> str | None:
    po, who = change.po_number, partner.name
    row = rows.get(po)
    if row is None:
        reason = (
            f"860 for PO {po} from {who}: crossdock has no order with that PO number, so nothing was changed; the "
            f"document is kept. When the 850 is in, `crossdock replay {document_id}` applies the change"
        )
        plan.event("held", reason, document=document_id)
        _alert(hub, conn, document_id, change, reason)
        return reason
    ref = int(row.id)
    reissue = change.purpose == REISSUE
    if reissue:  # the whole PO sent again: a replacement, if the version rule takes it as the next version
        change = change.model_copy(update={"purpose": REPLACE})
    if change.purpose not in PURPOSES:
        reason = (
            f"860 for PO {po} from {who}: BCH01 {change.purpose!r} is not a cancel (01), change (04), replace (05) "
            "or reissue (18)"
        )
        plan.event("held", reason, order=ref, document=document_id)
        _alert(hub, conn, document_id, change, reason)
        return reason
    if not force and applied_before(conn, ref, document_id):
        said = (
            f"order {po}: the 860 in document {document_id} was applied already; read again, it changes nothing "
            f"(`crossdock replay {document_id} --force` applies it again)"
        )
        plan.event("order", said, order=ref, document=document_id)
        result.orders_unchanged += 1
        return None
    x12 = registry.mapping("x12")
    stored: Order = x12.order_from_dict(json.loads(row.data))
    version = Version(change.purpose, sequence_of(change.change_sequence), made, from_860=True)
    verdict = gate(hub, conn, plan, stored, row, document_id, version, who, force)
    if verdict.verdict is Verdict.OLDER and reissue:
        result.orders_unchanged += 1
        reason = (
            f"860 reissue (BCH01 18) for PO {po} from {who}: {verdict.reason}, so it is not taken as the order's "
            f"next version and the order is not changed. If it is right, `crossdock replay {document_id} --force`"
        )
        plan.event("held", reason, order=ref, document=document_id)
        _alert(hub, conn, document_id, change, reason)
        return reason
    if verdict.verdict is Verdict.OLDER:
        result.orders_unchanged += 1
        return None
    if verdict.verdict is Verdict.CONFLICT:  # the gate has told a person
        result.orders_unchanged += 1
        return verdict.reason
    applied = apply_change(stored, change, shipped_by_line(conn, ref, stored))
    plan.event(APPLIED, f"860 from {who} applied to order {po}", order=ref, document=document_id)
    if applied.order is not None:
        new = applied.order
        new.partner = stored.partner
        versions = {id(new): version}
        upsert_orders(hub, conn, plan, document_id, source, [new], partner, result, {po: row}, None, versions, force)
    else:
        result.orders_unchanged += 1
        plan.event("order", f"order {po}: the 860 from {who} changes nothing that can be changed", order=ref)
    if partner.config.send_865:
        answer = _865(stored, change, applied.answers)
        _answer(plan, conn, document_id, ref, change, answer, partner, "865")
    if partner.config.send_855_change:
        _answer(plan, conn, document_id, ref, change, _855(stored, applied.order), partner, "855")
    refused = applied.rejected
    if not refused:
        return None
    listed = "; ".join(f"{_line(a)}: {a.reason}" for a in refused)
    reason = f"860 for PO {po} from {who}: {len(refused)} change(s) not applied ({listed}): settle them with the buyer"
    plan.event("held", reason, order=ref, document=document_id)
    _alert(hub, conn, document_id, change, reason)
    return reason


def applied_before(conn: Connection, order_id: int, document_id: int) -> bool:
    """Whether an 860 of this document was applied to the order already (it is replayed): the event says so, for
    an 860 without a change sequence (BCH05) that the version rule could tell from the next one."""
    query = select(events.c.id).where(
        events.c.kind == APPLIED, events.c.order_id == order_id, events.c.document_id == document_id
    )
    return conn.execute(query.limit(1)).first() is not None


def _line(answer: LineChangeAnswer) -> str:
    asked = answer.change
    return f"{asked.change_code} line {asked.line_number or dict(asked.product_ids)}"


def _alert(hub: Hub, conn: Connection, document_id: int, change: OrderChange, text: str) -> None:
    """One alert per 860 document and PO."""
    cause = f"change:{change.partner}:{change.po_number}:{document_id}"
    subject = f"crossdock: a change to order {change.po_number} was not applied"
    raise_alert(hub.store, conn, hub.config, cause, subject, text)


def shipped_by_line(conn: Connection, order_id: int, order: Order) -> dict[int, Decimal]:
    """How much of each of the order's lines (by position) the recorded shipments carried."""
    totals: dict[int, Decimal] = {}
    query = select(shipments.c.data).where(shipments.c.order_id == order_id, shipments.c.state == "recorded")
    for data in conn.execute(query).scalars():
        for shipped in Shipment.model_validate_json(data).orders:
            for line in shipped.all_lines():
                position = _position(order, line)
                if position is not None:
                    totals[position] = totals.get(position, Decimal(0)) + line.quantity
    return totals


def _position(order: Order, line: ShipmentLine) -> int | None:
    """The order line a shipped line belongs to: by the buyer's line number, else by an item id."""
    number = (line.line_number or "").strip()
    for ol in order.lines:
        if number and (ol.line_number or "").strip() == number:
            return ol.position
    ids = set(line.product_ids.values())
    return next((ol.position for ol in order.lines if ids & set(ol.product_ids.values())), None)


def _865(order: Order, change: OrderChange, answers: list[LineChangeAnswer]) -> Answer:
    def made(today: date) -> ChangeAcknowledgment:
        return ChangeAcknowledgment(
            po_number=change.po_number,
            po_date=order.order_date or change.order_date or today,
            change_sequence=change.change_sequence,
            change_date=change.change_date,
            ack_date=today,
            lines=answers,
        )

    return made


def _855(before: Order, after: Order | None) -> Answer:
    """The 855 change: each line of the order as it now stands accepted (IA) with its quantity, and each line the
    change took away (every line, for a cancel) deleted (ID, quantity 0)."""
    now = after or before
    cancelled = now.purpose == "01"

    def line(ol: OrderLine, status: str) -> LineAcknowledgment:
        quantity = Decimal(0) if status == "ID" else ol.quantity
        return LineAcknowledgment(
            position=ol.position,
            line_number=ol.line_number,
            status=status,
            quantity=quantity,
            uom=ol.uom,
            ordered_quantity=ol.quantity,
            unit_price=ol.unit_price,
            product_ids=dict(ol.product_ids),
        )

    def made(today: date) -> OrderAcknowledgment:
        kept = {ol.position for ol in now.lines}
        lines = [line(ol, "ID" if cancelled else "IA") for ol in now.lines]
        lines += [line(ol, "ID") for ol in before.lines if ol.position not in kept]
        return OrderAcknowledgment(
            po_number=before.po_number,
            po_date=before.order_date or today,
            purpose="04",
            ack_date=today,
            parties=[Party(role=p.role, name=p.name, id_qualifier=p.id_qualifier, id=p.id) for p in now.parties],
            lines=sorted(lines, key=lambda a: a.position),
        )

    return made


def _answer(
    plan: Plan,
    conn: Connection,
    document_id: int,
    order_id: int,
    change: OrderChange,
    answer: Answer,
    partner: Partner,
    kind: str,
) -> None:
    """Plan the 865 or 855 change, numbered when the chunk is written (like the 855), once per 860 and PO."""
    key = delivery_key(f"{kind}-860", "x12", partner.name, change.po_number, document_id)
    if queued(conn, key):
        return
    x12 = registry.mapping("x12")

    def render(controls: Controls) -> tuple[bytes, str]:
        created = created_now()
        data = x12.write_change_answer(answer(created.date()), x12.Outgoing(**partner.envelope(controls, created)))
        return data, f"{safe_name(partner.name)}-{kind}-{safe_name(change.po_number)}-{controls.interchange:09d}.edi"

    refused = f"no {kind} for the 860 to order {change.po_number}"
    plan.numbered(Numbered(partner, (1, 1, 1), render, kind, key, document_id, order_id, refused))
