"""What ``crossdock poll`` says: one updating line while it works (on a terminal only), then its totals.

A poll of thousands of files used to print nothing until the end and then a line per document. Now a
person at a terminal sees the counts move on one line of stderr; a log or a pipe gets no such noise, only
the totals (and a line per document that needs a person), or the same as JSON for a script.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any, TextIO

from crossdock.core.outbox import DispatchReport
from crossdock.core.plan import Processed
from crossdock.core.poller import PollReport


class ProgressLine:
    """One line of ``stream`` rewritten in place, at most every ``interval`` seconds; silent when not a terminal.

    Used as a context manager it takes the line away before any log record is written (a failed document's
    warning starts on a clean line; the next update draws the line again) and at the end.
    """

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.interval = interval
        self.live = stream.isatty()
        self._last = float("-inf")
        self._drawn = False

    def show(self, text: str, *, now: bool = False) -> None:
        if not self.live:
            return
        moment = time.monotonic()
        if not now and moment - self._last < self.interval:
            return
        self._last = moment
        self.stream.write("\r\x1b[K" + text)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Take the line away, so what is printed next starts on a clean line."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def _before_log(self, _record: logging.LogRecord) -> bool:
        self.clear()
        return True

    def __enter__(self) -> ProgressLine:
        if self.live:
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._before_log)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._before_log)
        self.clear()


def _failed(processed: list[Processed]) -> list[Processed]:
    return [p for p in processed if p.state != "processed"]


def poll_progress(report: PollReport) -> str:
    """The progress line: documents read so far and what became of them."""
    failed = len(_failed(report.processed))
    return (
        f"{report.source}: {report.received} new document(s), {report.already} already stored, "
        f"{len(report.processed) - failed} processed, {failed} failed"
    )


def poll_result(report: PollReport, sent: DispatchReport | None, waiting: int = 0) -> dict[str, Any]:
    """A poll's outcome as ``poll --json`` prints it; ``deliveries`` is null when nothing was dispatched.
    ``waiting``: files seen but not read yet, until a second look finds them unchanged."""
    failed = _failed(report.processed)
    return {
        "source": report.source,
        "skipped": report.skipped,
        "error": report.error,
        "documents": {
            "new": report.received,
            "already_stored": report.already,
            "processed": len(report.processed) - len(failed),
            "failed": len(failed),
            "waiting": waiting,
        },
        "orders": {
            "new": sum(p.orders_new for p in report.processed),
            "changed": sum(p.orders_changed for p in report.processed),
            "unchanged": sum(p.orders_unchanged for p in report.processed),
        },
        "failed_documents": [{"document_id": p.document_id, "state": p.state, "error": p.error} for p in failed],
        "deliveries": None
        if sent is None
        else {"sent": sent.sent, "retrying": sent.retried, "dead": sent.dead, "errors": list(sent.errors)},
    }


def poll_lines(result: dict[str, Any]) -> list[str]:
    """A poll's outcome in words: its totals, and a line for each document or send that went wrong."""
    docs, orders, sent = result["documents"], result["orders"], result["deliveries"]
    out = [f"{result['source']}: {docs['new']} new document(s), {docs['already_stored']} already stored"]
    out.extend(
        f"  document {d['document_id']}: {d['state']}" + (f": {d['error']}" if d["error"] else "")
        for d in result["failed_documents"]
    )
    if docs["waiting"]:
        out.append(
            f"{docs['waiting']} file(s) not read yet: a file is read once it stays unchanged for the source's "
            "min_age; poll again later"
        )
    out.append(
        f"documents: {docs['processed']} processed, {docs['failed']} failed; "
        f"orders: {orders['new']} new, {orders['changed']} changed, {orders['unchanged']} unchanged"
    )
    if sent is not None:
        out.append(f"deliveries: {sent['sent']} sent, {sent['retrying']} retrying, {sent['dead']} dead")
        out.extend(f"  {error}" for error in sent["errors"])
    return out
