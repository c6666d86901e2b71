"""The states a stored document and an order go through, as the store writes them.

The command line offers exactly these to filter by (``documents list --state``, ``orders list --status``),
so a mistyped value is refused with the valid ones instead of answering with an empty list.
"""

from __future__ import annotations

# Inbound: received, then processed, failed, rejected (every set rejected), quarantined or duplicate.
# Outbound: queued (or unsent: no sink to carry it; or held: the partner's guide refuses it), then sent, dead or
# cancelled (superseded, replaced).
DOCUMENT_STATES = (
    "received",
    "processed",
    "failed",
    "rejected",
    "quarantined",
    "duplicate",
    "queued",
    "unsent",
    "held",
    "sent",
    "dead",
    "cancelled",
)

# waiting (unpaid, under review), held (no destination, a destination's document could not be written), routed,
# delivered (every destination has it), then shipped in part or whole and invoiced; or cancelled.
ORDER_STATUSES = ("waiting", "held", "routed", "delivered", "partially shipped", "shipped", "invoiced", "cancelled")
