"""WooCommerce: a refund marked as a return -> a canonical Return; a canonical Refund -> the REST v3 bodies that
carry it out. Pure: no I/O.

Core WooCommerce has no return object (channel-lifecycle.md §2): the merchant records a return as a refund of
the lines coming back, its ``reason`` starting with the source's ``return_prefix`` ("Return: wrong size"). The
source stores each such refund as ``{"order": {id, number, currency, line_items: [{id, sku, product_id,
variation_id, quantity}]}, "refund": <GET /orders/<id>/refunds record>}``: the refund verbatim, the order cut to
what names its lines. A refund line's ``quantity`` is negative; it names its order line by the
``_refunded_item_id`` meta [unverified: WooCommerce core keeps it so], else by the one order line with its
product and variation. Refunds are never edited, only deleted: the refund's id is the return's id and identity.

Back: ``POST /orders/<id>/refunds`` with ``line_items [{id, quantity, refund_total, refund_tax [{id,
refund_total}]}]``, ``amount`` their sum, ``api_refund`` from the source's ``return_refund`` and ``api_restock``
from the lines' ``restock``: WooCommerce restocks a whole refund or none of it, so lines that differ go as two
refunds. A line without an ``amount`` is refunded its share of the order line (``total`` and each
``taxes[].total`` per unit ordered, times the units, rounded half-up to cents); a line with one has it all as
``refund_total`` (tax included, as the Refund counts it). Each refund carries the crossdock refund's id in its
``meta_data`` (``crossdock_refund``), so a refund sent again that finds it is not made twice, and a poll never
reads crossdock's own refund as a new return; its reason says "Refund for return …". A return whose own refund
paid money back when the merchant recorded it is refunded already: nothing more is paid. A ``close`` is a
private order note naming the return, posted once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Refund, RefundLine, Return, ReturnLine
from crossdock.mappings.returns_json import MAX_LINES, cut, load, reason
from crossdock.mappings.woocommerce import _At

META = "crossdock_refund"
_CENTS = Decimal("0.01")


def returns_from_json(data: bytes, name: str) -> list[Return]:
    """The return a stored document holds (a refund marked as a return, with its order's ids)."""
    node = _At(load(data, name), "", name)
    order = node.child("order") or node.fail("order", "missing")
    refund = node.child("refund") or node.fail("refund", "missing")
    return [_return(order, refund)]


def _return(order: _At, refund: _At) -> Return:
    items = order.children("line_items")
    lines = refund.children("line_items")
    if len(lines) > MAX_LINES:
        refund.fail("line_items", f"{len(lines)} lines, more than {MAX_LINES}")
    said = refund.text("reason")
    why = reason(said)
    refund_id = refund.need_id("id")
    amount = refund.decimal("amount")
    notes = [f"WooCommerce refund {refund_id}: {cut(said) or 'no reason given'}"]
    if amount:
        notes.append(f"{abs(amount)} refunded already by that refund")
    return Return(
        channel="woocommerce",
        return_id=refund_id,
        po_number=order.text("number") or order.need_id("id"),
        external_id=order.need_id("id"),
        status="open",
        created=refund.gmt("date_created_gmt"),
        currency=(order.text("currency") or "").upper() or None,
        lines=[_line(line, items, why, said) for line in lines],
        notes=notes,
    )


def _line(line: _At, items: list[_At], why: Any, said: str | None) -> ReturnLine:
    quantity = abs(line.need_decimal("quantity"))
    if quantity == 0 or quantity != quantity.to_integral_value():
        line.fail("quantity", f"{line.raw('quantity')!r} is not a quantity of units coming back")
    order_line = _order_line(line, items)
    total = line.decimal("total")
    return ReturnLine(
        line_number=order_line.need_id("id") if order_line is not None else None,
        sku=line.text("sku") or (order_line.text("sku") if order_line is not None else None),
        quantity=quantity,
        reason=why,
        reason_text=cut(said),
        channel_line_id=line.optional_id("id"),
        unit_price=(abs(total) / quantity).quantize(_CENTS, rounding=ROUND_HALF_UP) if total else None,
    )


def _order_line(line: _At, items: list[_At]) -> _At | None:
    """The order line a refund line gives back: by ``_refunded_item_id``, else the one with its product."""
    named = next((m.text("value") for m in line.children("meta_data") if m.text("key") == "_refunded_item_id"), None)
    for item in items:
        if named is not None and item.optional_id("id") == named:
            return item
    product = (line.optional_id("product_id"), line.optional_id("variation_id"))
    same = [i for i in items if (i.optional_id("product_id"), i.optional_id("variation_id")) == product]
    return same[0] if len(same) == 1 else None


def is_ours(refund: Any) -> bool:
    """Whether a WooCommerce refund is one crossdock made (its ``crossdock_refund`` meta): never read as a return."""
    metas = refund.get("meta_data") if isinstance(refund, dict) else None
    return any(isinstance(m, dict) and m.get("key") == META for m in metas or [])


def paid_when_recorded(refund: Refund, refunds: list[Any]) -> str | None:
    """The amount the return's own refund (the one marked as a return) paid back already, when it paid any: then
    the buyer has the money and another refund would pay twice."""
    for found in refunds:
        if isinstance(found, dict) and str(found.get("id")) == refund.return_id:
            try:
                amount = abs(Decimal(str(found.get("amount") or "0")))
            except ArithmeticError:
                return None
            return str(amount) if amount > 0 else None
    return None


def already_made(refund: Refund, refunds: list[Any]) -> set[str]:
    """The ``crossdock_refund`` values WooCommerce shows for this refund: the parts made already."""
    return {
        str(m.get("value"))
        for found in refunds
        if isinstance(found, dict)
        for m in found.get("meta_data") or []
        if isinstance(m, dict) and m.get("key") == META and str(m.get("value", "")).split("+")[0] == refund.refund_id
    }


def refund_bodies(refund: Refund, order: Mapping[str, Any], *, api_refund: bool) -> list[tuple[str, dict[str, Any]]]:
    """``(marker, body)`` per ``POST /orders/<id>/refunds``: the lines to restock and those not, each a refund."""
    where = f"woocommerce refund {refund.refund_id} of order {refund.po_number}"
    node = _At(order, "", f"order {order.get('id')}")
    items = node.children("line_items")
    groups: dict[bool, list[RefundLine]] = {}
    for line in refund.lines:
        groups.setdefault(line.restock, []).append(line)
    bodies = []
    for restock, lines in sorted(groups.items()):
        body_lines, amount = [], Decimal(0)
        for i, line in enumerate(lines, 1):
            item = _item(line, items, f"{where}: line {i}")
            if line.quantity <= 0 or line.quantity != line.quantity.to_integral_value():
                raise DecodeError(f"{where}: line {i}: {line.quantity} is not a whole quantity", source=where)
            entry, total = _entry(item, line)
            body_lines.append(entry)
            amount += total
        marker = refund.refund_id + ("+restock" if restock else "")
        said = f"Refund for return {refund.return_id}" + (f": {cut(refund.note)}" if refund.note else "")
        bodies.append(
            (
                marker,
                {
                    "amount": str(amount),
                    "reason": said,
                    "api_refund": api_refund,
                    "api_restock": restock,
                    "line_items": body_lines,
                    "meta_data": [{"key": META, "value": marker}],
                },
            )
        )
    return bodies


def _item(line: RefundLine, items: list[_At], where: str) -> _At:
    key = (line.line_number or "").strip()
    for item in items:
        if key and item.optional_id("id") == key:
            return item
    by_sku = [i for i in items if line.sku and i.text("sku") == line.sku]
    if not key and len(by_sku) == 1:
        return by_sku[0]
    raise DecodeError(f"{where}: {line.line_number or line.sku!r} is no line of the order", source=where)


def _entry(item: _At, line: RefundLine) -> tuple[dict[str, Any], Decimal]:
    """One ``line_items`` entry of a refund and what it refunds in all."""
    if line.amount is not None:
        total = line.amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
        return {"id": int(item.need_id("id")), "quantity": int(line.quantity), "refund_total": str(total)}, total
    ordered = item.need_decimal("quantity")
    if ordered <= 0:
        item.fail("quantity", "an order line with no units")
    net = _share(item.decimal("total") or Decimal(0), ordered, line.quantity)
    taxes = [
        (int(tax.need_id("id")), _share(tax.decimal("total") or Decimal(0), ordered, line.quantity))
        for tax in item.children("taxes")
    ]
    entry = {
        "id": int(item.need_id("id")),
        "quantity": int(line.quantity),
        "refund_total": str(net),
        "refund_tax": [{"id": tax_id, "refund_total": str(share)} for tax_id, share in taxes],
    }
    return entry, net + sum((share for _, share in taxes), Decimal(0))


def _share(amount: Decimal, ordered: Decimal, quantity: Decimal) -> Decimal:
    return (amount / ordered * quantity).quantize(_CENTS, rounding=ROUND_HALF_UP)


def close_note(refund: Refund) -> dict[str, Any]:
    """The private order note that closes a return (no money moves)."""
    text = f"Return {refund.return_id} received and closed (crossdock {refund.refund_id})."
    return {"note": text, "customer_note": False}
