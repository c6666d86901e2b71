"""The ship flow: a warehouse's ship confirmation becomes a recorded shipment, an 856 and an 810 to the buyer.

A shipment is recorded once per (shipper, shipment id, PO): a 945 read twice changes nothing. Before anything
is written for the buyer it is checked: the order must be one crossdock holds, and no line may ship more than
an EDI buyer ordered (counting earlier shipments) unless the partner allows overshipment. The order is found by
what the shipment carries, most exact first: the reference crossdock gave the warehouse (ShipBob's reference_id,
the delivery's key; a 940's depositor order number, echoed in the 945's W0602), the channel's order id (with
the source, when given), and only then the PO number, narrowed by the source when given; two stores that both
have an order #1001 are told apart, and a shipment is held only when what it carries still names more than one
order. A line the warehouse closes short (``closed``: a 945's W1201 CP, CU or IC) has its rest sent back to the
order's source as a Cancellation (``cancel_back``). A shipment said to be delivered (``delivered_at``), on its
first reading or read again, is recorded as delivered once and its buyer told (``delivered``).

A shipment that fails is kept as ``held`` with the reason, and nothing leaves for it. Packages without an SSCC
get one from the company-wide serial sequence of the buyer's GS1 prefix (``sscc_serials``), allocated like
control numbers: in the recording transaction, never reused. Only the warehouse's own pallets get a tare level.
"""

from __future__ import annotations

import json
from contextlib import suppress
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, select

from crossdock.core import registry
from crossdock.core.errors import Held
from crossdock.core.fulfilment import asn_plan
from crossdock.core.fulfilment.answers import Answer, answer, match_line
from crossdock.core.fulfilment.delivered import record_delivered
from crossdock.core.fulfilment.invoicing import invoice_for
from crossdock.core.fulfilment.models import Shipment, ShipmentOrder
from crossdock.core.fulfilment.shipment_checks import (
    check_labels,
    check_shipped,
    closed_short,
    shipped_totals,
    unlabelled,
)
from crossdock.core.fulfilment.sscc_serials import Gs1Block, allocate, block_for
from crossdock.core.hub import Hub
from crossdock.core.lifecycle.cancel_back import cancellation_for, plan_cancellation, reply_sink
from crossdock.core.models import Order
from crossdock.core.notices import buyer_mail as customer_notices
from crossdock.core.partners import created_now
from crossdock.core.plan import Plan, Processed, warehouse_order_number
from crossdock.core.products import catalogue
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import carton_labels, deliveries, documents, orders, shipments
from crossdock.core.storage.store import to_json


def record_shipments(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    found: list[Shipment],
    shipper: str,
    result: Processed,
) -> list[str]:
    """Record every order of every shipment in a document and plan the buyers' 856s (and 810s).

    What the checks need is read in three queries for the whole document, and what is written goes in one
    multi-row statement per table, so a file of a hundred 945s costs about what one does.
    """
    problems: list[str] = []
    pieces = [
        (s, Shipment(**{**_fields(s), "orders": [shipped], "purpose": "00", "references": _for_buyer(s)}))
        for s in found
        for shipped in s.orders
    ]
    if not pieces:
        return problems
    ctx = _Context(hub, conn, shipper, [one for _, one in pieces])
    asn_ids = {id(one): bsn for s in found for one, bsn in _shares(s, pieces)}
    answers: list[Answer] = []
    labels: dict[Gs1Block, list[Any]] = {}  # serials are reserved once per prefix for the whole file
    for shipment, one in pieces:
        shipped = one.orders[0]
        key = (shipper, shipment.shipment_id, shipped.po_number)
        existing = ctx.existing.get(key)
        if existing is not None and existing.state == "recorded":
            if one.delivered_at is not None:
                with suppress(Held):  # an order cancelled since: nobody is told it arrived
                    record_delivered(hub, conn, plan, ctx.order(shipped), shipper, one, document_id)
                continue
            plan.event("shipment", f"shipment {key[1]} for PO {key[2]} read again, unchanged", document=document_id)
            continue
        try:
            order_id, order, origin = ctx.order(shipped)
            buyer = hub.partners.get(order.partner or "")
            buyer_config = buyer.config if buyer is not None else None
            reply = reply_sink(hub, origin)  # a sales channel's orders are fulfilled back on the channel by default
            if buyer is None and reply is None:
                raise Held(
                    f"order {order.po_number} is from {order.partner!r}, which is not a configured partner, and its "
                    f"source {origin!r} has no fulfilment_sink: nothing could answer it"
                )
            totals = ctx.shipped_before(order_id, order)
            closed = ctx.closed_before(order_id, order)
            status = check_shipped(totals, order, shipped, buyer, closed, ctx.catalogue)
            check_labels(one, ctx.labels_given(order_id, order), order.po_number, block_for(hub.config, buyer_config))
            units: list[Any] = []
            block: Gs1Block | None = None
            if buyer is not None:
                if buyer.config.invoice == "on_shipment":
                    invoice_for(order, one, "check", created_now().date())  # every line priced, before labels
                units = unlabelled(one, buyer)
                block = block_for(hub.config, buyer.config)
                if units and block is None:
                    raise Held(
                        f"packages need SSCC labels and partner {buyer.name} has no gs1_prefix, nor has the company"
                    )
                ship_from = hub.config.ship_from.for_shipper(shipper)
                asn_plan.for_buyer(one, order, ship_from, buyer.config.asn_references)
                asn_plan.lading(one, whole=len(shipment.orders) == 1)
                asn_plan.delivery(one, buyer.config.asn_transit_days)
        except Held as exc:
            reason = f"shipment {shipment.shipment_id} for PO {shipped.po_number} held: {exc}"
            ctx.save(existing, key, None, "held", reason, one, document_id)
            plan.event("held", reason, document=document_id)
            problems.append(reason)
            continue
        ctx.save(existing, key, order_id, "recorded", None, one, document_id)
        ctx.recorded(order_id, one)
        plan.event(
            "shipment", f"shipment {key[1]} recorded for order {order.po_number}", order=order_id, document=document_id
        )
        result.shipments += 1
        whole = False
        if cut := closed_short(order, shipped, totals):
            whole = not any(totals.values()) and set(cut) == {line.position for line in order.lines}
            told = cancellation_for(
                order, cut, reason="out_of_stock", by="warehouse", whole=whole, tag=f"{shipper}:{shipment.shipment_id}"
            )
            plan_cancellation(hub, conn, plan, order_id, order, origin, told, cut, document_id)
        if not any(line.quantity for line in shipped.all_lines()):  # only closes lines: no 856, 810 or fulfilment
            hub.store.set_order_statuses(conn, [("cancelled" if whole else status, order_id)])
            plan.event("shipment", f"shipment {key[1]} ships nothing of order {order.po_number}", order=order_id)
            continue
        customer_notices.shipped(hub, conn, plan, order, order_id, origin, one, f"{shipper}:{key[1]}", document_id)
        record_delivered(hub, conn, plan, (order_id, order, origin), shipper, one, document_id)
        if units and block is not None:
            labels.setdefault(block, []).extend(units)
        answers.append(
            Answer(
                order_id,
                order,
                one,
                buyer,
                status,
                totals,
                one.status == "partial",
                reply,
                asn_id=asn_ids[id(one)],
                asn_key=asn_plan.consolidation_key(one, shipper),
                closed=frozenset(closed),
            )
        )
    for block, units in labels.items():
        for unit, sscc in zip(units, allocate(hub.store, conn, block, len(units)), strict=True):
            unit.sscc = sscc
    ctx.flush()
    problems.extend(answer(hub, conn, plan, document_id, answers))
    return problems


_SHIPMENTS_INSERT = (
    "INSERT INTO shipments (partner, external_id, po_number, order_id, state, error, data, document_id, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class _Context:
    """What recording a document's shipments reads, fetched once, and what it writes, written once."""

    def __init__(self, hub: Hub, conn: Connection, shipper: str, pieces: list[Shipment]) -> None:
        self.conn = conn
        self.store = hub.store
        named = [one.orders[0] for one in pieces]
        pos = sorted({o.po_number for o in named})
        externals = sorted({o.external_id for o in named if o.external_id})
        references = sorted({o.reference for o in named if o.reference})
        ids = sorted({one.shipment_id for one in pieces})
        self.existing = {
            (r.partner, r.external_id, r.po_number): r
            for r in conn.execute(
                select(
                    shipments.c.id,
                    shipments.c.state,
                    shipments.c.partner,
                    shipments.c.external_id,
                    shipments.c.po_number,
                ).where(shipments.c.partner == shipper, shipments.c.external_id.in_(ids))
            )
        }
        self.by_reference: dict[str, int] = {}
        if references:
            handed = select(deliveries.c.key, deliveries.c.order_id).where(
                deliveries.c.key.in_(references), deliveries.c.purpose == "order", deliveries.c.order_id.is_not(None)
            )
            self.by_reference = {key: int(order_id) for key, order_id in conn.execute(handed)}
        wanted: ColumnElement[bool] = orders.c.po_number.in_(pos)
        if externals:
            wanted = wanted | orders.c.external_id.in_(externals)
        if self.by_reference:
            wanted = wanted | orders.c.id.in_(sorted(set(self.by_reference.values())))
        self.rows: dict[int, Any] = {
            int(row.id): row
            for row in conn.execute(
                select(
                    orders.c.id,
                    orders.c.channel,
                    orders.c.po_number,
                    orders.c.external_id,
                    orders.c.partner,
                    orders.c.data,
                    orders.c.status,
                    documents.c.endpoint,
                )
                .outerjoin(documents, documents.c.id == orders.c.document_id)
                .where(wanted)
            )
        }
        order_ids = sorted(self.rows)
        self.labels: dict[tuple[str, str, str], set[str]] = {}  # the SSCCs destinations were given, by order
        given = select(
            carton_labels.c.channel, carton_labels.c.partner, carton_labels.c.external_id, carton_labels.c.sscc
        )
        for channel, partner, external_id, sscc in conn.execute(given.where(carton_labels.c.po_number.in_(pos))):
            self.labels.setdefault((channel, partner, external_id), set()).add(sscc)
        self.earlier: dict[int, list[Shipment]] = {}
        recorded = select(shipments.c.order_id, shipments.c.data).where(
            shipments.c.order_id.in_(order_ids), shipments.c.state == "recorded"
        )
        for order_id, data in conn.execute(recorded):
            self.earlier.setdefault(int(order_id), []).append(Shipment.model_validate_json(data))
        self.saved: list[tuple[Any, tuple[str, str, str], int | None, str, str | None, Shipment, int]] = []
        self.x12 = registry.mapping("x12")
        self.catalogue = catalogue(hub.config.products)

    def order(self, shipped: ShipmentOrder) -> tuple[int, Order, str | None]:
        """The order a shipment names, and the source its latest revision was read from (see the module doc)."""
        rows = list(self.rows.values())
        numbered = [r for r in rows if shipped.reference and _numbered(r, shipped.reference)]
        if shipped.reference and shipped.reference in self.by_reference:
            rows = [self.rows[self.by_reference[shipped.reference]]]
        elif numbered:  # the depositor order number crossdock's 940 gave it, echoed by the 945 (W0602)
            rows = numbered
        elif shipped.external_id and any(r.external_id == shipped.external_id for r in rows):
            rows = [r for r in rows if r.external_id == shipped.external_id]
        else:
            rows = [r for r in rows if r.po_number == shipped.po_number]
        if shipped.source and len(rows) > 1:
            rows = [r for r in rows if shipped.source in (r.partner, r.endpoint)] or rows
        if not rows:
            raise Held(f"no order with PO number {shipped.po_number!r}")
        if len(rows) > 1:
            raise Held(
                f"{len(rows)} orders carry PO number {shipped.po_number!r} ("
                + ", ".join(sorted(r.partner for r in rows))
                + "); the shipment names no source or channel order id that tells which"
            )
        if rows[0].status == "cancelled":  # no 856 or 810 for what the buyer cancelled: a person settles it
            raise Held(
                f"order {shipped.po_number} was cancelled, yet the warehouse shipped it: settle it with the buyer"
            )
        return int(rows[0].id), self.x12.order_from_dict(json.loads(rows[0].data)), rows[0].endpoint

    def labels_given(self, order_id: int, order: Order) -> set[str]:
        row = self.rows[order_id]
        return self.labels.get((order.channel, row.partner, row.external_id), set())

    def shipped_before(self, order_id: int, order: Order) -> dict[int, Decimal]:
        return shipped_totals(order, self.earlier.get(order_id, []))

    def closed_before(self, order_id: int, order: Order) -> set[int]:
        """The order's lines an earlier shipment closed: no more of them will ship."""
        return {
            pos
            for earlier in self.earlier.get(order_id, [])
            for shipped in earlier.orders
            for line in shipped.all_lines()
            if line.closed and (pos := match_line(order, line)) is not None
        }

    def recorded(self, order_id: int, shipment: Shipment) -> None:
        self.earlier.setdefault(order_id, []).append(shipment)  # a second 945 in the same file sees the first

    def save(
        self,
        existing: Any,
        key: tuple[str, str, str],
        order_id: int | None,
        state: str,
        error: str | None,
        shipment: Shipment,
        document_id: int,
    ) -> None:
        """Kept until ``flush``: the shipment's packages get their SSCCs after every shipment is checked."""
        self.saved.append((existing, key, order_id, state, error, shipment, document_id))

    def flush(self) -> None:
        now = utcnow()
        inserts: list[tuple[Any, ...]] = []
        for existing, key, order_id, state, error, shipment, document_id in self.saved:
            values = {
                "order_id": order_id,
                "state": state,
                "error": error,
                "data": to_json(shipment.model_dump(mode="json")),
                "document_id": document_id,
                "updated_at": now,
            }
            if existing is None:
                inserts.append((*key, order_id, state, error, values["data"], document_id, now, now))
            else:
                self.conn.execute(shipments.update().where(shipments.c.id == existing.id).values(**values))
        self.store.execute_many(self.conn, _SHIPMENTS_INSERT, inserts)


def _numbered(row: Any, reference: str) -> bool:
    """Whether ``reference`` is the depositor order number crossdock's 940s give the stored order
    (``warehouse_order_number``), or one part of it when the order went out as one 940 per ship-to (``-1`` ...)."""
    number = warehouse_order_number(str(row.channel), str(row.partner), str(row.external_id), str(row.po_number))
    return reference == number or (reference.startswith(f"{number}-") and reference[len(number) + 1 :].isdigit())


# References a warehouse's confirmation carries that mean something to the buyer: bill of lading, carrier
# PRO number, tracking. Its own (the depositor order it was given, its internal ids) stay out of the 856.
BUYER_REFERENCES = frozenset({"BM", "CN", "2I"})


def _for_buyer(shipment: Shipment) -> list[Any]:
    return [ref for ref in shipment.references if ref.qualifier in BUYER_REFERENCES]


def _shares(shipment: Shipment, pieces: list[tuple[Shipment, Shipment]]) -> list[tuple[Shipment, str]]:
    """The pieces of one confirmation with their BSN02s; each has its share of the weight (``asn_plan.share``)."""
    mine = [one for s, one in pieces if s is shipment]
    return list(zip(mine, asn_plan.share(mine), strict=True))


def _fields(shipment: Shipment) -> dict[str, Any]:
    return {f: getattr(shipment, f) for f in shipment.__dataclass_fields__ if f != "orders"}
