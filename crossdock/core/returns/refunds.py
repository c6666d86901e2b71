"""The channel told once a return's goods are received: a ``Refund`` to the source's reply sink (purpose ``refund``).

Per source (``returns: {refund: on_receipt | approve}``) the refund is queued as soon as a receipt applies, or
kept on the return until ``crossdock returns approve RETURN_ID``. A refund covers what that receipt received
(damaged units too: the buyer sent them back), never more units than the return holds, and never more money
than was paid for them (the unit price the channel gave the return line, else the order line's, times the
units). An EDI buyer's return gets no channel refund: its credit memo (an 812/810 credit) is not written by
crossdock, and the return says so.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core.configuration.returns import ReturnsPolicy
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancel_back import reply_sink
from crossdock.core.models import Order, OrderLine
from crossdock.core.notices import buyer_mail as customer_notices
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.returns.intake import stored_order
from crossdock.core.returns.models import REFUND, Refund, RefundLine, Return, ReturnLine, ReturnReceipt
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import orders, returns
from crossdock.core.storage.store import to_json

SKU_QUALIFIERS = ("SK", "VN", "BP", "IN")  # where an order line keeps the SKU a return and a receipt name


def refund_after(
    hub: Hub, conn: Connection, plan: Plan, row: Any, ret: Return, receipt: ReturnReceipt, key: str
) -> None:
    """Queue, or keep for approval, the refund of what ``receipt`` received of return ``row``."""
    order_id = None if row.order_id is None else int(row.order_id)
    if ret.partner:
        plan.event(
            REFUND,
            f"return {ret.return_id} from EDI buyer {ret.partner}: no channel refund; its credit memo is for a person "
            "(crossdock writes no 812 or credit 810)",
            order=order_id,
        )
        return
    policy = policy_of(hub, ret.channel)
    refund = refund_for(ret, receipt, _order(conn, order_id), key, policy)
    if not refund.lines:
        return
    if policy.refund == "approve":
        if row.state == "approval" and row.refund:  # a refund waits already: this receipt's lines join it
            waiting = Refund.model_validate_json(row.refund)
            refund = waiting.model_copy(update={"lines": [*waiting.lines, *refund.lines]})
        conn.execute(
            returns.update()
            .where(returns.c.id == row.id)
            .values(state="approval", refund=to_json(refund.model_dump(mode="json")), updated_at=utcnow())
        )
        plan.event(
            REFUND, f"return {ret.return_id}: refund waits: crossdock returns approve {ret.return_id}", order=order_id
        )
        return
    queue_refund(hub, conn, plan, row, refund)


def queue_refund(hub: Hub, conn: Connection, plan: Plan, row: Any, refund: Refund) -> None:
    """The refund to the source's reply sink, once (its key is its id); the return marked refunded or closed."""
    order_id = None if row.order_id is None else int(row.order_id)
    sink = reply_sink(hub, refund.channel)
    data = to_json(refund.model_dump(mode="json")).encode("utf-8") + b"\n"
    key = delivery_key(REFUND, sink, refund.channel, refund.refund_id)
    name = f"refund-{safe_name(refund.po_number)}-{safe_name(refund.refund_id)}.json"
    outbound(plan, refund.channel, data, name, REFUND, key, row.document_id, order_id, sink=sink)
    state = "refunded" if refund.action == "refund" else "closed"
    conn.execute(
        returns.update()
        .where(returns.c.id == row.id)
        .values(state=state, refund=to_json(refund.model_dump(mode="json")), updated_at=utcnow())
    )
    told = f"told {sink}" if sink else "no sink to tell"
    money = sum((line.amount or Decimal(0) for line in refund.lines), Decimal(0))
    order = _order(conn, order_id) if refund.action == "refund" else None
    if order is not None:
        customer_notices.notify(
            hub, conn, plan, source=refund.channel, event="refunded", order=order, ref=order_id,
            document_id=row.document_id, about=refund.refund_id,
            items=[(line.quantity, line.sku, None) for line in refund.lines],
            amount=f"{money} {refund.currency or order.currency}",
        )  # fmt: skip
    plan.event(
        REFUND,
        f"return {refund.return_id}: {refund.action} {refund.refund_id} of {len(refund.lines)} line(s), "
        f"{money} {refund.currency or ''}".rstrip()
        + f": {told}",
        order=order_id,
    )


def approve(hub: Hub, return_id: str) -> str:
    """Queue the refund a return waits with (``refund: approve``); says what was done."""
    with hub.store.transaction() as conn:
        rows = list(conn.execute(select(returns).where(returns.c.return_id == return_id)))
        if not rows:
            raise CrossdockError(f"no return {return_id}")
        if len(rows) > 1:
            raise CrossdockError(f"return id {return_id} is in several sources: {', '.join(r.channel for r in rows)}")
        row = rows[0]
        if row.state != "approval" or not row.refund:
            raise CrossdockError(f"return {return_id} is {row.state}: no refund waits for approval")
        plan = Plan()
        refund = Refund.model_validate_json(row.refund)
        queue_refund(hub, conn, plan, row, refund)
        plan.event(REFUND, f"return {return_id}: refund approved by an operator")
        plan.write(hub.store, conn)
    return f"return {return_id}: {refund.action} {refund.refund_id} queued"


def policy_of(hub: Hub, source: str) -> ReturnsPolicy:
    found = getattr(hub.config.sources.get(source), "returns", None)
    return found if isinstance(found, ReturnsPolicy) else ReturnsPolicy()


def _order(conn: Connection, order_id: int | None) -> Order | None:
    if order_id is None:
        return None
    data = conn.execute(select(orders.c.data).where(orders.c.id == order_id)).scalar()
    return stored_order(data) if data else None


def refund_for(ret: Return, receipt: ReturnReceipt, order: Order | None, key: str, policy: ReturnsPolicy) -> Refund:
    """The refund of what ``receipt`` received, line by line of the return, bounded by the return's units and by
    what was paid for them: the unit price (the return line's, else the order line's) less the line's discounts
    and with the tax the seller collected on it, shared per unit, as the contract counts a refund's amount (that tax
    also apart, ``tax``, and the order line matched, ``order_line``, for a channel that refunds by its own item)."""
    got: dict[str, Decimal] = defaultdict(Decimal)
    for received in receipt.lines:
        got[received.sku or f"#{received.line_number}"] += received.quantity
    lines: list[RefundLine] = []
    for line in ret.lines:
        wanted = line.sku or f"#{line.line_number}"
        quantity = min(got.get(wanted, Decimal(0)), line.quantity)
        if quantity <= 0:
            continue
        got[wanted] -= quantity
        ordered = _order_line(order, line)
        price = _paid(line, ordered)
        amount = None if price is None else (price * quantity).quantize(Decimal("0.01"))
        lines.append(
            RefundLine(
                line_number=line.line_number,
                channel_line_id=line.channel_line_id,
                sku=line.sku,
                quantity=quantity,
                amount=amount,
                restock=policy.restock,
                tax=None if amount is None else min(amount, (_tax(ordered) * quantity).quantize(Decimal("0.01"))),
                order_line=ordered.line_number if ordered is not None else None,
            )
        )
    return Refund(
        channel=ret.channel,
        refund_id=f"{ret.return_id}-{key[:12]}",
        return_id=ret.return_id,
        po_number=ret.po_number,
        external_id=ret.external_id,
        action=policy.action,
        currency=ret.currency or (order.currency if order is not None else None),
        lines=lines,
        note=f"return {ret.return_id} received by {receipt.warehouse}",
    )


def _paid(line: ReturnLine, ordered: OrderLine | None) -> Decimal | None:
    """What the buyer paid for one unit of ``line``; None when no price is known."""
    price = line.unit_price if line.unit_price is not None else (ordered.unit_price if ordered else None)
    if price is None or ordered is None or not ordered.quantity:
        return price
    off = sum((d.amount for d in ordered.discounts), Decimal(0))
    tax = sum((t.amount for t in ordered.taxes if t.collected_by == "seller"), Decimal(0))
    return max(price + (tax - off) / ordered.quantity, Decimal(0))


def _tax(ordered: OrderLine | None) -> Decimal:
    """The tax the seller collected on one unit of the order line (the part of ``_paid`` a channel may want apart)."""
    if ordered is None or not ordered.quantity:
        return Decimal(0)
    tax = sum((t.amount for t in ordered.taxes if t.collected_by == "seller"), Decimal(0))
    return max(tax / ordered.quantity, Decimal(0))


def _order_line(order: Order | None, line: ReturnLine) -> OrderLine | None:
    if order is None:
        return None
    for candidate in order.lines:
        if line.line_number and candidate.line_number == line.line_number:
            return candidate
    for candidate in order.lines:
        if line.sku and any(candidate.product_ids.get(q) == line.sku for q in SKU_QUALIFIERS):
            return candidate
    return None
