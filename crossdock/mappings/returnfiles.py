"""A warehouse's receipts of returned goods as files: crossdock's ``ReturnReceipt`` JSON, or CSV rows.

JSON: one receipt object or a list of them (``rma_number``, ``return_id`` or ``po_number``; ``lines`` with
``sku`` or ``line_number``, ``quantity``, ``condition``). CSV: a header row naming the columns (any order):
``rma_number``, ``return_id``, ``po_number``, ``sku``, ``line_number``, ``quantity``, ``uom``, ``condition``,
``location``; one row per received line and condition, rows with the same RMA (else return id, else PO) one
receipt. Either way the warehouse is the source's, whatever the file says, and quantities are whole and positive.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

from pydantic import ValidationError

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Condition, ReceivedLine, ReturnReceipt

MAX_RECEIPTS = 10_000  # one file's receipts; more is a mistake, refused
MAX_LINES = 1_000  # one receipt's lines
CONDITIONS = get_args(Condition)
COLUMNS = ("rma_number", "return_id", "po_number", "sku", "line_number", "quantity", "uom", "condition", "location")


def receipts_from_json(data: bytes, *, name: str, warehouse: str) -> list[ReturnReceipt]:
    try:
        parsed = json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{name}: not JSON ({exc})") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or len(items) > MAX_RECEIPTS:
        raise DecodeError(f"{name}: {len(items)} receipts (1 to {MAX_RECEIPTS} a file)")
    out = []
    for i, item in enumerate(items):
        prefix = f"receipt {i}: " if isinstance(parsed, list) else ""
        if not isinstance(item, dict):
            raise DecodeError(f"{name}: {prefix}not an object")
        try:
            receipt = ReturnReceipt.model_validate({**item, "warehouse": warehouse})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top)"
            raise DecodeError(f"{name}: {prefix}{where}: {first['msg']}") from None
        out.append(_checked(receipt, f"{name}: {prefix}"))
    return out


def receipts_from_csv(data: bytes, *, name: str, warehouse: str) -> list[ReturnReceipt]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{name}: not UTF-8 ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown or "quantity" not in header or not ({"rma_number", "return_id", "po_number"} & set(header)):
        raise DecodeError(
            f"{name}: header {header}: needs quantity, one of rma_number/return_id/po_number, and only {COLUMNS}"
        )
    receipts: dict[tuple[str, str], ReturnReceipt] = {}
    for row_number, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        where = f"{name}: row {row_number}"
        ref = next(((c, row[c]) for c in ("rma_number", "return_id", "po_number") if row.get(c)), None)
        if ref is None:
            raise DecodeError(f"{where}: no rma_number, return_id or po_number")
        if ref not in receipts:
            if len(receipts) >= MAX_RECEIPTS:
                raise DecodeError(f"{where}: more than {MAX_RECEIPTS} receipts")
            receipts[ref] = ReturnReceipt(
                warehouse=warehouse,
                location=row.get("location") or None,
                rma_number=ref[1] if ref[0] == "rma_number" else None,
                return_id=ref[1] if ref[0] == "return_id" else None,
                po_number=ref[1] if ref[0] == "po_number" else None,
            )
        receipts[ref].lines.append(_line(row, where))
    if not receipts:
        raise DecodeError(f"{name}: no rows")
    return [_checked(r, f"{name}: ") for r in receipts.values()]


def _line(row: dict[str, Any], where: str) -> ReceivedLine:
    try:
        quantity = Decimal(row["quantity"])
    except InvalidOperation:
        raise DecodeError(f"{where}: quantity {row['quantity']!r} is not a number") from None
    condition = (row.get("condition") or "sellable").lower()
    if condition not in CONDITIONS:
        raise DecodeError(f"{where}: condition {condition!r} is not one of {', '.join(CONDITIONS)}")
    if not row.get("sku") and not row.get("line_number"):
        raise DecodeError(f"{where}: no sku or line_number")
    return ReceivedLine(
        sku=row.get("sku") or None,
        line_number=row.get("line_number") or None,
        quantity=quantity,
        uom=row.get("uom") or "EA",
        condition=condition,  # type: ignore[arg-type]
    )


def _checked(receipt: ReturnReceipt, where: str) -> ReturnReceipt:
    if not (receipt.rma_number or receipt.return_id or receipt.po_number):
        raise DecodeError(f"{where}no rma_number, return_id or po_number")
    if not receipt.lines or len(receipt.lines) > MAX_LINES:
        raise DecodeError(f"{where}{len(receipt.lines)} lines (1 to {MAX_LINES} a receipt)")
    for i, line in enumerate(receipt.lines):
        if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
            raise DecodeError(f"{where}line {i}: quantity {line.quantity} is not a whole number of units above 0")
        if not line.sku and not line.line_number:
            raise DecodeError(f"{where}line {i}: no sku or line_number")
    return receipt
