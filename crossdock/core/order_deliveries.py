"""What an order recorded from a document sends: one delivery per destination in its format (a document that
cannot be written holds the order instead), earlier revisions' unsent deliveries cancelled, and the buyer's 855.
Apart from ``orders`` (which decides whether a document is a new order, a revision or nothing) so deciding and
sending read on their own; everything here is planned into the same transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.partners import Controls, Partner, created_now
from crossdock.core.plan import Numbered, Plan, Processed, Ref, delivery_key, outbound, queued, safe_name
from crossdock.core.render import render
from crossdock.core.routing import Assignment
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.order_json import ORDER, OrderText
from crossdock.core.storage.schema import deliveries, documents


def hold_order(hub: Hub, conn: Connection, plan: Plan, ref: int | Ref, po: str, who: str, reasons: list[str]) -> None:
    """An order a destination could not be written for is held, and a person is told once."""
    if isinstance(ref, Ref):
        plan.orders[ref.index]["status"] = "held"
    else:
        hub.store.update_order(conn, ref, status="held")
    raise_alert(
        hub.store,
        conn,
        hub.config,
        f"order-held:{who}:{po}:" + "|".join(reasons),
        f"crossdock: order {po} from {who} is held",
        "\n".join(reasons),
    )


def supersede(conn: Connection, order_id: int) -> None:
    """Deliveries of an earlier revision that have not left yet are cancelled: the new revision replaces them."""
    pending = (
        deliveries.c.order_id == order_id,
        deliveries.c.purpose == "order",
        deliveries.c.state.in_(("pending", "held")),  # held: the order is on hold (order_holds)
    )
    doc_ids = list(conn.execute(select(deliveries.c.document_id).where(*pending)).scalars())
    reason = "superseded by a newer revision of the order"
    conn.execute(update(deliveries).where(*pending).values(state="cancelled", last_error=reason))
    if doc_ids:
        conn.execute(update(documents).where(documents.c.id.in_(doc_ids)).values(state="cancelled", error=reason))


def plan_deliveries(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    order_ref: int | Ref,
    revision: int,
    document_id: int,
    order: Order,
    dumped: dict[str, Any],
    stored: str | OrderText,
    assignments: list[Assignment],
    partner: Partner | str,
    result: Processed,
    again: bool = False,
) -> list[str]:
    """One delivery per destination, written in the destination's format; returns why any could not be written.

    A destination whose document cannot be written (a line without the product id an ERP needs, a value the
    3PL's delimiters forbid) gets a ``failed`` document holding the order and the reason instead, and the
    order is held; after the fix, ``crossdock replay`` plans it again. ``again`` is that replay: destinations
    already queued for this revision are left alone, so nothing is sent twice.
    """
    hold = hub.config.routing.hold
    not_before = utcnow() + timedelta(seconds=hold) if hold else None
    problems: list[str] = []
    who = partner if isinstance(partner, str) else partner.name
    for a in assignments:
        positions = a.positions if a.split else None
        suffix = f"-{safe_name(a.sink)}" if a.split else ""
        base = f"{safe_name(who)}-{safe_name(order.po_number)}-r{revision}{suffix}"
        key = delivery_key("order", order.channel, who, order.external_id or order.po_number, revision, a.sink)
        if again:
            if queued(conn, key):
                continue
            _retire_failed(conn, a.sink, f"{base}.json")
        try:
            data, name, recipient, controls, whole = render(
                hub, conn, a.sink, order, dumped, stored, positions, base, partner
            )
        except (CrossdockError, ValueError) as exc:
            reason = (
                f"order {order.po_number} cannot be written for {a.sink}: {exc}; after the fix, "
                f"crossdock replay {document_id}"
            )
            plan.document(
                {
                    "direction": "out",
                    "data": (stored if isinstance(stored, str) else stored.text()).encode("utf-8"),
                    "state": "failed",
                    "endpoint": a.sink,
                    "remote_name": f"{base}.json",
                    "kind": "order",
                    "partner": who,
                    "parent_id": document_id,
                    "error": reason,
                }
            )
            plan.event("held", reason, order=order_ref, document=document_id)
            problems.append(reason)
            continue
        sets = registry.mapping("x12").set_count(data) if controls is not None and isinstance(data, bytes) else 1
        held = outbound(
            plan,
            recipient,
            data,
            name,
            "order",
            key,
            document_id,
            order_ref,
            controls,
            sink=a.sink,
            not_before=not_before,
            data_ref=ORDER if whole else None,
            sets=sets,
        )
        if held and controls is not None and not isinstance(recipient, str):  # a held 940 takes no number
            hub.store.return_numbers(conn, recipient.name, {"isa": 1, "gs": 1, "st": sets})
        plan.event(
            "routed", f"order {order.po_number} lines {list(a.positions)} to {a.sink} by {a.rule}", order=order_ref
        )
        result.deliveries += 1
    return problems


def _retire_failed(conn: Connection, sink: str, name: str) -> None:
    """The failed attempts to write this order for this destination, replaced by the attempt now made."""
    conn.execute(
        update(documents)
        .where(
            documents.c.direction == "out",
            documents.c.state == "failed",
            documents.c.endpoint == sink,
            documents.c.remote_name == name,
        )
        .values(state="cancelled", updated_at=utcnow())
    )


def send_855(
    hub: Hub, conn: Connection, plan: Plan, order_ref: int | Ref, document_id: int, order: Order, partner: Partner
) -> None:
    """Plan the 855, numbered when the plan is written (and not at all when it cannot be written).

    Only an order routed whole is acknowledged: one no rule takes, or one a destination's document cannot be
    written for (held), hears nothing until a replay routes it, since an "accepted" 855 promises the buyer a
    shipment crossdock cannot yet make, and a rejection would be wrong once the order is fixed and ships."""
    key = delivery_key("855", order.channel, partner.name, order.po_number)
    if queued(conn, key):
        return
    x12 = registry.mapping("x12")

    def render(controls: Controls) -> tuple[bytes, str]:
        out, cfg = x12.Outgoing(**partner.envelope(controls, created_now())), partner.config
        data = x12.write_855(
            order, out, ship_dates=cfg.ack_ship_date, lead_days=cfg.ack_lead_days, price_basis=cfg.ack_price_basis
        )
        return data, f"{safe_name(partner.name)}-855-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"

    refused = f"no 855 for order {order.po_number}"
    plan.numbered(Numbered(partner, (1, 1, 1), render, "855", key, document_id, order_ref, refused))
