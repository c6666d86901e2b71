"""Amazon refunds and part-item cancels: a canonical Refund, or units of items not shipped that a Cancellation takes
off, as an ``OrderAdjustment`` message of the ``POST_PAYMENT_ADJUSTMENT_DATA`` feed, and what the feed's XML
processing report says of it. Pure: no I/O.

The SP-API has no refund call for a merchant-fulfilled order; a refund is this feed (channel-lifecycle.md §4). The
message's shape is taken from third-party descriptions of Amazon's ``OrderAdjustment.xsd``, not from the XSD itself
[unverified; sources: https://cdn.cdata.com/help/ONK/py/pg_SellerCentralsp-submitorderadjustmentfeed.htm,
https://seller-forum.com/t/amazon-refund-shipping-pre-paid-label-xml-feed/18974,
https://suitebridge.bspny.us/Help/Api/POST-api-mws-orders-OrderAdjustment]: ``OrderAdjustment`` holds the
``AmazonOrderID`` and one ``AdjustedItem`` per order item, with its ``AmazonOrderItemCode``, the seller's own
``MerchantAdjustmentItemID`` (stable here, so Amazon can tell a repeat), an ``AdjustmentReason`` and the
``ItemPriceAdjustments`` components (``Principal``, ``Tax``, ...) each an ``Amount`` with its ``currency``. Amounts
are positive credits to the buyer, and the adjustment as a whole must be a credit.

The processing report of an XML feed (``ProcessingReport`` with ``ProcessingSummary`` counts and one ``Result`` per
problem: ``MessageID``, ``ResultCode`` Error or Warning, ``ResultMessageCode``, ``ResultDescription``) is read as
the MWS documentation of XML feeds describes it [unverified: no example is among the fixtures].
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from decimal import Decimal

from crossdock.core.lifecycle.cancellations import Reason
from crossdock.core.returns.models import Refund

ADJUSTMENT_FEED = "POST_PAYMENT_ADJUSTMENT_DATA"
# Cancellation reason -> AdjustmentReason, for part of an item not shipped [third-party descriptions, unverified]
CANCEL_REASONS: dict[Reason, str] = {"out_of_stock": "NoInventory", "buyer_request": "BuyerCanceled"}
FEED_CONTENT_TYPE = "text/xml; charset=UTF-8"
_CENTS = Decimal("0.01")
_MAX_TEXT = 200  # an id or a code longer than this is no Amazon id: refused, never cut
# What XML 1.0 may not hold at all (escaping cannot help): refused, naming the value
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;", "\r": "&#13;"}


def adjustment_item_id(refund_id: str, item_code: str) -> str:
    """The ``MerchantAdjustmentItemID`` of one order item in one refund: the same on every send of that refund."""
    return "cd-" + hashlib.sha256(f"{refund_id}\x00{item_code}".encode()).hexdigest()[:24]


def refund_feed(refund: Refund, *, merchant_id: str) -> bytes:
    """The feed document refunding ``refund``'s lines: one ``AdjustedItem`` per order item (lines of the same item
    summed), reason ``CustomerReturn``, its ``Principal`` and ``Tax``. A line with no order item (a SKU the order
    does not hold) or no amount, a currency not three letters, or nothing to credit: ``ValueError`` naming it."""
    order_id = refund.external_id or refund.po_number
    where = f"amazon refund {refund.refund_id} of return {refund.return_id}, order {order_id}"
    currency = (refund.currency or "").strip().upper()
    if not re.fullmatch("[A-Z]{3}", currency):
        raise ValueError(f"{where}: currency {refund.currency!r} is not an ISO code")
    items: dict[str, tuple[Decimal, Decimal]] = {}
    for line in refund.lines:
        named = line.sku or line.line_number or "a line"
        code = (line.order_line or "").strip()
        if not code:
            raise ValueError(f"{where}: SKU {named!r} is not an item of the order: refund it in Seller Central")
        if line.amount is None:
            raise ValueError(f"{where}: no price is known for SKU {named!r}: refund it in Seller Central")
        tax = min(max(line.tax or Decimal(0), Decimal(0)), line.amount)
        principal, taxed = items.get(code, (Decimal(0), Decimal(0)))
        items[code] = (principal + line.amount - tax, taxed + tax)
    items = {code: (p, t) for code, (p, t) in items.items() if p > 0 or t > 0}
    if not items or any(p < 0 or t < 0 for p, t in items.values()):
        raise ValueError(f"{where}: nothing to credit (the adjustment must be a credit to the buyer)")
    return _envelope(merchant_id, order_id, where, [
        _adjusted(code, adjustment_item_id(refund.refund_id, code), "CustomerReturn",
                  {"Principal": principal, "Tax": tax}, currency, where)
        for code, (principal, tax) in items.items()
    ])  # fmt: skip


def cancel_feed(
    order_id: str,
    units: Mapping[str, tuple[int, Decimal, Decimal]],
    reason: Reason,
    *,
    cancellation_id: str,
    currency: str,
    merchant_id: str,
) -> bytes:
    """The feed document cancelling part of items not shipped: per order item (``units``: item code -> units
    cancelled, their price and their tax), ``QuantityCancelled`` with the reason (``NoInventory`` or
    ``BuyerCanceled``, the only two the feed takes for this [unverified]) and the units' ``Principal`` and
    ``Tax``. Another reason, no units, a price not above zero or a currency not three letters: ``ValueError``."""
    where = f"amazon cancellation {cancellation_id} of order {order_id}"
    code = CANCEL_REASONS.get(reason)
    if code is None:
        raise ValueError(f"{where}: the order adjustment feed cancels part of an item only for a stock-out or the "
                         f"buyer's request, not {reason}")  # fmt: skip
    if not re.fullmatch("[A-Z]{3}", currency):
        raise ValueError(f"{where}: currency {currency!r} is not an ISO code")
    if not units or any(q <= 0 or p <= 0 or t < 0 for q, p, t in units.values()):
        raise ValueError(f"{where}: no units to cancel, or a unit without a price")
    return _envelope(merchant_id, order_id, where, [
        _adjusted(item, adjustment_item_id(cancellation_id, item), code, {"Principal": price, "Tax": tax},
                  currency, where, cancelled=quantity)
        for item, (quantity, price, tax) in units.items()
    ])  # fmt: skip


def _adjusted(
    code: str,
    merchant_item: str,
    reason: str,
    components: Mapping[str, Decimal],
    currency: str,
    where: str,
    cancelled: int | None = None,
) -> str:
    parts = "".join(
        f'<Component><Type>{kind}</Type><Amount currency="{currency}">{amount.quantize(_CENTS)}</Amount></Component>'
        for kind, amount in components.items()
        if amount > 0
    )
    return (
        f"<AdjustedItem><AmazonOrderItemCode>{_text(code, where)}</AmazonOrderItemCode>"
        f"<MerchantAdjustmentItemID>{merchant_item}</MerchantAdjustmentItemID>"
        f"<AdjustmentReason>{reason}</AdjustmentReason><ItemPriceAdjustments>{parts}</ItemPriceAdjustments>"
        + ("" if cancelled is None else f"<QuantityCancelled>{cancelled}</QuantityCancelled>")
        + "</AdjustedItem>"
    )


def _envelope(merchant_id: str, order_id: str, where: str, items: list[str]) -> bytes:
    if not merchant_id.strip():
        raise ValueError(f"{where}: no merchant id")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">',
        f"<Header><DocumentVersion>1.01</DocumentVersion><MerchantIdentifier>{_text(merchant_id.strip(), where)}"
        "</MerchantIdentifier></Header>",
        "<MessageType>OrderAdjustment</MessageType>",
        f"<Message><MessageID>1</MessageID><OrderAdjustment><AmazonOrderID>{_text(order_id, where)}</AmazonOrderID>",
        *items,
        "</OrderAdjustment></Message>",
        "</AmazonEnvelope>",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _text(value: str, where: str) -> str:
    """An id or code as element text: escaped; empty, too long or holding what XML cannot: ``ValueError``."""
    text = value.strip()
    if not text or len(text) > _MAX_TEXT or _NOT_XML.search(text):
        raise ValueError(f"{where}: {value[:_MAX_TEXT]!r} cannot be an Amazon id")
    return "".join(_ESCAPES.get(c, c) for c in text)


def report_errors(content: bytes, message_id: str = "1") -> tuple[list[str], int]:
    """An XML feed's processing report: the errors for message ``message_id`` and those naming no message (each
    ``code: description``, bounded), and how many messages it counts with errors. Not a processing report (or
    holding a DOCTYPE or entity, never expanded): ``ValueError``."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", content):
        raise ValueError("the processing report declares a DOCTYPE or entity")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ValueError(f"the processing report is not XML: {exc}") from None
    report = root.find(".//ProcessingReport")
    if report is None:
        raise ValueError("no ProcessingReport in the processing report")
    errors: list[str] = []
    for result in report.findall("Result"):
        if (result.findtext("ResultCode") or "").strip().lower() != "error":
            continue
        about = (result.findtext("MessageID") or "").strip()
        if about not in (message_id, "", "0"):
            continue
        code = (result.findtext("ResultMessageCode") or "").strip()
        said = " ".join((result.findtext("ResultDescription") or "").split())
        errors.append(f"{code}: {said}".strip(": ")[:300] or "an error without words")
    counted = (report.findtext("ProcessingSummary/MessagesWithError") or "0").strip()
    return errors, int(counted) if counted.isdecimal() else 0
