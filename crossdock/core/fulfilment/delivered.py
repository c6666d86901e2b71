"""A shipment the carrier or warehouse says was delivered: one ``delivered`` event, and the buyer's notice.

A delivery is reported on a shipment crossdock recorded (a Shipment JSON or CSV with ``delivered_at``, a ShipBob
shipment whose status details say ``Delivered``), often by the same shipment read again later. It is recorded
once per shipment and PO, however often it is read; the buyer hears of it (event ``delivered``) when the order's
source has ``notify:`` with ``delivered`` among its events, keyed like every notice so it is mailed once.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from crossdock.core.fulfilment.models import Shipment
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.notices import buyer_mail as customer_notices
from crossdock.core.plan import Plan
from crossdock.core.storage.schema import events

KIND = "delivered"  # events.kind


def record_delivered(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    found: tuple[int, Order, str | None],
    shipper: str,
    one: Shipment,
    document_id: int,
) -> None:
    """Record that ``one`` (one order's part of a shipment by ``shipper``) was delivered, once, and tell the buyer.
    ``found`` is the order's id, the order and the source its latest revision came from."""
    order_id, order, source = found
    if one.delivered_at is None:
        return
    said = f"shipment {one.shipment_id} for PO {order.po_number} from {shipper} delivered"
    if any(kind == KIND and message.startswith(said) for kind, message, ref, _ in plan.events if ref == order_id):
        return
    known = conn.execute(select(events.c.message).where(events.c.order_id == order_id, events.c.kind == KIND))
    if any(str(row.message).startswith(said) for row in known):
        return
    plan.event(KIND, f"{said} {one.delivered_at.isoformat()}", order=order_id, document=document_id)
    about = f"{shipper}:{one.shipment_id}"
    customer_notices.delivered(hub, conn, plan, order, order_id, source, one, about, document_id)
