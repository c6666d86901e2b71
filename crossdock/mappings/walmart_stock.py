"""Walmart stock: the single-SKU inventory update and the bulk inventory feed (spec 1.4) for a push.

Both set the quantity at the seller's default ship node, in ``EACH`` [docs update-inventory-data,
bulk-inventory-update-feed]; the SKU is Walmart's, the merchant's own as listed.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from crossdock.core.stock.models import StockLevel

FEED_VERSION = "1.4"  # one ship node, JSON [docs bulk-inventory-update-feed]


def _quantity(level: StockLevel) -> dict[str, Any]:
    return {"unit": "EACH", "amount": max(0, level.available)}


def update_body(level: StockLevel) -> dict[str, Any]:
    """``PUT /v3/inventory?sku=…``'s body."""
    return {"sku": level.sku, "quantity": _quantity(level)}


def feed(levels: list[StockLevel]) -> bytes:
    """The inventory feed's file."""
    body = {
        "InventoryHeader": {"version": FEED_VERSION},
        "Inventory": [{"sku": level.sku, "quantity": _quantity(level)} for level in levels],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def refusal(level: StockLevel, answer: Any) -> str | None:
    """Walmart's words when a 2xx answer does not show the quantity sent; None when it does."""
    if not isinstance(answer, dict):
        return "the answer is not an inventory object"
    quantity = answer.get("quantity")
    amount = quantity.get("amount") if isinstance(quantity, dict) else None
    if answer.get("sku") != level.sku or not _same(amount, max(0, level.available)):
        return f"the answer shows {answer.get('sku')!r} at {amount!r}, not what was sent"
    return None


def _same(amount: Any, sent: int) -> bool:
    """Whether Walmart's amount (a number, or its text: ``5``, ``5.0``, ``"5"``) is the quantity sent."""
    try:
        return not isinstance(amount, bool) and Decimal(str(amount)) == sent
    except InvalidOperation:
        return False


def feed_id(answer: Any) -> str | None:
    found = answer.get("feedId") if isinstance(answer, dict) else None
    return found if isinstance(found, str) and found else None


# A feed's status pages its item statuses by offset and limit, at most 1000 a page; feed statuses RECEIVED,
# INPROGRESS, PROCESSED, ERROR; item statuses INPROGRESS, SUCCESS, DATA_ERROR, SYSTEM_ERROR, TIMEOUT_ERROR
# [source: Walmart's SDK, github.com/walmartlabs/partnerapi_sdk_dotnet V3/Payload/Feed/PartnerFeedResponse.xsd,
# FeedStatus.cs, ItemStatus.cs, V3/Api/FeedEndpoint.cs]
FEED_PAGE = 1000
DONE = {"PROCESSED", "ERROR"}  # feed statuses after which no item changes: RECEIVED and INPROGRESS come before


def feed_status(answer: Any) -> tuple[str, int, dict[str, tuple[str, bool]]]:
    """A feed's status with its item details (``GET /v3/feeds/{feedId}?includeDetails=true``): the feed's status,
    how many items it received, and the items not ingested on this page (sku -> (Walmart's words, whether it is
    the data's fault: ``DATA_ERROR``; a ``SYSTEM_ERROR`` or ``TIMEOUT_ERROR`` may pass when sent again))."""
    if not isinstance(answer, dict) or not isinstance(answer.get("feedStatus"), str):
        raise ValueError("the answer has no feedStatus")
    details = answer.get("itemDetails")
    items = details.get("itemIngestionStatus") if isinstance(details, dict) else None
    refused: dict[str, tuple[str, bool]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("ingestionStatus") in ("SUCCESS", "INPROGRESS", None):
            continue
        sku = item.get("sku")
        if not isinstance(sku, str):
            continue
        errors = item.get("ingestionErrors")
        listed = errors.get("ingestionError") if isinstance(errors, dict) else None
        listed = listed if isinstance(listed, list) else []
        words = [f"{e.get('code', '')}: {e.get('description', '')}".strip(": ") for e in listed if isinstance(e, dict)]
        status = str(item.get("ingestionStatus"))
        refused[sku] = (f"{status}: {'; '.join(words)}"[:300] if words else status, status == "DATA_ERROR")
    received = answer.get("itemsReceived")
    return answer["feedStatus"], received if isinstance(received, int) else 0, refused
