"""Which destinations hear of a return, each of its own lines: an order split across warehouses comes back to each.

The destinations holding the order are those its last sent order delivery reached (``destination_changes.held``).
One alone hears of the whole return. Of several, each is told the returned lines routing gives it (the order
routed again, as ``destination_changes`` does for a change); a returned line that matches no order line, or an
order the routing no longer splits the same way, goes to the destination that was sent the order last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from crossdock.core.lifecycle.destination_changes import held
from crossdock.core.models import Order, OrderLine
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.core.routing import Unroutable, route
from crossdock.core.storage.schema import deliveries, documents, orders

if TYPE_CHECKING:  # the Hub is only named in annotations here
    from crossdock.core.hub import Hub


def destinations(hub: Hub, conn: Connection, order_id: int, order: Order, ret: Return) -> list[tuple[str, Return]]:
    """Each destination to tell and its part of ``ret`` (never empty parts), the latest destination first."""
    holders = list(held(conn, order_id))
    latest = _latest(conn, order_id)
    if latest is None:
        return []
    if latest in holders:
        holders.remove(latest)
    holders.insert(0, latest)
    if len(holders) == 1:
        return [(latest, ret)]
    try:
        assignments = route(order, hub.config.routing, _source(conn, order_id))
    except (Unroutable, ValueError):
        return [(latest, ret)]
    where = {p: a.sink for a in assignments for p in a.positions if a.sink in holders}
    parts: dict[str, list[ReturnLine]] = {}
    for line in ret.lines:
        found = _order_line(order, line)
        sink = where.get(found.position, latest) if found is not None else latest
        parts.setdefault(sink, []).append(line)
    return [(sink, ret.model_copy(update={"lines": parts[sink]})) for sink in holders if sink in parts]


def _latest(conn: Connection, order_id: int) -> str | None:
    found = conn.execute(
        select(deliveries.c.sink)
        .where(deliveries.c.order_id == order_id, deliveries.c.purpose == "order")
        .order_by(deliveries.c.id.desc())
    ).first()
    return None if found is None else str(found.sink)


def _source(conn: Connection, order_id: int) -> str | None:
    """The source the order came in from (what routing rules match by ``source``)."""
    found = conn.execute(
        select(documents.c.endpoint).join(orders, orders.c.document_id == documents.c.id).where(orders.c.id == order_id)
    ).first()
    return None if found is None or found.endpoint is None else str(found.endpoint)


def _order_line(order: Order, line: ReturnLine) -> OrderLine | None:
    """The order line a returned line is: by the order line's number, else by a product id equal to its SKU."""
    if line.line_number:
        for candidate in order.lines:
            if candidate.line_number == line.line_number:
                return candidate
    if line.sku:
        for candidate in order.lines:
            if line.sku in candidate.product_ids.values():
                return candidate
    return None
