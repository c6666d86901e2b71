"""What is left to ship of an order that shipped in part: what a destination holding it is sent when it changes.

A warehouse that shipped part of an order and then hears of a change must not ship the shipped part again: it
gets each line's quantity ordered less what shipped (``progress``), and a line shipped in full, or closed by
the warehouse (it ships no more of it; the rest went back to the source as a cancellation), is left out. The
JSON and CSV forms say both: ``quantity`` is what is left, ``ordered`` what the revision orders and ``shipped``
what shipped already, per line. A destination whose part is the same in both revisions (``same_part``) hears
nothing, and a 3PL is told of a change under the number its 940 gave the order (``known_numbers``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.errors import CrossdockError
from crossdock.core.fulfilment.answers import match_line
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.fulfilment.shipment_checks import shipped_totals
from crossdock.core.models import Order
from crossdock.core.storage.blobs import read_pieces
from crossdock.core.storage.schema import deliveries, documents, shipments

_LINE_NOTE = re.compile(r"line (\S+?)(?: \(.*\))?: ")  # a note a channel mapping adds for a line taken out


@dataclass(frozen=True, slots=True)
class Progress:
    """What the order's recorded shipments did: how much of each line shipped, and which lines a warehouse
    closed (it ships no more of them: their rest went back to the source as a cancellation), by position."""

    shipped: dict[int, Decimal]
    closed: frozenset[int]
    shipments: tuple[str, ...] = ()  # the recorded shipments' ids (a 3PL API's own: ShipBob's shipment ids)


def progress(conn: Connection, order_id: int, order: Order) -> Progress:
    recorded = select(shipments.c.data).where(shipments.c.order_id == order_id, shipments.c.state == "recorded")
    found = [Shipment.model_validate_json(data) for data in conn.execute(recorded).scalars()]
    closed = {
        position
        for shipment in found
        for one in shipment.orders
        for line in one.all_lines()
        if line.closed and (position := match_line(order, line)) is not None
    }
    ids = tuple(dict.fromkeys(shipment.shipment_id for shipment in found))
    return Progress(shipped_totals(order, found), frozenset(closed), ids)


def left_of(order: Order, done: Progress) -> Order:
    """``order`` with each line's quantity cut to what has not shipped; lines with nothing left, and lines a
    warehouse closed, go."""
    lines = []
    for line in order.lines:
        left = line.quantity - done.shipped.get(line.position, Decimal(0))
        if left > 0 and line.position not in done.closed:
            lines.append(line if left == line.quantity else line.model_copy(update={"quantity": left}))
    return order.model_copy(update={"lines": lines})


def with_counts(dumped: dict[str, Any], ordered: Order, shipped: Mapping[int, Decimal]) -> dict[str, Any]:
    """The dumped order of what is left, each line saying what was ordered and what shipped (by position)."""
    quantities = {line.position: line.quantity for line in ordered.lines}
    lines = [
        {
            **line,
            "ordered": str(quantities.get(line["position"], line["quantity"])),
            "shipped": str(shipped.get(line["position"], Decimal(0))),
        }
        for line in dumped.get("lines") or []
    ]
    return {**dumped, "lines": lines}


def shipped_any(done: Progress) -> bool:
    return any(quantity > 0 for quantity in done.shipped.values()) or bool(done.closed)


def same_part(before: Order, after: Order) -> bool:
    """Whether a destination's part of the order is the same in both revisions (what says which revision it is
    aside, and the order notes a channel adds about a line taken out elsewhere, ``line 7011 (SKU-1): ...``):
    then it hears nothing of the new one."""
    x12 = registry.mapping("x12")
    ours = {line.line_number for line in (*before.lines, *after.lines) if line.line_number}
    quiet = {"purpose": None, "updated_at": None, "source": None, "already_shipped": None}

    def seen(order: Order) -> dict[str, Any]:
        notes = [note for note in order.notes if not _about_another_line(note, ours)]
        return {**x12.order_dict(order), **quiet, "notes": notes}

    return seen(before) == seen(after)


def _about_another_line(note: str, ours: set[str]) -> bool:
    named = _LINE_NOTE.match(note)
    return named is not None and named.group(1) not in ours


def known_numbers(conn: Connection, sink: str, key: str) -> list[str]:
    """The W0502s a 3PL holds the order under, read from the 940 of the delivery (``key``) that brought it there:
    an order sent before crossdock numbered orders its own way is known there by its PO number."""
    query = select(deliveries.c.document_id).where(deliveries.c.key == key, deliveries.c.sink == sink)
    document_id = conn.execute(query.order_by(deliveries.c.id.desc()).limit(1)).scalar()
    if document_id is None:
        return []
    data = b"".join(read_pieces(conn, documents, "data", int(document_id)))
    try:
        numbers: list[str] = registry.mapping("x12_warehouse").depositor_orders(data)
    except (CrossdockError, ValueError):
        return []
    return numbers
