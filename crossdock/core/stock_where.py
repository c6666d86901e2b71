"""Where an open order's units are held: at the stock location of the destination that will ship each line.

``stock.ships_from`` names, per destination (sink), the stock location it ships from. An order routed to one such
destination holds all its lines there; an order split between destinations holds each line at its destination's
location, as routing assigns the lines. A line whose destination names no location (or an order with none yet,
held or unroutable) holds its units at no location, "", which counts against every channel as before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.models import Order
from crossdock.core.routing import Unroutable, route
from crossdock.core.storage.schema import deliveries

NOWHERE = ""  # held at no known location: counted against every channel


def line_locations(conn: Connection, config: Any, order_id: int, order: Order) -> dict[int, str]:
    """Line position -> the stock location its destination ships from (only the lines that have one)."""
    ships_from: dict[str, str] = config.stock.ships_from
    if not ships_from:
        return {}
    query = select(deliveries.c.sink).where(
        deliveries.c.order_id == order_id, deliveries.c.purpose == "order", deliveries.c.state != "cancelled"
    )
    sinks = set(conn.execute(query).scalars())
    if len(sinks) == 1:
        where = ships_from.get(next(iter(sinks)))
        return {} if where is None else {line.position: where for line in order.lines}
    if not sinks:
        return {}
    try:
        assignments = route(order, config.routing)
    except (Unroutable, ValueError):
        return {}
    found: dict[int, str] = {}
    for assignment in assignments:
        where = ships_from.get(assignment.sink)
        if assignment.sink in sinks and where is not None:
            found.update((position, where) for position in assignment.positions)
    return found
