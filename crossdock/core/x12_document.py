"""What one decoded X12 document causes, planned into the chunk's transaction: its 997/999, and each set given
to the flow that records it (orders, 860s, 945s, acknowledgments, TA1s, 180/944, 824/864, 846, 865), with the
document's outcome said from what they answered. Apart from ``x12_inbound`` (chunks, runs, savepoints,
retries) so what a document means reads apart from how a chunk of them is committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from crossdock.core.acknowledgments.advice_inbound import apply_advice
from crossdock.core.acknowledgments.advices import ApplicationAdvice
from crossdock.core.acknowledgments.reconcile import reconcile, reconcile_interchange
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.fulfilment.shipping import record_shipments
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.change_answers import apply_change_answer
from crossdock.core.lifecycle.order_versions import Version, made_at
from crossdock.core.lifecycle.x12_changes import apply_changes, forced, order_version
from crossdock.core.models import Acknowledgment, ChangeAcknowledgment, InventorySnapshot, Order, OrderChange
from crossdock.core.orders import upsert_orders
from crossdock.core.partners import Controls, Partner, created_now
from crossdock.core.plan import Numbered, Plan, Processed, delivery_key, safe_name
from crossdock.core.returns.models import Return, ReturnReceipt
from crossdock.core.returns.x12 import x12_return
from crossdock.core.stock.incoming import record_846
from crossdock.core.storage.spool import SpooledLines


@dataclass(slots=True)
class Read:
    """A document decoded and its partner found, before anything is recorded."""

    row: Any
    name: str
    inbound: Any
    partner: Partner
    keys: set[tuple[str, str, str]] = field(default_factory=set)  # its orders' (channel, partner, external id)
    alone: bool = False  # carries more than orders: a run of its own


@dataclass(slots=True)
class Seen:
    """What the chunk's documents look up, read once for the chunk and kept up to date as they are recorded."""

    interchanges: dict[tuple[str, str], list[int]]  # (partner, ISA13) -> the inbound documents that carried it
    acked: set[str]  # delivery keys of the 997/999s already queued (a replayed document)


def record_document(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    read: Read,
    seen: Seen,
    existing: dict[tuple[str, str], dict[str, Any]],
) -> tuple[Processed, tuple[Any, ...]]:
    """Plan everything one document causes; returns its result and its row's outcome for ``set_outcomes``."""
    document_id, source, inbound, partner = int(read.row.id), read.row.endpoint, read.inbound, read.partner
    result = Processed(document_id, "processed")
    first = inbound.interchanges[0]
    dup = min((i for i in seen.interchanges.get((partner.name, first.control), []) if i != document_id), default=None)
    if dup is not None:
        plan.event(
            "duplicate",
            f"interchange {first.control} from {partner.name} was already received in document {dup}",
            document=document_id,
        )
    result.acks = acknowledge(plan, document_id, inbound, partner, seen.acked)
    problems: list[str] = []
    found: list[Order] = []
    spooled: dict[int, SpooledLines] = {}  # a large order's lines, by id(order)
    shipped: list[Shipment] = []
    versions: dict[int, Version] = {}  # each order's version, by id(order)
    changes: list[tuple[OrderChange, str | None]] = []  # each 860, with when its group was made
    total = 0
    for ic in inbound.interchanges:
        if not ic.ok and ic.errors:
            problems.append(f"interchange {ic.control}: {'; '.join(ic.errors[:3])}")
        for ta1 in ic.acknowledgments:
            if problem := reconcile_interchange(hub, conn, plan, document_id, ta1, partner):
                problems.append(problem)
        for group in ic.groups:
            for ts in group.sets:
                total += 1
                if ts.status == "rejected":
                    problems.append(f"{ts.code} {ts.control} rejected: {'; '.join(ts.errors[:3])}")
                elif ts.decode_error:
                    problems.append(f"{ts.code} {ts.control}: {ts.decode_error}")
                elif isinstance(ts.document, Order):
                    ts.document.partner = partner.name
                    found.append(ts.document)
                    versions[id(ts.document)] = order_version(ts.document, group)
                    if ts.lines is not None:
                        spooled[id(ts.document)] = ts.lines
                elif isinstance(ts.document, Acknowledgment):
                    if problem := reconcile(hub, conn, plan, document_id, ts.document, partner):
                        problems.append(problem)
                elif isinstance(ts.document, Shipment):
                    shipped.append(ts.document)
                elif isinstance(ts.document, OrderChange):
                    changes.append((ts.document, made_at(group.date, group.time)))
                elif isinstance(ts.document, Return | ReturnReceipt):  # a 180 or a 944: core/returns/x12.py
                    problems.extend(x12_return(hub, conn, plan, document_id, ts.document, partner.name))
                elif isinstance(
                    ts.document, ApplicationAdvice
                ):  # an 824 or 864: core/acknowledgments/advice_inbound.py
                    if problem := apply_advice(hub, conn, plan, document_id, ts.document, partner):
                        problems.append(problem)
                elif isinstance(ts.document, InventorySnapshot):  # an 846: on-hand figures (core/stock/incoming.py)
                    said = record_846(conn, ts.document, partner.name, document_id, made_at(group.date, group.time))
                    plan.event("stock", said, document=document_id)
                elif isinstance(ts.document, ChangeAcknowledgment):  # an 865: core/lifecycle/change_answers.py
                    if problem := apply_change_answer(hub, conn, plan, document_id, ts.document, partner):
                        problems.append(problem)
                elif ts.document is None:
                    problems.append(f"{ts.code} {ts.control}: crossdock has no inbound flow for this set yet")
    if shipped:
        problems.extend(record_shipments(hub, conn, plan, document_id, shipped, partner.name, result))
    if found:
        stored = existing.get((found[0].channel, partner.name), {})
        problems.extend(
            upsert_orders(
                hub,
                conn,
                plan,
                document_id,
                source,
                found,
                partner,
                result,
                stored,
                spooled,
                versions,
                forced(read.row),
            )
        )
    if changes:
        problems.extend(apply_changes(hub, conn, plan, document_id, source, changes, partner, result, forced(read.row)))
    if problems:
        rejected = sum(1 for p in problems if " rejected" in p)
        result.state = "rejected" if total and rejected == total else "processed"
        result.error = "; ".join(problems)[:4000]
    groups = ",".join(g.control for g in first.groups)[:16] or None
    flags = "duplicate-interchange" if dup is not None else None
    return result, (result.state, result.error, partner.name, "x12", first.control, groups, flags, document_id)


def acknowledge(plan: Plan, document_id: int, inbound: Any, partner: Partner, acked: set[str]) -> int:
    """Plan the 997/999, numbered when the chunk is written."""
    kind = partner.config.ack
    key = delivery_key("ack", document_id)
    if kind == "none" or key in acked:
        return 0
    interchanges, groups = inbound.ack_counts()
    if not interchanges:
        return 0

    def render(controls: Controls) -> tuple[bytes, str] | None:
        data = inbound.ack(
            kind,
            interchange=controls.interchange,
            group=controls.group,
            transaction=controls.transaction,
            usage=partner.usage,
            created=created_now(),
        )
        return None if data is None else (data, f"{safe_name(partner.name)}-{kind}-{controls.interchange:09d}.edi")

    refused = f"no {kind} for document {document_id}"
    plan.numbered(Numbered(partner, (interchanges, groups, groups), render, kind, key, document_id, None, refused))
    return 1
