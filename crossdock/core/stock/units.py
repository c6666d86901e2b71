"""Stock levels in the unit each partner orders an item in: a warehouse counts eaches, a buyer who orders the
item in cases reads an 846 in cases (``core/units.py``, as for the 856 and 810).

The partner's unit for an item is the one of the item's line in that partner's latest order that has it
(``RECENT_ORDERS`` orders looked at), with that line's pack (PO4) or the ``products`` catalogue for how many
eaches the unit holds. Stock counts whole units only: 30 eaches are 2 cases of 12. An item the partner never
ordered, or whose pack nothing states, keeps the snapshot's unit (the 846 names it in QTY03), and is named.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import Connection, func, select

from crossdock.core.models import InventoryItem, InventorySnapshot, OrderLine
from crossdock.core.storage.schema import orders
from crossdock.core.units import CATALOGUE_IDS, Packing, UnitError, convert_down, line_packing

RECENT_ORDERS = 200
LARGEST_ORDER = 1 << 20  # characters of an order's JSON read for its units; a larger order is passed over


def ordered_lines(conn: Connection, partner: str) -> dict[str, OrderLine]:
    """Item id -> the partner's latest order line for it (any of the line's catalogue ids finds it)."""
    rows = conn.execute(
        select(orders.c.data)
        .where(orders.c.partner == partner, func.length(orders.c.data) <= LARGEST_ORDER)
        .order_by(orders.c.id.desc())
        .limit(RECENT_ORDERS)
    ).scalars()
    found: dict[str, OrderLine] = {}
    for data in rows:
        for raw in json.loads(data).get("lines", []):
            line = OrderLine.model_validate(raw)
            for qualifier in CATALOGUE_IDS:
                item = line.product_ids.get(qualifier)
                if item is not None:
                    found.setdefault(item, line)
    return found


def in_partner_units(
    snapshot: InventorySnapshot, lines: Mapping[str, OrderLine], catalogue: Mapping[str, Packing]
) -> tuple[InventorySnapshot, list[str]]:
    """The snapshot with each item's quantities in the partner's unit for it, and the items left as they were."""
    items: list[InventoryItem] = []
    kept: list[str] = []
    for item in snapshot.items:
        ids = [v for q in CATALOGUE_IDS if (v := item.product_ids.get(q)) is not None]
        line = next((lines[v] for v in ids if v in lines), None)
        if line is None or not line.uom or line.uom.upper() == item.uom.upper():
            items.append(item)
            continue
        packing = line_packing(line, catalogue)
        try:
            quantities = {q: convert_down(n, item.uom, line.uom, packing) for q, n in item.quantities.items()}
        except UnitError as exc:
            kept.append(f"{_name(item)}: {exc}")
            items.append(item)
            continue
        items.append(item.model_copy(update={"uom": line.uom, "quantities": quantities}))
    return snapshot.model_copy(update={"items": items}), kept


def _name(item: InventoryItem) -> str:
    return next(iter(item.product_ids.values()), item.line_number or "?")
