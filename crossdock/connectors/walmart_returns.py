"""Walmart returns: return orders read before the orders in each poll, and refunds issued against them.

- ``GET /v3/returns?returnLastModifiedStartDate=…&limit=…`` lists the return orders changed in the poll's window
  (the orders' window: the last checkpoint less the overlap). A change of status, tracking or refund moves the
  last-modified time [Walmart's 2020-05 changelog]. Pages follow ``meta.nextCursor`` as the orders' do (a query
  string appended to the path [unverified for returns]). Each return order is one document of kind ``return``
  whose identity is its id and a digest of its content: every change is stored once, a re-read never.
- Returns are read first, so the orders' last document carries the checkpoint for both: a return listed but not
  yet stored when a poll fails is read again by the next.
- A refund reads the return order first (``GET /v3/returns?returnOrderId=``) and asks only for the lines Walmart
  still shows open and unrefunded (``POST /v3/returns/{returnOrderId}/refund`` with ``customerOrderId`` and
  ``refundLines``): a refund sent again after a crash finds them refunded and sends nothing. Walmart has no call
  that closes a return: it completes once refunded, so a ``close`` changes nothing there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.mappings import walmart_returns as mapping

if TYPE_CHECKING:
    from crossdock.connectors.walmart import _Api

RETURNS = "/v3/returns"
LIMIT = 200  # return orders per page: Walmart's most


def read_returns(api: _Api, who: str, start: dt.datetime) -> Iterator[Inbound]:
    """Every return order changed since ``start``, one document per version."""
    path = RETURNS
    query: dict[str, str] | None = {
        "returnLastModifiedStartDate": start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "limit": str(LIMIT),
    }
    seen: set[str] = set()
    while True:
        body = api.call("GET", path, params=query)
        found = body.get("returnOrders") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise TransientError(f"walmart {who}: GET {RETURNS}: the answer holds no returnOrders list")
        for order in found:
            yield _inbound(who, order)
        meta = body.get("meta")
        cursor = str(meta.get("nextCursor") or "").strip() if isinstance(meta, dict) else ""
        if not cursor or not found:
            return
        if cursor in seen:
            raise TransientError(f"walmart {who}: GET {RETURNS}: the same nextCursor came back twice")
        seen.add(cursor)
        path, query = f"{RETURNS}{cursor if cursor.startswith('?') else '?' + cursor}", None


def _inbound(who: str, order: Any) -> Inbound:
    if not isinstance(order, dict):
        raise TransientError(f"walmart {who}: a return order in the answer is not an object")
    data = json.dumps(order, default=str, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return_id = str(order.get("returnOrderId") or "")
    version = hashlib.sha256(data).hexdigest()[:16]
    return Inbound(
        name=f"walmart-return-{return_id}.json",
        data=data,
        identity=f"walmart:return:{return_id}:{version}",
        kind="return",
    )


def send_refund(api: _Api, who: str, refund: Refund) -> str:
    """The refund issued for the lines Walmart still shows open; what was done."""
    where = f"walmart {who}: refund {refund.refund_id}"
    try:
        return_id = mapping.return_order_id(refund)
    except DecodeError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    said = f"walmart return order {return_id}"
    if refund.action == "close":
        return f"{said}: nothing to close at Walmart (a return completes once refunded)"
    body = api.call("GET", RETURNS, params={"returnOrderId": return_id})
    found = body.get("returnOrders") if isinstance(body, dict) else None
    orders = [o for o in found or [] if isinstance(o, dict) and str(o.get("returnOrderId")) == return_id]
    if not orders:
        raise PermanentError(f"{where}: Walmart lists no return order {return_id}")
    try:
        request = mapping.refund_request(refund, orders[0])
    except DecodeError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    if request is None:
        return f"{said}: already refunded"
    api.call("POST", f"{RETURNS}/{return_id}/refund", json=request)
    lines = ", ".join(str(line["returnOrderLineNumber"]) for line in request["refundLines"])
    return f"{said}: refund issued for line(s) {lines}"
