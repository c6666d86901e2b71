"""Writing an Order's lines and typed details as 850 segments (``po850.build_850``): what the reader keeps is
written back, so an 850 read and written again says the same."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from crossdock.core.models import OrderLine
from crossdock.core.order_details import NoteGroup, SalesRequirement, ShippingTerms
from crossdock.mappings.x12.fragments import add_parties, fmt_date, sac_elements
from crossdock.mappings.x12.writer import Element, TransactionSet, format_decimal, implied

_TWELVE_EMPTY = ("",) * 12


def write_terms(ts: TransactionSet, found: Sequence[ShippingTerms]) -> None:
    for t in found:
        ts.add(
            "FOB",
            t.payment_method,
            t.location_qualifier,
            t.location,
            t.terms_qualifier,
            t.terms,
            None,
            None,
            t.risk_qualifier,
            t.risk_description,
        )


def write_requirements(ts: TransactionSet, found: Sequence[SalesRequirement]) -> None:
    for r in found:
        amount = implied(r.amount) if r.amount is not None else None
        ts.add("CSH", r.code, r.action, amount, r.account, fmt_date(r.date), None, None, None, r.percent)


def write_note_groups(ts: TransactionSet, groups: Sequence[NoteGroup], notes: Sequence[str]) -> None:
    """Each N9 loop with its messages, then the notes no loop holds under ``N9*L1*NOTES``."""
    loose = Counter(notes)
    for g in groups:
        ts.add("N9", g.qualifier, g.value, g.description, fmt_date(g.date))
        for m in g.messages:
            ts.add("MSG", m.text)
            loose[m.text] -= 1
    rest = []
    for note in notes:
        if loose[note] > 0:
            loose[note] -= 1
            rest.append(note)
    if rest:
        ts.add("N9", "L1", "NOTES")
        for note in rest:
            ts.add("MSG", note)


def write_line(ts: TransactionSet, line: OrderLine) -> None:
    """One PO1 loop in the standard's order."""
    ids: tuple[str, ...] = sum(line.product_ids.items(), ())
    unit = format_decimal(line.unit_price) if line.unit_price is not None else ""
    ts.add("PO1", line.line_number or "", format_decimal(line.quantity), line.uom, unit, line.price_basis or "", *ids)
    for price_id, price in line.prices.items():
        ts.add("CTP", None, price_id, format_decimal(price))
    if line.description is not None:
        ts.add("PID", "F", "", "", "", line.description)
    for note in line.notes:
        ts.add("PID", "F", "", "", "", note)
    for c in line.characteristics:
        ts.add("PID", c.kind, c.code, c.agency, c.value_code, c.text)
    _write_po4(ts, line)
    for ref in line.references:
        ts.add("REF", ref.qualifier, ref.value, ref.description)
    for ch in line.charges:
        ts.add("SAC", *sac_elements(ch, implied(ch.amount) if ch.amount is not None else None))
    write_requirements(ts, line.requirements)
    if line.stores:
        for i in range(0, len(line.stores), 10):
            pairs: list[Element] = []
            for store in line.stores[i : i + 10]:
                pairs += [store.location, store.quantity]
            ts.add("SDQ", line.uom, line.store_id_qualifier or "92", *pairs)
    for d in line.dates:
        ts.add("DTM", d.qualifier, fmt_date(d.date), d.time, d.time_zone)
    for s in line.schedules:
        ts.add(
            "SCH",
            s.quantity,
            s.uom,
            s.party_role,
            s.party_name,
            s.date_qualifier,
            fmt_date(s.date),
            s.time,
            s.end_date_qualifier,
            fmt_date(s.end_date),
            s.end_time,
            None,
            s.reference,
        )
    if line.parties:
        add_parties(ts, line.parties)


def _write_po4(ts: TransactionSet, line: OrderLine) -> None:
    p = line.packing
    if line.pack is None and line.inner_pack is None and p is None:
        return
    pack = "" if line.pack is None else str(line.pack)
    inner = "" if line.inner_pack is None else str(line.inner_pack)
    if p is None:
        ts.add("PO4", pack, *_TWELVE_EMPTY, inner)
        return
    ts.add(
        "PO4",
        pack,
        p.size,
        p.size_uom,
        p.packaging_code,
        p.weight_qualifier,
        p.weight,
        p.weight_uom,
        p.volume,
        p.volume_uom,
        p.length,
        p.width,
        p.height,
        p.dimension_uom,
        inner,
    )
