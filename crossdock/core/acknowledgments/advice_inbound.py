"""Tying a buyer's 824 or 864 back to the document it is about: shown on that document, one alert raised.

An item is matched among the documents we sent the partner by its control numbers (OTI08 our GS06, OTI09 our
ST02), compared as numbers like a 997's; an item without them (every 864, some 824s) by its business reference
(OTI03, MIT01) as the BSN02 of an 856, the BIG02 of an 810 or the BAK03 of an 855 we sent, among the partner's
``SEARCHED`` latest documents. Each matched document gets an event (``crossdock documents show``), and a
rejection (TR) or acceptance with errors (TE, TP) becomes its ack state; the advice raises one alert, unless every
item in it is accepted as sent (TA). What the buyer wrote is bounded and
cleaned of control characters before it reaches an event or an alert.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core.acknowledgments.advices import AdvisedDocument, ApplicationAdvice
from crossdock.core.alerts import raise_alert
from crossdock.core.hub import Hub
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import documents

SEARCHED = 500  # the partner's latest outbound documents a reference is looked for in
REFERENCE_ELEMENTS = {"BSN": 2, "BIG": 2, "BAK": 3}  # where each document we send carries its own number
MAX_TEXT = 4000
# OTI01 verdicts that change the document's ack state: rejected whole, or taken with errors or in part
ACK_STATES = {"TR": "rejected", "TE": "accepted_with_errors", "TP": "accepted_with_errors"}


def apply_advice(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, advice: ApplicationAdvice, partner: Partner
) -> str | None:
    """Record one 824/864 on the documents it names and alert once; returns a problem when it names none."""
    found: list[tuple[AdvisedDocument, list[Any]]] = [
        (item, _documents_of(conn, item, partner)) for item in advice.items
    ]
    lines: list[str] = []
    for item, rows in found:
        summary = _clean(_summary(advice, item))
        for row in rows:
            plan.event(advice.kind, f"{partner.name}: {summary}", document=row.id)
        _set_ack_state(conn, rows, item, summary, document_id)
        where = ", ".join(f"{row.kind} document {row.id}" for row in rows) or "no document we sent"
        lines.append(f"- {where}: {summary}")
    if any(item.status != "TA" for item in advice.items):
        subject = f"crossdock: {partner.name} sent an {advice.kind} ({_headline(advice)})"
        raise_alert(
            hub.store,
            conn,
            hub.config,
            f"advice:{document_id}:{advice.kind}:{advice.reference}",
            _clean(subject)[:200],
            _clean("\n".join(lines))[:MAX_TEXT] + f"\n\nThe {advice.kind} is inbound document {document_id}.",
        )
    if all(not rows for _, rows in found):
        return f"{advice.kind} {advice.reference or ''} names no document sent to {partner.name}".replace("  ", " ")
    return None


def _set_ack_state(conn: Connection, rows: list[Any], item: AdvisedDocument, summary: str, advice_id: int) -> None:
    """A verdict that finds fault (``ACK_STATES``) becomes the documents' ack state, as a 997's would, so
    ``status`` lists a rejected one; it never makes a rejected document look better."""
    state = ACK_STATES.get(item.status or "")
    if state is None:
        return
    ids = [row.id for row in rows if state == "rejected" or row.ack_state != "rejected"]
    if ids:
        conn.execute(
            update(documents)
            .where(documents.c.id.in_(ids))
            .values(ack_state=state, ack_detail=summary[:MAX_TEXT], ack_document_id=advice_id, updated_at=utcnow())
        )


def _documents_of(conn: Connection, item: AdvisedDocument, partner: Partner) -> list[Any]:
    columns = (documents.c.id, documents.c.kind, documents.c.transaction_controls, documents.c.ack_state)
    group = _number(item.group_control)
    if group is not None:
        rows = conn.execute(
            select(*columns)
            .where(documents.c.direction == "out", documents.c.partner == partner.name)
            .where(documents.c.group_control == str(group))
        ).all()
        control = _number(item.transaction_control)
        if control is not None:
            rows = [r for r in rows if control in {_number(c) for c in (r.transaction_controls or "").split(",")}]
        if rows:
            return list(rows)
    if item.reference is None:
        return []
    recent = conn.execute(
        select(*columns, documents.c.data)
        .where(documents.c.direction == "out", documents.c.partner == partner.name)
        .where(documents.c.kind.in_([item.transaction_set] if item.transaction_set else ["856", "810", "855"]))
        .order_by(documents.c.id.desc())
        .limit(SEARCHED)
    ).all()
    sep, term = partner.config.delimiters.element, partner.config.delimiters.segment
    return [r for r in recent if _carries(bytes(r.data).decode("latin-1"), item.reference, sep, term)]


def _carries(text: str, reference: str, sep: str, term: str) -> bool:
    """Whether an X12 text we wrote names ``reference`` as its BSN02, BIG02 or BAK03."""
    if reference not in text:
        return False
    for segment in text.split(term):
        elements = segment.strip().split(sep)
        at = REFERENCE_ELEMENTS.get(elements[0])
        if at is not None and len(elements) > at and elements[at] == reference:
            return True
    return False


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdecimal() else None


def _headline(advice: ApplicationAdvice) -> str:
    verdicts = sorted({item.verdict for item in advice.items})
    return ", ".join(verdicts)


def _summary(advice: ApplicationAdvice, item: AdvisedDocument) -> str:
    """The detail left on the document: it opens with the advice's kind (``reconcile.ADVICE_KINDS`` tells by it
    that a verdict came from an advice, which a later 997 does not overturn)."""
    about = item.reference or item.description or advice.reference or "?"
    head = f"{advice.kind} {item.verdict}" + (
        f" ({item.transaction_set} {about})" if item.transaction_set else f" ({about})"
    )
    reasons = []
    for note in item.notes[:20]:
        place = " ".join(str(p) for p in (note.segment_id, note.segment_position, note.element_position) if p)
        reason = " ".join(p for p in (note.code, f"at {place}" if place else None) if p)
        if note.text:
            reason = f"{reason}: {note.text}" if reason else note.text
        reasons.append(reason + (f" (value {note.bad_value})" if note.bad_value else ""))
    return head + (": " + "; ".join(reasons) if reasons else "")


def _clean(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else "?" for ch in text)
