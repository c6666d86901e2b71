"""A stored inbound document that cannot be processed: marked failed with the reason (its raw bytes kept for
``crossdock replay``), one alert raised, and one log line that names the document, its source and file. A
document processed with problems (a set rejected, a set with no flow) gets its one line too."""

from __future__ import annotations

import logging

from sqlalchemy import Connection

from crossdock.core.alerts import raise_alert
from crossdock.core.errors import CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.plan import Processed

log = logging.getLogger("crossdock.pipeline")

# The states a stored inbound document is (re)processed from: ``crossdock replay`` sets ``received`` again.
PROCESSABLE = ("received", "failed")


def fail_document(
    hub: Hub, document_id: int, reason: str, partner: str | None, source: str | None, file: str | None
) -> Processed:
    """Mark the document failed with the reason, raise its alert, and say so in one log line."""
    with hub.store.transaction() as conn:
        mark_failed(hub, conn, document_id, reason, partner)
    return say_failed(Processed(document_id, "failed", reason), source, file)


def mark_failed(hub: Hub, conn: Connection, document_id: int, reason: str, partner: str | None) -> Processed:
    """``fail_document`` inside the caller's transaction (a chunk's); the caller says so after its commit."""
    hub.store.update_document(conn, document_id, state="failed", error=reason, partner=partner)
    hub.store.log(conn, "failed", reason, document_id=document_id)
    raise_alert(
        hub.store,
        conn,
        hub.config,
        f"document-failed:{document_id}",
        f"crossdock: document {document_id} failed",
        f"{reason}\n\nThe raw file is kept. Fix the cause, then: crossdock replay {document_id}",
    )
    return Processed(document_id, "failed", reason)


def say_failed(result: Processed, source: str | None, file: str | None) -> Processed:
    """The one log line of a failed document, once its failure is committed."""
    log.warning(  # usually the partner's file is at fault, and everything else goes on
        "document %s from %s (%s) failed: %s; after fixing the cause: crossdock replay %s",
        result.document_id,
        source or "no source",
        file or "unnamed",
        result.error,
        result.document_id,
        extra={"document": result.document_id, "source": source, "file": file, "reason": result.error},
    )
    return result


def reason_of(exc: Exception, name: str) -> str:
    """A document's failure as its reader sees it; anything but a CrossdockError is a crossdock bug.

    A file that trips a bug fails alone, its bytes kept, instead of stopping its source's every poll.
    """
    if isinstance(exc, CrossdockError):
        return str(exc)
    log.error("%s: unexpected error", name, exc_info=exc)
    return f"{name}: crossdock failed on it ({type(exc).__name__}: {exc}); this is a crossdock bug, please report it"


def report_problems(result: Processed, source: str | None, file: str | None) -> Processed:
    """One log line, after the commit, for a document whose sets were rejected or not all taken.

    Its 997/999 already tells the partner; the line tells the operator, who would otherwise see the document
    as received with no sign that a PO in it went nowhere.
    """
    if result.error:
        log.warning(
            "document %s from %s (%s) %s: %s",
            result.document_id,
            source or "no source",
            file or "unnamed",
            "rejected" if result.state == "rejected" else "processed with problems",
            result.error,
            extra={"document": result.document_id, "source": source, "file": file, "reason": result.error},
        )
    return result
