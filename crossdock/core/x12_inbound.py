"""X12 documents in: decoded, acknowledged with a 997/999, and everything they cause recorded, a chunk of
documents per transaction.

One transaction records a poll's chunk (or what a worker claimed). A document that raises fails alone: the
chunk is rolled back and recorded again with each document inside its own SAVEPOINT, so the one that raises is
rolled back alone, its control numbers given back with it, and marked failed in that same transaction while
the others commit (savepoints only then: on PostgreSQL each is a round trip). Everything a document causes
still commits with it, and the cost of a commit, of the lookups and of the multi-row inserts is shared by the
chunk instead of paid per file.

What the documents cause is planned in runs and written with one insert per table per run. A run ends before a
document that carries an order an earlier document of the run carries too (the later one must see the first's
order stored), and a document that carries more than orders (a 945, a 997, a TA1) is a run of its own, so
whatever it looks up is in the store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crossdock.core import registry
from crossdock.core.acknowledgments.advices import ApplicationAdvice
from crossdock.core.configuration.connectors import MAX_INTERCHANGES
from crossdock.core.errors import DecodeError
from crossdock.core.failures import PROCESSABLE, fail_document, mark_failed, reason_of, report_problems, say_failed
from crossdock.core.fulfilment.models import Shipment
from crossdock.core.hub import Hub
from crossdock.core.models import Acknowledgment, Order, OrderChange
from crossdock.core.partners import Partner
from crossdock.core.plan import Plan, Processed, delivery_key
from crossdock.core.storage.store import OrderRace
from crossdock.core.x12_document import Read, Seen, record_document

log = logging.getLogger("crossdock.pipeline")

_CONTENDED = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def process_x12(
    hub: Hub, document_ids: list[int] | None = None, *, limit: int = 100, skip_locked: bool = False
) -> list[Processed]:
    """Record X12 documents in one transaction: the ones named (without ``skip_locked`` waiting for a worker
    that holds one, then finding it done), or when ``document_ids`` is None up to ``limit`` received documents
    of X12 sources that no other worker holds. Returns what became of each, in the order stored."""
    store = hub.store
    claimed: dict[int, tuple[str | None, str | None]] = {}  # id -> (source, file), to name a failure
    guarded = False
    try:
        ahead = _read_ahead(hub, document_ids) if document_ids is not None else {}
        for attempt in range(4):
            try:
                with store.transaction() as conn:
                    if document_ids is None:
                        rows = store.claim_received(conn, limit, leave=_not_x12(hub))
                    else:
                        rows = store.lock_documents(conn, document_ids, skip_locked=skip_locked)
                    claimed = {int(row.id): (row.endpoint, row.remote_name) for row in rows}
                    done = _record_all(hub, conn, rows, guarded, ahead)
                break
            except _Redo:  # rolled back whole: again, each document in a savepoint
                guarded = True
            except OrderRace:  # another worker stored one of these orders first: read it and record again
                if attempt >= 2:
                    raise
            except DBAPIError as exc:  # two workers locked the same orders in opposite order: one gives way
                if getattr(exc.orig, "sqlstate", None) not in _CONTENDED or attempt >= 2:
                    raise
    except (OrderRace, SQLAlchemyError):
        raise
    except Exception as exc:  # a fault no single document's savepoint caught: each alone, to find whose it is
        if len(claimed) > 1:
            return [result for one in claimed for result in process_x12(hub, [one])]
        if not claimed:
            raise
        ((document_id, (source, file)),) = claimed.items()
        name = f"document {document_id} ({file or 'unnamed'})"
        return [fail_document(hub, document_id, reason_of(exc, name), None, source, file)]
    for result, row in done:
        if row is None:
            continue
        if result.state == "failed":
            say_failed(result, row.endpoint, row.remote_name)
        else:
            report_problems(result, row.endpoint, row.remote_name)
    return [result for result, _ in done]


def _not_x12(hub: Hub) -> list[str]:
    """The sources whose documents are not X12 (a channel's orders, a warehouse's ship files)."""
    return [name for name, source in hub.config.sources.items() if source.format != "x12"]


class _Redo(Exception):
    """A document raised while the chunk was recorded without savepoints."""


@dataclass(frozen=True, slots=True)
class _Unread:
    """A document that could not be decoded, or whose partner is unknown: marked failed once it is locked."""

    reason: str
    partner: str | None


def _read_ahead(hub: Hub, document_ids: list[int]) -> dict[int, Read | _Unread]:
    """The documents decoded before the recording transaction begins. Decoding (reading, validating, mapping) is
    half of what recording a one-PO file costs, and SQLite has one writer: done under the write lock, it kept the
    dispatcher from recording its sends meanwhile. A decoded document is used only if it still waits once locked;
    the bytes of a stored document never change."""
    ahead: dict[int, Read | _Unread] = {}
    for row in hub.store.peek_documents(document_ids):
        if row.state in PROCESSABLE:
            with suppress(Exception):  # a fault of crossdock's own: met again under the lock, failing that one alone
                ahead[int(row.id)] = _decode(hub, row)
    return ahead


def _record_all(
    hub: Hub, conn: Connection, rows: list[Any], guarded: bool, ahead: dict[int, Read | _Unread]
) -> list[tuple[Processed, Any]]:
    """Each row's result, and the row when this call decided it (to be logged after the commit). Unless
    ``guarded``, a document that raises rolls the whole chunk back (``_Redo``) instead of failing alone."""
    results: dict[int, tuple[Processed, Any]] = {}
    reads: list[Read] = []
    for row in rows:
        if row.state not in PROCESSABLE:  # another worker recorded it meanwhile
            results[int(row.id)] = (Processed(int(row.id), str(row.state)), None)
            continue
        read = _read(hub, conn, row, ahead.get(int(row.id)))
        if isinstance(read, Processed):
            results[read.document_id] = (read, row)
        else:
            reads.append(read)
    store = hub.store
    seen = Seen(
        store.interchanges_seen(conn, [(r.partner.name, r.inbound.interchanges[0].control) for r in reads]),
        store.queued_keys(conn, [delivery_key("ack", int(r.row.id)) for r in reads]),
    )
    late = Plan()  # the chunk's 997s and 855s, numbered last, just before the commit
    for run in _runs(reads):
        existing = _existing(hub, conn, run)
        plan = Plan(late)
        outcomes: list[tuple[Any, ...]] = []
        for read in run:
            document_id = int(read.row.id)
            mark = plan.mark()
            try:
                with _savepoint(conn) if guarded else nullcontext():
                    result, outcome = record_document(hub, conn, plan, read, seen, existing)
            except SQLAlchemyError:
                raise
            except Exception as exc:  # rolled back to the savepoint: the document fails alone
                if not guarded:
                    raise _Redo from exc
                plan.undo(mark)
                results[document_id] = (
                    mark_failed(hub, conn, document_id, reason_of(exc, read.name), read.partner.name),
                    read.row,
                )
                continue
            seen.interchanges.setdefault((read.partner.name, outcome[4]), []).append(document_id)
            outcomes.append(outcome)
            results[document_id] = (result, read.row)
        plan.write(store, conn)
        store.set_outcomes(conn, outcomes)
    late.write(store, conn)
    return [results[int(row.id)] for row in rows]


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """One document's part of the chunk's transaction, rolled back alone when it raises. Sent straight to the
    driver: SQLAlchemy's nested transactions cost more than the statements."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SAVEPOINT document")
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT document")
            raise
        cursor.execute("RELEASE SAVEPOINT document")
    finally:
        cursor.close()


def _read(hub: Hub, conn: Connection, row: Any, ahead: Read | _Unread | None) -> Read | Processed:
    """The locked document decoded (ahead, else now) with its partner; one that cannot be read is marked failed."""
    got = ahead if ahead is not None else _decode(hub, row)
    if isinstance(got, _Unread):
        return mark_failed(hub, conn, int(row.id), got.reason, got.partner)
    return replace(got, row=row)


def _decode(hub: Hub, row: Any) -> Read | _Unread:
    """Decode the document and find its partner: pure, it reads nothing from the store but a large file's bytes."""
    document_id = int(row.id)
    name = f"document {document_id} ({row.remote_name or 'unnamed'})"
    source_cfg = hub.config.sources.get(row.endpoint or "")
    x12 = registry.mapping("x12")
    bound = source_cfg.max_interchanges if source_cfg is not None else MAX_INTERCHANGES
    partner: Partner | None = None
    try:
        with hub.store.raw(document_id, row.data) as raw:  # a large file is read as a stream from the store
            inbound = x12.read(raw, encoding=x12.AUTO, name=row.remote_name or name, max_interchanges=bound)
        partner = _partner_of(hub, inbound, name)
        if partner.config.encoding != x12.AUTO or partner.config.lenient:  # read again its way
            with hub.store.raw(document_id, row.data) as raw:
                inbound = x12.read(
                    raw,
                    encoding=partner.config.encoding,
                    name=row.remote_name or name,
                    max_interchanges=bound,
                    lenient=partner.config.slips,
                )
        if source_cfg is not None and source_cfg.partner and source_cfg.partner != partner.name:
            raise DecodeError(
                f"the file is from partner {partner.name!r} but source {row.endpoint!r} belongs to "
                f"{source_cfg.partner!r}",
                source=row.remote_name,
            )
    except Exception as exc:
        return _Unread(reason_of(exc, name), partner.name if partner else None)
    read = Read(row, name, inbound, partner)
    for ic in inbound.interchanges:
        read.alone = read.alone or bool(ic.acknowledgments)
        for group in ic.groups:
            for ts in group.sets:
                if isinstance(ts.document, Order):
                    read.keys.add((ts.document.channel, partner.name, ts.document.external_id or ts.document.po_number))
                elif isinstance(ts.document, OrderChange):  # applied after the run's plan is written: alone
                    read.keys.add((ts.document.channel, partner.name, ts.document.po_number))
                    read.alone = True
                elif isinstance(ts.document, Acknowledgment | Shipment | ApplicationAdvice):
                    read.alone = True
    return read


def _runs(reads: list[Read]) -> list[list[Read]]:
    """The chunk's documents in runs whose plans are written at once (see the module's docstring)."""
    runs: list[list[Read]] = []
    keys: set[tuple[str, str, str]] = set()
    for read in reads:
        if not runs or read.alone or runs[-1][0].alone or read.keys & keys:
            runs.append([])
            keys = set()
        runs[-1].append(read)
        keys |= read.keys
    return runs


def _existing(hub: Hub, conn: Connection, run: list[Read]) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored orders a run's documents carry, by (channel, partner) and external id: one lookup each."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for read in run:
        for channel, partner, key in read.keys:
            wanted.setdefault((channel, partner), []).append(key)
    return {pair: hub.store.find_orders(conn, pair[0], pair[1], keys) for pair, keys in wanted.items()}


def _partner_of(hub: Hub, inbound: Any, name: str) -> Partner:
    found: Partner | None = None
    for ic in inbound.interchanges:
        gs = ic.groups[0].sender if ic.groups else None
        partner = hub.partners.find(ic.sender_qualifier, ic.sender_id, gs)
        if partner is None:
            raise DecodeError(
                f"unknown partner: interchange {ic.control} is from ISA {ic.sender_qualifier}/{ic.sender_id}"
                + (f" (GS {gs})" if gs else "")
                + ", which no configured partner has; add the partner and run `crossdock replay`",
                source=name,
            )
        if found is not None and partner is not found:
            raise DecodeError(f"the file mixes interchanges from {found.name!r} and {partner.name!r}", source=name)
        found = partner
    if found is None:
        raise DecodeError("no interchange in the file", source=name)
    return found
