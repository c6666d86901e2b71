"""What the sales-channel connector tests (``test_<channel>.py``) share: reading everything a source finds, a
fulfilment as the outbox hands it to a channel's sink, and where a first poll starts reading."""

from __future__ import annotations

import datetime as dt
import json

from crossdock.core.fulfilment.models import Fulfilment
from crossdock.core.ports import Inbound, Outbound, Source


def read(source: Source, *, settle: bool = False, imported: bool = False) -> list[Inbound]:
    """Every document ``source`` finds in one poll; with ``settle``, each settled as the pipeline does once stored;
    with ``imported``, each told it was processed, as the poller does."""
    with source.receive() as items:
        found = list(items)
        for item in found:
            if settle:
                item.settle()
            if imported:
                item.imported()
        return found


def as_outbound(fulfilment: Fulfilment, idempotency_key: str = "k" * 20) -> Outbound:
    """``fulfilment`` as the outbox sends it to the channel."""
    data = json.dumps(fulfilment.model_dump(mode="json")).encode()
    return Outbound(name="f.json", data=data, idempotency_key=idempotency_key)


def assert_reads_back(
    since: dt.datetime, ago: dt.timedelta = dt.timedelta(days=7), now: dt.datetime | None = None, why: str = ""
) -> None:
    """``since`` is ``ago`` before ``now`` (UTC, naive if ``since`` is), give or take a minute: by default the
    ``first_sync`` a first poll reads back."""
    now = now or dt.datetime.now(dt.UTC)
    if since.tzinfo is None:
        now = now.replace(tzinfo=None)
    assert abs(now - since - ago) < dt.timedelta(minutes=1), why or f"{since} is not {ago} before {now}"
