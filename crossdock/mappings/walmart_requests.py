"""Walmart Marketplace (US) requests crossdock sends: the acknowledgement, a canonical Fulfilment as the body of
``POST /v3/orders/{purchaseOrderId}/shipping``, and a canonical Cancellation as the body of ``POST /v3/orders/
{purchaseOrderId}/cancel``. Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §3 and ``channel-lifecycle.md`` §6 (Walmart's spec and docs), and the
cancel request of Walmart's own SDK (``tests/data/fixtures/walmart/v3/cancelOrderLines.request.xml``), whose JSON
form is the same elements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Reason

# SCAC -> Walmart's carrier enum (CommonComponentsV3.3.xsd ``carrierType``); any other is sent as otherCarrier.
CARRIERS = {
    "UPSN": "UPS",
    "UPSS": "UPS",
    "UPS": "UPS",
    "USPS": "USPS",
    "FDEG": "FedEx",
    "FDE": "FedEx",
    "FXFE": "FedEx",
    "FEDEX": "FedEx",
    "DHL": "DHL",
    "ONTRAC": "OnTrac",
}
METHOD_CODES = ("Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value")  # shippingMethodCodeType


def acknowledge_request(purchase_order_id: str) -> tuple[str, str]:
    """Method and path that acknowledge every Created line of the order (no body; repeating it is allowed)."""
    return "POST", f"/v3/orders/{purchase_order_id}/acknowledge"


# Cancellation reason -> Walmart's US cancellationReason [docs cancel-one-or-more-order-lines]. Walmart's own SDK
# sends CANCEL_BY_SELLER, used where no US reason fits (SELLER_CANCEL_OUT_OF_STOCK would also mark the SKU out of
# stock at that ship node, so it is only for a real stock-out).
CANCEL_REASONS: dict[Reason, str] = {
    "out_of_stock": "SELLER_CANCEL_OUT_OF_STOCK",
    "buyer_request": "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
    "fraud": "SELLER_CANCEL_FRAUD_STOP_SHIPMENT",
    "address": "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE",
    "merchant": "CANCEL_BY_SELLER",
    "other": "CANCEL_BY_SELLER",
}


def cancel_request(lines: Iterable[tuple[str, Decimal]], reason: Reason) -> dict[str, Any]:
    """The ``orderCancellation`` body: each (lineNumber, quantity) as a ``Cancelled`` status with the reason.
    Only unshipped quantities may be cancelled (the sink reads the order first); a quantity that is not a
    positive whole number is a ``ValueError``."""
    out = []
    for number, quantity in lines:
        if quantity <= 0 or quantity != quantity.to_integral_value():
            raise ValueError(f"walmart cancellation: line {number}: {quantity} is not a whole quantity to cancel")
        status = {
            "status": "Cancelled",
            "cancellationReason": CANCEL_REASONS[reason],
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(int(quantity))},
        }
        out.append({"lineNumber": number, "orderLineStatuses": {"orderLineStatus": [status]}})
    if not out:
        raise ValueError("walmart cancellation: no lines to cancel")
    return {"orderCancellation": {"orderLines": {"orderLine": out}}}


def shipping_request(
    fulfilment: Fulfilment,
    *,
    shipped_at: dt.datetime,
    lines: Iterable[tuple[str, Decimal]] | None = None,
    method_code: str | None = None,
    tracking_urls: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``orderShipment`` body marking lines ``Shipped`` with the carrier and tracking.

    ``lines`` are (lineNumber, quantity) pairs, by default the fulfilment's lines summed by line number.
    ``shipDateTime`` is ``shipped_at`` (aware) in epoch milliseconds. The carrier is ``carrier_scac``: a SCAC in
    ``CARRIERS`` is Walmart's enum, any other is ``otherCarrier``, which Walmart wants with a ``trackingURL``
    (from ``tracking_urls``: SCAC -> URL with ``{number}``; a listed carrier gets one too when it is there).
    ``methodCode`` is ``carrier_service`` when it is one of Walmart's codes, else ``method_code`` (the order's
    ``shippingInfo.methodCode``), else ``Standard``. Walmart takes one tracking number per line status: the first
    number is sent (the sink passes each line's own package's number). No tracking number, no
    carrier, an unaware ``shipped_at``, no line number or a quantity that is not a positive whole number:
    ``ValueError``.
    """
    where = f"walmart fulfilment {fulfilment.shipment_id} of order {fulfilment.external_id or fulfilment.po_number}"
    numbers = [n.strip() for n in fulfilment.tracking_numbers if n.strip()]
    if not numbers:
        raise ValueError(f"{where}: no tracking number (Walmart cancels a line shipped without one)")
    scac = (fulfilment.carrier_scac or "").strip().upper()
    if not scac:
        raise ValueError(f"{where}: no carrier")
    if shipped_at.tzinfo is None:
        raise ValueError(f"{where}: shipped_at must be an aware datetime")
    urls = {k.strip().upper(): v for k, v in (tracking_urls or {}).items()}
    url = urls[scac].replace("{number}", numbers[0]) if scac in urls else None
    carrier = CARRIERS.get(scac)
    if carrier is None and url is None:
        raise ValueError(f"{where}: carrier {scac} is not one of Walmart's: give its tracking_urls entry")
    service = (fulfilment.carrier_service or "").strip().lower()
    method = next((m for m in METHOD_CODES if m.lower() == service), None) or method_code or "Standard"
    tracking: dict[str, Any] = {
        "shipDateTime": int(shipped_at.timestamp() * 1000),
        "carrierName": {"carrier": carrier} if carrier else {"otherCarrier": scac},
        "methodCode": method,
        "trackingNumber": numbers[0],
        **({"trackingURL": url} if url else {}),
    }
    pairs = list(lines) if lines is not None else _summed(fulfilment, where)
    if not pairs:
        raise ValueError(f"{where}: no lines to ship")
    out = []
    for number, quantity in pairs:
        if quantity <= 0 or quantity != quantity.to_integral_value():
            raise ValueError(f"{where}: line {number}: {quantity} is not a whole quantity to ship")
        status = {
            "status": "Shipped",
            "statusQuantity": {"unitOfMeasurement": "EACH", "amount": str(int(quantity))},
            "trackingInfo": tracking,
        }
        out.append({"lineNumber": number, "orderLineStatuses": {"orderLineStatus": [status]}})
    return {"orderShipment": {"orderLines": {"orderLine": out}}}


def _summed(fulfilment: Fulfilment, where: str) -> list[tuple[str, Decimal]]:
    quantities: dict[str, Decimal] = {}
    for i, line in enumerate(fulfilment.lines, 1):
        number = (line.line_number or "").strip()
        if not number:
            raise ValueError(f"{where}: line {i}: no Walmart lineNumber (line_number)")
        quantities[number] = quantities.get(number, Decimal(0)) + line.quantity
    return list(quantities.items())
