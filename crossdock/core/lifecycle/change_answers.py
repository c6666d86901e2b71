"""An 865 received: a trading partner's answer to a change of a PO, tied to the order and its change.

crossdock reads an 865 when it stands on the buyer's side: a supplier answering an 860 it was sent, or a partner
sending 865s of its own. The 865 names the PO (BCA03) and the change it answers (BCA05, the change sequence).
It is tied to the order of that PO number from the partner (else to the one order crossdock holds under that
PO number), and to the change by its sequence against the order's version (the last 860 applied). The verdict
is recorded on the order as an event of kind ``865``, each answered change in words; a change refused (an ACK
IR, or BCA02 RJ) raises one alert naming the lines. An 865 for a PO crossdock does not have changes nothing and
is the document's problem (kept; ``crossdock replay`` once the order is in). What the partner wrote is bounded
and cleaned of control characters before it reaches an event or an alert.

A refused change does not change the order, on purpose: crossdock writes no 860, so the change an 865 answers was
not made through crossdock, and the 865 names what was asked and refused, not the version the partner keeps (a
refused price, a line it will not delete), so there is no revision crossdock could send the destinations that
both sides agreed on. The alert says what a person can do with crossdock's own commands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.alerts import raise_alert
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.order_versions import Version, sequence_of
from crossdock.core.models import ChangeAcknowledgment, LineChangeAnswer
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan
from crossdock.core.storage.schema import orders

KIND = "865"  # the event kind that records an answer on its order
REFUSED = "IR"
VERDICTS = {"AD": "accepted", "AC": "accepted with changes", "RJ": "rejected", "AT": "accepted (no detail)"}
ANSWERS = {"IA": "accepted", "IQ": "accepted, quantity", "IR": "refused", "IP": "accepted, price", "ID": "deleted"}
LONGEST = 80  # characters of one value the partner sent, as shown
MAX_LINES = 50  # answered changes named in one event or alert
_WHAT_TO_DO = (
    "To hold to what the partner keeps: `crossdock orders hold {po}` stops what has not left meanwhile; `crossdock "
    "orders cancel {po} --lines LINE:QTY` cuts a quantity the partner will not take; any other refused change (a "
    "price, a line added or deleted) needs the partner's corrected 860 or 850, applied as any other."
)


def apply_change_answer(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, answer: ChangeAcknowledgment, partner: Partner
) -> str | None:
    """Record one 865 on its order and alert on refused changes; returns a problem when no order is found."""
    po = _clean(answer.po_number)
    row = _order(conn, answer.po_number, partner.name)
    if row is None:
        return f"865 for PO {po}: no such order from {partner.name}, nothing recorded (replay once it is in)"
    verdict = VERDICTS.get(answer.ack_type or "", _clean(answer.ack_type or "no verdict"))
    which = _which_change(answer.change_sequence, Version.parse(row.version).sequence)
    said = [_line(a) for a in answer.lines[:MAX_LINES]]
    more = f" and {len(answer.lines) - MAX_LINES} more" if len(answer.lines) > MAX_LINES else ""
    text = f"865 from {partner.name}: {which} of order {po} {verdict}" + (f": {'; '.join(said)}{more}" if said else "")
    plan.event(KIND, text, order=int(row.id), document=document_id)
    refused = [a for a in answer.lines if a.status == REFUSED]
    if refused or answer.ack_type == "RJ":
        lines = "\n".join(f"- {_line(a)}" for a in (refused or answer.lines)[:MAX_LINES]) or "- the whole change"
        raise_alert(
            hub.store,
            conn,
            hub.config,
            f"865:{partner.name}:{po}:{_clean(answer.change_sequence or '')}:{document_id}",
            f"crossdock: {partner.name} refused a change of order {po}"[:200],
            f"{text[:400]}\n\nRefused:\n{lines}\n\nThe 865 is inbound document {document_id}; order {po} is as "
            f"crossdock holds it, changed, and its destinations have it so: settle the refused changes with the "
            f"partner. {_WHAT_TO_DO.format(po=po)}",
        )
    return None


def _order(conn: Connection, po: str, partner: str) -> Any:
    """The order the 865 is about: the partner's of that PO number, else the only order with it."""
    query = select(orders.c.id, orders.c.partner, orders.c.version).where(orders.c.po_number == po)
    rows = conn.execute(query).all()
    own = [r for r in rows if r.partner == partner]
    if len(own) == 1:
        return own[0]
    return rows[0] if len(rows) == 1 else None


def _which_change(bca05: str | None, applied: int | None) -> str:
    """Which change the answer is about, said against the order's last applied 860."""
    sequence = sequence_of(bca05)
    if sequence is None:
        return "the change" if not bca05 else f"change {_clean(bca05)}"
    if applied is None:
        return f"change {sequence} (crossdock applied no 860 with a sequence to it)"
    if sequence == applied:
        return f"change {sequence} (the last applied)"
    if sequence < applied:
        return f"change {sequence} (an earlier one; the order is at change {applied})"
    return f"change {sequence} (not applied here; the order is at change {applied})"


def _line(answer: LineChangeAnswer) -> str:
    change = answer.change
    line = _clean(change.line_number or next(iter(change.product_ids.values()), "") or str(change.position))
    status = ANSWERS.get(answer.status, _clean(answer.status))
    quantity = f" {answer.quantity}" if answer.quantity is not None and answer.status != REFUSED else ""
    return f"line {line} {_clean(change.change_code)} {status}{quantity}"


def _clean(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:LONGEST]
