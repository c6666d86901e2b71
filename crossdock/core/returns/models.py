"""A return: goods coming back from a buyer, from the request to the refund.

Every channel's return (a Shopify return, an Amazon returns-report row, a Walmart or eBay return, a
WooCommerce or BigCommerce refund marked as a return) and an EDI buyer's 180 becomes one ``Return`` tied to
its order. The warehouse that shipped the order is told what to expect (a delivery of purpose
``RETURN_NOTICE``); what it receives comes back as a ``ReturnReceipt``; the channel is then told with a
``Refund`` (purpose ``REFUND``): the refund issued, or the return closed, as the merchant configures.

Where each piece lives: a channel source yields a return as an ``Inbound`` of ``kind`` ``"return"`` holding
the channel's own JSON; ``crossdock/mappings/<channel>_returns.py`` (registry mapping ``<channel>_returns``)
turns those bytes into returns with ``returns_from_json(data, name) -> list[Return]``; the channel's sink
sends a ``Refund`` in ``_refund``. Ids are stable, so a return read twice or a refund sent twice is one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from crossdock.core.models_base import Model

RETURN_NOTICE = "return"  # delivery purpose: the expected receipt (RMA) sent to the warehouse
RETURN_CANCEL = "return-cancel"  # delivery purpose: the warehouse told a return it expects is cancelled
REFUND = "refund"  # delivery purpose: the channel hears the return was received (refunded or closed)
REFUND_CHECK = "refund-check"  # delivery purpose: a refund the channel processes later (a feed), looked at again

Reason = Literal["damaged", "defective", "wrong_item", "not_as_described", "unwanted", "size_or_fit", "late", "other"]
Condition = Literal["sellable", "damaged", "defective", "missing", "other"]
Status = Literal["requested", "open", "received", "closed", "cancelled"]


@dataclass(slots=True, kw_only=True)
class ReturnLine(Model):
    line_number: str | None = None  # the order line's number or id as the channel or partner sent it
    sku: str | None = None
    product_ids: dict[str, str] = field(default_factory=dict)
    quantity: Decimal  # how many the buyer sends back
    uom: str = "EA"
    reason: Reason = "other"
    reason_text: str | None = None  # the buyer's or channel's own words, bounded
    channel_line_id: str | None = None  # the channel's id of the return line, where it refunds by it
    unit_price: Decimal | None = None  # what was paid for one, when the channel says: a refund never exceeds it


@dataclass(slots=True, kw_only=True)
class Return(Model):
    channel: str  # the source's name
    partner: str | None = None  # an EDI buyer's partner name (a 180)
    return_id: str  # the channel's or partner's id for this return: stable
    rma_number: str | None = None  # what the warehouse matches the parcel by
    po_number: str
    external_id: str | None = None  # the channel's own id for the order
    status: Status = "open"
    created: dt.datetime | None = None
    currency: str | None = None
    lines: list[ReturnLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ReceivedLine(Model):
    line_number: str | None = None
    sku: str | None = None
    quantity: Decimal
    uom: str = "EA"
    condition: Condition = "sellable"  # only sellable units go back into stock


@dataclass(slots=True, kw_only=True)
class ReturnReceipt(Model):
    """What a warehouse says it received for a return (a 944, a CSV or JSON file, ShipBob's returns)."""

    rma_number: str | None = None
    return_id: str | None = None
    po_number: str | None = None
    warehouse: str  # the source or sink name of the warehouse that received it
    location: str | None = None  # the stock location the sellable units go back to
    received: dt.datetime | None = None
    lines: list[ReceivedLine] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class RefundLine(Model):
    line_number: str | None = None
    channel_line_id: str | None = None
    sku: str | None = None
    quantity: Decimal
    amount: Decimal | None = None  # refunded for this line, tax included as the channel counts it
    restock: bool = False  # whether the channel itself should put the units back into its stock
    tax: Decimal | None = None  # of ``amount``, the tax the seller collected (a channel that refunds it apart)
    order_line: str | None = None  # the stored order's line number (the channel's item id), matched by SKU if need be


@dataclass(slots=True, kw_only=True)
class Refund(Model):
    """What the channel is told once a return is received and approved: ``refund_id`` is stable."""

    channel: str
    refund_id: str
    return_id: str
    po_number: str
    external_id: str | None = None
    action: Literal["refund", "close"] = "refund"  # refund the money, or only close the return
    currency: str | None = None
    lines: list[RefundLine] = field(default_factory=list)
    note: str | None = None


@dataclass(slots=True, kw_only=True)
class RefundCheck(Model):
    """A refund a channel took as a feed to process later, to be read back: the feed, the refund delivery it answers
    (which ends dead with the channel's words if the feed refuses it) and the refund itself, for one new feed when
    the first is cancelled or fails whole (``again``: this is that second feed)."""

    channel: str
    feed_id: str
    delivery_id: int  # the refund's delivery
    refund: Refund
    again: bool = False


class RefundSent(str):
    """What a sink that refunds by feed returns: its summary (the outbox keeps it as the remote reference) carrying,
    for core, the feed to look at later (``feeds``: still processing, or a new feed sent in place of a failed one),
    the channel's words when it refused the refund (``refused``), or ``done`` once the refund is processed."""

    feeds: list[str]
    refused: str | None
    done: bool

    def __new__(
        cls, summary: str, *, feeds: list[str] | None = None, refused: str | None = None, done: bool = False
    ) -> RefundSent:
        made = super().__new__(cls, summary[:1000])
        made.feeds = list(feeds or [])
        made.refused = None if refused is None else refused[:1000]
        made.done = done
        return made
