"""eBay stock: which API each level goes through, the Inventory API's bulk body and the Trading API's
``ReviseInventoryStatus`` request, and the refusals in their answers.

The catalogue's ids tell the two kinds of listing apart: ``offer_id`` is an offer made with the Inventory API
(revised by ``bulk_update_price_quantity``, which also sets the inventory item's ship-to-home quantity); ``item_id``
alone is a listing made in Seller Hub or the Trading API, which the Inventory API cannot revise [docs
ReviseInventoryStatus]; ``variation_sku`` names the variation of such a listing, when it has variations. A level
with neither id is an inventory item known by its SKU: its quantity is set, and eBay passes it to its offers.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from crossdock.core.stock.models import StockLevel

OFFER = "offer_id"
ITEM = "item_id"
VARIATION = "variation_sku"
MAX_BULK = 25  # requests per bulk_update_price_quantity [docs bulk-updates guide]
MAX_REVISE = 4  # InventoryStatus per ReviseInventoryStatus [docs ReviseInventoryStatus]
NS = "{urn:ebay:apis:eBLBaseComponents}"
THROTTLED_CODES = frozenset({"518"})  # "call usage limit reached" [unverified]


def by_trading(level: StockLevel) -> bool:
    """Whether the level's listing is one only the Trading API revises: an item id and no offer id."""
    return bool(level.ids.get(ITEM)) and not level.ids.get(OFFER)


def bulk_body(levels: list[StockLevel]) -> dict[str, Any]:
    """``bulk_update_price_quantity``'s body: each SKU's ship-to-home quantity, and its offer's when known."""
    requests = []
    for level in levels:
        quantity = max(0, level.available)
        found: dict[str, Any] = {"sku": level.sku, "shipToLocationAvailability": {"quantity": quantity}}
        if level.ids.get(OFFER):
            found["offers"] = [{"offerId": level.ids[OFFER], "availableQuantity": quantity}]
        requests.append(found)
    return {"requests": requests}


def bulk_refusals(answer: Any, levels: list[StockLevel]) -> dict[str, tuple[str, bool]]:
    """SKU -> (eBay's words, whether a retry cannot help) for each SKU whose response is not a 200 (a 4xx is the
    data's fault; a 5xx or a SKU missing from the answer may pass next time)."""
    responses = answer.get("responses") if isinstance(answer, dict) else None
    found: dict[str, tuple[str, bool]] = {}
    answered: dict[str, list[dict[str, Any]]] = {}
    for response in responses if isinstance(responses, list) else []:
        if isinstance(response, dict):
            answered.setdefault(str(response.get("sku")), []).append(response)
    for level in levels:
        mine = answered.get(level.sku)
        if not mine:
            found[level.sku] = ("not in eBay's answer", False)
            continue
        bad = [r for r in mine if r.get("statusCode") != 200]
        if bad:
            code = bad[0].get("statusCode")
            errors = [e for r in bad for e in r.get("errors") or [] if isinstance(e, dict)]
            said = "; ".join(f"{e.get('errorId', '')} {e.get('longMessage') or e.get('message') or ''}" for e in errors)
            found[level.sku] = (f"{code}: {said.strip() or 'refused'}"[:300], isinstance(code, int) and code < 500)
    return found


def revise_request(levels: list[StockLevel]) -> bytes:
    """``ReviseInventoryStatus``: a quantity per listing (and variation), escaped."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<ReviseInventoryStatusRequest xmlns="urn:ebay:apis:eBLBaseComponents">',
    ]
    for level in levels:
        parts.append("<InventoryStatus>")
        parts.append(f"<ItemID>{escape(level.ids[ITEM])}</ItemID>")
        if level.ids.get(VARIATION):
            parts.append(f"<SKU>{escape(level.ids[VARIATION])}</SKU>")
        parts.append(f"<Quantity>{max(0, level.available)}</Quantity>")
        parts.append("</InventoryStatus>")
    parts.append("</ReviseInventoryStatusRequest>")
    return "".join(parts).encode()


def _text(node: ET.Element, tag: str) -> str:
    return node.findtext(f"{NS}{tag}") or ""


@dataclass
class Revised:
    """What a ``ReviseInventoryStatus`` answer says: refused SKUs, and whether eBay said the call was throttled."""

    refused: dict[str, tuple[str, bool]]
    throttled: bool


def revise_answer(content: bytes, levels: list[StockLevel]) -> Revised:
    """The answer read: a level is revised when its item (and variation) is among the answer's InventoryStatus;
    otherwise it is refused with the call's errors (a ``RequestError`` is the data's fault, a ``SystemError`` may
    pass next time). An answer that is not the expected XML refuses every level, transiently."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", content[:2000]):
        return Revised({x.sku: ("the answer declares a DTD: not read", False) for x in levels}, False)
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        return Revised({x.sku: (f"the answer is not XML: {exc}", False) for x in levels}, False)
    ack = _text(root, "Ack")
    errors = [e for e in root.findall(f"{NS}Errors") if _text(e, "SeverityCode") != "Warning"]
    said = "; ".join(f"{_text(e, 'ErrorCode')} {_text(e, 'LongMessage') or _text(e, 'ShortMessage')}" for e in errors)
    throttled = any(_text(e, "ErrorCode") in THROTTLED_CODES for e in errors)
    permanent = bool(errors) and all(_text(e, "ErrorClassification") == "RequestError" for e in errors)
    done = {(_text(s, "ItemID"), _text(s, "SKU")) for s in root.findall(f"{NS}InventoryStatus")}
    refused: dict[str, tuple[str, bool]] = {}
    for level in levels:
        item, variation = level.ids[ITEM], level.ids.get(VARIATION) or ""
        if any(i == item and (not variation or v == variation) for i, v in done):
            continue
        if ack in ("Success", "Warning") and not errors:
            continue
        refused[level.sku] = (f"Ack {ack}: {said or 'not revised'}", permanent and not throttled)
    return Revised(refused, throttled)
