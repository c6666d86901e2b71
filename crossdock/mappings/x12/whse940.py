"""Writing the 940 Warehouse Shipping Order crossdock sends a warehouse (3PL) for an order it routes there.

W05 carries the depositor order number crossdock gives the order (W0502: the caller's ``order_number``, which
names one order of one source, so two sources' PO 1001 are two orders at the warehouse; the PO number when none
is given) and the PO number (W0503); the warehouse's 945 echoes both (W0602, W0606). Each line carries the
partner's raw line number in ``N9*LI`` so shipped quantities can be matched to the order line even when the
partner's numbering is blank, zero-padded or non-sequential; a line without one is matched by its LX counter
(its position).

W01 has one UPC slot and three qualifier/value slots, filled like this:

    W0103              the 12-character UPC, when ``product_ids["UP"]`` has 12 characters (element 438 is 12/12)
    W0104/05, 06/07,   the other ids in the order VN, SK, BP, IN, UK, EN, UP (when not 12 long), then the rest
    W0115/16           as they appear in ``product_ids``

Ids beyond three pairs have no place in W01 and are left out: warehouses key on the first one. W76 carries
the total quantity; the standard has no line-count element, the count is the number of LX loops.

W0501 says what the 940 asks (element 473): ``N`` a new order, ``F`` cancel the order of that depositor order
number (W0502), ``R`` change it (the 940 then holds the whole order as it is now and replaces the 3PL's copy).
Many 3PLs take no ``R``: crossdock tells them of a change with an ``F`` and a new ``N`` in one interchange, in
that order, so the cancel is read first (``core/destination_changes``). A cancel repeats the order as the 3PL
holds it, so a 3PL that checks the lines it cancels finds them.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from decimal import Decimal

from crossdock.core.models import DateRef, Order, OrderLine, Party
from crossdock.mappings.x12.sscc import with_ai
from crossdock.mappings.x12.whse940_detail import g69_texts, inner_pack_note, requirement_notes, w20_segments
from crossdock.mappings.x12.writer import Element, TransactionSet, X12WriteError

ID_PRIORITY = ("VN", "SK", "BP", "IN", "UK", "EN", "UP")
X12_QUALIFIER = re.compile(r"[A-Z0-9]{2}")  # a product id qualifier (element 235)
# each G62 qualifier (element 432) the 940 writes, in this order, from the order's date qualifiers (DTM 374), best
# first: a ship window stays a ship window (37/38) and a delivery window a delivery window (53/54)
G62_DATES = (
    ("10", ("010", "118")),  # requested ship date, requested pick-up
    ("37", ("037",)),  # ship not before
    ("38", ("038",)),  # ship no later than (a channel's ship-by too)
    ("02", ("002",)),  # delivery requested
    ("53", ("064",)),  # deliver not before (DTM 064 do not deliver before)
    ("54", ("063",)),  # deliver no later than (DTM 063 do not deliver after)
    ("01", ("001",)),  # cancel after
)
MAX_N1_LOOPS = 10
MAX_DEPOSITOR_ORDER = 22  # W0502
MAX_SDQ_PAIRS = 10  # SDQ03..SDQ22: ten location/quantity pairs a segment
ORIGINAL, CANCEL, CHANGE = "N", "F", "R"  # W0501


def party_segments(party: Party, *, max_contacts: int = 3) -> list[list[Element]]:
    """N1 with N2 (extra names), N3 (address lines), N4 and PER: one N1 loop as segments.

    Refuses what the loop cannot hold (more than 4 extra names or address lines) instead of dropping it.
    """
    if not party.name and not party.id:
        raise X12WriteError(f"N1*{party.role}: a party needs a name or an id")
    ident = bool(party.id and party.id_qualifier)
    out: list[list[Element]] = [
        ["N1", party.role, party.name, party.id_qualifier if ident else None, party.id if ident else None]
    ]
    if len(party.extra_names) > 4:
        raise X12WriteError(f"N1*{party.role}: at most 4 extra names fit in two N2 segments")
    out.extend(["N2", *party.extra_names[k : k + 2]] for k in range(0, len(party.extra_names), 2))
    address = party.address
    if address is not None:
        if len(address.lines) > 4:
            raise X12WriteError(f"N1*{party.role}: at most 4 address lines fit in two N3 segments")
        out.extend(["N3", *address.lines[k : k + 2]] for k in range(0, len(address.lines), 2))
        n4 = [address.city, address.state, address.postal_code, address.country]
        if any(n4):
            out.append(["N4", *n4])
    for c in party.contacts[:max_contacts]:
        numbers: list[Element] = []
        for kind, number in (("TE", c.phone), ("FX", c.fax), ("EM", c.email)):
            if number:
                numbers.extend((kind, number))
        if c.name or numbers:
            out.append(["PER", c.function or "IC", c.name, *numbers])
    return out


def add_segments(ts: TransactionSet, segments: Sequence[Sequence[Element]]) -> None:
    for seg in segments:
        ts.add(str(seg[0]), *seg[1:])


def w01_ids(
    ids: dict[str, str], priority: tuple[str, ...] = ID_PRIORITY, pairs: int = 3
) -> tuple[str | None, list[tuple[str, str]]]:
    """Split product ids into the W0103 UPC and at most ``pairs`` qualifier/value pairs, ``priority`` first (see the
    module doc); the 943's W04 takes its ids the same way."""
    upc = ids.get("UP")
    if upc is not None and len(upc) != 12:
        upc = None
    # a channel's own ids (Shopify's VARIANT, BigCommerce's PRODUCT) have no X12 qualifier: element 235 is two
    # letters or digits, and a 3PL's translator refuses any other
    rest = {q: v for q, v in ids.items() if X12_QUALIFIER.fullmatch(q) and not (q == "UP" and upc is not None)}
    ordered = [q for q in priority if q in rest] + [q for q in rest if q not in priority]
    return upc, [(q, rest[q]) for q in ordered[:pairs]]


def _w01(line: OrderLine) -> list[Element]:
    upc, pairs = w01_ids(line.product_ids)
    if upc is None and not pairs:
        raise X12WriteError(f"940 line {line.position}: a warehouse line needs a product id")
    elements: list[Element] = [None] * 16
    elements[0], elements[1], elements[2] = line.quantity, line.uom, upc
    for slot, (qualifier, value) in zip((3, 5, 14), pairs, strict=False):
        elements[slot], elements[slot + 1] = qualifier, value
    return ["W01", *elements]


def _first_date(dates: Sequence[DateRef], qualifiers: Sequence[str]) -> str | None:
    for q in qualifiers:
        for d in dates:
            if d.qualifier == q and d.date is not None:
                return d.date.strftime("%Y%m%d")
    return None


def g62_segments(dates: Sequence[DateRef]) -> list[list[Element]]:
    """One G62 per date kind the order (or line) states, each under the qualifier the 940 uses for it."""
    out: list[list[Element]] = []
    for g62, qualifiers in G62_DATES:
        if when := _first_date(dates, qualifiers):
            out.append(["G62", g62, when])
    return out


def sdq_segments(line: OrderLine) -> list[list[Element]]:
    """The line's store distribution (SDQ): ten store/quantity pairs a segment, in the line's unit."""
    out: list[list[Element]] = []
    for i in range(0, len(line.stores), MAX_SDQ_PAIRS):
        pairs: list[Element] = []
        for store in line.stores[i : i + MAX_SDQ_PAIRS]:
            pairs.extend((store.location, store.quantity))
        out.append(["SDQ", line.uom, line.store_id_qualifier or "92", *pairs])
    return out


def line_ship_to(line: OrderLine) -> Party | None:
    """The ship-to the buyer named on this line (N1*ST in the PO1 loop), if any."""
    return next((p for p in line.parties if p.role == "ST"), None)


def _header_parties(order: Order, depositor: str | None, warehouse: Party | None) -> list[list[Element]]:
    ship_to = order.ship_to
    if ship_to is None:
        raise X12WriteError(f"order {order.po_number}: a 940 needs a ship-to (ST) party")
    parties = [ship_to, *(p for p in order.parties if p.role not in ("ST", "DE", "WH"))]
    if depositor:
        parties.append(Party(role="DE", name=depositor))
    if warehouse is not None:
        parties.append(warehouse.model_copy(update={"role": "WH"}))
    if len(parties) > MAX_N1_LOOPS:
        raise X12WriteError(f"order {order.po_number}: {len(parties)} parties, a 940 header holds {MAX_N1_LOOPS}")
    return [seg for p in parties for seg in party_segments(p, max_contacts=5)]


def build_940(
    order: Order,
    control: str,
    *,
    depositor: str | None = None,
    warehouse: Party | None = None,
    payment_method: str = "PP",
    purpose: str = ORIGINAL,
    depositor_order: str | None = None,
    cartons: dict[int, list[str]] | None = None,
) -> TransactionSet:
    """The 940 for ``order``: header parties, references, dates, carrier, one LX/W01 loop per line, W76.

    ``payment_method`` is W6601 (PP prepaid, CC collect, TP third party) unless the order's FOB01 says who pays
    the freight (the same code list); W66 is written only when the order names a carrier, with W6602 from its
    mode (ZZ when unknown). The header holds at most 10 N9: further order references are not sent (they matter
    to the buyer, not to the warehouse picking the order).
    ``purpose`` is W0501: ``ORIGINAL``, ``CANCEL`` or ``CHANGE``. ``depositor_order`` is W0502 (default: the PO
    number; a part of an order split by ship-to has its own, ``split_by_ship_to``). ``cartons``: line position ->
    the SSCC-18s crossdock gave that line's cartons, each a MAN*GM (AI 00 + 18 digits) in the line's LX loop, for
    the warehouse to print and echo in its 945.
    """
    if purpose not in (ORIGINAL, CANCEL, CHANGE):
        raise ValueError(f"940 W0501 {purpose!r}: crossdock writes N, F or R")
    if not order.lines:
        raise X12WriteError(f"order {order.po_number}: a 940 needs at least one line")
    ts = TransactionSet("940", control)
    number = depositor_order or order.po_number
    if len(number) > MAX_DEPOSITOR_ORDER:
        raise X12WriteError(f"order {order.po_number}: depositor order number {number!r} exceeds W0502's 22 characters")
    ts.add("W05", purpose, number, order.po_number)
    add_segments(ts, _header_parties(order, depositor, warehouse))
    for ref in order.references[:10]:
        ts.add("N9", ref.qualifier, ref.value, ref.description)
    add_segments(ts, g62_segments(order.dates))
    for note in [*order.notes, *requirement_notes(order.requirements)]:
        for chunk in textwrap.wrap(note, 80):
            ts.add("NTE", "WHI", chunk)
    if order.carriers:
        carrier = order.carriers[0]
        fob = order.shipping_terms[0].payment_method if order.shipping_terms else None
        ts.add(
            "W66", fob or payment_method, carrier.mode or "ZZ", None, None, carrier.routing, *[None] * 4, carrier.scac
        )
    for counter, line in enumerate(order.lines, 1):
        ts.add("LX", counter)
        for sscc in (cartons or {}).get(line.position, []):
            ts.add("MAN", "GM", with_ai(sscc))
        add_segments(ts, _lx_details(order, line))
        add_segments(ts, [_w01(line)])
        described, spilled = g69_texts(line)
        for chunk in described:
            ts.add("G69", chunk)
        if line.line_number and line.line_number.strip():
            ts.add("N9", "LI", line.line_number)
        for ref in line.references:
            ts.add("N9", ref.qualifier, ref.value, ref.description)
        inner = inner_pack_note(line)
        for note in [*line.notes, *spilled, *requirement_notes(line.requirements), *([inner] if inner else [])]:
            for chunk in textwrap.wrap(note, 80):
                ts.add("NTE", "WHI", chunk)
        add_segments(ts, w20_segments(line))
    ts.add("W76", sum((line.quantity for line in order.lines), start=Decimal(0)))
    return ts


def _lx_details(order: Order, line: OrderLine) -> list[list[Element]]:
    """SDQ, N1 and G62 at the head of a line's LX loop: its store distribution, its own ship-to when it differs
    from the header's (4010 has room for the N1 segment alone there: name and id, no address), its own dates."""
    out = sdq_segments(line)
    own = line_ship_to(line)
    if own is not None and own != order.ship_to:
        ident = bool(own.id and own.id_qualifier)
        out.append(["N1", "ST", own.name, own.id_qualifier if ident else None, own.id if ident else None])
    out.extend(g62_segments(line.dates))
    return out


def split_by_ship_to(order: Order, number: str | None = None) -> list[tuple[Order, str]]:
    """The order as 940s for a 3PL that takes one ship-to per order, each with its depositor order number (W0502).

    One 940 per ship-to the lines go to (a line's own N1*ST, else the header's), in the order of the lines, each
    with that ship-to in its header. ``number`` is the order's depositor order number (W0502), the PO number when
    None: an order with one ship-to keeps it; several take it and ``-1``, ``-2`` ... W0503 stays the PO number in
    each, and the 945 echoes both (W0602, W0606): that is how each part's shipment finds the order, and its lines
    keep their N9*LI line numbers.
    """
    groups: list[tuple[Party | None, list[OrderLine]]] = []
    for line in order.lines:
        ship_to = line_ship_to(line) or order.ship_to
        found = next((g for g in groups if g[0] == ship_to), None)
        if found is None:
            groups.append((ship_to, [line]))
        else:
            found[1].append(line)
    others = [p for p in order.parties if p.role != "ST"]
    parts = []
    for ship_to, lines in groups:
        parties = [ship_to, *others] if ship_to is not None else others
        parts.append(order.model_copy(update={"parties": parties, "lines": lines}))
    base = number or order.po_number
    if len(parts) == 1:
        return [(parts[0], base)]
    return [(part, f"{base}-{k}") for k, part in enumerate(parts, 1)]


def orders_940(order: Order, ship_to_per_line: bool, number: str | None = None) -> list[tuple[Order, str]]:
    """The 940s ``order`` becomes for a 3PL: one, with each line's own ship-to in its LX loop, when the 3PL takes a
    ship-to per line (and the order has a header ship-to for the address); else one per ship-to."""
    if ship_to_per_line and order.ship_to is not None:
        return [(order, number or order.po_number)]
    return split_by_ship_to(order, number)
