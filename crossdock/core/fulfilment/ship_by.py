"""Orders not shipped by their ship-by date: one alert per order, raised by housekeeping.

A ship-by date travels on the order as ``DateRef(qualifier="038")`` (ship no later than: an EDI buyer's ship
window, Amazon's ship-by, Walmart's estimated ship date). An order still open after that day (routed, delivered,
held, waiting or shipped in part) is late; its alert's cause names the order, so it is raised once however
often housekeeping looks. Only orders whose JSON holds a 038 date are read.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from crossdock.core.alerts import raise_alert
from crossdock.core.hub import Hub
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import orders

SHIP_BY = "038"
OPEN = ("waiting", "held", "routed", "delivered", "partially shipped")


def ship_by(data: str) -> dt.date | None:
    """The earliest ship-by date of a stored order's JSON, if it has one."""
    dates = [d.get("date") for d in json.loads(data).get("dates") or [] if d.get("qualifier") == SHIP_BY]
    days = [dt.date.fromisoformat(d) for d in dates if isinstance(d, str)]
    return min(days) if days else None


def alert_late_orders(hub: Hub, today: dt.date | None = None) -> int:
    """Alert once for each open order whose ship-by date has passed; returns how many were alerted now."""
    today = today or utcnow().date()
    raised = 0
    with hub.store.transaction() as conn:
        candidates = conn.execute(
            select(orders.c.id, orders.c.partner, orders.c.po_number, orders.c.status, orders.c.data).where(
                orders.c.status.in_(OPEN), orders.c.data.contains(f'"qualifier":"{SHIP_BY}"')
            )
        )
        for row in candidates:
            due = ship_by(row.data)
            if due is None or due >= today:
                continue
            why = f"order {row.po_number} from {row.partner} was to ship by {due.isoformat()} and is {row.status}"
            if raise_alert(hub.store, conn, hub.config, f"ship-by:{row.id}", f"crossdock: {why}", why):
                hub.store.log(conn, "late", why, order_id=int(row.id))
                raised += 1
    return raised
