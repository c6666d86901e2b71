"""850 purchase order <-> canonical Order.

Every field a retailer's 850 carries is kept: BEG purpose and type (05 is a replacement of the same order),
CUR, REF, PER, DTM windows, N1 loops with N2/N3/N4, TD5, ITD, SAC (SAC05 is implied-decimal), PO1 with the
partner's raw line number and every product-ID pair in any position, PID, PO4, CTP prices, SDQ store
distribution, N9/MSG text, AMT and CTT.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.models import Contact, Order, OrderLine, Reference, StoreQuantity
from crossdock.mappings.x12 import errors as E
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.errors import Level, Severity, X12Error
from crossdock.mappings.x12.fragments import add_parties, fmt_date, sac_elements
from crossdock.mappings.x12.validator import register_rule
from crossdock.mappings.x12.values import (
    PAD,
    PartyBuilder,
    carrier,
    charge,
    contact,
    date_ref,
    decimal,
    id_pairs,
    integer,
    padded,
    terms,
    text,
    x12_date,
)
from crossdock.mappings.x12.writer import Element, TransactionSet, format_decimal, implied


def _line(e: list[str], position: int) -> OrderLine:
    """PO1 from its element list: the hot path of every purchase order."""
    ids = id_pairs(e, 6, 25)
    e = padded(e, 5)
    return OrderLine(
        position=position,
        line_number=e[1].strip() or None,
        quantity=decimal(e[2]) or Decimal(0),
        uom=e[3].strip(),
        unit_price=decimal(e[4]),
        price_basis=e[5].strip() or None,
        product_ids=ids,
    )


def order_from_850(ts: ReadSet, partner: str | None = None) -> Order:
    """Map one 850 set; ``partner`` defaults to the interchange sender (the natural key's first half)."""
    builder = OrderBuilder(partner or ts.group.interchange.sender_id)
    builder.feed(ts.element_lists())
    return builder.finish(ts)


class OrderBuilder:
    """Maps an 850's segments, given as element lists in one go or batch by batch, to an Order.

    A caller that holds a large set in batches takes the finished lines away with ``take_finished`` after
    each batch (every line but the last is finished: nothing after a PO1 reaches an earlier line), so it holds
    one batch of lines, not the order's; positions keep counting across what was taken.
    """

    def __init__(self, partner: str) -> None:
        self.order = Order(po_number="", partner=partner)
        self.line: OrderLine | None = None
        self.party: PartyBuilder | None = None
        self.has_beg = False
        self.taken = 0  # lines taken away by take_finished

    def feed(self, element_lists: Iterable[list[str]]) -> None:
        order = self.order
        lines = order.lines
        line, party, has_beg, taken = self.line, self.party, self.has_beg, self.taken
        for e in element_lists:
            tag = e[0]
            if party is not None:
                if party.add(e):
                    continue
                party = None
            if tag == "PO1":
                line = _line(e, taken + len(lines) + 1)
                lines.append(line)
                continue
            if tag == "N1":
                party = PartyBuilder(e)
                (line.parties if line else order.parties).append(party.party)
                continue
            if line is not None and tag in _LINE_DETAIL:
                _line_detail(line, tag, e)
                continue
            if tag == "DTM":
                (line.dates if line else order.dates).append(date_ref(e))
                continue
            if tag == "SAC":
                (line.charges if line else order.charges).append(charge(e))
                continue
            e = padded(e, 6)
            if tag == "BEG":
                order.purpose, order.order_type = e[1].strip() or None, e[2].strip() or None
                order.po_number = e[3].strip()
                order.release_number = e[4].strip() or None
                order.order_date = x12_date(e[5])
                order.contract_number = e[6].strip() or None
                has_beg = True
            elif tag == "REF":
                ref = Reference(qualifier=e[1].strip(), value=e[2].strip(), description=text(e[3]))
                (line.references if line else order.references).append(ref)
            elif tag == "MSG":
                note = text(e[1])
                if note:
                    (line.notes if line else order.notes).append(note)
            elif tag == "CTT":
                order.declared_line_count = integer(e[1])
                line = None  # the summary follows: its AMT is the order total
            elif line is not None:
                continue
            elif tag == "CUR":
                order.currency = e[2].strip() or order.currency
            elif tag == "PER":
                order.contacts.append(contact(e))
            elif tag == "ITD":
                order.terms.append(terms(e))
            elif tag == "TD5":
                order.carriers.append(carrier(e))
            elif tag == "AMT" and e[1].strip() in ("TT", "1", "GV"):
                order.total_amount = decimal(e[2])
        self.line, self.party, self.has_beg = line, party, has_beg

    def take_finished(self, every: bool = False) -> list[OrderLine]:
        """The lines no later segment can reach (with ``every``, at the end of the set: all of them)."""
        lines = self.order.lines
        keep = 0 if every or self.line is None or not lines or lines[-1] is not self.line else 1
        done = lines[: len(lines) - keep]
        del lines[: len(done)]
        self.taken += len(done)
        return done

    def finish(self, ts: ReadSet) -> Order:
        if not self.has_beg or not self.order.po_number:
            raise DecodeError(f"850 {ts.control} has no BEG with a PO number", offset=ts.offset)
        return self.order


_LINE_DETAIL = frozenset({"PID", "PO4", "CTP", "SDQ"})


def _line_detail(line: OrderLine, tag: str, e: list[str]) -> None:
    """PID, PO4, CTP and SDQ of the current line, from its element list."""
    if tag == "PID":
        e = padded(e, 5)
        description = text(e[5])
        if description and line.description is None:
            line.description = description
        elif description:
            line.notes.append(description)
    elif tag == "PO4":
        e = padded(e, 14)
        line.pack, line.inner_pack = integer(e[1]), integer(e[14])
    elif tag == "CTP":
        e = padded(e, 3)
        price = decimal(e[3])
        if price is not None:
            line.prices[e[2].strip() or e[1].strip()] = price
    elif tag == "SDQ":
        line.store_id_qualifier = line.store_id_qualifier or text(padded(e, 2)[2])
        stores = line.stores
        for i in range(3, min(len(e) - 1, 22), 2):  # the pairs SDQ03/04 to SDQ21/22 that were sent
            location = e[i].strip()
            if location:
                quantity = decimal(e[i + 1])
                if quantity is not None:
                    stores.append(StoreQuantity(location=location, quantity=quantity))


# Text values (empty strings, numbers formatted here) let the writer join a segment in one call.
_SIX_EMPTY, _TWELVE_EMPTY = ("",) * 6, ("",) * 12


def build_850(order: Order, control: str) -> TransactionSet:
    """Write an Order as an 850 (crossdock's test partner and the benchmark speak it)."""
    ts = TransactionSet("850", control)
    add = ts.add
    add(
        "BEG",
        order.purpose or "00",
        order.order_type or "SA",
        order.po_number,
        order.release_number or "",
        fmt_date(order.order_date) or "",
        order.contract_number or "",
    )
    if order.currency:
        add("CUR", "BY", order.currency)
    for r in order.references:
        add("REF", r.qualifier, r.value, r.description or "")
    for c in order.contacts:
        add("PER", *_per(c))
    for ch in order.charges:
        add("SAC", *sac_elements(ch, implied(ch.amount) if ch.amount is not None else None))
    for t in order.terms:
        add(
            "ITD",
            t.type_code,
            t.basis_date_code,
            t.discount_percent,
            fmt_date(t.discount_due_date),
            t.discount_days,
            fmt_date(t.net_due_date),
            t.net_days,
            implied(t.discount_amount) if t.discount_amount is not None else None,
            None,
            None,
            None,
            t.description,
        )
    for d in order.dates:
        add("DTM", d.qualifier, fmt_date(d.date) or "", d.time or "", d.time_zone or "")
    for cr in order.carriers:
        add(
            "TD5",
            cr.routing_sequence or "",
            cr.id_qualifier or "",
            cr.scac or "",
            cr.mode or "",
            cr.routing or "",
            *_SIX_EMPTY,
            cr.service_level or "",
        )
    if order.notes:
        add("N9", "L1", "NOTES")
        for note in order.notes:
            add("MSG", note)
    add_parties(ts, order.parties)
    for line in order.lines:
        _write_line(ts, line)
    add("CTT", str(len(order.lines)))
    if order.total_amount is not None:
        add("AMT", "TT", format_decimal(order.total_amount))
    return ts


def _per(c: Contact) -> list[Element]:
    values: list[Element] = [c.function or "BD", c.name]
    for qualifier, number in (("TE", c.phone), ("FX", c.fax), ("EM", c.email)):
        if number:
            values += [qualifier, number]
    return values


def _write_line(ts: TransactionSet, line: OrderLine) -> None:
    ids: tuple[str, ...] = sum(line.product_ids.items(), ())
    unit = format_decimal(line.unit_price) if line.unit_price is not None else ""
    ts.add("PO1", line.line_number or "", format_decimal(line.quantity), line.uom, unit, line.price_basis or "", *ids)
    for price_id, price in line.prices.items():
        ts.add("CTP", None, price_id, format_decimal(price))
    if line.description is not None:
        ts.add("PID", "F", "", "", "", line.description)
    for note in line.notes:
        ts.add("PID", "F", "", "", "", note)
    if line.pack is not None or line.inner_pack is not None:
        pack, inner = line.pack, line.inner_pack
        ts.add("PO4", "" if pack is None else str(pack), *_TWELVE_EMPTY, "" if inner is None else str(inner))
    for ref in line.references:
        ts.add("REF", ref.qualifier, ref.value, ref.description)
    for ch in line.charges:
        ts.add("SAC", *sac_elements(ch, implied(ch.amount) if ch.amount is not None else None))
    if line.stores:
        for i in range(0, len(line.stores), 10):
            pairs: list[Element] = []
            for s in line.stores[i : i + 10]:
                pairs += [s.location, s.quantity]
            ts.add("SDQ", line.uom, line.store_id_qualifier or "92", *pairs)
    for d in line.dates:
        ts.add("DTM", d.qualifier, fmt_date(d.date), d.time, d.time_zone)
    if line.parties:
        add_parties(ts, line.parties)


@register_rule("850", streamed=lambda: LineCount())
def check_lines(ts: ReadSet) -> list[X12Error]:
    """An 850 with no PO1 lines, or a CTT01 that does not count them, is accepted but noted."""
    sep, body = ts.delimiters.element, ts.body
    lines = body.count(f"\nPO1{sep}") + body.count("\nPO1\n")  # ST comes first: each PO1 follows a newline
    ctt = body.find(f"\nCTT{sep}")
    if ctt == -1:
        return line_findings(ts, lines, None)
    at = body.count("\n", 0, ctt + 1)  # the CTT's index among the segments
    return line_findings(ts, lines, ((ts.elements(at) + PAD)[1], at + 1, ts.offsets[at]))


class LineCount:
    """``check_lines`` for a set read in batches: the PO1 segments counted and the first CTT kept as they pass."""

    def __init__(self) -> None:
        self.lines = 0
        self.ctt: tuple[str, int, int] | None = None

    def feed(self, ts: ReadSet, elements: list[list[str]]) -> None:
        for i, e in enumerate(elements):
            tag = e[0]
            if tag == "PO1":
                self.lines += 1
            elif tag == "CTT" and self.ctt is None and len(e) > 1:
                raw = ts.texts[i].split(ts.delimiters.element)  # as sent, like the set's text check_lines reads
                self.ctt = ((raw + PAD)[1], ts.handed + i + 1, ts.offsets[i])

    def finish(self, ts: ReadSet) -> list[X12Error]:
        return line_findings(ts, self.lines, self.ctt)


def line_findings(ts: ReadSet, lines: int, ctt: tuple[str, int, int] | None) -> list[X12Error]:
    """The findings for ``lines`` PO1 segments and the first CTT (its CTT01, position and offset), if any."""
    if not lines:
        return [
            X12Error(
                Level.TRANSACTION,
                E.RULE_LINE_COUNT,
                "the purchase order has no PO1 lines",
                segment_id="ST",
                segment_position=1,
                offset=ts.offset,
                severity=Severity.WARNING,
            )
        ]
    if ctt is None:
        return []
    declared, position, offset = ctt
    count = decimal(declared)
    if count is None or count == lines:
        return []
    return [
        X12Error(
            Level.TRANSACTION,
            E.RULE_LINE_COUNT,
            f"CTT01 says {declared} lines, the order has {lines} PO1 segments",
            segment_id="CTT",
            segment_position=position,
            element_position=1,
            offset=offset,
            severity=Severity.WARNING,
        )
    ]
