"""Whether a document's version of a stored order may change it, and what is recorded when it may not.

A channel's order is ordered by its ``updated_at``; an X12 order by its ``Version`` (``order_versions.py``). An
older version is kept and recorded (an event) and changes nothing; a conflicting one changes nothing either, and
a person is alerted with what to do. ``force`` (``crossdock replay DOCUMENT --force``) applies either anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from crossdock.core.alerts import raise_alert
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.order_versions import Verdict, Version, judge
from crossdock.core.models import Order
from crossdock.core.plan import Plan


@dataclass(frozen=True, slots=True)
class Gate:
    """What a document's version of an order meets: ``verdict`` and, when it is not applied, why in words."""

    verdict: Verdict
    reason: str = ""


def gate(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    order: Order,
    row: Any,
    document_id: int,
    version: Version | None,
    who: str,
    force: bool = False,
) -> Gate:
    """Judge ``order`` (from ``document_id``) against the stored ``row``; record what is not applied."""
    ref, po = int(row.id), order.po_number
    if version is None:
        if outdated(order, row.data) or _stored_later(order, row, document_id):
            plan.event("order", f"order {po}: an older version arrived late and was ignored", order=ref)
            return Gate(Verdict.OLDER, "an older version")
        return Gate(Verdict.APPLY)
    verdict, why = judge(
        version,
        stored_version(row),
        stored_cancelled=row.status == "cancelled",
        stored_later=_stored_later(order, row, document_id),
    )
    if verdict is Verdict.APPLY:
        return Gate(verdict)
    if force:
        plan.event("order", f"order {po}: document {document_id} is {why}; applied as told (replay --force)", order=ref)
        return Gate(Verdict.APPLY)
    if verdict is Verdict.OLDER:
        plan.event(
            "order",
            f"order {po}: an older version arrived late and was ignored: document {document_id} is {why}",
            order=ref,
        )
        return Gate(verdict, why)
    reason = (
        f"order {po} from {who}: document {document_id} is {why}; it is kept and the order is not changed. "
        f"If the partner confirms it is right, `crossdock replay {document_id} --force` applies it as the next "
        "version; otherwise nothing needs doing"
    )
    plan.event("held", reason, order=ref, document=document_id)
    external = order.external_id or po
    subject = f"crossdock: order {po} from {who}: a conflicting version is held"
    raise_alert(hub.store, conn, hub.config, f"version:{who}:{external}:{document_id}", subject, reason)
    return Gate(verdict, reason)


def stored_version(row: Any) -> Version:
    """The stored order's version: its ``version`` column, or for an order stored before it, its JSON's purpose."""
    text = getattr(row, "version", None)
    return Version.parse(text, None if text else json.loads(row.data).get("purpose"))


def outdated(order: Order, stored: str) -> bool:
    """Whether a channel's order is older than the version stored (a webhook or page that arrived late)."""
    if order.updated_at is None:
        return False
    before = json.loads(stored).get("updated_at")
    return before is not None and order.updated_at < datetime.fromisoformat(before)


def _stored_later(order: Order, row: Any, document_id: int) -> bool:
    """Whether the stored version came from a document stored after this one, for an order that carries no time
    of its own (a partner's 850): two workers may record two revisions of a PO in either order, and the later
    stored must win whatever the commit order. A channel's order is ordered by its ``updated_at`` instead."""
    return order.updated_at is None and row.document_id is not None and int(row.document_id) > document_id
