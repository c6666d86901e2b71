"""A warehouse's ship file as CSV: one row per shipped line, columns named in the configuration.

Rows with the same shipment id and PO number (and source and channel order id, when the file has those columns:
two stores may both have an order #1001) make one ``Shipment``; a tracking number or SSCC on a row puts
that row's line in that package. The shipment's dates (``ship_date``, and ``delivery_date``, the warehouse's
estimate of delivery) are read from its first row, in any of ``DATE_FORMATS``. A bad row is refused with the
file's row number and column, so the warehouse can be told exactly what to fix: nothing of a file with a bad
row is used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from crossdock.core.errors import DecodeError
from crossdock.core.fulfilment.models import Package, Shipment, ShipmentLine, ShipmentOrder
from crossdock.mappings.csv import file_rows

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%d.%m.%Y")
WEIGHT_UNITS = {
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), "LB"),
    **dict.fromkeys(("kg", "kgs", "kilogram", "kilograms"), "KG"),
}


def _date(value: str, where: str) -> dt.date:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise DecodeError(f"{where}: {value!r} is not a date (write 2026-11-21)")


def _moment(value: str, where: str) -> dt.datetime:
    """A delivery's time: ISO 8601 (2026-11-23T14:05:00Z), or a date alone (its midnight, UTC)."""
    try:
        found = dt.datetime.fromisoformat(value)
    except ValueError:
        found = dt.datetime.combine(_date(value, where), dt.time())
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _decimal(value: str, where: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise DecodeError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise DecodeError(f"{where}: {value!r} is not a quantity")
    return number


def _unit(value: str, where: str) -> str:
    unit = WEIGHT_UNITS.get(value.strip().lower())
    if unit is None:
        raise DecodeError(f"{where}: {value!r} is not a weight unit (write LB or KG)")
    return unit


def shipments_from_csv(
    data: bytes, columns: Mapping[str, str], *, name: str = "ship file", weight_unit: str | None = None
) -> list[Shipment]:
    """``columns`` maps shipment fields (shipment_id, po_number, quantity, sku ...) to the file's headers; a
    package's weight is in the row's ``weight_unit`` column, else in ``weight_unit`` (the source's setting)."""
    found: dict[tuple[str, ...], tuple[Shipment, ShipmentOrder]] = {}
    for number, row in file_rows(data, columns, name):

        def cell(field: str, row: dict[str, str] = row) -> str:
            header = columns.get(field)
            return (row.get(header) or "").strip() if header else ""

        where = f"{name} row {number}"
        shipment_id, po = cell("shipment_id"), cell("po_number")
        for field, value in (("shipment_id", shipment_id), ("po_number", po), ("quantity", cell("quantity"))):
            if not value:
                raise DecodeError(f"{where}: column {columns[field]!r} ({field}) is empty")
        key = (shipment_id, po, cell("source"), cell("external_id"))  # one PO number in two stores: two orders
        if key not in found:
            shipment = Shipment(shipment_id=shipment_id)
            if value := cell("ship_date"):
                shipment.ship_date = _date(value, f"{where} column {columns['ship_date']!r}")
            if value := cell("delivered_at"):
                shipment.delivered_at = _moment(value, f"{where} column {columns['delivered_at']!r}")
            if value := cell("delivery_date"):  # the warehouse's delivery estimate: the 856's DTM*017
                place = f"{where} column {columns['delivery_date']!r}"
                shipment.delivery_date = _date(value, place)
                if shipment.ship_date is not None and shipment.delivery_date < shipment.ship_date:
                    raise DecodeError(f"{place}: {value!r} is before the ship date {shipment.ship_date}")
            shipment.carrier_scac = cell("carrier_scac") or None
            shipment.carrier_service = cell("carrier_service") or None
            order = ShipmentOrder(po_number=po, source=cell("source") or None, external_id=cell("external_id") or None)
            shipment.orders.append(order)
            found[key] = (shipment, order)
        shipment, order = found[key]
        line = ShipmentLine(
            line_number=cell("line_number") or None,
            product_ids={"VN": sku} if (sku := cell("sku")) else {},
            quantity=_decimal(cell("quantity"), f"{where} column {columns['quantity']!r}"),
            uom=cell("uom") or "EA",
        )
        tracking, sscc = cell("tracking_number"), cell("sscc")
        if tracking and tracking not in shipment.tracking_numbers:
            shipment.tracking_numbers.append(tracking)
        if tracking or sscc:
            package = next(
                (p for p in order.packages if (p.tracking_number or "") == tracking and (p.sscc or "") == sscc), None
            )
            if package is None:
                package = Package(tracking_number=tracking or None, sscc=sscc or None)
                if weight := cell("weight"):
                    package.weight = _decimal(weight, f"{where} column {columns['weight']!r}")
                    unit = cell("weight_unit")
                    package.weight_uom = _unit(unit, f"{where} column {columns['weight_unit']!r}") if unit else None
                    package.weight_uom = package.weight_uom or weight_unit
                    if package.weight_uom is None:
                        raise DecodeError(f"{where}: the weight has no unit (a weight_unit column, or weight_unit)")
                order.packages.append(package)
            package.lines.append(line)
        else:
            order.lines.append(line)
    if not found:
        raise DecodeError(f"{name}: no rows after the header")
    return [shipment for shipment, _ in found.values()]
