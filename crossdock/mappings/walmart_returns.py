"""Walmart Marketplace: a return order (``GET /v3/returns``) -> canonical Returns, and a canonical Refund -> the
body of ``POST /v3/returns/{returnOrderId}/refund``. Pure: no I/O.

What it relies on (channel-lifecycle.md §6; the field names from Walmart's Returns API model as its generated SDK
documents it, highsidelabs/walmart-api-php ``docs/Models/MP/US/Returns`` [unverified against a live answer]):

- The document is one element of ``returnOrders`` as Walmart sends it: ``returnOrderId`` (the RMA number),
  ``customerOrderId``, ``returnOrderDate`` (ISO 8601) and ``returnOrderLines[]`` with ``returnOrderLineNumber``,
  ``purchaseOrderId``, ``purchaseOrderLineNumber``, ``item.sku``, ``quantity{unitOfMeasure, measurementValue}``,
  ``unitPrice{currencyAmount, currencyUnit}``, ``returnReason`` (a code such as ``DAMAGED``), ``status``
  (INITIATED, DELIVERED, COMPLETED, CANCELLED) and ``isWFSEnabled`` (Y: Walmart fulfilled it and handles the
  return; view-only for the seller, so left out).
- crossdock's Walmart orders are purchase orders: a return order spanning two purchase orders is two Returns,
  ``<returnOrderId>/<purchaseOrderId>`` each (one purchase order's keeps ``returnOrderId`` alone).
- A return's status is its lines': all cancelled -> cancelled, all completed -> closed, any delivered ->
  received, else open.
- The refund names the return order lines by ``returnOrderLineNumber`` (the Return line's ``channel_line_id``,
  kept in the Refund's) with the ``customerOrderId`` Walmart asks for; amounts are Walmart's to compute, and a
  line is refunded whole: a Refund for fewer units than the line holds is refused, naming it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Refund, Return, ReturnLine, Status
from crossdock.mappings.returns_json import MAX_LINES, cut, load, reason
from crossdock.mappings.walmart import _At

REFUNDABLE = frozenset({"INITIATED", "DELIVERED"})  # line statuses a refund may still be issued for [unverified]


def returns_from_json(data: bytes, name: str) -> list[Return]:
    """One Return per purchase order the return order names (WFS lines left out)."""
    node = _At(load(data, name), "", name)
    return_id = node.need_id("returnOrderId")
    lines = node.children("returnOrderLines", required=True)
    if len(lines) > MAX_LINES:
        node.fail("returnOrderLines", f"{len(lines)} lines, more than {MAX_LINES}")
    created = node.time("returnOrderDate")
    by_po: dict[str, list[_At]] = {}
    for line in lines:
        if (line.text("isWFSEnabled") or "").upper() == "Y":
            continue
        by_po.setdefault(line.need_id("purchaseOrderId"), []).append(line)
    found = []
    for po, group in by_po.items():
        currency = {c for c in (_currency(line) for line in group) if c}
        if len(currency) > 1:
            node.fail("returnOrderLines", f"lines in {sorted(currency)}: one return is in one currency")
        found.append(
            Return(
                channel="walmart",
                return_id=return_id if len(by_po) == 1 else f"{return_id}/{po}",
                rma_number=return_id,
                po_number=po,
                external_id=po,
                status=_status([(line.text("status") or "").upper() for line in group]),
                created=created,
                currency=currency.pop() if currency else None,
                lines=[_line(line) for line in group],
                notes=[f"Walmart return order {return_id}, customer order {node.text('customerOrderId') or '?'}"],
            )
        )
    return found


def _line(line: _At) -> ReturnLine:
    quantity = line.child("quantity") or line.fail("quantity", "missing")
    count = quantity.need_decimal("measurementValue")
    if count <= 0 or count != count.to_integral_value():
        quantity.fail("measurementValue", f"{quantity.raw('measurementValue')!r} is not a quantity of units")
    item = line.child("item")
    price = line.child("unitPrice")
    code = line.text("returnReason")
    return ReturnLine(
        line_number=line.text("purchaseOrderLineNumber"),
        sku=item.text("sku") if item is not None else None,
        quantity=count,
        reason=reason(code),
        reason_text=cut(code),
        channel_line_id=line.text("returnOrderLineNumber") or line.fail("returnOrderLineNumber", "missing"),
        unit_price=price.decimal("currencyAmount") if price is not None else None,
    )


def _currency(line: _At) -> str | None:
    price = line.child("unitPrice")
    code = price.text("currencyUnit") if price is not None else None
    return code.upper() if code else None


def _status(statuses: list[str]) -> Status:
    if statuses and all(s == "CANCELLED" for s in statuses):
        return "cancelled"
    if statuses and all(s in ("COMPLETED", "CANCELLED") for s in statuses):
        return "closed"
    if any(s == "DELIVERED" for s in statuses):
        return "received"
    return "open"


def return_order_id(refund: Refund) -> str:
    """Walmart's return order id of a Refund: its ``return_id`` without the ``/<purchaseOrderId>`` crossdock adds."""
    found = refund.return_id.split("/", 1)[0].strip()
    if not found or len(found) > 64 or not found.replace("-", "").isalnum() or not found.isascii():
        raise DecodeError(f"{refund.return_id!r} is not a Walmart return order id", source=f"refund {refund.refund_id}")
    return found


def refund_request(refund: Refund, return_order: Any) -> dict[str, Any] | None:
    """The refund body for the Refund's lines, as ``GET /v3/returns?returnOrderId=`` shows the return order: a
    line is named by its return order line number (``channel_line_id``), else by its purchase order line number
    or SKU; a line Walmart shows refunded, completed or cancelled is left out, and one refunded in part is refused
    (Walmart's refund names whole lines). None when nothing is left."""
    where = f"refund {refund.refund_id}"
    node = _At(return_order, "", f"return order {refund.return_id}")
    lines = node.children("returnOrderLines")
    numbers: list[int] = []
    for i, wanted in enumerate(refund.lines, 1):
        found = next(
            (line for line in lines if _names(line, wanted.channel_line_id, wanted.line_number, wanted.sku)), None
        )
        if found is None:
            what = wanted.channel_line_id or wanted.line_number or wanted.sku
            raise DecodeError(f"line {i}: {what!r} is no line of return order {refund.return_id}", source=where)
        number = found.need_id("returnOrderLineNumber")
        quantity = found.child("quantity")
        units = quantity.decimal("measurementValue") if quantity is not None else None
        if units is not None and wanted.quantity < units:
            raise DecodeError(
                f"line {i}: {wanted.quantity} of return line {number}'s {units} units: Walmart refunds whole return "
                "lines; refund the part in Seller Center",
                source=where,
            )
        still = (found.text("status") or "").upper() in REFUNDABLE and not _refunded(found)
        if still and number.isdecimal() and int(number) not in numbers:
            numbers.append(int(number))
    if not numbers:
        return None
    return {
        "customerOrderId": node.need_text("customerOrderId"),
        "refundLines": [{"returnOrderLineNumber": n} for n in numbers],
    }


def _names(line: _At, channel_line_id: str | None, line_number: str | None, sku: str | None) -> bool:
    if channel_line_id:
        return line.text("returnOrderLineNumber") == channel_line_id.strip()
    if line_number:
        return line.text("purchaseOrderLineNumber") == line_number.strip()
    item = line.child("item")
    return bool(sku) and item is not None and item.text("sku") == sku


def _refunded(line: _At) -> bool:
    """Whether Walmart shows the line refunded (``refundedQty`` covers the quantity)."""
    quantity = line.child("quantity")
    count = quantity.decimal("measurementValue") if quantity is not None else None
    refunded = line.decimal("refundedQty") or Decimal(0)
    return count is not None and refunded >= count > 0
