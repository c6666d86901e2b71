"""Amazon's Feeds API as the sink uses it for orders: a feed submitted (an acknowledgement that cancels, an order
adjustment that refunds), and a refund's feed read back.

- Submitting: ``POST /feeds/2021-06-30/documents`` gives a pre-signed URL, the document goes there by PUT, and
  ``POST /feeds/2021-06-30/feeds`` creates the feed (0.0083 requests a second, burst 15 [spec
  feeds_2021-06-30.json]); Amazon processes it later.
- A refund (``POST_PAYMENT_ADJUSTMENT_DATA``) is done once its feed is created; core then queues a
  ``refund-check`` (``check``), as a stock feed gets a ``stock-check``: ``getFeed`` until the feed is ``DONE``, then
  its ``resultFeedDocumentId``'s XML processing report. An error for the refund's message refuses the refund with
  Amazon's words (masked, bounded); none: it is done. A feed ``CANCELLED`` or ``FATAL`` is sent once more as a new
  feed with the same ``MerchantAdjustmentItemID``s (Amazon tells a repeat by them); a second failure refuses.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from functools import partial
from typing import Any

from crossdock.connectors.amazon import _Api
from crossdock.connectors.amazon_config import AmazonSourceConfig
from crossdock.connectors.amazon_returns import _gunzip as gunzip
from crossdock.connectors.http import request
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.returns.models import Refund, RefundCheck, RefundSent
from crossdock.mappings import amazon_adjustments as adjustments

FEED_DOCUMENTS = "/feeds/2021-06-30/documents"
FEEDS = "/feeds/2021-06-30/feeds"
WAITING = ("IN_QUEUE", "IN_PROGRESS")  # a feed's processingStatus before it is DONE, FATAL or CANCELLED [spec]


def _at_once(call: Callable[[], Any]) -> Any:
    return call()


def submit(
    api: _Api,
    where: str,
    feed_type: str,
    content: bytes,
    content_type: str,
    marketplace: str | list[str],
    call: Callable[[Callable[[], Any]], Any] = _at_once,
) -> str:
    """One feed: a document made, ``content`` uploaded to it, the feed created; its id. ``call`` makes each request
    (a stock push passes its ``Outcome.call``, which waits out throttles and counts what failed)."""
    made = call(partial(api.call, "createFeedDocument", "POST", FEED_DOCUMENTS, json={"contentType": content_type}))
    document = made[1] if made is not None else None
    document_id = document.get("feedDocumentId") if isinstance(document, dict) else None
    url = document.get("url") if isinstance(document, dict) else None
    if not isinstance(document_id, str) or not isinstance(url, str) or not safe_url(url):
        raise TransientError(f"{where}: createFeedDocument answered no feedDocumentId and https url")
    call(partial(api.upload, url, content, content_type))
    marketplaces = [marketplace] if isinstance(marketplace, str) else marketplace
    body = {"feedType": feed_type, "marketplaceIds": marketplaces, "inputFeedDocumentId": document_id}
    created = call(partial(api.call, "createFeed", "POST", FEEDS, json=body))
    feed = created[1].get("feedId") if created is not None and isinstance(created[1], dict) else None
    if not isinstance(feed, str) or not feed:
        raise TransientError(f"{where}: createFeed answered no feedId")
    return feed


def refund_content(name: str, config: AmazonSourceConfig, refund: Refund) -> bytes:
    """The refund's feed document; what cannot be one (no merchant id, a SKU the order does not hold): permanent."""
    if not config.merchant_id:
        raise PermanentError(
            f"amazon {name}: set merchant_id to refund on Amazon; refund return {refund.return_id} of order "
            f"{refund.external_id or refund.po_number} in Seller Central meanwhile"
        )
    try:
        return adjustments.refund_feed(refund, merchant_id=config.merchant_id)
    except ValueError as exc:
        raise PermanentError(f"amazon {name}: {exc}") from None


def refund(api: _Api, name: str, content: bytes, refund: Refund, marketplace: str) -> RefundSent:
    """The refund submitted as an order adjustment feed: done for now, its report read later."""
    order_id = refund.external_id or refund.po_number
    feed = submit(api, f"amazon {name}: order {order_id}", adjustments.ADJUSTMENT_FEED, content,
                  adjustments.FEED_CONTENT_TYPE, marketplace)  # fmt: skip
    return RefundSent(
        f"amazon order {order_id}: return {refund.return_id}: refund {refund.refund_id} submitted as feed {feed} "
        f"({adjustments.ADJUSTMENT_FEED}; its processing report is read later)",
        feeds=[feed],
    )


def check(
    api: _Api, name: str, config: AmazonSourceConfig, looked: RefundCheck, marketplace: Callable[[], str]
) -> RefundSent:
    """A refund's feed looked at: still processing, refused (Amazon's words), done, or sent once more."""
    order_id = looked.refund.external_id or looked.refund.po_number
    where = f"amazon {name}: refund {looked.refund.refund_id} of order {order_id}, feed {looked.feed_id}"
    status, document = feed_state(api, where, looked.feed_id)
    if status in WAITING:
        return RefundSent(f"{where}: {status}, looked at again later", feeds=[looked.feed_id])
    errors: list[str] = []
    counted = 0
    if document is not None:
        try:
            errors, counted = adjustments.report_errors(processing_report(api, config, where, document))
        except ValueError as exc:
            raise PermanentError(f"{where}: the processing report does not read: {exc}") from None
    said = api.scrub("; ".join(errors))[:600]
    if status == "DONE":
        if errors or counted:
            return RefundSent(f"{where}: refused", refused=f"Amazon refused the refund: {said or 'an error'}")
        return RefundSent(f"{where}: DONE, refunded", done=True)
    if looked.again:
        return RefundSent(f"{where}: {status}", refused=f"the feed was {status} twice" + (f": {said}" if said else ""))
    content = refund_content(name, config, looked.refund)
    again = refund(api, name, content, looked.refund, marketplace())
    return RefundSent(f"{where}: {status}; {again}", feeds=again.feeds)


def feed_state(api: _Api, where: str, feed_id: str) -> tuple[str, str | None]:
    """A feed's ``processingStatus`` (one of ``WAITING``, or DONE, FATAL, CANCELLED) and, once it is processed, the
    document of its report (None when it made none: a DONE feed always makes one)."""
    _, found = api.call("getFeed", "GET", f"{FEEDS}/{quoted(feed_id)}")
    status = found.get("processingStatus") if isinstance(found, dict) else None
    if status in WAITING:
        return str(status), None
    if status not in ("DONE", "FATAL", "CANCELLED"):
        raise TransientError(f"{where}: getFeed answered no processingStatus")
    document = found.get("resultFeedDocumentId")
    if isinstance(document, str) and document:
        return str(status), document
    if status == "DONE":
        raise TransientError(f"{where}: DONE without a resultFeedDocumentId")
    return str(status), None


def processing_report(api: _Api, config: AmazonSourceConfig, where: str, document_id: str) -> bytes:
    """The processing report, fetched (``getFeedDocument``, then its pre-signed URL) and unpacked, bounded."""
    _, document = api.call("getFeedDocument", "GET", f"{FEED_DOCUMENTS}/{quoted(document_id)}")
    url = document.get("url") if isinstance(document, dict) else None
    if not isinstance(url, str) or not safe_url(url):
        raise TransientError(f"{where}: getFeedDocument answered no https url")
    response = request(api.client, "GET", url, f"{where}: processing report download")
    if response.is_error:
        raise TransientError(f"{where}: processing report download: {response.status_code}")
    content = response.content
    if str(document.get("compressionAlgorithm") or "").upper() == "GZIP":
        content = gunzip(content, config.max_answer, where)
    return content


def safe_url(url: str) -> bool:
    """Where a feed document may go or come from: https, or plain http only to this machine (a test double)."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost"))


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")
