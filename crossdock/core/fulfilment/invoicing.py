"""Invoices for what shipped: one 810 per shipment, or a day's shipments to one partner in one interchange."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, and_, select, update

from crossdock.core import registry
from crossdock.core.errors import Held
from crossdock.core.fulfilment.models import Invoice, InvoiceLine, Shipment
from crossdock.core.hub import Hub
from crossdock.core.models import Charge, Order, Party
from crossdock.core.partners import Partner, created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import documents, orders, shipments

# What an invoice repeats from the PO: the parties a retailer's guide asks for (SU supplier, the vendor number
# the buyer gave us, among them) and the references (IA vendor number, DP department, MR merchandise type).
INVOICE_ROLES = ("SU", "BT", "ST", "BY", "RE", "RI")
INVOICE_REFERENCES = ("IA", "DP", "MR")
COMPANY_SEQUENCE = "(company)"  # sequences scope for invoice numbers: no partner name can take it
CENT = Decimal("0.01")
# SAC06 (element 378) bases a percent-only SAC is priced on: of the amount before allowances (1 item list cost,
# 3 discount/gross, 5 base price per unit, 6 base price amount, B item total, C item unit price; D order total
# in the header only), or of what is left after the SACs before it (2 item net cost, 4 discount/net, 7 base
# price amount less previous discount).
NET_BASES = frozenset({"2", "4", "7"})
LINE_BASES = frozenset({"1", "3", "5", "6", "B", "C"}) | NET_BASES
HEADER_BASES = LINE_BASES | {"D"}
DAY_AGAIN = "crossdock replay of this document (or the next daily run) sends the shipments' invoices"


def invoice_for(
    order: Order,
    shipment: Shipment,
    number: str,
    today: dt.date,
    *,
    first: bool = True,
    parties: Sequence[Party] = (),
) -> Invoice:
    """The invoice for what this shipment carried, at the order's prices, billed to the order's parties.

    The PO's allowances and charges come along, so TDS01 nets them as the buyer's own total does: a line's SACs
    in full when the line ships in full, in proportion to the quantity when it ships in part; the PO's header
    SACs on the ``first`` invoice of the order only, never repeated on later ones. ``parties`` (the partner's
    configured RI, RE or SU) replace the PO's party of the same role."""
    by_line = {ol.line_number: ol for ol in order.lines}
    lines: list[InvoiceLine] = []
    for shipped in shipment.orders:
        for line in shipped.all_lines():
            ordered = by_line.get(line.line_number)
            if ordered is None or ordered.unit_price is None:
                raise Held(f"line {line.line_number} has no price on order {order.po_number} to invoice at")
            shared = [_share(c, line.quantity, ordered.quantity) for c in _money(ordered.charges)]
            where = f"line {line.line_number} of order {order.po_number}"
            lines.append(
                InvoiceLine(
                    position=len(lines) + 1,
                    line_number=line.line_number,
                    quantity=line.quantity,
                    uom=ordered.uom,
                    unit_price=ordered.unit_price,
                    price_basis=ordered.price_basis,
                    product_ids=dict(ordered.product_ids),
                    charges=priced(shared, line.quantity * ordered.unit_price, LINE_BASES, where),
                )
            )
    configured = {p.role for p in parties}
    kept = [p for p in order.parties if p.role in INVOICE_ROLES and p.role not in configured]
    return Invoice(
        invoice_number=number,
        invoice_date=today,
        po_number=order.po_number,
        po_date=order.order_date,
        currency=order.currency,
        parties=sorted([*kept, *parties], key=lambda p: INVOICE_ROLES.index(p.role)),
        references=[r for r in order.references if r.qualifier in INVOICE_REFERENCES],
        terms=list(order.terms),
        shipping_terms=list(order.shipping_terms[:1]),
        ship_date=shipment.ship_date,
        carrier_scac=shipment.carrier_scac,
        transport_mode=shipment.transport_mode,
        lines=lines,
        charges=_header_charges(order, lines) if first else [],
    )


def _header_charges(order: Order, lines: Sequence[InvoiceLine]) -> list[Charge]:
    """The PO's header SACs, a percent one priced on this invoice's lines (net: after the lines' own SACs)."""
    gross = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    net = gross + sum((signed(c) for line in lines for c in line.charges), Decimal(0))
    return priced(_money(order.charges), gross, HEADER_BASES, f"order {order.po_number}", net=net)


def signed(charge: Charge) -> Decimal:
    """A charge's amount as it counts in the total: allowances subtract."""
    if charge.amount is None or charge.indicator not in ("A", "C"):
        return Decimal(0)
    return charge.amount if charge.indicator == "C" else -charge.amount


def priced(
    charges: Sequence[Charge], gross: Decimal, bases: frozenset[str], where: str, *, net: Decimal | None = None
) -> list[Charge]:
    """The SACs with an amount each: one the PO gave as a percent only (SAC07, of the base SAC06 names) gets
    SAC05 = base x percent / 100, rounded half up to the cent as the N2 amount is written, so TDS counts it.
    A gross base is what the lines come to; a net one (2, 4, 7) what is left after the SACs before it. A base
    crossdock cannot compute (a late-payment base, a fuel rate) holds the shipment with the SAC named."""
    out: list[Charge] = []
    running = gross if net is None else net
    for c in charges:
        if c.amount is None and c.percent is not None:
            basis = c.percent_basis or "3"
            if basis not in bases:
                raise Held(
                    f"{where}: SAC {c.indicator} {c.code or c.agency_code or ''} is {c.percent} percent of base "
                    f"{basis} (SAC06), which crossdock cannot work out: ask the buyer for an amount (SAC05)"
                )
            base = running if basis in NET_BASES else gross
            c = c.model_copy(update={"amount": (base * c.percent / 100).quantize(CENT, ROUND_HALF_UP)})
        out.append(c)
        running += signed(c)
    return out


def _money(charges: Sequence[Charge]) -> list[Charge]:
    """The allowances (A) and charges (C); SAC01 N (information only: marking, ticketing) is no money."""
    return [c for c in charges if c.indicator in ("A", "C")]


def _share(charge: Charge, shipped: Decimal, ordered: Decimal) -> Charge:
    """A line's SAC for the part of the line this invoice bills: whole when all of it ships."""
    out = charge.model_copy()
    if charge.amount is not None and ordered and shipped != ordered:
        out.amount = (charge.amount * shipped / ordered).quantize(CENT, ROUND_HALF_UP)
        if charge.quantity is not None:
            out.quantity = shipped
    return out


def invoice_number(hub: Hub, n: int) -> str:
    """BIG02 for the company sequence's number ``n``, in the configured format."""
    return hub.config.invoice_numbers.format(n)


def next_invoice_numbers(hub: Hub, conn: Connection, count: int) -> int:
    """Reserve ``count`` invoice numbers of the company-wide sequence (rolled back with ``conn``); the first."""
    return hub.store.next_numbers(conn, COMPANY_SEQUENCE, "invoice", count)


def invoice_day(hub: Hub, partner_name: str) -> int:
    """The 810s for every shipment to ``partner_name`` not yet invoiced, in one interchange; returns how many.

    For partners with ``invoice: daily``: the scheduler runs this on ``invoice_schedule``. An interchange the
    partner's guide holds is kept as a held document, takes no control or invoice numbers and leaves the
    shipments to invoice: after the fix, the next run (or ``crossdock replay`` of that document) sends them.
    """
    buyer = hub.partners[partner_name]
    store = hub.store
    x12 = registry.mapping("x12")
    with store.transaction() as conn:
        rows = conn.execute(
            select(
                shipments.c.id,
                shipments.c.data,
                shipments.c.order_id,
                orders.c.data.label("order_data"),
                orders.c.status,
                shipments.c.document_id,
            )
            .join(orders, orders.c.id == shipments.c.order_id)
            .where(orders.c.partner == buyer.name, shipments.c.state == "recorded", shipments.c.invoiced_at.is_(None))
            .order_by(shipments.c.id)
        ).all()
        if not rows:
            return 0
        today = created_now().date()
        first_number = next_invoice_numbers(hub, conn, len(rows))
        billed = _invoiced_before(conn, {int(r.order_id) for r in rows})
        parties = configured_parties(buyer)
        invoices = []
        for i, row in enumerate(rows):
            order = x12.order_from_dict(json.loads(row.order_data))
            first = int(row.order_id) not in billed
            billed.add(int(row.order_id))
            shipment = Shipment.model_validate_json(row.data)
            number = invoice_number(hub, first_number + i)
            invoices.append(invoice_for(order, shipment, number, today, first=first, parties=parties))
        controls = reserve(store, conn, buyer.name, sets=len(invoices))
        data = x12.write_810s(invoices, x12.Outgoing(**buyer.envelope(controls, created_now())))
        name = f"{safe_name(buyer.name)}-810-{today:%Y%m%d}-{controls.interchange:09d}.edi"
        _retire_held_days(conn, buyer.name)
        plan = Plan()
        held = outbound(
            plan,
            buyer,
            data,
            name,
            "810",
            delivery_key("810-day", buyer.name, controls.interchange),
            None,
            None,
            controls,
            sets=len(invoices),
            again=DAY_AGAIN,
        )
        plan.write(store, conn)
        if held:  # the shipments stay to invoice; the numbers go back for the invoices that will be sent
            store.return_numbers(conn, buyer.name, {"isa": 1, "gs": 1, "st": len(invoices)})
            store.return_numbers(conn, COMPANY_SEQUENCE, {"invoice": len(rows)})
            store.log(conn, "810", f"{len(invoices)} invoice(s) to {buyer.name} held by its guide")
            return 0
        now = utcnow()
        conn.execute(update(shipments).where(shipments.c.id.in_([r.id for r in rows])).values(invoiced_at=now))
        shipped = sorted({int(r.order_id) for r in rows if r.status == "shipped"})
        store.set_order_statuses(conn, [("invoiced", order_id) for order_id in shipped])
        store.log(conn, "810", f"{len(invoices)} invoice(s) to {buyer.name} in interchange {controls.interchange}")
    return len(invoices)


def is_held_day(row: Any) -> bool:
    """Whether a stored document is a day's 810s a guide held (``invoice_day`` again sends them)."""
    return bool(row.direction == "out" and row.state == "held" and row.kind == "810" and row.parent_id is None)


def _held_days(partner: str) -> Any:
    return and_(
        documents.c.direction == "out",
        documents.c.state == "held",
        documents.c.partner == partner,
        documents.c.kind == "810",
        documents.c.parent_id.is_(None),
    )


def held_day(conn: Connection, partner: str) -> Any:
    """The partner's day of 810s a guide holds now (id and error), or None."""
    query = select(documents.c.id, documents.c.error).where(_held_days(partner)).order_by(documents.c.id.desc())
    return conn.execute(query.limit(1)).first()


def _retire_held_days(conn: Connection, partner: str) -> None:
    """The day's 810s held before for this partner: the interchange written now replaces them."""
    conn.execute(update(documents).where(_held_days(partner)).values(state="cancelled", updated_at=utcnow()))


def configured_parties(buyer: Partner) -> list[Party]:
    """The N1 loops the partner's configuration gives our 810s (``invoice_parties``)."""
    return [config.party(role) for role, config in buyer.config.invoice_parties.items()]


def _invoiced_before(conn: Connection, order_ids: set[int]) -> set[int]:
    """Of ``order_ids``, the orders one of whose shipments was invoiced already (their header SACs went then)."""
    done = select(shipments.c.order_id).where(
        shipments.c.order_id.in_(sorted(order_ids)), shipments.c.invoiced_at.is_not(None)
    )
    return {int(order_id) for order_id in conn.execute(done).scalars()}
