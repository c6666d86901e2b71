"""Amazon stock: the Listings Items patch that sets a SKU's merchant-fulfilled quantity, the same patch as the
messages of a ``JSON_LISTINGS_FEED``, and what Amazon's answer to a patch refuses.

The attribute is ``fulfillment_availability`` with ``fulfillment_channel_code`` ``DEFAULT`` (the seller's own
fulfilment network) [spec listingsItems_2021-08-01.json, listings-feed-schema-v2.json]. Both calls need the
listing's product type: the catalogue's ``product_type`` for the SKU, else the sink's ``stock_product_type``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from crossdock.core.stock.models import StockLevel

PRODUCT_TYPE = "product_type"
FEED_TYPE = "JSON_LISTINGS_FEED"
FEED_CONTENT_TYPE = "application/json; charset=UTF-8"
MAX_MESSAGES = 25_000  # messages in one listings feed [spec listings-feed-schema-v2.json]


def _patches(level: StockLevel) -> list[dict[str, Any]]:
    value = [{"fulfillment_channel_code": "DEFAULT", "quantity": max(0, level.available)}]
    return [{"op": "replace", "path": "/attributes/fulfillment_availability", "value": value}]


def product_type(level: StockLevel, default: str) -> str:
    return level.ids.get(PRODUCT_TYPE) or default


def patch_body(level: StockLevel, default_type: str) -> dict[str, Any]:
    """``patchListingsItem``'s body (``ListingsItemPatchRequest``)."""
    return {"productType": product_type(level, default_type), "patches": _patches(level)}


def feed(levels: list[StockLevel], seller_id: str, default_type: str) -> bytes:
    """A listings feed (v2) with one PATCH message per level, numbered from 1 in the push's order."""
    messages = [
        {
            "messageId": number,
            "sku": level.sku,
            "operationType": "PATCH",
            "productType": product_type(level, default_type),
            "patches": _patches(level),
        }
        for number, level in enumerate(levels, start=1)
    ]
    body = {"header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"}, "messages": messages}
    return json.dumps(body, separators=(",", ":")).encode()


def refusal(status: int, answer: Any) -> str | None:
    """Amazon's words when it did not take the patch: a 400's errors, an ``INVALID`` submission, or an issue of
    severity ``ERROR``; None when it was accepted (warnings are not refusals)."""
    if status == 400:
        errors = answer.get("errors") if isinstance(answer, dict) else None
        told = [f"{e.get('code', '')}: {e.get('message', '')}" for e in errors or [] if isinstance(e, dict)]
        return "; ".join(told) or "400 Bad Request"
    if not isinstance(answer, dict):
        return "the answer is not a submission response"
    issues = [i for i in answer.get("issues") or [] if isinstance(i, dict) and i.get("severity") == "ERROR"]
    if answer.get("status") == "INVALID" or issues:
        said = "; ".join(f"{i.get('code', '')}: {i.get('message', '')}" for i in issues)
        return f"submission {answer.get('status')}" + (f": {said}" if said else "")
    return None


def report_refusals(report: Any, skus: Collection[str]) -> tuple[dict[str, str], list[str]]:
    """A listings feed's processing report (v2) [spec listings-feed-processing-report-schema-v2.json]: the SKUs
    of ``skus`` with an issue of severity ``ERROR`` (sku -> every such issue's code and message), and the errors
    that name no SKU (the feed's own: its format, its header)."""
    if not isinstance(report, dict) or not isinstance(report.get("issues"), list):
        raise ValueError("the processing report has no issues list")
    refused: dict[str, str] = {}
    general: list[str] = []
    for issue in report["issues"]:
        if not isinstance(issue, dict) or issue.get("severity") != "ERROR":
            continue
        said = f"{issue.get('code', '')}: {issue.get('message', '')}".strip(": ")[:300]
        sku = issue.get("sku")
        if isinstance(sku, str) and sku in skus:
            refused[sku] = f"{refused[sku]}; {said}" if sku in refused else said
        elif not isinstance(sku, str):
            general.append(said)
    return refused, general
