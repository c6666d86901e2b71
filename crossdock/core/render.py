"""An order in a destination's format: canonical JSON (the stored JSON itself when the whole order goes), the
fields a mapping names, CSV rows, an X12 940 to a 3PL, or a 3PL's or ERP's API request. A destination that
takes SSCC labels (``labels: sscc``) gets its cartons' SSCCs with the order (``carton_labels``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from crossdock.core import registry
from crossdock.core.configuration.blocks import ORDER_APIS
from crossdock.core.configuration.connectors import OrderFormat
from crossdock.core.fulfilment.carton_labels import labels_for, sscc_of
from crossdock.core.hub import Hub
from crossdock.core.models import Order
from crossdock.core.partners import Controls, Partner, created_now, reserve
from crossdock.core.plan import safe_name, warehouse_order_number
from crossdock.core.storage.order_json import OrderText, order_bytes
from crossdock.core.storage.store import to_json


def render(
    hub: Hub,
    conn: Connection,
    sink_name: str,
    order: Order,
    dumped: dict[str, Any],
    stored: str | OrderText,
    positions: tuple[int, ...] | None,
    base: str,
    partner: Partner | str,
) -> tuple[bytes | OrderText, str, Partner | str, Controls | None, bool]:
    """The order (or the lines routed here) in the destination's format: its bytes, file name, recipient and
    the control numbers it took, and whether they are the whole order's stored JSON (then stored once: see
    order_json.py); a 940 that cannot be written gives its numbers back."""
    sink = hub.config.sinks[sink_name]
    who = partner if isinstance(partner, str) else partner.name
    fmt = sink.format if isinstance(sink, OrderFormat) else "json"
    lines = _only(dumped, positions)
    labels = None
    if isinstance(sink, OrderFormat) and sink.labels == "sscc":  # the cartons' SSCCs go with the order
        labels = labels_for(hub, conn, sink_name, _picked(order, positions), partner)
        lines = {**lines, "labels": [label.model_dump(mode="json") for label in labels]}
    if fmt == "mapped":
        assert isinstance(sink, OrderFormat)
        data = registry.mapping("json").mapped_order(lines, sink.fields, sink.line_fields, sink.lines_key)
        return data, f"{base}.json", partner, None, False
    if fmt == "csv":
        assert isinstance(sink, OrderFormat)
        columns = [(c.header, c.field) for c in sink.columns]
        data = registry.mapping("csv").order_rows(lines, columns, neutralise=sink.neutralise_formulas)
        return data, f"{base}.csv", partner, None, False
    if fmt == "x12-940":
        assert isinstance(sink, OrderFormat) and sink.partner is not None
        recipient = hub.partners[sink.partner]
        x12, warehouse = registry.mapping("x12"), registry.mapping("x12_warehouse")
        picked, per_line = _picked(order, positions), sink.ship_to_per_line
        sets = warehouse.count_940s([picked], per_line)  # one per ship-to for a 3PL that takes one an order
        controls = reserve(hub.store, conn, recipient.name, sets=sets)
        out = x12.Outgoing(**recipient.envelope(controls, created_now()))
        try:
            number = warehouse_order_number(order.channel, who, order.external_id or order.po_number, order.po_number)
            cartons = sscc_of(labels or [])
            data = warehouse.write_940(
                picked, out, sink.depositor, cartons, ship_to_per_line=per_line, order_number=number
            )
        except ValueError:
            hub.store.return_numbers(conn, recipient.name, {"isa": 1, "gs": 1, "st": sets})
            raise
        name = f"{safe_name(recipient.name)}-940-{safe_name(order.po_number)}-{controls.interchange:09d}.edi"
        return data, name, recipient, controls, False
    if sink.type in ORDER_APIS:
        request = registry.mapping(sink.type).order_request(_picked(order, positions), sink)
        return request, f"{base}.json", partner, None, False
    if positions is None and labels is None:  # a large order's JSON stays in pieces: the document refers to it
        return order_bytes(stored) if isinstance(stored, str) else stored, f"{base}.json", partner, None, True
    return order_bytes(to_json(lines)), f"{base}.json", partner, None, False


def _picked(order: Order, positions: tuple[int, ...] | None) -> Order:
    if positions is None:
        return order
    return order.model_copy(update={"lines": [line for line in order.lines if line.position in positions]})


def _only(dumped: dict[str, Any], positions: tuple[int, ...] | None) -> dict[str, Any]:
    if positions is None:
        return dumped
    return {**dumped, "lines": [line for line in dumped["lines"] if line["position"] in positions]}
