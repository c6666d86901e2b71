"""SSCC-18 carton labels a destination gets with an order, before it ships (a sink's ``labels: sscc``).

The builder of a carton labels it, and the 856's MAN*GM must equal the label. When crossdock numbers the cartons
(its GS1 prefix, the warehouse printing), the SSCCs must reach the warehouse with the order and come back in
its ship confirmation: they go in the 940 (MAN*GM in each line's LX loop) or the order JSON (``labels``), are
kept here (table ``carton_labels``, one row a carton, the SSCC its key so none is ever given twice), print with
``crossdock labels`` (and go as a file to the sink's ``labels_to`` each time cartons get new SSCCs), and a
confirmation for the order must name them (``shipping`` holds it otherwise).

Cartons are planned from the order: a line in cases (CA, CS, CT, BX) is a carton a case; a line with a pack
(PO4 units a case) is a carton per pack, the last one holding the rest; any other line is one carton. A plan
above ``MAX_CARTONS`` is refused (quantities are the partner's, untrusted). A new revision of the order with the
same plan keeps its SSCCs (the warehouse may have printed them); a different plan gets a new set of labels, new
SSCCs, never reusing the old.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, select, update

from crossdock.core import registry
from crossdock.core.fulfilment.models import CartonLabel
from crossdock.core.fulfilment.sscc_serials import allocate, block_for
from crossdock.core.models import Order, Party
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan, delivery_key, safe_name
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import carton_labels
from crossdock.core.storage.store import to_json

if TYPE_CHECKING:
    from crossdock.core.hub import Hub

CASE_UOMS = frozenset({"CA", "CS", "CT", "BX"})
MAX_CARTONS = 2000


def plan_cartons(order: Order) -> list[tuple[int, Decimal]]:
    """(line position, quantity) for each carton of ``order``, in line order (see the module doc)."""
    counts: list[tuple[int, Decimal, Decimal, int]] = []  # position, quantity, per carton, cartons
    for line in order.lines:
        if line.quantity <= 0:
            continue
        if line.uom in CASE_UOMS:
            per = Decimal(1)
        elif line.pack and line.pack > 0:
            per = Decimal(line.pack)
        else:
            per = line.quantity
        counts.append((line.position, line.quantity, per, math.ceil(line.quantity / per)))
    total = sum(n for *_, n in counts)
    if total > MAX_CARTONS:
        raise ValueError(f"order {order.po_number} plans {total} cartons, more than the {MAX_CARTONS} labelled at once")
    return [(pos, min(per, qty - per * i)) for pos, qty, per, n in counts for i in range(n)]


def labels_for(hub: Hub, conn: Connection, sink: str, order: Order, partner: Partner | str) -> list[CartonLabel]:
    """The labels of ``order`` (the lines routed to ``sink``) for ``sink``: the SSCCs it was given before when
    the carton plan is the same, else new ones; recorded in ``conn``'s transaction."""
    who = partner if isinstance(partner, str) else partner.name
    key = (order.channel, who, order.external_id or order.po_number)
    planned = plan_cartons(order)
    if not planned:
        return []
    label_set, before = _latest(conn, key, sink)
    lines = {line.position: line for line in order.lines}
    carrier = next((c.scac or c.routing for c in order.carriers if c.scac or c.routing), None)
    fresh = [(label.line_position, label.quantity) for label in before] != planned
    if not fresh:
        ssccs = [label.sscc for label in before]
    else:
        label_set += 1
        block = block_for(hub.config, partner.config if isinstance(partner, Partner) else None)
        if block is None:
            raise ValueError(f"{sink} gives SSCC labels and no gs1_prefix is configured (company.gs1_prefix)")
        ssccs = allocate(hub.store, conn, block, len(planned))
    labels = [
        CartonLabel(
            sscc=sscc,
            po_number=order.po_number,
            carton=i,
            cartons=len(planned),
            ship_from=ship_from(hub, sink, order),
            ship_to=order.ship_to,
            mark_for=order.party("Z7") or order.party("BY"),
            carrier=carrier,
            line_position=pos,
            product_ids=dict(lines[pos].product_ids),
            quantity=quantity,
        )
        for i, (sscc, (pos, quantity)) in enumerate(zip(ssccs, planned, strict=True), 1)
    ]
    _save(conn, key, sink, label_set, labels, known={label.sscc for label in before})
    if fresh:
        _send_file(hub, conn, sink, key, label_set, labels)
    return labels


def ship_from(hub: Hub, sink: str, order: Order) -> Party | None:
    """Zone A: where the cartons leave from, as ``ship_from`` configures it (the warehouse's own entry, keyed by
    the 3PL partner the sink writes 940s for or by the sink's name, else the company's); the order's SF party
    only when ``ship_from`` names none (it is the buyer's idea of us, not where the warehouse is)."""
    config = hub.config.sinks.get(sink)
    keys = [getattr(config, "partner", None), sink]
    for name in keys:
        if name and name in hub.config.ship_from.warehouses:
            return hub.config.ship_from.warehouses[name].party("SF")
    if hub.config.ship_from.company is not None:
        return hub.config.ship_from.company.party("SF")
    return order.party("SF")


def _send_file(
    hub: Hub, conn: Connection, sink: str, key: tuple[str, str, str], label_set: int, labels: list[CartonLabel]
) -> None:
    """The new labels as a file to the sink's ``labels_to``, queued with the order (sent once: its key names the
    label set)."""
    config = hub.config.sinks.get(sink)
    target = getattr(config, "labels_to", None)
    if target is None:
        return
    fmt = getattr(config, "labels_format", "zpl")
    channel, partner, external_id = key
    data = getattr(registry.mapping("labels"), fmt)(labels)
    name = f"{safe_name(partner)}-{safe_name(labels[0].po_number)}-{safe_name(sink)}-labels-{label_set}.{fmt}"
    plan = Plan()
    document = plan.document(
        {
            "direction": "out",
            "data": data,
            "state": "queued",
            "endpoint": target,
            "kind": "labels",
            "partner": partner,
            "remote_name": name,
        }
    )
    plan.delivery(
        {
            "key": delivery_key("labels", channel, partner, external_id, sink, label_set),
            "sink": target,
            "purpose": "labels",
        },
        document,
        None,
    )
    plan.event("labels", f"{len(labels)} carton labels of PO {labels[0].po_number} to {target}", document=document)
    plan.write(hub.store, conn)


def _latest(conn: Connection, key: tuple[str, str, str], sink: str) -> tuple[int, list[CartonLabel]]:
    """The set of labels ``sink`` was last given for the order (its number, 0 for none), in carton order."""
    rows = conn.execute(
        select(carton_labels.c.label_set, carton_labels.c.data)
        .where(*_is(key), carton_labels.c.sink == sink)
        .order_by(carton_labels.c.label_set.desc(), carton_labels.c.carton)
    ).all()
    last = rows[0].label_set if rows else 0
    return last, [CartonLabel.model_validate_json(r.data) for r in rows if r.label_set == last]


def _is(key: tuple[str, str, str]) -> tuple[ColumnElement[bool], ...]:
    channel, partner, external_id = key
    return (
        carton_labels.c.channel == channel,
        carton_labels.c.partner == partner,
        carton_labels.c.external_id == external_id,
    )


def _save(
    conn: Connection, key: tuple[str, str, str], sink: str, label_set: int, labels: list[CartonLabel], known: set[str]
) -> None:
    now = utcnow()
    for label in labels:
        data = to_json(label.model_dump(mode="json"))
        if label.sscc in known:
            conn.execute(
                update(carton_labels).where(carton_labels.c.sscc == label.sscc).values(carton=label.carton, data=data)
            )
        else:
            channel, partner, external_id = key
            conn.execute(
                carton_labels.insert().values(
                    sscc=label.sscc,
                    channel=channel,
                    partner=partner,
                    external_id=external_id,
                    po_number=label.po_number,
                    sink=sink,
                    label_set=label_set,
                    carton=label.carton,
                    data=data,
                    created_at=now,
                )
            )


def issued(conn: Connection, channel: str, partner: str, external_id: str) -> set[str]:
    """Every SSCC any destination was given for the order, in any revision."""
    rows = conn.execute(select(carton_labels.c.sscc).where(*_is((channel, partner, external_id))))
    return set(rows.scalars())


def labels_of(conn: Connection, po_number: str, sink: str | None = None) -> list[tuple[str, str, list[CartonLabel]]]:
    """(partner, sink, labels) for each order numbered ``po_number`` and each destination that got labels for
    it (only ``sink``, when given): the labels it was last given, in carton order."""
    wanted = [carton_labels.c.po_number == po_number]
    if sink is not None:
        wanted.append(carton_labels.c.sink == sink)
    found = conn.execute(
        select(carton_labels.c.channel, carton_labels.c.partner, carton_labels.c.external_id, carton_labels.c.sink)
        .where(*wanted)
        .distinct()
        .order_by(carton_labels.c.partner, carton_labels.c.sink)
    ).all()
    return [(r.partner, r.sink, _latest(conn, (r.channel, r.partner, r.external_id), r.sink)[1]) for r in found]


def sscc_of(labels: Iterable[CartonLabel]) -> dict[int, list[str]]:
    """Line position -> the SSCCs of its cartons, as the 940 carries them."""
    out: dict[int, list[str]] = {}
    for label in labels:
        out.setdefault(label.line_position or 0, []).append(label.sscc)
    return out
