"""A partner's X12 for returns: a buyer's 180 becomes a ``Return`` of theirs, a 3PL's 944 a ``ReturnReceipt``."""

from __future__ import annotations

from sqlalchemy import Connection

from crossdock.core.hub import Hub
from crossdock.core.plan import Plan
from crossdock.core.returns.intake import record_return
from crossdock.core.returns.models import Return, ReturnReceipt
from crossdock.core.returns.receipts import apply_receipts


def x12_return(
    hub: Hub, conn: Connection, plan: Plan, document_id: int, document: Return | ReturnReceipt, partner: str
) -> list[str]:
    """Record one 180 (the buyer's return, keyed by the buyer's name and BGN02) or apply one 944 (received by
    the partner that sent it); returns why it is held, if it is."""
    if isinstance(document, ReturnReceipt):
        document.warehouse = partner
        return apply_receipts(hub, conn, plan, document_id, [document])
    document.channel = partner
    document.partner = partner
    problem = record_return(hub, conn, plan, document_id, document)
    return [problem] if problem else []
