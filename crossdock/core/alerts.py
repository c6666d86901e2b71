"""Alerts: short texts for a person, sent through the outbox like any document, once per cause.

Each alert's delivery key names its cause (a document, a dead delivery, a source's failure streak), so the
same problem raises one alert however often it is seen, and an alert that cannot be sent is retried and
dead-lettered like everything else (a dead alert raises no alert of its own).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection

from crossdock.core.configuration.config import Config
from crossdock.core.storage.store import Store


def raise_alert(store: Store, conn: Connection, config: Config, cause: str, subject: str, text: str) -> bool:
    """Queue an alert for ``cause`` unless alerts are off or one was already raised for it."""
    if config.alerts is None:
        return False
    key = "alert-" + hashlib.sha256(cause.encode("utf-8")).hexdigest()[:34]
    body = f"{subject}\n\n{text}\n".encode()
    doc = store.add_document(
        conn,
        direction="out",
        data=body,
        state="queued",
        endpoint=config.alerts.sink,
        remote_name=f"{key}.txt",
        kind="alert",
    )
    if store.enqueue(conn, key=key, sink=config.alerts.sink, purpose="alert", document_id=doc) is None:
        store.delete_document(conn, doc)
        return False
    store.log(conn, "alert", subject, document_id=doc)
    return True
