"""ShipBob's returns API: a return told to ShipBob and cancelled there, and its completed returns read back.

The API's facts are in ``mappings/shipbob_returns.py``. A return is created under the RMA as its
``reference_id``, so it is made once: before creating, and after a 409/422, the sink looks the reference up, and
one ShipBob holds already counts as done. A cancel of a return ShipBob holds no more (or never held) is done; one
ShipBob has begun to process cannot be cancelled: a permanent error with ShipBob's status (not ``TooLate``, which
is about orders that shipped). The source side lists
ShipBob's returns of the configured channel completed within the source's ``lookback``, one document each, under
``shipbob:return:<id>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol

import httpx

from crossdock.core.errors import CrossdockError, PermanentError
from crossdock.core.ports import Inbound
from crossdock.mappings.shipbob_returns import CancelReturn, read_request, return_body

RETURN_RECEIPT = "shipbob-return"  # Inbound.kind of a completed ShipBob return (pipeline: a return receipt)
DUPLICATE = frozenset({409, 422})
CANCELLABLE = "AwaitingArrival"
MAX_PAGES = 400


class Api(Protocol):
    who: str

    def call(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None) -> Any: ...

    def refused(self, response: httpx.Response) -> str: ...


def send_return(
    api: Api,
    name: str,
    data: bytes,
    lookup: Callable[[str], dict[str, Any] | None],
    center: int | None,
    channel: str | None,
) -> str:
    """Create (or cancel) the return a stored request names, on ``channel``; see the module doc."""
    request = read_request(data, f"{api.who}: {name}")
    find = partial(_find, api, channel=channel)
    if isinstance(request, CancelReturn):
        return _cancel(api, request.cancel_return, find)
    held = find(request.reference_id)
    if held is not None:
        return f"shipbob return {held.get('id')} (reference {request.reference_id}, created by an earlier attempt)"
    order = lookup(request.order_reference)
    if order is None:
        raise PermanentError(
            f"{api.who}: return {request.reference_id}: no ShipBob order under reference {request.order_reference}"
        )
    response = api.call("POST", "/return", body=return_body(request, order, center))
    if response.is_success:
        return f"shipbob return {_id(response)} (reference {request.reference_id})"
    refused = api.refused(response)
    if response.status_code in DUPLICATE:
        held = find(request.reference_id)
        if held is not None:
            return f"shipbob return {held.get('id')} (reference {request.reference_id}, created by an earlier attempt)"
    raise PermanentError(refused)


def _cancel(api: Api, reference: str, find: Callable[[str], dict[str, Any] | None]) -> str:
    held = find(reference)
    if held is None:
        return f"no ShipBob return under reference {reference}: nothing to cancel"
    if held.get("status") == "Cancelled":
        return f"shipbob return {held.get('id')} cancelled (by an earlier attempt)"
    if held.get("status") != CANCELLABLE:
        raise PermanentError(
            f"{api.who}: return {held.get('id')} (RMA {reference}) is {held.get('status')} at ShipBob: too late to "
            "cancel there; ShipBob will process the goods when they come"
        )
    response = api.call("POST", f"/return/{held.get('id')}:cancel")
    if not response.is_success:
        again = find(reference)
        if again is not None and again.get("status") not in (CANCELLABLE, "Cancelled"):
            raise PermanentError(
                f"{api.who}: return {held.get('id')} (RMA {reference}) is {again.get('status')} at ShipBob meanwhile: "
                "too late to cancel there"
            )
        if again is None or again.get("status") != "Cancelled":
            raise PermanentError(api.refused(response))
    return f"shipbob return {held.get('id')} (RMA {reference}) cancelled"


def _find(api: Api, reference: str, *, channel: str | None) -> dict[str, Any] | None:
    """The return ShipBob holds under ``reference`` for ``channel`` (another channel's is not ours), if any."""
    response = api.call("GET", "/return", query={"ReferenceIds": reference})
    if not response.is_success:
        raise PermanentError(api.refused(response))
    for item in _items(response, api):
        if not isinstance(item, dict) or item.get("reference_id") != reference or item.get("id") is None:
            continue
        if channel is None or str((item.get("channel") or {}).get("id")) == channel:
            return item
    return None


def _items(response: httpx.Response, api: Api) -> list[Any]:
    """A page of returns: ``{"items": [...]}`` as documented, or a bare list."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return list(body["items"])
    if isinstance(body, list):
        return body
    raise CrossdockError(f"{api.who}: {response.request.url.path} did not answer a list of returns")


def _id(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "(no id given)"
    return str(body.get("id")) if isinstance(body, dict) and body.get("id") is not None else "(no id given)"


def completed_returns(api: Api, channel: str | None, since: str, next_path: Callable[[str], str]) -> Iterator[Inbound]:
    """Each return of ``channel`` (every channel's when None) completed since ``since`` (ISO 8601), all pages, one
    document each; one read again is the same identity, stored once."""
    path, query = "/return", {"Status": "Completed", "CompletedStartDate": since}
    for _ in range(MAX_PAGES):
        response = api.call("GET", path, query=query)
        if not response.is_success:
            raise CrossdockError(api.refused(response))
        for item in _items(response, api):
            if not isinstance(item, dict) or item.get("id") is None or item.get("status") != "Completed":
                continue
            if channel is not None and str((item.get("channel") or {}).get("id")) != channel:
                continue  # the merchant's own returns, or another app's
            yield Inbound(
                name=f"shipbob-return-{item['id']}.json",
                data=json.dumps(item, sort_keys=True).encode("utf-8") + b"\n",
                identity=f"shipbob:return:{item['id']}",
                kind=RETURN_RECEIPT,
            )
        body = response.json()
        link = body.get("next") if isinstance(body, dict) else response.headers.get("next-page")
        if not isinstance(link, str) or not link:
            return
        path, query = next_path(link), {}
    raise CrossdockError(f"{api.who}: more than {MAX_PAGES} pages of returns")
