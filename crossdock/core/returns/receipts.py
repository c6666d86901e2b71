"""A warehouse's receipt of returned goods (a 944, a receipt file), matched to its return and applied.

A receipt finds its return by RMA number, else by return id, else by PO number (when one open return has it).
It applies only when it fits what the return expects: a SKU the return does not hold, or more units of one
than are still expected, holds the receipt with the difference named, nothing applied. An applied receipt puts
its sellable units back into stock (``stock_ledger.record_movement``, per SKU at the receipt's location) and
tells the channel with a ``Refund`` (``refunds``). A receipt is applied once however often its document is
replayed (``receipt_key``).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from crossdock.core import registry
from crossdock.core.failures import PROCESSABLE, fail_document, reason_of
from crossdock.core.hub import Hub
from crossdock.core.plan import Plan, Processed
from crossdock.core.returns.intake import received_of, return_of
from crossdock.core.returns.models import Return, ReturnReceipt
from crossdock.core.returns.refunds import refund_after
from crossdock.core.stock.ledger import record_movement
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import return_receipts, returns
from crossdock.core.storage.store import to_json

SHIPBOB_RETURN = "shipbob-return"  # documents.kind of ShipBob's completed return (connectors/shipbob_returns.py)
OPEN = ("open", "received", "approval", "refunded", "closed")  # a receipt may apply to: neither held nor cancelled


def receipt_file(
    hub: Hub, document_id: int, data: bytes, name: str, source_name: str, source: Any, kind: str | None = None
) -> Processed:
    """A warehouse's receipt file (JSON or CSV) or ShipBob's completed return (``kind`` ``shipbob-return``): its
    receipts matched and applied in one transaction."""
    warehouse = source.partner or source_name
    kind = kind or source.format
    try:
        mapping = registry.mapping("returnfiles")
        if kind == SHIPBOB_RETURN:
            found = registry.mapping("shipbob_returns").receipts_from_shipbob(data, name=name, warehouse=warehouse)
            for receipt in found:
                receipt.location = receipt.location or shipbob_location(hub, source_name)
        elif source.format == "return-receipt-csv":
            found = mapping.receipts_from_csv(data, name=name, warehouse=warehouse)
        else:
            found = mapping.receipts_from_json(data, name=name, warehouse=warehouse)
    except Exception as exc:
        return fail_document(hub, document_id, reason_of(exc, name), warehouse, source_name, name)
    with hub.store.transaction() as conn:
        state = hub.store.claim_document(conn, document_id)
        if state not in PROCESSABLE:
            return Processed(document_id, state)
        plan = Plan()
        problems = apply_receipts(hub, conn, plan, document_id, found)
        plan.write(hub.store, conn)
        error = "; ".join(problems)[:4000] or None
        hub.store.update_document(conn, document_id, state="processed", error=error, partner=warehouse, kind=kind)
    return Processed(document_id, "processed", error)


def shipbob_location(hub: Hub, source_name: str) -> str | None:
    """The stock location ShipBob's inventory is counted at, when the stock configuration reads it through this
    ShipBob source, or through a ShipBob sink or source of the same account (url and token): units ShipBob
    restocks then go back where its on-hand figures are. None: the source's ``partner``, else its name."""
    mine = _account(hub.config.sources.get(source_name))
    for stock in hub.config.stock.sources.values():
        if stock.shipbob is None:
            continue
        named = hub.config.sinks.get(stock.shipbob) or hub.config.sources.get(stock.shipbob)
        if stock.shipbob == source_name or (mine is not None and _account(named) == mine):
            return stock.location
    return None


def _account(config: Any) -> tuple[str, str] | None:
    if getattr(config, "type", None) != "shipbob":
        return None
    return str(config.url).rstrip("/"), str(config.token)


def apply_receipts(hub: Hub, conn: Connection, plan: Plan, document_id: int, found: list[ReturnReceipt]) -> list[str]:
    """Match and apply each receipt; returns why the ones held are held."""
    problems: list[str] = []
    for index, receipt in enumerate(found):
        if problem := _apply(hub, conn, plan, document_id, receipt, receipt_key(receipt, document_id, index)):
            problems.append(problem)
    return problems


def receipt_key(receipt: ReturnReceipt, document_id: int, index: int) -> str:
    """A receipt's identity: the document it came in and its place there, so a replay applies it once, while the
    same units received again in another document are another receipt (the same bytes again are not processed)."""
    text = f"{document_id}\x1f{index}\x1f" + to_json(receipt.model_dump(mode="json"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _apply(hub: Hub, conn: Connection, plan: Plan, document_id: int, receipt: ReturnReceipt, key: str) -> str | None:
    known = conn.execute(select(return_receipts.c.state).where(return_receipts.c.key == key)).first()
    named = receipt.rma_number or receipt.return_id or receipt.po_number or "?"
    if known is not None and known.state == "applied":
        plan.event("receipt", f"receipt for {named} from {receipt.warehouse} was applied before", document=document_id)
        return None
    row = match(conn, receipt)
    reason = None
    if row is not None:
        receipt = with_skus(receipt, return_of(row))
    if row is None:
        reason = f"receipt for {named} from {receipt.warehouse} held: no open return has that RMA, id or PO number"
    else:
        difference = differences(return_of(row), received_of(row), receipt)
        if difference:
            reason = f"receipt for {named} from {receipt.warehouse} held: {'; '.join(difference)}"
    now = utcnow()
    values = {
        "return_row": None if row is None else int(row.id),
        "warehouse": receipt.warehouse,
        "state": "held" if reason else "applied",
        "error": reason,
        "data": to_json(receipt.model_dump(mode="json")),
        "document_id": document_id,
    }
    if known is None:
        conn.execute(return_receipts.insert().values(key=key, created_at=now, **values))
    else:
        conn.execute(return_receipts.update().where(return_receipts.c.key == key).values(**values))
    order_id = None if row is None or row.order_id is None else int(row.order_id)
    if reason is not None:
        if row is not None:
            conn.execute(returns.update().where(returns.c.id == row.id).values(reason=reason, updated_at=now))
        plan.event("held", reason + f"; after the fix, crossdock replay {document_id}", order=order_id)
        return reason
    assert row is not None
    ret = return_of(row)
    sellable = restock(conn, receipt, ret, now, key)
    received = received_of(row) + [line.model_dump(mode="json") for line in receipt.lines]
    conn.execute(
        returns.update()
        .where(returns.c.id == row.id)
        .values(state="received", reason=None, received=json.dumps(received, default=str), updated_at=now)
    )
    units = sum((line.quantity for line in receipt.lines), Decimal(0))
    plan.event(
        "receipt",
        f"return {ret.return_id} (RMA {row.rma_number or ret.return_id}): {units} unit(s) received by "
        f"{receipt.warehouse}, {sellable} sellable back into stock",
        order=order_id,
        document=document_id,
    )
    refund_after(hub, conn, plan, row, ret, receipt, key)
    return None


def match(conn: Connection, receipt: ReturnReceipt) -> Any:
    """The return a receipt is for: by RMA number, else return id, else PO number when one open return has it."""
    for column, value in (
        (returns.c.rma_number, receipt.rma_number),
        (returns.c.return_id, receipt.rma_number),  # an RMA crossdock gave is the return's id
        (returns.c.return_id, receipt.return_id),
        (returns.c.po_number, receipt.po_number),
    ):
        if not value:
            continue
        rows = list(conn.execute(select(returns).where(column == value, returns.c.state.in_(OPEN))))
        if len(rows) == 1:
            return rows[0]
    return None


def with_skus(receipt: ReturnReceipt, ret: Return) -> ReturnReceipt:
    """The receipt with each line that names only its order line number given that return line's SKU."""
    skus = {line.line_number: line.sku for line in ret.lines if line.line_number and line.sku}
    lines = [
        line if line.sku or line.line_number not in skus else line.model_copy(update={"sku": skus[line.line_number]})
        for line in receipt.lines
    ]
    return receipt.model_copy(update={"lines": lines})


def differences(ret: Return, before: list[dict[str, Any]], receipt: ReturnReceipt) -> list[str]:
    """How a receipt differs from what the return still expects, per SKU (or line number): empty when it fits."""
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for line in ret.lines:
        expected[_item(line.sku, line.line_number)] += line.quantity
    for got in before:
        expected[_item(got.get("sku"), got.get("line_number"))] -= Decimal(str(got["quantity"]))
    now: dict[str, Decimal] = defaultdict(Decimal)
    for received in receipt.lines:
        now[_item(received.sku, received.line_number)] += received.quantity
    out = []
    for item, quantity in now.items():
        if item not in expected:
            out.append(f"{item} is not in the return ({quantity} received)")
        elif quantity > expected[item]:
            out.append(f"{item}: {quantity} received, {max(expected[item], Decimal(0))} still expected")
    return out


def _item(sku: str | None, line_number: str | None) -> str:
    return f"SKU {sku}" if sku else f"line {line_number}"


def restock(conn: Connection, receipt: ReturnReceipt, ret: Return, at: Any, key: str) -> Decimal:
    """The sellable units back into stock, per SKU at the receipt's location (else the warehouse's name), once
    per receipt (its key is in the movement's reference). Units are whole: a fraction is refused."""
    total = Decimal(0)
    by_sku: dict[str, Decimal] = defaultdict(Decimal)
    for line in receipt.lines:
        if line.condition == "sellable" and line.sku:
            by_sku[line.sku] += line.quantity
    for sku, quantity in by_sku.items():
        record_movement(
            conn,
            sku=sku,
            location=receipt.location or receipt.warehouse,
            delta=int(quantity) if quantity == int(quantity) else _whole(quantity, sku),
            at=receipt.received or at,
            reason="return",
            reference=f"return {ret.channel}:{ret.return_id}:{key[:16]}"[:256],
        )
        total += quantity
    return total


def _whole(quantity: Decimal, sku: str) -> int:
    raise ValueError(f"SKU {sku}: {quantity} units received sellable is not a whole number of units")
