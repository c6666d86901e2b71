"""997/999 and TA1 reconciliation: every X12 document we send waits for the partner's acknowledgment.

An inbound 997 or 999 is matched to our documents by the partner, the group control number (AK102) and the
set control number (AK202), compared as numbers, never by file name. Each matched document becomes accepted,
accepted with errors or rejected, with the AK3/AK4 detail kept. A TA1 is matched by the interchange control
number (TA101): R rejects the interchange's document, because the partner drops it whole and sends no 997;
A and E only say the envelope was read, and the 997 still decides. A rejected document raises one alert, as
does a document still waiting when its partner's window closes (overdue).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.models import Acknowledgment, InterchangeAcknowledgment
from crossdock.core.partners import Partner, reserve
from crossdock.core.plan import Plan, delivery_key, outbound
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.retention import purged_note
from crossdock.core.storage.schema import documents

SET_STATES = {
    "A": "accepted",
    "E": "accepted_with_errors",
    "R": "rejected",
    "M": "rejected",
    "W": "rejected",
    "X": "rejected",
    "P": "accepted_with_errors",
}


SEVERITY = ["accepted", "accepted_with_errors", "rejected"]
ADVICE_KINDS = ("824 ", "864 ")  # how an application advice's verdict opens the detail it leaves on a document


def _by_advice(row: Any) -> bool:
    """Whether the document's verdict came from an 824 or 864 (``advice_inbound`` opens its detail so)."""
    return row.ack_state in SEVERITY[1:] and (row.ack_detail or "").startswith(ADVICE_KINDS)


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() else None


def reconcile(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, ack: Acknowledgment, partner: Partner
) -> str | None:
    """Apply one acknowledgment; returns a problem when it matches nothing we sent."""
    group = _number(ack.group_control)
    ours = conn.execute(  # we store GS06 unpadded, so the number as text finds it through the index
        select(
            documents.c.id,
            documents.c.kind,
            documents.c.remote_name,
            documents.c.transaction_controls,
            documents.c.ack_state,
            documents.c.ack_detail,
        )
        .where(documents.c.direction == "out", documents.c.partner == partner.name)
        .where(documents.c.group_control == str(group), documents.c.ack_state.is_not(None))
    ).all()
    if not ours:
        return f"{ack.kind} for group {ack.group_control} matches no document sent to {partner.name}"
    now = utcnow()
    by_control = {_number(s.control): s for s in ack.sets}
    for row in ours:
        states: list[str] = []
        details: list[str] = []
        for control in (_number(c) for c in (row.transaction_controls or "").split(",")):
            set_ack = by_control.get(control)
            if set_ack is not None:
                states.append(SET_STATES.get(set_ack.status, "rejected"))
                details.extend(set_ack.errors)
            else:  # no AK2 for this set: the group status speaks for it
                states.append(SET_STATES.get(ack.status, "rejected"))
                details.extend(ack.errors)
        state = max(states, key=SEVERITY.index)  # a document is as good as its worst set
        detail = "; ".join(dict.fromkeys(details)) or None
        if _by_advice(row) and SEVERITY.index(row.ack_state) > SEVERITY.index(state):
            stands = f"{row.ack_state.replace('_', ' ')} by an application advice"
            plan.event("ack", f"{row.kind} document {row.id}: {ack.kind} {state}; still {stands}", document=row.id)
            continue  # the buyer's application found fault after the syntax passed: that verdict stands
        conn.execute(
            update(documents)
            .where(documents.c.id == row.id)
            .values(ack_state=state, ack_detail=detail, ack_document_id=document_id, updated_at=now)
        )
        plan.event(
            "ack",
            f"{row.kind} document {row.id}: {state.replace('_', ' ')} by {partner.name}"
            + (f" ({detail})" if detail else ""),
            document=row.id,
        )
        if state == "rejected":
            _alert_rejected(hub, conn, row.id, f"{row.kind} {row.remote_name}", partner, detail)
    return None


TA1_STATES = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}


def reconcile_interchange(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, ta1: InterchangeAcknowledgment, partner: Partner
) -> str | None:
    """Apply one TA1; returns a problem when it names no interchange we sent or has no valid TA104."""
    verdict = TA1_STATES.get(ta1.status)
    if verdict is None:
        return f"TA1 for interchange {ta1.interchange_control} has no valid acknowledgment code (TA104)"
    control = _number(ta1.interchange_control)
    ours = conn.execute(  # ISA13 is stored unpadded, like GS06
        select(documents.c.id, documents.c.kind, documents.c.remote_name)
        .where(documents.c.direction == "out", documents.c.partner == partner.name)
        .where(documents.c.interchange_control == str(control))
    ).all()
    if control is None or not ours:
        return f"TA1 for interchange {ta1.interchange_control} matches no interchange sent to {partner.name}"
    detail = f"interchange {verdict} (TA1 note {ta1.note_code}: {ta1.note or 'an unknown note code'})"
    for row in ours:
        if ta1.status == "R":
            conn.execute(
                update(documents)
                .where(documents.c.id == row.id)
                .values(ack_state="rejected", ack_detail=detail, ack_document_id=document_id, updated_at=utcnow())
            )
            _alert_rejected(hub, conn, row.id, f"{row.kind} {row.remote_name}", partner, detail)
        plan.event("ack", f"{row.kind} document {row.id}: {detail} by {partner.name}", document=row.id)
    return None


def _alert_rejected(
    hub: Hub, conn: Connection, document_id: int, what: str, partner: Partner, detail: str | None
) -> None:
    """A rejected document costs a supplier a chargeback if nobody fixes and resends it: tell someone once."""
    raise_alert(
        hub.store,
        conn,
        hub.config,
        f"ack-rejected:{document_id}",
        f"crossdock: {partner.name} rejected {what}",
        f"{detail or 'No reason was given.'}\n\nOnce the cause is fixed: crossdock resend {document_id}",
    )


def mark_overdue(hub: Hub) -> int:
    """Documents whose acknowledgment is late become overdue, each with one alert; returns how many."""
    store = hub.store
    now = utcnow()
    with store.transaction() as conn:
        late = conn.execute(
            select(
                documents.c.id,
                documents.c.kind,
                documents.c.partner,
                documents.c.remote_name,
                documents.c.interchange_control,
                documents.c.ack_due_at,
            ).where(documents.c.ack_state == "waiting", documents.c.ack_due_at < now)
        ).all()
        for row in late:
            conn.execute(update(documents).where(documents.c.id == row.id).values(ack_state="overdue", updated_at=now))
            store.log(
                conn,
                "overdue",
                f"{row.kind} {row.remote_name}: no 997 from {row.partner} by {row.ack_due_at}",
                document_id=row.id,
            )
            raise_alert(
                store,
                conn,
                hub.config,
                f"ack-overdue:{row.id}",
                f"crossdock: no 997 from {row.partner} for {row.kind} {row.remote_name}",
                f"Interchange {row.interchange_control} was due to be acknowledged by {row.ack_due_at} UTC.\n\n"
                f"If it was lost: crossdock resend {row.id}",
            )
    return len(late)


def resend(hub: Hub, document_id: int) -> int:
    """Send an outbound X12 document again under new control numbers; the copy's parent is the original."""
    store = hub.store
    x12 = registry.mapping("x12")
    with store.transaction() as conn:
        row = store.document(conn, document_id)
        if row is None or row.direction != "out" or row.interchange_control is None:
            raise CrossdockError(f"document {document_id} is not an X12 document crossdock sent")
        partner = hub.partners.get(row.partner)
        if partner is None or not row.endpoint:
            raise CrossdockError(f"document {document_id} has no configured partner and sink to send it to again")
        if row.purged_at is not None:
            raise CrossdockError(purged_note(document_id, row.purged_at))
        sets = x12.set_count(bytes(row.data))
        controls = reserve(store, conn, partner.name, sets=sets)
        data = x12.renumber(bytes(row.data), controls.interchange, controls.group, controls.transaction)
        name = str(row.remote_name).replace(f"{int(row.interchange_control):09d}", f"{controls.interchange:09d}")
        plan = Plan()
        outbound(
            plan,
            partner,
            data,
            name,
            str(row.kind),
            delivery_key("resend", document_id, controls.interchange),
            document_id,
            None,
            controls,
            sink=str(row.endpoint),
            sets=sets,
        )
        plan.write(store, conn)
        conn.execute(update(documents).where(documents.c.id == document_id).values(ack_state="resent"))
        new_id = conn.execute(
            select(documents.c.id).where(documents.c.parent_id == document_id).order_by(documents.c.id.desc()).limit(1)
        ).scalar_one()
        store.log(
            conn,
            "resend",
            f"document {document_id} sent again as document {new_id}, interchange {controls.interchange}",
            document_id=document_id,
        )
    return int(new_id)
