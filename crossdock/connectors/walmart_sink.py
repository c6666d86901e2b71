"""Walmart Marketplace: what crossdock sends back to a seller account: shipments as Shipped lines with each
package's tracking number, and cancellations as Cancelled lines.

Both read the order first (``GET /v3/orders/{id}``), so what Walmart already shows is not sent again:

- A fulfilment acknowledges the order if a line is still Created, then each package's lines go as one ``POST
  /v3/orders/{id}/shipping`` per line with that package's own tracking number and quantity (a line in two
  packages is two Shipped statuses, one per package). A line already showing this package's tracking number is
  done; a line with nothing left open is done (and, never shipped, reported as cancelled at Walmart). So sending
  again after a crash ships nothing twice.
- A cancellation is one ``POST /v3/orders/{id}/cancel`` with a ``Cancelled`` status per line [docs
  cancel-one-or-more-order-lines]: the whole order's open quantities, or each named line's quantity, never more
  than is still open (shipped units cannot be cancelled). A line with nothing open is not sent, so a whole order
  or a whole line cancelled again sends nothing; a cancellation this sink already made (its ``cancellation_id``)
  is not made again while the process runs. Walmart's cancel takes no reference, so a partial line cancel
  names what it leaves of the line (``CancelledLine.left``): the sink cancels only what Walmart still holds
  above it (ordered less cancelled), and a cancellation resent after a crash between Walmart's answer and the
  outbox's record finds the line there already and cancels nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from crossdock.connectors import walmart_returns, walmart_stock
from crossdock.connectors.channel import ChannelSink
from crossdock.connectors.walmart import ORDERS, _Api, _safe_id, _tokens
from crossdock.connectors.walmart_config import WalmartSourceConfig
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.fulfilment.models import Fulfilment, FulfilmentLine
from crossdock.core.lifecycle.cancellations import Cancellation
from crossdock.core.returns.models import Refund
from crossdock.core.stock.models import FeedCheck, StockPush
from crossdock.mappings import walmart as mapping
from crossdock.mappings import walmart_requests as requests
from crossdock.mappings.packages import per_package


class WalmartSink(ChannelSink[WalmartSourceConfig, _Api]):
    """Fulfilments and cancellations back to Walmart, each line's state read first."""

    channel = "walmart"

    def __init__(self, name: str, config: WalmartSourceConfig, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(name, config, transport)
        self._made: set[str] = set()  # cancellation ids made while this process runs
        self._lock = threading.Lock()

    def _connect(self, transport: httpx.BaseTransport | None) -> _Api:
        return _Api(self.name, self.config, transport, _tokens())

    def _stock(self, push: StockPush) -> str:
        return walmart_stock.push(self._api, self.name, self.config, push)

    def _stock_check(self, check: FeedCheck) -> str:
        return walmart_stock.check(self._api, self.name, check)

    def _read(self, po: str) -> tuple[dict[str, Any], dict[str, mapping.LineState]]:
        where = f"walmart {self.name}"
        body = self._api.call("GET", f"{ORDERS}/{po}")
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            raise TransientError(f"{where}: order {po}: the answer holds no order")
        try:
            return order, mapping.line_state(order, name=f"{where} order {po}")
        except DecodeError as exc:
            raise PermanentError(f"{where}: {exc}") from None

    def _fulfil(self, fulfilment: Fulfilment) -> str:
        where = f"walmart {self.name}"
        po = self._order_id(fulfilment, "purchase order id", _safe_id)
        order, lines = self._read(po)
        try:
            due = mapping.needs_acknowledgement(order)
            placed = mapping.ordered_at(order, name=f"{where} order {po}")
        except DecodeError as exc:
            raise PermanentError(f"{where}: {exc}") from None
        if due:
            self._api.call(*requests.acknowledge_request(po))
        method = _method(order)
        shipped_at = _shipped_at(fulfilment, placed)
        still_open = {number: state.open for number, state in lines.items()}
        problems: list[str] = []
        sent = done = 0
        for package in per_package(fulfilment):
            number = next((n.strip() for n in package.tracking_numbers if n.strip()), "")
            for line_number, quantity in _wanted(package.lines, lines, problems):
                state = lines[line_number]
                if number in state.tracking or still_open[line_number] <= 0:
                    done += 1
                    if still_open[line_number] <= 0 and state.shipped == 0:
                        problems.append(f"line {line_number} is cancelled at Walmart")
                    continue
                shipping = min(quantity, still_open[line_number])
                try:
                    body = requests.shipping_request(
                        dataclasses.replace(package, tracking_numbers=[number] if number else []),
                        shipped_at=shipped_at,
                        lines=[(line_number, shipping)],
                        method_code=method,
                        tracking_urls=self.config.tracking_urls,
                    )
                except ValueError as exc:
                    raise PermanentError(str(exc)) from None
                self._api.call("POST", f"{ORDERS}/{po}/shipping", json=body)
                still_open[line_number] -= shipping
                sent += 1
        if problems:
            said = "; ".join(dict.fromkeys(problems))
            raise PermanentError(f"{where}: order {po}, shipment {fulfilment.shipment_id}: {said}")
        return f"walmart order {po}: shipment {fulfilment.shipment_id} ({sent} lines shipped, {done} already)"

    def _cancel(self, cancellation: Cancellation) -> str:
        where = f"walmart {self.name}"
        po = cancellation.external_id or cancellation.po_number
        if not _safe_id(po):
            raise PermanentError(f"{where}: cancellation {cancellation.cancellation_id} names no purchase order id")
        with self._lock:
            if cancellation.cancellation_id in self._made:
                return f"walmart order {po}: cancellation {cancellation.cancellation_id} already made"
        _, lines = self._read(po)
        problems: list[str] = []
        if cancellation.whole_order:
            wanted = [(number, state.open) for number, state in lines.items() if state.open > 0]
        else:
            named = [
                FulfilmentLine(line_number=c.line_number, product_ids=c.product_ids, quantity=c.quantity)
                for c in cancellation.lines
            ]
            asked = _wanted(named, lines, problems)
            targets = _targets(cancellation, lines)
            done = [n for n, _ in asked if n in targets and lines[n].ordered - lines[n].cancelled <= targets[n]]
            wanted = [
                (number, min(quantity, lines[number].open, _above(lines[number], targets.get(number))))
                for number, quantity in asked
            ]
            shipped = [n for n, quantity in wanted if quantity <= 0 and lines[n].shipped > 0 and n not in done]
            problems += [f"line {number} has shipped: nothing of it left to cancel" for number in shipped]
            wanted = [(number, quantity) for number, quantity in wanted if quantity > 0]
        if wanted:
            body = requests.cancel_request(wanted, cancellation.reason)
            self._api.call("POST", f"{ORDERS}/{po}/cancel", json=body)
        with self._lock:
            self._made.add(cancellation.cancellation_id)
        if problems:
            said = "; ".join(problems)
            raise PermanentError(f"{where}: order {po}, cancellation {cancellation.cancellation_id}: {said}")
        what = ", ".join(f"line {n} x{int(q)}" for n, q in wanted) or "nothing left open"
        return f"walmart order {po}: cancelled {what}"

    def _refund(self, refund: Refund) -> str:
        return walmart_returns.send_refund(self._api, self.name, refund)


def _wanted(
    given: list[FulfilmentLine], lines: Mapping[str, mapping.LineState], problems: list[str]
) -> list[tuple[str, Decimal]]:
    """Quantities by Walmart lineNumber (a line without one found by its SKU), summed; a line the order does not
    have is a problem, named."""
    by_sku = {state.sku: number for number, state in lines.items() if state.sku}
    wanted: dict[str, Decimal] = {}
    for line in given:
        number = (line.line_number or "").strip() or by_sku.get(line.product_ids.get("SK", ""), "")
        if number not in lines:
            what = line.line_number or line.product_ids.get("SK") or "a line"
            problems.append(f"{what} is not a line of the order")
            continue
        wanted[number] = wanted.get(number, Decimal(0)) + line.quantity
    return list(wanted.items())


def _targets(cancellation: Cancellation, lines: Mapping[str, mapping.LineState]) -> dict[str, Decimal]:
    """By Walmart lineNumber, how much of the line the cancellation leaves wanted (``CancelledLine.left``)."""
    by_sku = {state.sku: number for number, state in lines.items() if state.sku}
    targets: dict[str, Decimal] = {}
    for line in cancellation.lines:
        number = (line.line_number or "").strip() or by_sku.get(line.product_ids.get("SK", ""), "")
        if line.left is not None and number in lines:
            targets[number] = min(targets.get(number, line.left), line.left)
    return targets


def _above(state: mapping.LineState, left: Decimal | None) -> Decimal:
    """What Walmart still holds of the line above what is to be left of it: all it holds when that is unknown."""
    if left is None:
        return state.open
    return max(Decimal(0), state.ordered - state.cancelled - left)


def _method(order: Mapping[str, Any]) -> str | None:
    info = order.get("shippingInfo")
    code = info.get("methodCode") if isinstance(info, dict) else None
    return code if isinstance(code, str) and code else None


def _shipped_at(fulfilment: Fulfilment, ordered: dt.datetime) -> dt.datetime:
    """When the shipment left, as Walmart takes it: the ship date's midnight UTC, but never before the order was
    placed nor after now (a Fulfilment has a date, not a time)."""
    now = dt.datetime.now(dt.UTC)
    if fulfilment.ship_date is None:
        return now
    return min(max(dt.datetime.combine(fulfilment.ship_date, dt.time(), dt.UTC), ordered), now)
