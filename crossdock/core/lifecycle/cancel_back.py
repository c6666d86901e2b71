"""Lines that will not ship, told to where the order came from: a ``Cancellation`` to the source's reply sink, and
for an EDI buyer that takes 855s an 855 change (BAK01 04: IR for a line cut whole, IQ for a line cut in part).

Two callers: an operator (``crossdock orders cancel``, ``operator_orders``) and a warehouse that says it ships no
more of a line (``shipping``). The reply sink is resolved as a fulfilment's is: the source's ``fulfilment_sink``,
or for a sales channel the channel itself. The cancellation's id, and so its delivery key, is a digest of the
order and of what is cancelled and why, so planning the same cancellation twice sends it once.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sqlalchemy import Connection

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancellations import CANCELLATION, By, Cancellation, CancelledLine, Reason
from crossdock.core.models import Order
from crossdock.core.notices import buyer_mail as customer_notices
from crossdock.core.partners import Controls, created_now
from crossdock.core.plan import Id, Numbered, Plan, delivery_key, outbound, safe_name
from crossdock.core.storage.store import to_json


def reply_sink(hub: Hub, origin: str | None) -> str | None:
    """Where what happens to an order goes back: the source's ``fulfilment_sink``, else a channel's own sink."""
    source = hub.config.sources.get(origin or "")
    if source is None:
        return None
    return source.fulfilment_sink or (origin if source.type in CHANNELS else None)


def cancellation_for(
    order: Order, cut: dict[int, Decimal], *, reason: Reason, by: By, note: str = "", whole: bool, tag: str
) -> Cancellation:
    """The Cancellation of ``cut`` (quantity per line position) of ``order``, or of all of it (``whole``);
    ``tag`` tells this cancellation from another of the same lines (the revision it made, the shipment)."""
    lines = [
        CancelledLine(
            line_number=line.line_number,
            product_ids=dict(line.product_ids),
            quantity=cut[line.position],
            uom=line.uom,
            left=max(line.quantity - cut[line.position], Decimal(0)),
        )
        for line in order.lines
        if not whole and cut.get(line.position, Decimal(0)) > 0
    ]
    what = (
        "whole"
        if whole
        else ",".join(f"{line.position}:{cut[line.position]}" for line in order.lines if line.position in cut)
    )
    parts = (order.channel, order.partner, order.external_id or order.po_number, by, tag, what)
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return Cancellation(
        channel=order.channel,
        partner=order.partner,
        po_number=order.po_number,
        external_id=order.external_id,
        cancellation_id=f"{by}-{digest}",
        reason=reason,
        note=note,
        by=by,
        whole_order=whole,
        lines=lines,
    )


def plan_cancellation(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    order_ref: Id,
    order: Order,
    origin: str | None,
    cancellation: Cancellation,
    cut: dict[int, Decimal],
    document_id: int | None,
) -> list[str]:
    """Plan the cancellation to the order's reply sink and, for an EDI buyer with ``send_855``, the 855 change
    (``order`` as it was before the cut: the 855 states what was ordered). Returns where it goes; when nothing
    can carry it, a person is alerted once."""
    told: list[str] = []
    po, cid = order.po_number, cancellation.cancellation_id
    sink = reply_sink(hub, origin)
    if sink is not None:
        data = to_json(cancellation.model_dump(mode="json")).encode("utf-8") + b"\n"
        key = delivery_key(CANCELLATION, sink, order.channel, order.partner, order.external_id or po, cid)
        name = f"cancellation-{safe_name(po)}-{safe_name(cid)}.json"
        outbound(plan, order.partner or order.channel, data, name, CANCELLATION, key, document_id, order_ref, sink=sink)
        told.append(sink)
    buyer = hub.partners.get(order.partner or "")
    if buyer is not None and buyer.config.send_855:
        x12 = registry.mapping("x12")

        def render(controls: Controls) -> tuple[bytes, str]:
            data = x12.write_855_cancellation(order, cut, x12.Outgoing(**buyer.envelope(controls, created_now())))
            return data, f"{safe_name(buyer.name)}-855-{safe_name(po)}-{controls.interchange:09d}.edi"

        key = delivery_key("855-cancellation", buyer.name, po, cid)
        refused = f"no 855 change for the cancelled lines of order {po}"
        plan.numbered(Numbered(buyer, (1, 1, 1), render, "855", key, document_id, order_ref, refused))
        told.append(f"{buyer.name} (855 change)")
    customer_notices.cancelled(hub, conn, plan, order, order_ref, origin, cancellation, document_id)
    what = "order" if cancellation.whole_order else f"{len(cancellation.lines)} line(s) of order"
    if told:
        plan.event(CANCELLATION, f"{what} {po} cancelled by {cancellation.by}: told {', '.join(told)}", order=order_ref)
        return told
    reason = (
        f"{what} {po} cancelled by {cancellation.by} ({cancellation.reason}), and its source "
        f"{origin or order.partner!r} has no way to be told: tell the buyer"
    )
    plan.event(CANCELLATION, reason, order=order_ref)
    raise_alert(hub.store, conn, hub.config, f"cancel-back:{po}:{cid}", f"crossdock: {reason}", reason)
    return told
