"""Amazon returns: the flat-file returns report (Reports API 2021-06-30) read before the orders in each poll.

A report is made asynchronously, so each poll does two things, and keeps no state of its own: the list of the
seller's reports at Amazon is the state.

- ``GET /reports/2021-06-30/reports?reportTypes=GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE&marketplaceIds=…``
  lists the recent ones. None waiting (``IN_QUEUE``, ``IN_PROGRESS``) and the newest done one ending more than
  ``returns_every`` ago (or none at all): ``POST /reports`` asks for the returns from a day before where the newest
  done one ends (returns show up late) to now, at most 60 days [docs returns-reports-attributes], the first time
  from ``first_sync`` back.
- Each report that finished (``processingEndTime``) in this poll's window (the orders' window: the last
  checkpoint less the overlap) is read: ``GET /reports/2021-06-30/documents/{reportDocumentId}`` gives a
  pre-signed URL (no token goes there), GZIP when it says so, its size bounded by ``max_answer``. Its rows are
  grouped by ``Amazon RMA ID``: one document of kind ``return`` per RMA, its identity the RMA and a digest of its
  rows, so a return read again by an overlapping report is stored once and a changed one once more.
- Read first, so the orders' last document carries the checkpoint for both: a report not read because a poll
  failed is in the next poll's window still. A report that is not the tab-separated table it should be is
  stored as it came, quarantined with the reason (the line and what is wrong), and the poll goes on.

The report needs the seller's restricted role for returns [docs]; Amazon's refund for a seller-fulfilled return
is not an API call crossdock makes (``amazon_sink``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from crossdock.connectors.http import request
from crossdock.core.errors import DecodeError, PermanentError, TransientError
from crossdock.core.ports import Inbound
from crossdock.mappings import amazon_returns as mapping

if TYPE_CHECKING:
    from crossdock.connectors.amazon import _Api

REPORT_TYPE = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents/"
WAITING = ("IN_QUEUE", "IN_PROGRESS")
LATE = dt.timedelta(days=1)  # a report asks again for this much before where the last one ended
LONGEST = dt.timedelta(days=60)  # the most one returns report covers


def read_returns(api: _Api, who: str, start: dt.datetime, now: dt.datetime) -> Iterator[Inbound]:
    """The returns of every report finished since ``start``; a new report asked for when one is due."""
    config = api.config
    params = {"reportTypes": REPORT_TYPE, "marketplaceIds": ",".join(config.marketplace_ids), "pageSize": "100"}
    _, body = api.call("getReports", "GET", REPORTS, params=params)
    found = body.get("reports") if isinstance(body, dict) else None
    if not isinstance(found, list):
        raise TransientError(f"amazon {who}: getReports: the answer has no list of reports")
    reports = [r for r in found if isinstance(r, dict)]
    done = [r for r in reports if r.get("processingStatus") == "DONE"]
    ends = [e for e in (read_time(r.get("dataEndTime")) for r in done) if e is not None]
    newest = max(ends, default=None)
    due = newest is None or now - newest > dt.timedelta(seconds=config.returns_every)
    if due and not any(r.get("processingStatus") in WAITING for r in reports):
        begin = newest - LATE if newest is not None else now - dt.timedelta(seconds=config.first_sync)
        body = {
            "reportType": REPORT_TYPE,
            "marketplaceIds": list(config.marketplace_ids),
            "dataStartTime": api_time(max(begin, now - LONGEST)),
            "dataEndTime": api_time(now),
        }
        api.call("createReport", "POST", REPORTS, json=body)
    for report in done:
        finished = read_time(report.get("processingEndTime"))
        if finished is not None and finished >= start:
            yield from _report(api, who, report)


def _report(api: _Api, who: str, report: dict[str, Any]) -> Iterator[Inbound]:
    report_id = str(report.get("reportId") or "?")
    document_id = str(report.get("reportDocumentId") or "")
    where = f"amazon {who}: returns report {report_id}"
    if not document_id.replace("-", "").replace(".", "").isalnum():
        raise TransientError(f"{where}: no reportDocumentId")
    _, document = api.call("getReportDocument", "GET", DOCUMENTS + urllib.parse.quote(document_id, safe=""))
    url = document.get("url") if isinstance(document, dict) else None
    if not isinstance(url, str) or not _safe(url):
        raise TransientError(f"{where}: getReportDocument answered no https url")
    response = request(api.client, "GET", url, f"{where}: download")
    if response.is_error:
        raise TransientError(f"{where}: download: {response.status_code}")
    content = response.content
    if isinstance(document, dict) and str(document.get("compressionAlgorithm") or "").upper() == "GZIP":
        content = _gunzip(content, api.config.max_answer, where)
    text = content.decode("utf-8") if _utf8(content) else content.decode("cp1252", "replace")
    try:
        rows = mapping.report_rows(text, where)
    except DecodeError as exc:  # kept as it came, quarantined with the reason: the poll goes on
        yield Inbound(
            name=f"amazon-returns-report-{report_id}.tsv",
            data=content,
            identity=f"amazon:returns-report:{report_id}",
            kind="return",
            quarantine=str(exc),
        )
        return
    for (order_id, rma), group in mapping.by_return(rows).items():
        data = json.dumps({"rows": group}, separators=(",", ":"), sort_keys=True).encode("utf-8")
        version = hashlib.sha256(data).hexdigest()[:16]
        yield Inbound(
            name=f"amazon-return-{rma}.json",
            data=data,
            identity=f"amazon:return:{order_id}:{rma}:{version}",
            kind="return",
        )


def _gunzip(content: bytes, limit: int, where: str) -> bytes:
    """A GZIP document, never more than ``limit`` bytes once unpacked."""
    unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unpack.decompress(content, limit + 1)
    except zlib.error as exc:
        raise TransientError(f"{where}: not GZIP: {exc}") from None
    if len(out) > limit or unpack.unconsumed_tail:
        raise PermanentError(f"{where}: more than {limit} bytes unpacked (max_answer)")
    return out


def _utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _safe(url: str) -> bool:
    """Where a report document may come from: https, or plain http only from this machine (a test double)."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme == "https" or (parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost"))


def read_time(text: Any) -> dt.datetime | None:
    """An SP-API timestamp (ISO 8601 with its offset) in UTC; None when it is not one (or has no offset)."""
    try:
        stamp = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return stamp.astimezone(dt.UTC) if stamp is not None and stamp.tzinfo is not None else None


def api_time(stamp: dt.datetime) -> str:
    """A moment as the SP-API takes it: UTC, to the second."""
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
