"""What crossdock tells an order's source when lines of it will not ship.

A warehouse that cancels or short-ships lines, or an operator who cancels (``crossdock orders cancel``), makes
one ``Cancellation``. It goes back the way a fulfilment does: to the source's ``fulfilment_sink``, or for a
sales channel to the channel itself, as a delivery of purpose ``CANCELLATION`` retried by the outbox. The
channel's sink turns it into the channel's own calls (Shopify ``orderCancel`` or a refund, WooCommerce status
and refund, Walmart line cancel ...); whether money is refunded and stock restocked is the sink's
configuration, not the cancellation's. ``cancellation_id`` is stable, so a cancellation sent twice is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from crossdock.core.models import Model

CANCELLATION = "cancellation"  # the delivery purpose, seen by a sink as ``Outbound.purpose``

Reason = Literal["out_of_stock", "buyer_request", "merchant", "address", "fraud", "other"]
By = Literal["warehouse", "operator", "source"]
# A reason in words, for a channel whose cancel or refund takes free text (WooCommerce, BigCommerce): "fraud"
# is not said to the buyer.
REASON_WORDS: dict[Reason, str] = {
    "out_of_stock": "Out of stock",
    "buyer_request": "Cancelled at the buyer's request",
    "merchant": "Cancelled by the merchant",
    "address": "The address cannot be delivered to",
    "fraud": "Cancelled",
    "other": "Cancelled",
}


@dataclass(slots=True, kw_only=True)
class CancelledLine(Model):
    line_number: str | None = None  # the order line's own number or id as the channel or partner sent it
    product_ids: dict[str, str] = field(default_factory=dict)
    quantity: Decimal  # how many of the line will not ship
    uom: str = "EA"
    # how many of the line are still wanted once this is made (ordered less every cancel): where the channel's
    # cancel takes no reference, a sink cancels only what brings the line down to it, so a resend does nothing
    left: Decimal | None = None


@dataclass(slots=True, kw_only=True)
class Cancellation(Model):
    """Lines of one order that will not ship, or the whole order (``lines`` empty, ``whole_order`` set)."""

    channel: str
    partner: str | None = None
    po_number: str
    external_id: str | None = None  # the channel's own id for the order
    cancellation_id: str
    reason: Reason = "other"
    note: str = ""  # for the merchant's records; a sink shows it to a buyer only where the channel asks for text
    by: By = "operator"
    whole_order: bool = False
    lines: list[CancelledLine] = field(default_factory=list)
