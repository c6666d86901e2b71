"""The oversell guard: every order recorded lowers what the channels may sell in the same transaction, and a SKU
that a channel may no longer sell (its available reached zero: what is free is within its buffer) is pushed to
that channel at once, queued in that transaction, not at the next scheduled push."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.errors import ConfigError
from crossdock.core.stock.available import availability, order_holds, reserve
from crossdock.core.stock.catalogue import load, pushing
from crossdock.core.stock.push import queue_channel
from crossdock.core.storage.schema import orders

log = logging.getLogger("crossdock.stock")


def enabled(config: Any) -> bool:
    """Whether any channel is told about stock (else orders keep no reservations: nothing would read them)."""
    return bool(pushing(config))


def after_orders(hub: Any, refs: Sequence[Any]) -> Callable[[Connection, Callable[[Any], int | None]], None]:
    """The hook a plan runs once its orders are written: reserve for them and push what reached zero."""

    def run(conn: Connection, resolve: Callable[[Any], int | None]) -> None:
        ids = [i for ref in refs if (i := resolve(ref)) is not None]
        guard(hub, conn, ids)

    return run


def guard(hub: Any, conn: Connection, order_ids: Sequence[int]) -> None:
    config = hub.config
    channels = pushing(config)
    if not channels or not order_ids:
        return
    try:
        catalogue = load(config).by_channel()
    except ConfigError as exc:  # the orders are recorded and hold their SKUs; only the push waits for a fix
        log.warning("oversell guard: %s: orders reserve by their SK ids, nothing is pushed until it reads", exc)
        catalogue, channels = {}, {}
    known = {sku for skus in catalogue.values() for sku in skus} or None
    touched: set[str] = set()
    for order_id, data in conn.execute(select(orders.c.id, orders.c.data).where(orders.c.id.in_(order_ids))):
        held = order_holds(conn, config, int(order_id), str(data), known)
        reserve(conn, int(order_id), held)
        touched.update(sku for sku, _ in held)
    if not touched or not channels:
        return
    figures = availability(conn, channels, catalogue, sorted(touched))
    for name in channels:
        if figures[name]:
            queue_channel(hub, conn, name, figures[name], catalogue.get(name, {}), only_zero=True)
