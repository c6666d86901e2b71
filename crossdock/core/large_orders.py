"""Orders too large to hold: a large 850 read as a stream comes with its lines spooled (``spool.SpooledLines``).

Such an order is recorded without ever being whole in memory when its JSON is all it needs: it is new, not a
cancellation, routed without SKU rules, goes whole to destinations that take crossdock's order JSON (their
documents refer to the stored JSON: ``order_json``), and no 855 is due. Anything else (a revision compared with
the stored order, a 940, a CSV, a split, an 855) needs its lines as objects and reads them back from the spool,
taking the memory it always took.
"""

from __future__ import annotations

from typing import Any

from crossdock.core.configuration.blocks import ORDER_APIS
from crossdock.core.configuration.connectors import OrderFormat
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.partners import Partner
from crossdock.core.routing import Assignment, Unroutable, by_sku, route
from crossdock.core.storage.spool import SpooledLines


def streams(hub: Hub, order: Order, lines: SpooledLines, row: Any, partner: Partner | str, source: str | None) -> bool:
    """Whether ``order`` (its lines in ``lines``; ``row`` the stored order, if any) can be recorded from its JSON."""
    if row is not None or order.purpose == "01" or order.awaiting or order.already_shipped:
        return False
    if by_sku(hub.config.routing) or (not isinstance(partner, str) and partner.config.send_855):
        return False
    try:
        assignments = route(order, hub.config.routing, source, lines.positions)
    except Unroutable:
        return True  # held: only its JSON is stored
    return all(whole_json(hub, a) for a in assignments)


def whole_json(hub: Hub, assignment: Assignment) -> bool:
    """Whether a destination gets the whole order as crossdock's order JSON (what ``render.render`` writes)."""
    sink = hub.config.sinks[assignment.sink]
    fmt = sink.format if isinstance(sink, OrderFormat) else "json"
    return fmt == "json" and sink.type not in ORDER_APIS and not assignment.split
