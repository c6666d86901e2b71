"""One file name, one delivery, for good: the name each delivery is written under, held in the store.

A document's name is made from what partners send (a PO number, a shipment id) and two deliveries can still
share one: two orders with one PO number, one round or a month apart. On a server crossdock cannot look into
(SFTP), the second was written over the first; and a name chosen afresh each round (``connectors.names``) could
change between two attempts of one delivery (a file picked up meanwhile frees its name), so an attempt repeated
after a crash wrote the same interchange again under another name.

So a delivery's name is chosen once, when it is first claimed, and kept in ``deliveries.file_name``: the
document's own name when no other delivery to that sink holds it, else that name keyed by the delivery
(``keyed_name``: ``po--3f2a1c0d.json``, more of the key when even that is held). A unique index on (sink,
file_name) makes two deliveries to one sink under one name impossible, whichever workers claim them at once;
the whole idempotency key is the delivery's alone, so the last choice is free unless another document was
named exactly so. Every later attempt of the delivery is written under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from crossdock.core.storage.schema import deliveries

CHUNK = 500  # names asked by one statement


@dataclass(frozen=True, slots=True)
class Unnamed:
    """A claimed delivery without a file name yet: its id, sink, idempotency key and its document's name."""

    id: int
    sink: str
    key: str
    name: str


def keyed_name(name: str, key: str, length: int = 8) -> str:
    """``name`` with ``--`` and the first ``length`` characters of ``key`` before its extension."""
    stem, dot, extension = name.rpartition(".")
    if not stem:
        return f"{name}--{key[:length]}"
    return f"{stem}--{key[:length]}{dot}{extension}"


def candidates(name: str, key: str) -> list[str]:
    """The names a delivery may take, in order: the document's, then keyed by more and more of the key."""
    return [name, *(keyed_name(name, key, length) for length in (8, 16, len(key)))]


def name_deliveries(conn: Connection, unnamed: list[Unnamed]) -> dict[int, str]:
    """Give each delivery its file name for good (see the module's words); returns each id's name. One query finds
    the names already held and one statement writes the choices; a choice another worker took meanwhile (the
    unique index refuses it) is made again one delivery at a time."""
    if not unnamed:
        return {}
    sinks = sorted({d.sink for d in unnamed})
    held = _held(conn, sinks, sorted({d.name for d in unnamed}))  # most documents' own names are free
    taken = [d for d in unnamed if (d.sink, d.name) in held]  # only these need their keyed names asked
    held |= _held(conn, sinks, sorted({n for d in taken for n in candidates(d.name, d.key)[1:]}))
    chosen: dict[int, str] = {}
    for d in unnamed:
        if (d.sink, d.name) not in held:
            name = d.name
        else:
            names = candidates(d.name, d.key)
            free = [n for n in names if (d.sink, n) not in held]
            name = free[0] if free else names[-1]
        held.add((d.sink, name))
        chosen[d.id] = name
    try:
        with conn.begin_nested():
            _write(conn, chosen)
    except IntegrityError:
        chosen = {d.id: _one(conn, d) for d in unnamed}
    return chosen


def _held(conn: Connection, sinks: list[str], names: list[str]) -> set[tuple[str, str]]:
    """Which of ``names`` deliveries to ``sinks`` hold already (found through the unique index), with their sinks;
    asked ``CHUNK`` names at a time, as a statement takes a bounded number of parameters."""
    held: set[tuple[str, str]] = set()
    for start in range(0, len(names), CHUNK):
        query = select(deliveries.c.sink, deliveries.c.file_name).where(
            deliveries.c.sink.in_(sinks), deliveries.c.file_name.in_(names[start : start + CHUNK])
        )
        held.update((r.sink, r.file_name) for r in conn.execute(query))
    return held


def _write(conn: Connection, chosen: dict[int, str]) -> None:
    """One driver-level executemany for all the choices: a CASE of 500 names built and compiled by SQLAlchemy for
    every batch cost half the dispatcher's bookkeeping on one-PO files."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"UPDATE deliveries SET file_name = {mark} WHERE id = {mark}"
    conn.exec_driver_sql(sql, [(name, id_) for id_, name in chosen.items()])


def _one(conn: Connection, d: Unnamed) -> str:
    """The first of the delivery's names the unique index lets it take."""
    for name in candidates(d.name, d.key):
        try:
            with conn.begin_nested():
                _write(conn, {d.id: name})
        except IntegrityError:
            continue
        return name
    raise RuntimeError(f"delivery {d.id}: every name it may take is held by another delivery to {d.sink}")
