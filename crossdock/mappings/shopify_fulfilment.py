"""A canonical Fulfilment -> the ``fulfillmentCreate`` variables of a Shopify order. Pure: no I/O.

Fulfilments go through the order's open fulfillment orders: one ``fulfillmentCreate`` per fulfillment order a
package's lines are on (an order's lines can be split over locations), and one per tracked package when the
warehouse said which lines went in each (``packages.per_package``), so every package's tracking number goes with
its own lines. The mutation takes no idempotency key, so what an existing fulfilment already holds under a
package's tracking number is left out: a repeated send ships nothing twice.

What no open fulfillment order holds any more (refunded or removed since, on hold, closed) is left out and named
(``Fulfilling.left_out``) rather than refusing the whole shipment: the lines that really shipped are still
marked fulfilled and the buyer gets the tracking. A line that is on none of the order's fulfillment orders at
all is no line of the order: a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.mappings.packages import per_package
from crossdock.mappings.shopify import _GID, _Node

# Shopify builds tracking links for the carrier names it knows, written exactly ([docs FulfillmentTrackingInput]);
# a SCAC not here is sent as it is.
_CARRIERS = {"UPSN": "UPS", "UPSS": "UPS", "FDEG": "FedEx", "FDE": "FedEx", "FXFE": "FedEx", "USPS": "USPS"}
_OPEN = {"OPEN", "IN_PROGRESS"}
_VOID = {"CANCELLED", "ERROR", "FAILURE"}  # fulfilments that shipped nothing


@dataclass(slots=True)
class Fulfilling:
    """The ``fulfillmentCreate`` variables to send, and what of the shipment no open fulfillment order holds."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    left_out: dict[str, Decimal] = field(default_factory=dict)  # order line id -> units not fulfilled


def fulfilment_request(
    fulfilment: Fulfilment,
    fulfillment_order: Mapping[str, Any],
    *,
    notify_customer: bool = True,
    tracking_links: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The variables of ``FULFILLMENT_CREATE`` shipping ``fulfilment``'s lines from one open fulfillment order.

    Lines are matched by the order line id (``FulfilmentLine.line_number``, numeric or GID) to the fulfillment
    order's ``lineItems {id remainingQuantity lineItem {id}}``. A line not on it, more than remains, or nothing to
    ship (an empty list would fulfil every line) is a ``ValueError``; an unreadable fulfillment order a DecodeError.
    ``tracking_links`` (SCAC -> link with ``{number}``) gives the link of a carrier Shopify does not link itself.
    """
    where = f"shopify fulfilment {fulfilment.shipment_id} of order {fulfilment.po_number}"
    fo = _Node(fulfillment_order, "", f"fulfillment order {fulfillment_order.get('id')}", False)
    fo_id = fo.gid("id", "FulfillmentOrder")
    if (status := fo.text("status")) not in (None, *_OPEN):
        raise ValueError(f"{where}: fulfillment order {fo_id} is {status}, not open")
    open_lines: dict[str, tuple[str, Decimal]] = {}
    for item in fo.children("lineItems"):
        line = item.child("lineItem") or item.fail("lineItem", "missing")
        item_id = item.gid("id", "FulfillmentOrderLineItem")
        open_lines[line.need_numeric_id("id", "LineItem")] = (item_id, item.quantity("remainingQuantity"))
    wanted = _wanted(fulfilment, where)
    items = []
    for key, quantity in wanted.items():
        if key not in open_lines:
            raise ValueError(f"{where}: line {key} is not on fulfillment order {fo_id}")
        item_id, remaining = open_lines[key]
        if quantity > remaining:
            raise ValueError(f"{where}: line {key}: {quantity} to ship but {remaining} remain")
        items.append({"id": item_id, "quantity": int(quantity)})
    if not items:
        raise ValueError(f"{where}: no lines to ship (an empty list would fulfil the whole fulfillment order)")
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}],
        "notifyCustomer": notify_customer,
    }
    numbers = [n for n in fulfilment.tracking_numbers if n.strip()]
    one = numbers[0] if len(numbers) == 1 else None  # url goes with number, urls with numbers (not sent)
    scac = fulfilment.carrier_scac
    tracking = {
        "company": _CARRIERS.get(scac.upper(), scac) if scac else None,
        "number": one,
        "numbers": numbers if len(numbers) > 1 else None,
        "url": _link(one, scac, tracking_links) if one else None,
    }
    if any(tracking.values()):
        fulfillment["trackingInfo"] = {k: v for k, v in tracking.items() if v}
    return {"fulfillment": fulfillment}


def fulfilment_requests(
    fulfilment: Fulfilment,
    fulfillment_orders: Mapping[str, Any],
    fulfillments: Any = None,
    *,
    notify_customer: bool = True,
    tracking_links: Mapping[str, str] | None = None,
) -> Fulfilling:
    """What ships what is left of ``fulfilment``: per package, one request per open fulfillment order its lines
    are on; nothing when it all shipped before.

    ``fulfillment_orders`` is the ``order`` of ``FULFILLMENT_ORDERS_QUERY``; ``fulfillments`` the ``fulfillments``
    list of ``FULFILLMENTS_QUERY``; every connection in them read to its last page. What an existing fulfilment
    carrying one of a package's tracking numbers holds is subtracted first. A shipment without tracking cannot be
    recognised so: it counts as sent when none of its lines remains open anywhere."""
    where = f"shopify fulfilment {fulfilment.shipment_id} of order {fulfilment.po_number}"
    order = _Node(fulfillment_orders, "", f"fulfillment orders of order {fulfilment.external_id}", False)
    known: set[str] = set()
    open_orders = []
    for fo in order.children("fulfillmentOrders"):
        remaining: dict[str, Decimal] = {}
        for item in fo.children("lineItems"):
            line = item.child("lineItem") or item.fail("lineItem", "missing")
            key = line.need_numeric_id("id", "LineItem")
            known.add(key)
            remaining[key] = remaining.get(key, Decimal(0)) + item.quantity("remainingQuantity")
        if fo.text("status") in _OPEN:
            open_orders.append((fo.data, remaining))
    out = Fulfilling()
    for part in per_package(fulfilment):
        wanted = _wanted(part, where)
        if unknown := sorted(set(wanted) - known):
            raise ValueError(f"{where}: line {unknown[0]} is on none of the order's fulfillment orders")
        wanted = _not_shipped_yet(part, wanted, fulfillments)
        if not part.tracking_numbers and not any(r.get(k, 0) > 0 for _, r in open_orders for k in wanted):
            continue
        for data, remaining in open_orders:
            share = {k: min(v, remaining.get(k, Decimal(0))) for k, v in wanted.items()}
            share = {k: v for k, v in share.items() if v > 0}
            if not share:
                continue
            lines = [FulfilmentLine(line_number=k, quantity=v) for k, v in share.items()]  # what this one holds
            sub = part.model_copy(update={"lines": lines, "packages": []})
            out.requests.append(
                fulfilment_request(sub, data, notify_customer=notify_customer, tracking_links=tracking_links)
            )
            for k, v in share.items():
                remaining[k] -= v
                wanted[k] -= v
        for k, v in wanted.items():
            if v > 0:
                out.left_out[k] = out.left_out.get(k, Decimal(0)) + v
    return out


def _not_shipped_yet(part: Fulfilment, wanted: dict[str, Decimal], fulfillments: Any) -> dict[str, Decimal]:
    """``wanted`` less what an existing fulfilment under one of the part's tracking numbers already holds."""
    numbers = {n.strip() for n in part.tracking_numbers if n.strip()}
    source = f"fulfillments of order {part.external_id}"
    for i, done in enumerate(fulfillments or []):
        made = _Node(done, f"fulfillments[{i}]", source, False)
        if (made.text("status") or "").upper() in _VOID or not numbers:
            continue
        if not any(t.text("number") in numbers for t in made.children("trackingInfo")):
            continue
        for item in made.children("fulfillmentLineItems"):
            line = item.child("lineItem") or item.fail("lineItem", "missing")
            key = line.need_numeric_id("id", "LineItem")
            if key in wanted:
                wanted[key] -= min(wanted[key], item.quantity("quantity"))
    return {k: v for k, v in wanted.items() if v > 0}


def _wanted(fulfilment: Fulfilment, where: str) -> dict[str, Decimal]:
    """The quantity to ship of each order line, by its numeric id; a line given twice is summed."""
    wanted: dict[str, Decimal] = {}
    for i, shipped in enumerate(fulfilment.lines, 1):
        match = _GID.fullmatch(shipped.line_number or "")
        key = match.group(2) if match else (shipped.line_number or "").strip()
        if not key.isdecimal():
            raise ValueError(f"{where}: line {i}: {shipped.line_number!r} is not a Shopify line item id")
        if shipped.quantity <= 0 or shipped.quantity != shipped.quantity.to_integral_value():
            raise ValueError(f"{where}: line {key}: {shipped.quantity} is not a whole quantity to ship")
        wanted[key] = wanted.get(key, Decimal(0)) + shipped.quantity
    return wanted


def _link(number: str, scac: str | None, links: Mapping[str, str] | None) -> str | None:
    found = {k.upper(): v for k, v in (links or {}).items()}.get((scac or "").upper())
    return found.replace("{number}", quote(number, safe="")) if found else None
