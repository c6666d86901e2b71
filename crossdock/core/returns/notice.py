"""The warehouse told to expect a return (purpose ``return``): each destination its own way.

A JSON destination gets the Return as JSON, a CSV one a row per returned line, a 3PL that takes 940s an X12 180
(return merchandise authorization), or a 943 (warehouse stock transfer shipment advice) when its destination says
``returns_as: "943"``, numbered from its control numbers. The notice carries the RMA number the
parcel is matched by (the channel's, else crossdock's: the return id) and the warehouse order number the 940 gave
the order. ShipBob gets a request its sink turns into a ShipBob return order under the RMA. A destination
crossdock cannot tell (an ERP's API without a returns call in crossdock) is named in an event: the person who
runs it tells the warehouse.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.alerts import raise_alert
from crossdock.core.configuration.connectors import OrderFormat
from crossdock.core.hub import Hub
from crossdock.core.models import Order, Party
from crossdock.core.partners import created_now, reserve
from crossdock.core.plan import Plan, delivery_key, outbound, safe_name, warehouse_order_number
from crossdock.core.returns.models import RETURN_CANCEL, RETURN_NOTICE, Return
from crossdock.core.storage.schema import deliveries
from crossdock.core.storage.store import to_json

CSV_HEADER = ("rma_number", "return_id", "po_number", "order_number", "line_number", "sku", "quantity", "uom", "reason")


def rma_of(ret: Return) -> str:
    """What the warehouse matches the parcel by: the channel's RMA number, else the return's own id."""
    return ret.rma_number or ret.return_id


def plan_notice(
    hub: Hub,
    conn: Connection,
    plan: Plan,
    document_id: int,
    order_id: int,
    order: Order,
    who: str,
    ret: Return,
    sink_name: str,
    cancel: bool = False,
) -> str | None:
    """Plan the notice of ``ret`` to ``sink_name`` (with ``cancel``: that the return told before is cancelled);
    None, or why it cannot be sent (also an event). ``who`` is the order's source or partner, as its 940
    numbered it (``warehouse_order_number``)."""
    sink = hub.config.sinks.get(sink_name)
    lines = ",".join(f"{line.line_number}:{line.sku}:{line.quantity}" for line in ret.lines)
    digest = hashlib.sha256(lines.encode("utf-8")).hexdigest()[:12]
    purpose = RETURN_CANCEL if cancel else RETURN_NOTICE
    key = delivery_key(purpose, sink_name, ret.channel, ret.return_id, "" if cancel else digest)
    base = f"return-{safe_name(order.po_number)}-{safe_name(ret.return_id)}-" + ("cancel" if cancel else digest[:6])
    number = warehouse_order_number(order.channel, who, order.external_id or order.po_number, order.po_number)
    what = f"return {ret.return_id} of order {order.po_number}"
    fmt = sink.format if isinstance(sink, OrderFormat) else None
    if fmt == "x12-940":
        assert isinstance(sink, OrderFormat) and sink.partner is not None
        recipient = hub.partners[sink.partner]
        x12, warehouse = registry.mapping("x12"), registry.mapping("x12_warehouse")
        controls = reserve(hub.store, conn, recipient.name)
        out = x12.Outgoing(**recipient.envelope(controls, created_now()))
        code = sink.returns_as
        notice = {"rma": rma_of(ret), "order_number": number, "depositor": sink.depositor, "cancel": cancel}
        try:
            if code == "943":  # the 3PL, named as its partner block names it (N1*ST, its ISA id under ZZ)
                pc = recipient.config
                receiving = Party(role="ST", name=pc.name or recipient.name, id_qualifier="ZZ", id=pc.isa_id)
                data = warehouse.write_943(ret, order, out, warehouse=receiving, **notice)
            else:
                data = warehouse.write_180(ret, out, **notice)
        except ValueError as exc:
            hub.store.return_numbers(conn, recipient.name, {"isa": 1, "gs": 1, "st": 1})
            reason = f"no {code} for {what} to {sink_name}: {exc}"
            plan.event("return", reason, order=order_id, document=document_id)
            return reason
        name = f"{safe_name(recipient.name)}-{code}-{safe_name(rma_of(ret))}-{controls.interchange:09d}.edi"
        outbound(plan, recipient, data, name, purpose, key, document_id, order_id, controls, sink=sink_name)
    elif fmt == "csv":
        data = notice_csv(ret, number, cancel)
        outbound(plan, sink_name, data, f"{base}.csv", purpose, key, document_id, order_id, sink=sink_name)
    elif fmt in ("json", "mapped"):
        said = {"action": "cancel"} if cancel else {}
        body = {**ret.model_dump(mode="json"), **said, "rma_number": rma_of(ret), "order_number": number}
        data = to_json(body).encode("utf-8") + b"\n"
        outbound(plan, sink_name, data, f"{base}.json", purpose, key, document_id, order_id, sink=sink_name)
    elif getattr(sink, "type", None) == "shipbob":
        mapping = registry.mapping("shipbob_returns")
        reference = order_reference(conn, order_id, sink_name)
        try:
            if reference is None:
                raise ValueError("crossdock holds no order it sent there")
            if cancel:
                data = mapping.cancel_request(rma_of(ret))
            else:
                data = mapping.return_request(ret, rma=rma_of(ret), order_reference=reference)
        except ValueError as exc:
            reason = f"{what} cannot go to ShipBob {sink_name}: {exc}"
            plan.event("return", reason, order=order_id, document=document_id)
            return reason
        outbound(plan, sink_name, data, f"{base}.json", purpose, key, document_id, order_id, sink=sink_name)
    else:
        kind = getattr(sink, "type", "not a sink")
        if cancel:
            reason = f"{what} is cancelled, and {sink_name} ({kind}) cannot be told by crossdock: "
            reason += f"tell the warehouse not to expect RMA {rma_of(ret)}"
            raise_alert(hub.store, conn, hub.config, f"return-cancel:{key}", f"crossdock: {what} cancelled", reason)
        else:
            reason = f"{what}: {sink_name} ({kind}) cannot be told of returns by crossdock: "
            reason += f"tell the warehouse to expect RMA {rma_of(ret)}"
        plan.event("return", reason, order=order_id, document=document_id)
        return reason
    told = "told it is cancelled" if cancel else "told"
    plan.event("return", f"return {ret.return_id} (RMA {rma_of(ret)}) {told} to {sink_name}", order=order_id)
    return None


def order_reference(conn: Connection, order_id: int, sink_name: str) -> str | None:
    """The key of the last order delivery to ``sink_name``: what an order API (ShipBob) holds the order under."""
    found = conn.execute(
        select(deliveries.c.key)
        .where(deliveries.c.order_id == order_id, deliveries.c.sink == sink_name, deliveries.c.purpose == "order")
        .order_by(deliveries.c.id.desc())
    ).first()
    return None if found is None else str(found.key)


def notice_csv(ret: Return, order_number: str, cancel: bool = False) -> bytes:
    """One row per returned line under a fixed header (a cancel's with a last column ``action``: ``cancel``); a
    value a spreadsheet would run is written with a '."""
    rows: list[tuple[str, ...]] = [CSV_HEADER + (("action",) if cancel else ())]
    for line in ret.lines:
        values = (
            rma_of(ret),
            ret.return_id,
            ret.po_number,
            order_number,
            line.line_number or "",
            line.sku or "",
            str(line.quantity),
            line.uom,
            line.reason,
            *(("cancel",) if cancel else ()),
        )
        rows.append(tuple(_cell(v) for v in values))
    return "".join(",".join(row) + "\r\n" for row in rows).encode("utf-8")


def _cell(value: str) -> str:
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        value = "'" + value
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value
