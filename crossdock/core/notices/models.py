"""A mail to an order's buyer: rendered by crossdock, sent by an SMTP sink that takes customer notices.

Sources whose channel does not tell the buyer (an EDI drop-ship, a custom web hook, a store set so) name a
notice block; each event of an order (received, shipped, delivered, cancelled, refunded) becomes one ``Notice`` queued
as a delivery of purpose ``NOTICE``, keyed by the order and the event, so it is sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from crossdock.core.models_base import Model

NOTICE = "notice"  # the delivery purpose, seen by the SMTP sink as ``Outbound.purpose``

Event = Literal["received", "shipped", "delivered", "cancelled", "refunded"]
EVENTS: tuple[Event, ...] = ("received", "shipped", "delivered", "cancelled", "refunded")
# what ``notify`` mails when ``events`` is not given: ``delivered`` is asked for by name, so a templates folder
# made before it existed (without delivered.txt) keeps working
DEFAULT_EVENTS: tuple[Event, ...] = ("received", "shipped", "cancelled", "refunded")


@dataclass(slots=True, kw_only=True)
class Notice(Model):
    to: str  # one checked address: the buyer's, from the order
    subject: str  # one line
    text: str
    html: str | None = None  # an HTML alternative, every buyer-given value escaped
    event: Event
    po_number: str
