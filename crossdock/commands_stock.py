"""``crossdock stock``: push what changed to the channels now, read the stock sources now, and show one SKU."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from crossdock.commands import _hub, _show
from crossdock.core.errors import CrossdockError


def stock(args: argparse.Namespace) -> int:
    if args.stock_command == "push":
        return _push(args)
    if args.stock_command == "pull":
        return _pull(args)
    return _show_sku(args)


def _push(args: argparse.Namespace) -> int:
    from crossdock.core.stock.catalogue import pushing
    from crossdock.core.stock.push import push

    with _hub(args) as hub:
        unknown = [c for c in args.channel or [] if c not in pushing(hub.config)]
        if unknown:
            raise CrossdockError(f"no channel with stock push on named {', '.join(unknown)}")
        pushed = push(hub, channels=args.channel, dry_run=args.dry_run, retry_refused=args.retry_refused)
        sent = None if args.dry_run else hub.dispatcher().drain()
    data = [
        {
            "channel": p.channel,
            "queued": p.key is not None,
            "note": p.note,
            "levels": [{"sku": lv.sku, "available": lv.available, "told": lv.told} for lv in p.levels],
        }
        for p in pushed
    ]
    _show(args, data, lambda d: _push_lines(d, args.dry_run))
    if sent is not None and not args.json:
        print(f"outbox: {sent.sent} sent, {sent.retried} to retry, {sent.dead} dead")
    return 0


def _push_lines(data: list[dict[str, Any]], dry_run: bool) -> list[str]:
    lines = []
    for p in data:
        verb = "would push" if dry_run else "queued" if p["queued"] else "nothing to push"
        said = (
            f"{p['channel']}: {verb} {len(p['levels'])} SKU(s)" if p["levels"] else f"{p['channel']}: nothing changed"
        )
        lines.append(said + (f" ({p['note']})" if p["note"] else ""))
        lines.extend(f"  {lv['sku']}: {lv['available']} (told {lv['told']})" for lv in p["levels"][:50])
        if len(p["levels"]) > 50:
            lines.append(f"  ... and {len(p['levels']) - 50} more")
    return lines or ["no channel has a stock: block with push on"]


def _pull(args: argparse.Namespace) -> int:
    from crossdock.core.stock.incoming import pull

    with _hub(args) as hub:
        names = args.source or list(hub.config.stock.sources)
        said = [f"{name}: {pull(hub, name)}" for name in names]
    print("\n".join(said) or "no stock sources in the configuration")
    return 0


def _show_sku(args: argparse.Namespace) -> int:
    from crossdock.core.stock.available import OPEN, availability
    from crossdock.core.stock.catalogue import load, pushing
    from crossdock.core.stock.ledger import figures, on_hand
    from crossdock.core.storage.schema import orders, stock_reserved, stock_told

    sku = args.sku
    with _hub(args, existing=True) as hub, hub.store.engine.connect() as conn:
        held = conn.execute(
            select(
                orders.c.po_number,
                orders.c.channel,
                orders.c.partner,
                orders.c.status,
                stock_reserved.c.location,
                stock_reserved.c.quantity,
            )
            .join(orders, orders.c.id == stock_reserved.c.order_id)
            .where(stock_reserved.c.sku == sku, orders.c.status.in_(OPEN))
            .order_by(orders.c.id)
        ).all()
        channels = pushing(hub.config) | {
            n: s for n, s in hub.config.sources.items() if getattr(s, "stock", None) is not None
        }
        catalogue = load(hub.config).by_channel()
        levels = availability(conn, channels, catalogue, [sku])
        told = {r.channel: r for r in conn.execute(select(stock_told).where(stock_told.c.sku == sku))}
        totals = on_hand(conn, [sku])
        data = {
            "sku": sku,
            "locations": [
                {"location": loc, "figure": qty, "as_of": as_of, "source": src, "on_hand": totals.get((sku, loc))}
                for loc, qty, as_of, src in figures(conn, sku)
            ],
            "reserved": [
                {
                    "po_number": r.po_number,
                    "channel": r.channel,
                    "from": r.partner,
                    "status": r.status,
                    "location": r.location or None,
                    "quantity": r.quantity,
                }
                for r in held
            ],
            "channels": [
                {
                    "channel": name,
                    "catalogued": sku in catalogue.get(name, {}),
                    "available": levels.get(name, {}).get(sku),
                    "told": told[name].told if name in told else None,
                    "told_at": told[name].told_at if name in told else None,
                    "queued": told[name].queued if name in told else None,
                    "refused": told[name].refused if name in told else None,
                    "refused_said": told[name].refused_said if name in told else None,
                    "refused_at": told[name].refused_at if name in told else None,
                }
                for name in sorted(channels)
            ],
        }
    _show(args, data, _sku_lines)
    return 0


def _sku_lines(d: dict[str, Any]) -> list[str]:
    lines = [f"SKU {d['sku']}"]
    lines.append("on hand:" if d["locations"] else "on hand: no figure at any location")
    lines.extend(
        f"  {x['location']}: {x['on_hand']} (figure {x['figure']} as of {x['as_of']:%Y-%m-%d %H:%M:%S} from "
        f"{x['source']})"
        for x in d["locations"]
    )
    total = sum(r["quantity"] for r in d["reserved"])
    lines.append(f"reserved by open orders: {total}")
    lines.extend(
        f"  {r['po_number']} ({r['channel']} {r['from']}, {r['status']}): {r['quantity']}"
        + (f" at {r['location']}" if r["location"] else "")
        for r in d["reserved"]
    )
    lines.append("channels:" if d["channels"] else "channels: none has a stock: block")
    for c in d["channels"]:
        if not c["catalogued"]:
            lines.append(f"  {c['channel']}: not in the catalogue")
            continue
        when = f" at {c['told_at']:%Y-%m-%d %H:%M:%S}" if c["told_at"] else ""
        told = f"told {c['told']}{when}" if c["told"] is not None else "never told"
        queued = f", {c['queued']} queued" if c["queued"] is not None else ""
        lines.append(f"  {c['channel']}: available {c['available']}; {told}{queued}")
        if c["refused"] is not None:
            since = f"{c['refused_at']:%Y-%m-%d %H:%M:%S}" if c["refused_at"] else "?"
            lines.append(
                f"    refused {c['refused']} (refused since {since}; tried again when the figure changes): "
                f"{c['refused_said'] or ''}"
            )
    return lines
