"""An operator's hold on an order (``crossdock orders hold``): kept in ``order_holds`` until released.

A held order gets no deliveries: routing looks here before planning any (``orders.upsert_orders``), so a new
revision from the source is stored and waits too. Holding and releasing themselves are ``operator_orders``.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from crossdock.core.storage.schema import order_holds


def operator_hold(conn: Connection, order_id: int) -> str | None:
    """Why an operator holds the order, or None when no one does."""
    reason = conn.execute(select(order_holds.c.reason).where(order_holds.c.order_id == order_id)).scalar()
    return None if reason is None else str(reason)
