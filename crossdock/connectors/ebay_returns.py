"""eBay returns (Post-Order API): the open returns read before the orders in each poll, and refunds issued or
returns marked received.

- ``GET /post-order/v2/return/search?return_state=ALL_OPEN&limit=…&offset=…`` lists the seller's open returns.
  The search filters by creation date only, and a return changes state long after it was opened, so each poll
  reads every open one: each becomes a document of kind ``return`` whose identity is its id, state and status,
  so a change is stored once and a re-read never. Pages are numbered from 1 by ``offset`` until
  ``paginationOutput.totalPages`` [unverified: Post-Order paging as recalled].
- Calls take the user token as ``Authorization: IAF <token>`` and ``X-EBAY-C-MARKETPLACE-ID``, as the
  cancellations do (``ebay_sink``).
- A refund reads the return first (``GET /post-order/v2/return/{returnId}``): a return eBay shows refunded or
  closed is done, so a refund sent again refunds nothing twice; otherwise ``POST .../issue_refund``. A ``close``
  is ``POST .../mark_as_received``, skipped when eBay shows the item delivered or the return closed.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.core.returns.models import Refund
from crossdock.mappings import ebay_returns as mapping

if TYPE_CHECKING:
    from crossdock.connectors.ebay_client import Api

RETURN = "/post-order/v2/return"
PAGE = 200  # returns per page [unverified: the search's largest limit]
MAX_PAGES = 500  # a seller with more open returns than this is read no further in one poll, and says so


def read_returns(api: Api, who: str, marketplace: str) -> Iterator[Inbound]:
    """Every open return of the seller, one document per state."""
    headers = {"X-EBAY-C-MARKETPLACE-ID": marketplace}
    page = 1
    while True:
        params = {"return_state": "ALL_OPEN", "limit": str(PAGE), "offset": str(page)}
        body, _ = api.call("GET", f"{RETURN}/search", scheme="IAF", headers=headers, params=params)
        members = body.get("members") if isinstance(body, dict) else None
        if members is None and isinstance(body, dict) and not body.get("paginationOutput"):
            members = []  # no open return: eBay may leave the list out
        if not isinstance(members, list):
            raise TransientError(f"ebay {who}: GET {RETURN}/search page {page}: the answer holds no members list")
        for member in members:
            yield _inbound(who, member)
        paging = body.get("paginationOutput") if isinstance(body, dict) else None
        pages = paging.get("totalPages") if isinstance(paging, dict) else None
        if not members or not isinstance(pages, int) or page >= pages:
            return
        if page >= MAX_PAGES:
            raise TransientError(f"ebay {who}: more than {MAX_PAGES} pages of open returns: the rest not read")
        page += 1


def _inbound(who: str, member: Any) -> Inbound:
    if not isinstance(member, dict):
        raise TransientError(f"ebay {who}: a return in the search answer is not an object")
    return_id = str(member.get("returnId") or "")
    version = f"{member.get('state') or ''}:{member.get('status') or ''}"
    data = json.dumps(member, default=str, separators=(",", ":")).encode("utf-8")
    return Inbound(
        name=f"ebay-return-{return_id}.json", data=data, identity=f"ebay:return:{return_id}:{version}", kind="return"
    )


def send_refund(api: Api, who: str, marketplace: str, refund: Refund) -> str:
    """The refund issued (or, for ``close``, the item marked received) once; what was done."""
    where = f"ebay {who}: refund {refund.refund_id}"
    return_id = refund.return_id.strip()
    if not return_id.isdecimal() or len(return_id) > 30:
        raise PermanentError(f"{where}: {refund.return_id!r} is not an eBay return id")
    path = f"{RETURN}/{urllib.parse.quote(return_id, safe='')}"
    headers = {"X-EBAY-C-MARKETPLACE-ID": marketplace}
    answer, _ = api.call("GET", path, scheme="IAF", headers=headers)
    try:
        state, estimate = mapping.state_of(answer, return_id)
        said = f"ebay return {return_id}"
        if refund.action == "close":
            if state in mapping.RECEIVED or state in mapping.DONE:
                return f"{said}: already {state.lower()}"
            api.call("POST", f"{path}/mark_as_received", scheme="IAF", headers=headers, json={})
            return f"{said}: marked as received"
        if state in mapping.DONE:
            return f"{said}: already refunded or closed ({state})"
        body = mapping.refund_request(refund, estimate)
    except DecodeError as exc:
        raise PermanentError(f"{where}: {exc}") from None
    made, _ = api.call("POST", f"{path}/issue_refund", scheme="IAF", headers=headers, json=body)
    status = made.get("refundStatus") if isinstance(made, dict) else None
    if status == "FAILED":
        raise PermanentError(f"{where}: eBay answered refundStatus FAILED: {str(made)[:300]}")
    total = body["refundDetail"]["totalAmount"]
    return f"{said}: refund of {total['value']} {total['currency']} {str(status or 'issued').lower()}"
