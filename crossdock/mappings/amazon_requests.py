"""What crossdock sends back to Amazon: a canonical Fulfilment as the body of the v0 ``confirmShipment``
(2026-01-01 has no shipment confirmation), and a canonical Cancellation as an ``OrderAcknowledgement`` feed
message. Pure: no I/O.

Sources: ``../shared/docs/channel-apis.md`` §1 (the v0 spec's ``ConfirmShipmentRequest``) and
``channel-lifecycle.md`` §4: the 2026-01-01 Orders model has no cancel operation, so a merchant-fulfilled order is
cancelled by the ``POST_ORDER_ACKNOWLEDGEMENT_DATA`` feed [docs order-feed-type-values]: an
``OrderAcknowledgement`` with ``StatusCode`` ``Failure`` and, per item cancelled, its ``AmazonOrderItemCode`` and
a ``CancelReason`` (whole items only: the message has no quantity). The envelope (``Header`` with
``DocumentVersion`` and ``MerchantIdentifier``, ``MessageType``, ``Message`` with ``MessageID``) is Amazon's XML
feed envelope [unverified: element names from Amazon's published ``amzn-envelope.xsd`` and
``OrderAcknowledgement.xsd`` as recalled; no copy is in the fixtures].
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.lifecycle.cancellations import Reason
from crossdock.mappings.packages import per_package, whole_quantities

# SCACs whose Amazon carrierCode is in the owner's examples ("FedEx", "UPS") or [unverified] ("USPS"); any other
# carrier is sent as carrierCode "Other" with its name, as the v0 spec allows.
_CARRIERS = {"FDEG": "FedEx", "FDE": "FedEx", "FXFE": "FedEx", "UPSN": "UPS", "UPSS": "UPS", "USPS": "USPS"}
# Cancellation reason -> Amazon's CancelReason [docs order-feed-type-values, in channel-lifecycle.md §4]. Amazon
# restocks for every reason except NoInventory [unverified], so only a real stock-out says NoInventory.
CANCEL_REASONS: dict[Reason, str] = {
    "out_of_stock": "NoInventory",
    "buyer_request": "BuyerCanceled",
    "address": "ShippingAddressUndeliverable",
    "fraud": "RiskAssessmentInformationNotValid",
    "merchant": "GeneralAdjustment",
    "other": "GeneralAdjustment",
}
ACKNOWLEDGEMENT_FEED = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
FEED_CONTENT_TYPE = "text/xml; charset=UTF-8"


def cancel_feed(order_id: str, item_ids: Iterable[str], reason: Reason, *, merchant_id: str) -> bytes:
    """The feed document cancelling ``item_ids`` of ``order_id`` (an ``OrderAcknowledgement`` with ``Failure``).
    No item id, or an empty merchant or order id: ``ValueError``."""
    items = [i.strip() for i in item_ids if i.strip()]
    if not items or not order_id.strip() or not merchant_id.strip():
        raise ValueError(f"amazon cancellation of order {order_id!r}: no items, order id or merchant id")
    code = CANCEL_REASONS[reason]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">',
        f"<Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>{escape(merchant_id.strip())}"
        "</MerchantIdentifier></Header>",
        "<MessageType>OrderAcknowledgement</MessageType>",
        "<Message><MessageID>1</MessageID><OrderAcknowledgement>",
        f"<AmazonOrderID>{escape(order_id.strip())}</AmazonOrderID><StatusCode>Failure</StatusCode>",
        *(
            f"<Item><AmazonOrderItemCode>{escape(i)}</AmazonOrderItemCode><CancelReason>{code}</CancelReason></Item>"
            for i in items
        ),
        "</OrderAcknowledgement></Message>",
        "</AmazonEnvelope>",
    ]
    return ("\n".join(lines) + "\n").encode()


def confirm_shipment_requests(fulfilment: Fulfilment, *, marketplace_id: str) -> list[dict[str, Any]]:
    """One ``confirmShipment`` body per package: when the warehouse said which lines went in which tracked package
    (``packages``, covering every tracking number), one per package with its lines and its own reference (from the
    shipment id and the tracking number, stable when sent again); else the shipment as one package."""
    packages = per_package(fulfilment)
    if len(packages) == 1:
        return [confirm_shipment_request(fulfilment, marketplace_id=marketplace_id)]
    return [
        confirm_shipment_request(
            package,
            marketplace_id=marketplace_id,
            package_reference_id=_package_reference(f"{fulfilment.shipment_id}/{package.tracking_numbers[0]}"),
        )
        for package in packages
    ]


def confirm_shipment_request(
    fulfilment: Fulfilment,
    *,
    marketplace_id: str,
    package_reference_id: str | None = None,
    shipped_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The v0 ``ConfirmShipmentRequest`` for one package: the fulfilment's single tracking number and its lines.

    ``packageReferenceId`` must be a positive number unique within the order [spec]: the shipment id when it is
    one, else a number derived from it (stable, so sending it again edits the same package). ``shipDate`` is
    ``shipped_at`` (aware) or midnight UTC of ``ship_date``. The carrier is ``carrier_scac`` (a known SCAC becomes
    Amazon's code, any other is sent as ``Other`` with its name); ``shippingMethod`` is ``carrier_service``.
    Missing marketplace, tracking number, carrier, ship date or item id, several tracking numbers (a Fulfilment
    does not say which lines are in which package) or a quantity not a positive whole number: ``ValueError``.
    """
    where = f"amazon fulfilment {fulfilment.shipment_id} of order {fulfilment.external_id or fulfilment.po_number}"
    if not marketplace_id.strip():
        raise ValueError(f"{where}: no marketplace_id")
    numbers = [n.strip() for n in fulfilment.tracking_numbers if n.strip()]
    if not numbers:
        raise ValueError(f"{where}: no tracking number (trackingNumber is required)")
    if len(numbers) > 1:
        raise ValueError(f"{where}: {len(numbers)} tracking numbers: confirm one package per call, with its lines")
    carrier = (fulfilment.carrier_scac or "").strip()
    if not carrier:
        raise ValueError(f"{where}: no carrier (carrierCode is required)")
    if shipped_at is None:
        if fulfilment.ship_date is None:
            raise ValueError(f"{where}: no ship date (shipDate is required)")
        shipped_at = dt.datetime.combine(fulfilment.ship_date, dt.time(), dt.UTC)
    elif shipped_at.tzinfo is None:
        raise ValueError(f"{where}: shipped_at must be an aware datetime")
    reference = package_reference_id or _package_reference(fulfilment.shipment_id)
    if not (reference.isdecimal() and int(reference) > 0):
        raise ValueError(f"{where}: package reference {reference!r} is not a positive number")
    quantities = whole_quantities(fulfilment, where, "order item")
    if not quantities:
        raise ValueError(f"{where}: no lines to confirm")
    code = _CARRIERS.get(carrier.upper())
    detail: dict[str, Any] = {
        "packageReferenceId": reference,
        "carrierCode": code or "Other",
        **({} if code else {"carrierName": carrier}),
        **({"shippingMethod": fulfilment.carrier_service} if fulfilment.carrier_service else {}),
        "trackingNumber": numbers[0],
        "shipDate": shipped_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "orderItems": [{"orderItemId": k, "quantity": q} for k, q in quantities.items()],
    }
    return {"marketplaceId": marketplace_id.strip(), "packageDetail": detail}


def _package_reference(shipment_id: str) -> str:
    text = shipment_id.strip()
    if text.isdecimal() and int(text) > 0:
        return text
    return str(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 999_999_999 + 1)
