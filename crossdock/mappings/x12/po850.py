"""850 purchase order <-> canonical Order.

Every field a retailer's 850 carries is kept: BEG purpose and type (05 is a replacement of the same order),
CUR, REF, PER, DTM windows, N1 loops with N2/N3/N4, TD5, ITD, SAC (SAC05 is implied-decimal), PO1 with the
partner's raw line number and every product-ID pair in any position, PID (a typed one, such as a colour or
a size, as a characteristic), PO4, CTP prices, SDQ store distribution, SCH line schedules, CSH, FOB, N9 loops
with their MSG (4010) or MTX (5010) text, AMT and CTT with its hash total, which is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crossdock.core.errors import DecodeError
from crossdock.core.models import Contact, Order, OrderLine, Reference, StoreQuantity
from crossdock.core.order_details import Message, NoteGroup
from crossdock.mappings.x12.envelope import TransactionSet as ReadSet
from crossdock.mappings.x12.fragments import add_parties, fmt_date, sac_elements
from crossdock.mappings.x12.po850_written import write_line, write_note_groups, write_requirements, write_terms
from crossdock.mappings.x12.values import (
    PartyBuilder,
    carrier,
    characteristic,
    charge,
    contact,
    date_ref,
    decimal,
    id_pairs,
    integer,
    packing,
    padded,
    sales_requirement,
    schedule,
    shipping_terms,
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
        self.group: NoteGroup | None = None  # the header N9 loop open, which takes the MSG/MTX that follow
        self.has_beg = False
        self.taken = 0  # lines taken away by take_finished

    def feed(self, element_lists: Iterable[list[str]]) -> None:
        order = self.order
        lines = order.lines
        line, party, group, has_beg, taken = self.line, self.party, self.group, self.has_beg, self.taken
        for e in element_lists:
            tag = e[0]
            if party is not None:
                if party.add(e):
                    continue
                party = None
            if group is not None and tag not in _IN_N9_LOOP:
                group = None
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
            elif tag == "MSG" or tag == "MTX":
                message = _message(tag, e)
                if message is not None:
                    (line.notes if line else order.notes).append(message.text)
                    if group is not None:
                        group.messages.append(message)
            elif tag == "N9":
                if line is not None:
                    ref = Reference(qualifier=e[1].strip(), value=e[2].strip(), description=text(e[3]))
                    line.references.append(ref)
                else:
                    group = NoteGroup(qualifier=e[1].strip(), value=text(e[2]), description=text(e[3]))
                    group.date = x12_date(e[4])
                    order.note_groups.append(group)
            elif tag == "CSH":
                (line.requirements if line else order.requirements).append(sales_requirement(e))
            elif tag == "CTT":
                order.declared_line_count = integer(e[1])
                order.declared_hash_total = decimal(e[2])
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
            elif tag == "FOB":
                order.shipping_terms.append(shipping_terms(e))
            elif tag == "AMT" and e[1].strip() in ("TT", "1", "GV"):
                order.total_amount = decimal(e[2])
        self.line, self.party, self.group, self.has_beg = line, party, group, has_beg

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


_LINE_DETAIL = frozenset({"PID", "PO4", "CTP", "SDQ", "SCH"})
_IN_N9_LOOP = frozenset({"MSG", "MTX", "DTM", "MEA", "PWK", "EFI"})  # what an N9 loop holds besides its N9


def _message(tag: str, e: list[str]) -> Message | None:
    """MSG01 (4010), or MTX02 with its continuation MTX03 and its note reference code MTX01 (5010)."""
    if tag == "MSG":
        note = text(e[1]) if len(e) > 1 else None
        return None if note is None else Message(text=note)
    e = padded(e, 3)
    note = text(e[2] + e[3])
    return None if note is None else Message(text=note, code=text(e[1]))


def _line_detail(line: OrderLine, tag: str, e: list[str]) -> None:
    """PID, PO4, CTP, SDQ and SCH of the current line, from its element list."""
    if tag == "PID":
        e = padded(e, 5)
        typed = characteristic(e)
        if typed is not None:
            line.characteristics.append(typed)
            return
        description = text(e[5])
        if description and line.description is None:
            line.description = description
        elif description:
            line.notes.append(description)
    elif tag == "PO4":
        e = padded(e, 14)
        line.pack, line.inner_pack = integer(e[1]), integer(e[14])
        line.packing = packing(e)
    elif tag == "SCH":
        line.schedules.append(schedule(e))
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
_SIX_EMPTY = ("",) * 6


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
    write_terms(ts, order.shipping_terms)
    write_requirements(ts, order.requirements)
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
    write_note_groups(ts, order.note_groups, order.notes)
    add_parties(ts, order.parties)
    for line in order.lines:
        write_line(ts, line)
    hash_total = order.declared_hash_total
    add("CTT", str(len(order.lines)), "" if hash_total is None else format_decimal(hash_total))
    if order.total_amount is not None:
        add("AMT", "TT", format_decimal(order.total_amount))
    return ts


def _per(c: Contact) -> list[Element]:
    values: list[Element] = [c.function or "BD", c.name]
    for qualifier, number in (("TE", c.phone), ("FX", c.fax), ("EM", c.email)):
        if number:
            values += [qualifier, number]
    return values
