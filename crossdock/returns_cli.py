"""``crossdock returns list | show | approve``: the returns crossdock holds, one with its receipts, a refund let go."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from crossdock.commands import _hub, _show

STATES = ("held", "open", "received", "approval", "refunded", "closed", "cancelled")


def add_commands(sub: Any, config_option: Callable[[Any], None], json_option: Callable[[Any], None]) -> None:
    returns = sub.add_parser("returns", help="list and show returns, approve a refund that waits").add_subparsers(
        dest="returns_command", required=True
    )
    p = returns.add_parser("list", help="returns, newest first")
    config_option(p)
    json_option(p)
    p.add_argument("--state", choices=STATES, metavar="STATE", help=", ".join(STATES))
    p.add_argument("--po", help="PO number")
    p.add_argument("--limit", type=int, default=50, help="rows at most (default 50)")
    p.set_defaults(func=list_returns)
    p = returns.add_parser("show", help="one return with its receipts and its refund")
    config_option(p)
    json_option(p)
    p.add_argument("return_id", metavar="RETURN_ID", help="the channel's or partner's return id, or the RMA number")
    p.set_defaults(func=show_return)
    p = returns.add_parser("approve", help="queue the refund a return waits with (returns: {refund: approve})")
    config_option(p)
    json_option(p)
    p.add_argument("return_id", metavar="RETURN_ID")
    p.set_defaults(func=approve_return)


def _row(row: Any) -> dict[str, Any]:
    return {
        "return_id": row.return_id,
        "source": row.channel,
        "rma_number": row.rma_number,
        "po_number": row.po_number,
        "order_id": row.order_id,
        "warehouse": row.warehouse,
        "state": row.state,
        "reason": row.reason,
        "updated_at": row.updated_at,
    }


def list_returns(args: argparse.Namespace) -> int:
    from crossdock.core.storage.schema import returns

    query = select(returns).order_by(returns.c.id.desc()).limit(max(1, args.limit))
    if args.state:
        query = query.where(returns.c.state == args.state)
    if args.po:
        query = query.where(returns.c.po_number == args.po)
    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        rows = [_row(r) for r in conn.execute(query)]

    def lines(data: list[dict[str, Any]]) -> list[str]:
        out = [f"{'RETURN':<24} {'RMA':<16} {'PO':<16} {'STATE':<9} {'WAREHOUSE':<16} SOURCE"]
        for r in data:
            out.append(
                f"{r['return_id']:<24} {r['rma_number'] or '-':<16} {r['po_number']:<16} {r['state']:<9} "
                f"{r['warehouse'] or '-':<16} {r['source']}"
            )
        return out

    _show(args, rows, lines)
    return 0


def show_return(args: argparse.Namespace) -> int:
    from crossdock.core.storage.schema import return_receipts, returns

    with _hub(args, existing=True) as hub, hub.store.transaction() as conn:
        found = list(conn.execute(select(returns).where(returns.c.return_id == args.return_id)))
        found = found or list(conn.execute(select(returns).where(returns.c.rma_number == args.return_id)))
        if not found:
            print(f"crossdock: no return {args.return_id}")
            return 1
        row = found[0]
        receipts = [
            {"warehouse": r.warehouse, "state": r.state, "error": r.error, "receipt": json.loads(r.data)}
            for r in conn.execute(select(return_receipts).where(return_receipts.c.return_row == row.id))
        ]
    data = {
        **_row(row),
        "return": json.loads(row.data),
        "received": json.loads(row.received) if row.received else [],
        "refund": json.loads(row.refund) if row.refund else None,
        "receipts": receipts,
    }

    def lines(d: dict[str, Any]) -> list[str]:
        out = [f"return {d['return_id']} (RMA {d['rma_number'] or '-'}) of PO {d['po_number']}: {d['state']}"]
        if d["reason"]:
            out.append(f"  {d['reason']}")
        for line in d["return"]["lines"]:
            out.append(
                f"  returned {line['quantity']} {line['uom']} {line['sku'] or line['line_number']}: {line['reason']}"
            )
        for got in d["received"]:
            out.append(f"  received {got['quantity']} {got['sku'] or got['line_number']} {got['condition']}")
        if d["refund"]:
            out.append(f"  {d['refund']['action']} {d['refund']['refund_id']}: {len(d['refund']['lines'])} line(s)")
        return out

    _show(args, data, lines)
    return 0


def approve_return(args: argparse.Namespace) -> int:
    from crossdock.core.returns.refunds import approve

    with _hub(args, existing=True) as hub:
        said = approve(hub, args.return_id)
    _show(args, {"return_id": args.return_id, "done": said}, lambda d: [d["done"]])
    return 0
