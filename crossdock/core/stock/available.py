"""Available to sell: for each catalogued SKU and each channel, on hand at the locations the channel sells from,
less what open orders not yet shipped hold of it, less the channel's buffer, never below zero.

What an order holds is written with the order (``reserve``, in the transaction that records it) as eaches per
SKU, less what its shipments shipped; it counts only while the order is open (not shipped, invoiced or
cancelled), so a shipment or a cancel that closes the order frees its units without another write. Each line's
units are held at the stock location its destination ships from (``stock_where``, ``stock.ships_from``): they
come off only the channels that sell from that location. Units held at no known location ("") come off every
channel, as do units shipped since the latest figure.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from crossdock.core import registry
from crossdock.core.models import Order, OrderLine
from crossdock.core.stock.ledger import on_hand_by_location
from crossdock.core.stock_where import NOWHERE, line_locations
from crossdock.core.storage.schema import orders, shipments, stock_levels, stock_reserved
from crossdock.core.units import Packing, UnitError, convert, line_packing

OPEN = ("waiting", "held", "routed", "delivered", "partially shipped")
RELOCATE = "~relocate"  # the location of the mark migration 0021 gives an order whose units were held at none
SKU_IDS = ("SK", "VN", "BP", "IN")  # where an order line carries the merchant's SKU, in this order


def line_sku(line: OrderLine, known: Collection[str] | None = None) -> str | None:
    """The line's SKU: the first of its ids the catalogue knows; without a catalogue, its SK, VN, BP or IN."""
    if known:
        for qualifier in SKU_IDS:
            value = line.product_ids.get(qualifier)
            if value in known:
                return value
        return next((v for v in line.product_ids.values() if v in known), None)
    return next((line.product_ids[q] for q in SKU_IDS if line.product_ids.get(q)), None)


def _eaches(line: OrderLine, quantity: Decimal) -> int:
    with contextlib.suppress(UnitError):  # a unit without a known pack counts as it is (most shops sell eaches)
        quantity = convert(quantity, line.uom or "EA", "EA", line_packing(line))
    return _whole(quantity)


def _whole(quantity: Decimal) -> int:
    return max(0, int(quantity.to_integral_value(rounding="ROUND_CEILING")))


Held = dict[tuple[str, str], int]  # (SKU, stock location or "") -> eaches


def holds(
    order: Order, shipped: Mapping[int, Decimal], known: Collection[str] | None, where: Mapping[int, str] | None = None
) -> Held:
    """(SKU, location) -> eaches the order still holds: each line less what shipped of it, at the location its
    destination ships from (``where``, by line position; "" when unknown)."""
    held: Held = {}
    if order.purpose == "01" or order.already_shipped:
        return held
    for line in order.lines:
        sku = line_sku(line, known)
        if sku:
            left = line.quantity - shipped.get(line.position, Decimal(0))
            key = (sku, (where or {}).get(line.position, NOWHERE))
            held[key] = held.get(key, 0) + _eaches(line, left)
    return {key: qty for key, qty in held.items() if qty > 0}


def reserve(conn: Connection, order_id: int, held: Held) -> None:
    """Replace what the order holds (an empty ``held`` still marks it read)."""
    conn.execute(delete(stock_reserved).where(stock_reserved.c.order_id == order_id))
    rows = [
        {"order_id": order_id, "sku": sku[:128], "location": loc[:64], "quantity": qty}
        for (sku, loc), qty in held.items()
    ]
    conn.execute(insert(stock_reserved), rows or [{"order_id": order_id, "sku": "", "location": "", "quantity": 0}])


def reserved(conn: Connection, skus: Sequence[str] | None = None) -> dict[str, dict[str, int]]:
    """Location ("" for none known) -> SKU -> eaches held by open orders."""
    query = (
        select(stock_reserved.c.location, stock_reserved.c.sku, func.sum(stock_reserved.c.quantity))
        .join(orders, orders.c.id == stock_reserved.c.order_id)
        .where(orders.c.status.in_(OPEN), stock_reserved.c.sku != "")
        .group_by(stock_reserved.c.location, stock_reserved.c.sku)
    )
    found: dict[str, dict[str, int]] = {}
    parts: list[Sequence[str] | None] = (
        [None] if skus is None else [skus[i : i + 500] for i in range(0, len(skus), 500)]
    )
    for part in parts:
        q = query if part is None else query.where(stock_reserved.c.sku.in_(part))
        for loc, sku, qty in conn.execute(q):
            found.setdefault(str(loc), {})[str(sku)] = int(qty)
    return found


def _sku_of(product_ids: Mapping[str, str], known: Collection[str] | None) -> str | None:
    if known:
        found = next((product_ids[q] for q in SKU_IDS if product_ids.get(q) in known), None)
        return found or next((v for v in product_ids.values() if v in known), None)
    return next((product_ids[q] for q in SKU_IDS if product_ids.get(q)), None)


def shipped_since_figures(conn: Connection, known: Collection[str] | None) -> dict[str, int]:
    """SKU -> eaches of shipments recorded after the SKU's latest on-hand figure: they have left the warehouse
    but no figure says so yet, while the orders they shipped no longer hold them. Counted with the
    reservations until a newer figure arrives (a shipment recorded late is counted twice until then: safe)."""
    from crossdock.core.fulfilment.models import Shipment

    oldest = conn.execute(select(func.min(stock_levels.c.as_of))).scalar()
    if oldest is None:
        return {}
    rows = conn.execute(
        select(shipments.c.data, shipments.c.created_at).where(
            shipments.c.state == "recorded", shipments.c.created_at > oldest
        )
    ).all()
    found: list[tuple[str, int, Any]] = []
    for data, recorded in rows:
        for shipped in Shipment.model_validate_json(data).orders:
            for line in shipped.all_lines():
                sku = _sku_of(line.product_ids, known)
                if sku:
                    with contextlib.suppress(UnitError):
                        found.append((sku, _whole(convert(line.quantity, line.uom or "EA", "EA", Packing())), recorded))
    if not found:
        return {}
    skus = sorted({sku for sku, _, _ in found})
    latest: dict[str, Any] = {}
    for i in range(0, len(skus), 500):
        query = (
            select(stock_levels.c.sku, func.max(stock_levels.c.as_of))
            .where(stock_levels.c.sku.in_(skus[i : i + 500]))
            .group_by(stock_levels.c.sku)
        )
        latest.update((str(sku), as_of) for sku, as_of in conn.execute(query))
    out: dict[str, int] = {}
    for sku, qty, recorded in found:
        if sku in latest and recorded > latest[sku]:
            out[sku] = out.get(sku, 0) + qty
    return out


def unread_open_orders(conn: Connection, limit: int = 1000) -> list[tuple[int, str]]:
    """Open orders recorded before reservations were kept (no row yet), or whose rows are marked ``RELOCATE`` (held
    at no location before reservations had one): (id, JSON), to ``reserve`` now."""
    rows = select(stock_reserved.c.order_id).where(stock_reserved.c.order_id == orders.c.id)
    marked = rows.where(stock_reserved.c.sku == "", stock_reserved.c.location == RELOCATE)
    query = (
        select(orders.c.id, orders.c.data)
        .where(orders.c.status.in_(OPEN))
        .where(~rows.exists() | marked.exists())
        .limit(limit)
    )
    return [(int(i), str(data)) for i, data in conn.execute(query)]


def _totals(by_location: Mapping[str, Mapping[str, int]], locations: Sequence[str]) -> Mapping[str, int]:
    """SKU -> on hand summed over ``locations`` (every location when empty)."""
    return _summed([by_location[loc] for loc in (locations or sorted(by_location)) if loc in by_location])


def _summed(chosen: Sequence[Mapping[str, int]]) -> Mapping[str, int]:
    """SKU -> the sum of its figures in ``chosen`` (the one mapping itself when there is one)."""
    if len(chosen) == 1:
        return chosen[0]
    totals: dict[str, int] = {}
    for figures in chosen:
        get = totals.get
        for sku, qty in figures.items():
            totals[sku] = get(sku, 0) + qty
    return totals


def available(totals: Mapping[str, int], held: Mapping[str, int], skus: Iterable[str], stock: Any) -> dict[str, int]:
    """SKU -> what a channel may sell: ``totals`` (on hand at its locations) less ``held``, less the channel's
    buffer (``stock``, its ``ChannelStock``), never below zero. Written for 100,000s of SKUs: one lookup each."""
    get = totals.get
    free = {sku: get(sku, 0) for sku in skus}
    for sku, qty in held.items():
        if sku in free:
            free[sku] -= qty
    if isinstance(stock.buffer, int):
        keep = stock.buffer
        return {sku: qty - keep if qty > keep else 0 for sku, qty in free.items()}
    share = float(stock.buffer[:-1]) / 100
    return {sku: max(0, qty - math.ceil(qty * share)) if qty > 0 else 0 for sku, qty in free.items()}


def availability(
    conn: Connection,
    channels: Mapping[str, Any],
    catalogue: Mapping[str, Mapping[str, Any]],
    skus: Sequence[str] | None,
) -> dict[str, dict[str, int]]:
    """channel -> SKU -> available, for the catalogued SKUs of each channel (only ``skus`` when given)."""
    by_location = on_hand_by_location(conn, skus)
    held_at = reserved(conn, skus)
    known: set[str] = set().union(*catalogue.values())
    everywhere = held_at.setdefault(NOWHERE, {})
    for sku, qty in shipped_since_figures(conn, known).items():
        everywhere[sku] = everywhere.get(sku, 0) + qty
    sums: dict[tuple[str, ...], Mapping[str, int]] = {}  # channels that sell from the same locations share them
    helds: dict[tuple[str, ...], Mapping[str, int]] = {}
    out: dict[str, dict[str, int]] = {}
    for name, source in channels.items():
        key = tuple(sorted(source.stock.locations))
        if key not in sums:
            sums[key] = _totals(by_location, key)
            helds[key] = _held(held_at, key)
        sold = catalogue.get(name, {})
        wanted = [s for s in skus if s in sold] if skus is not None else sold
        out[name] = available(sums[key], helds[key], wanted, source.stock)
    return out


def _held(held_at: Mapping[str, Mapping[str, int]], locations: Sequence[str]) -> Mapping[str, int]:
    """SKU -> eaches held against a channel selling from ``locations`` (every location when empty): those held
    there and those held at no known location."""
    return _summed([held_at[loc] for loc in held_at if not locations or loc == NOWHERE or loc in locations])


def order_holds(conn: Connection, config: Any, order_id: int, data: str, known: Collection[str] | None) -> Held:
    """What a stored order holds now, and where: its lines less what its recorded shipments shipped."""
    from crossdock.core.fulfilment.shipment_checks import shipped_so_far

    order: Order = registry.mapping("x12").order_from_dict(json.loads(data))
    status = conn.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar()
    shipped = shipped_so_far(conn, order_id, order) if status == "partially shipped" else {}
    return holds(order, shipped, known, line_locations(conn, config, order_id, order))


def reserve_unread(conn: Connection, config: Any, catalogue: Mapping[str, Mapping[str, Any]]) -> None:
    """Reserve for the open orders recorded before reservations were kept (or before a catalogue change)."""
    known = {sku for skus in catalogue.values() for sku in skus}
    while batch := unread_open_orders(conn):
        for order_id, data in batch:
            reserve(conn, order_id, order_holds(conn, config, order_id, data, known))
