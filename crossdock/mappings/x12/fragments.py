"""Pieces several mappings write or read the same way: N1 loops, product ID pairs, dates, a set's body."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

from crossdock.core.models import Charge, Party
from crossdock.mappings.x12 import writer
from crossdock.mappings.x12.envelope import Segment
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.values import PartyBuilder
from crossdock.mappings.x12.writer import Element, X12WriteError


def body(ts: ReadSet) -> list[Segment]:
    """The set's segments between ST and SE."""
    return [s for s in ts.segments if s.id not in ("ST", "SE")]


def fmt_date(value: date | None) -> str | None:
    return _ccyymmdd(value) if value else None


@functools.lru_cache(maxsize=4096)
def _ccyymmdd(value: date) -> str:
    """A document repeats a few dates, and a batch of documents the same few: formatted once each."""
    return value.strftime("%Y%m%d")


def pairs(product_ids: dict[str, str], where: str) -> tuple[str, ...]:
    """Qualifier/value pairs for PO1/LIN/IT1, in the model's order; an empty half is refused.

    A line has a few pairs, and adding a few short tuples is the fastest way to flatten them."""
    out: tuple[str, ...] = sum(product_ids.items(), ())
    if not all(out):
        qualifier, value = next((q, v) for q, v in product_ids.items() if not q or not v)
        raise X12WriteError(f"{where}: product ID pair {qualifier!r}/{value!r} needs both halves")
    return out


def party_segments(party: Party) -> list[list[Element]]:
    """An N1 loop: N1, N2 (extra names), N3 (address lines), N4, PER (contacts)."""
    where = f"N1 {party.role}"
    if not party.name and not party.id:
        raise X12WriteError(f"{where}: a party needs a name (N102) or an ID (N104)")
    if bool(party.id) != bool(party.id_qualifier):
        raise X12WriteError(f"{where}: N103 qualifier and N104 ID go together")
    if len(party.extra_names) > 4:
        raise X12WriteError(f"{where}: at most 4 extra names fit in two N2 segments")
    out: list[list[Element]] = [["N1", party.role, party.name, party.id_qualifier, party.id]]
    out.extend(["N2", *party.extra_names[k : k + 2]] for k in range(0, len(party.extra_names), 2))
    addr = party.address
    if addr is not None:
        if len(addr.lines) > 4:
            raise X12WriteError(f"{where}: at most 4 address lines fit in two N3 segments")
        out.extend(["N3", *addr.lines[k : k + 2]] for k in range(0, len(addr.lines), 2))
        if addr.city or addr.state or addr.postal_code or addr.country:
            out.append(["N4", addr.city, addr.state, addr.postal_code, addr.country])
    for c in party.contacts:
        comms: list[Element] = []
        for qualifier, value in (("TE", c.phone), ("FX", c.fax), ("EM", c.email)):
            if value:
                comms.extend([qualifier, value])
        out.append(["PER", c.function or "IC", c.name, *comms])
    return out


def add_parties(ts: writer.TransactionSet, parties: Sequence[Party]) -> None:
    for party in parties:
        ts.segments.extend(party_segments(party))


def read_party(segs: Sequence[Segment], i: int) -> tuple[Party, int]:
    """The N1 loop starting at ``segs[i]`` (N1, N2, N3, N4, PER); returns the party and the index after it."""
    builder = PartyBuilder(segs[i].elements)
    i += 1
    while i < len(segs) and builder.add(segs[i].elements):
        i += 1
    return builder.party, i


def sac_elements(c: Charge, amount: str | None) -> list[Element]:
    """SAC01-SAC15 for a charge whose SAC05 (implied decimals) the caller has already written."""
    return [
        c.indicator,
        c.code,
        c.agency,
        c.agency_code,
        amount,
        c.percent_basis or ("3" if c.percent is not None else None),  # SAC06, by default 3: discount/gross
        c.percent,
        c.rate,
        c.uom,
        c.quantity,
        None,
        c.handling,
        c.reference,
        None,
        c.description,
    ]
