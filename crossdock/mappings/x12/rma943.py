"""The X12 943 (warehouse stock transfer shipment advice) announcing a return to a 3PL that takes one, not a 180.

A 943 tells a warehouse what is on its way to it; for a return, what the customer sends back. What crossdock writes
[source: https://stedi.com/edi/x12-004010/943, /segment/W06, /segment/W04, /segment/W03, /element/514,
/element/306]:

- ``W06*C*<RMA>*<date>*<return id>**<PO>``: W0601 ``C`` (element 514: customer return, full detail), W0602 the
  depositor order number, which is the RMA the parcel is matched by (at most 22 characters, else refused), W0603
  the day the 3PL is told, W0604 the return's id as the shipment id (left out when longer than its 30), W0606 the
  order's PO number (left out when longer than its 22; ``N9*PO`` still carries it). The 3PL's 944 echoes W0602
  in W1704: that is how its receipt finds the return (``receipt944``).
- Cancelling: W06 has no transaction purpose (element 353 is not in it); its action code W0612 (element 306)
  takes ``G``, cancel entire order/item. A cancel repeats the same W06 and lines with W0612 ``G``.
- N1 loops, as the 940 names its parties: ``N1*SF`` the customer sending the goods back (the order's ship-to, with
  its address), ``N1*ST`` the warehouse receiving them, ``N1*DE`` the depositor when configured.
- ``N9*RZ`` the RMA, ``N9*PO`` the PO, ``N9*DO`` the warehouse order number the 940 gave the order, ``N9*CO`` the
  channel's order id.
- ``W27``, the carrier, is mandatory in the 943 heading. A return names none, so W27 carries the transport method
  (W2701) and SCAC (W2702) of the order's carrier, and ``ZZ`` (mutually defined) with no SCAC when the order names
  none or a method longer than element 91 takes: the 3PL learns the carrier from the parcel.
- No G62: a return carries no expected arrival date.
- One W04 loop per returned line: ``W04*<qty>*<unit>*<UPC>*SK*<sku>*<q>*<id>``, the 12-digit UPC in W0403 and up
  to two qualifier/value pairs, the SKU first, then the others in the 940's order (VN, BP, IN, ...): the
  returned line's ids over those of the order line it is (by line number, else SKU), so a line the return names
  by its number alone still names its product. An id whose qualifier is no X12 one (element 235 is two
  characters: a channel's ``VARIANT`` id) is left out. ``N9*LI`` its order line number, which the 944 may echo.
- ``W03*<units>``: the total of the W0401 quantities.

Values are written as the X12 writer writes every value: limited to the partner's character set, and refused
(``X12WriteError``) when one holds a delimiter. Here, a value holding a control character, or longer than its
element takes once transliterated, is refused naming its segment and element (an optional reference that does not
fit is left out instead). Either way the 943 is never a broken interchange.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from crossdock.core.models import Carrier, Order, Party
from crossdock.core.returns.models import Return, ReturnLine
from crossdock.mappings.x12.spec import SegmentSpec
from crossdock.mappings.x12.specs import base_version, segment_dictionary
from crossdock.mappings.x12.text import limited
from crossdock.mappings.x12.whse940 import ID_PRIORITY, add_segments, party_segments, w01_ids
from crossdock.mappings.x12.writer import Element, TransactionSet, X12WriteError

CUSTOMER_RETURN = "C"  # W0601, element 514: customer return, full detail
CANCEL_ENTIRE = "G"  # W0612, element 306: cancel entire order/item
UNKNOWN_METHOD = "ZZ"  # W2701, element 91: mutually defined
MAX_SHIPMENT_ID = 30  # W0604
MAX_PO = 22  # W0606
W04_PAIRS = 2
SKU_FIRST = ("SK", *(q for q in ID_PRIORITY if q != "SK"))  # the SKU first, then the 940's order
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def build_943(
    ret: Return,
    order: Order,
    control: str,
    created: datetime,
    *,
    rma: str,
    warehouse: Party,
    order_number: str | None = None,
    depositor: str | None = None,
    cancel: bool = False,
    version: str = "004010",
) -> TransactionSet:
    """The 943 telling a 3PL (``warehouse``, written as N1*ST) to expect ``ret`` of ``order`` under ``rma``;
    ``cancel``: no longer to expect it (W0612 ``G``). ``version`` (the GS08 it goes under) sets how long each value
    may be. See the module doc."""
    where = f"return {ret.return_id}"
    if not ret.lines:
        raise X12WriteError(f"{where}: a 943 needs at least one line")
    dictionary = segment_dictionary(base_version(version) or "004010")
    reference = dictionary["N9"].elements[1].max_len
    ts = TransactionSet("943", control)
    w06: list[Element] = [CUSTOMER_RETURN, rma, created.strftime("%Y%m%d"), _fitting(ret.return_id, MAX_SHIPMENT_ID)]
    w06.extend([None, _fitting(ret.po_number, MAX_PO)])
    if cancel:
        w06.extend([None] * 5 + [CANCEL_ENTIRE])
    ts.add("W06", *w06)
    add_segments(ts, _parties(order, warehouse, depositor, where))
    ts.add("N9", "RZ", rma)
    ts.add("N9", "PO", ret.po_number)
    for qualifier, value in (("DO", order_number), ("CO", ret.external_id)):
        if value and (fitting := _fitting(value, reference)):
            ts.add("N9", qualifier, fitting)
    ts.add("W27", *_carrier(order.carriers[0] if order.carriers else None))
    for line in ret.lines:
        ts.add("W04", *_w04(line, order, where))
        if line.line_number and line.line_number.strip():
            ts.add("N9", "LI", line.line_number)
    ts.add("W03", sum((line.quantity for line in ret.lines), start=Decimal(0)))
    _check_values(ts, dictionary, where)
    return ts


def _fitting(value: str, most: int) -> str | None:
    """An optional value, or None when it is longer than its element takes (as written: transliterated)."""
    return value if len(limited(value, "extended")) <= most else None


def _check_values(ts: TransactionSet, dictionary: Mapping[str, SegmentSpec], where: str) -> None:
    """Refuse, by segment and element, a text value longer than its element takes as it will be written (``£``
    becomes ``GBP``), or holding a control character: the writer passes ASCII as it is, and a partner may use such
    a character as its segment terminator, so one inside a value would cut the 943 short."""
    for position, segment in enumerate(ts.segments, 1):
        spec = dictionary.get(str(segment[0]))
        for k, value in enumerate(segment[1:], 1):
            if not isinstance(value, str):
                continue
            place = f"{where}: {segment[0]}{k:02d} (segment {position}) {value!r}"
            if CONTROL.search(value):
                raise X12WriteError(f"{place} holds a control character")
            most = spec.elements[k - 1].max_len if spec is not None and k <= len(spec.elements) else None
            if most is not None and len(limited(value, "extended")) > most:
                raise X12WriteError(f"{place} is longer than the {most} characters the element takes")


def _parties(order: Order, warehouse: Party, depositor: str | None, where: str) -> list[list[Element]]:
    """N1*SF (the customer: the order's ship-to), N1*ST (the warehouse), N1*DE: the 943's N1 loop takes one N2."""
    customer = order.ship_to
    if customer is None:
        raise X12WriteError(f"{where}: the order has no ship-to to name as the customer returning it (N1*SF)")
    parties = [
        customer.model_copy(update={"role": "SF", "extra_names": customer.extra_names[:2]}),
        warehouse.model_copy(update={"role": "ST", "extra_names": warehouse.extra_names[:2]}),
    ]
    if depositor:
        parties.append(Party(role="DE", name=depositor))
    return [seg for p in parties for seg in party_segments(p, max_contacts=5)]


def _carrier(carrier: Carrier | None) -> list[Element]:
    """W2701 and W2702 from the order's carrier, ``ZZ`` alone when it says nothing element 91 takes."""
    mode = (carrier.mode or "").strip() if carrier else ""
    scac = (carrier.scac or "").strip() if carrier else ""
    if not mode or len(mode) > 2:
        mode = UNKNOWN_METHOD
    return [mode, scac if 2 <= len(scac) <= 4 else None]


def _ids(line: ReturnLine, order: Order) -> dict[str, str]:
    """The order line's product ids (found by line number, else by the SKU), under the returned line's own, its SKU
    as SK: the warehouse keys the parcel by whichever of them it holds the item under."""
    found = next((o for o in order.lines if line.line_number and o.line_number == line.line_number), None)
    if found is None and line.sku:
        found = next((o for o in order.lines if line.sku in o.product_ids.values()), None)
    ids = {**(found.product_ids if found is not None else {}), **line.product_ids}
    if line.sku:
        ids["SK"] = line.sku
    return ids


def _w04(line: ReturnLine, order: Order, where: str) -> list[Element]:
    upc, pairs = w01_ids(_ids(line, order), SKU_FIRST, W04_PAIRS)
    if upc is None and not pairs:
        raise X12WriteError(f"{where}: line {line.line_number or '?'} has no product id for W04")
    elements: list[Element] = [line.quantity, line.uom, upc]
    for pair in pairs:
        elements.extend(pair)
    return elements
