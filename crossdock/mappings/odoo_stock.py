"""Odoo's ``stock.quant`` records (``connectors/odoo.py``, ``stock_quants``) as on-hand figures. Pure: no I/O.

A product is known by its ``default_code`` (Odoo's internal reference: the merchant's SKU); a quant of a product
without one cannot be matched to the catalogue and is left out. Quantities in the product's unit are summed over
the internal locations read and rounded down to whole units."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.models import InventoryItem, InventorySnapshot

ON_HAND = "17"


def snapshot_from_quants(data: bytes, *, report_id: str, report_date: dt.date, name: str) -> InventorySnapshot:
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    if not isinstance(body, dict) or not isinstance(body.get("quants"), list):
        raise DecodeError(f"{name}: not Odoo's stock quants")
    codes: dict[Any, str] = {
        p.get("id"): p["default_code"].strip()
        for p in body.get("products") or []
        if isinstance(p, dict) and isinstance(p.get("default_code"), str) and p["default_code"].strip()
    }
    totals: dict[str, Decimal] = {}
    for number, quant in enumerate(body["quants"], start=1):
        product = quant.get("product_id") if isinstance(quant, dict) else None
        sku = codes.get(product[0]) if isinstance(product, list) and product else None
        if sku is None:
            continue
        try:
            qty = Decimal(str(quant.get("quantity", 0)))
        except InvalidOperation:
            raise DecodeError(f"{name}: quant {number} ({sku[:64]!r}): quantity is not a number") from None
        if not qty.is_finite():
            raise DecodeError(f"{name}: quant {number} ({sku[:64]!r}): quantity is not a number")
        totals[sku] = totals.get(sku, Decimal(0)) + qty
    items = [
        InventoryItem(line_number=str(i), product_ids={"VN": sku}, quantities={ON_HAND: max(qty, Decimal(0)) // 1})
        for i, (sku, qty) in enumerate(sorted(totals.items()), start=1)
    ]
    return InventorySnapshot(report_id=report_id, report_date=report_date, items=items)
