"""The X12 crossdock sends a 3PL warehouse: 940 shipping orders (and their cancels and changes) and return notices
(a 180, or a 943 for a 3PL that takes one), apart from the buyer-facing writers in ``hub`` because the warehouse
side has its own numbering rules (a set per ship-to, the 3PL's depositor order numbers read back from what was
sent)."""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.core.models import Order, Party
from crossdock.core.returns.models import Return
from crossdock.mappings.x12.hub import Outgoing, interchange
from crossdock.mappings.x12.reader import read_transactions
from crossdock.mappings.x12.rma180 import build_180
from crossdock.mappings.x12.rma943 import build_943
from crossdock.mappings.x12.whse940 import ORIGINAL, build_940, orders_940


def write_940(
    order: Order,
    out: Outgoing,
    depositor: str | None = None,
    cartons: dict[int, list[str]] | None = None,
    *,
    ship_to_per_line: bool = False,
    order_number: str | None = None,
) -> bytes:
    """One interchange carrying the 940 warehouse shipping order for ``order`` (or the lines routed here): one set
    per ship-to unless the 3PL takes a ship-to per line (``whse940.orders_940``); ``count_940s`` says how many.
    ``cartons`` (line position -> SSCC-18s) go with it when crossdock labels the cartons."""
    return write_940s(
        [(order, ORIGINAL)], out, depositor, cartons, ship_to_per_line=ship_to_per_line, order_number=order_number
    )


def write_940s(
    orders: list[tuple[Order, str]],
    out: Outgoing,
    depositor: str | None = None,
    cartons: dict[int, list[str]] | None = None,
    *,
    ship_to_per_line: bool = False,
    order_number: str | None = None,
    known: Sequence[str] = (),
) -> bytes:
    """One interchange carrying a 940 per (order, W0501 purpose), numbered up from ``out.transaction`` in that
    order: a cancel (F) then the order again (N) reach the 3PL as one file, the cancel read first. ``cartons``
    (the SSCCs of the order's cartons) go with the order, not with its cancel. ``order_number`` is W0502, the
    PO number when None (a part of an order split by ship-to adds ``-1``, ``-2``...). ``known`` is what the 3PL
    holds the order under (``depositor_orders``): a cancel or change (F, R) names those, part by part, when
    there are as many of them as its parts."""
    parts: list[tuple[Order, str, str]] = []
    for order, purpose in orders:
        split = orders_940(order, ship_to_per_line, order_number)
        if purpose != ORIGINAL and len(known) == len(split):
            split = [(part, number) for (part, _), number in zip(split, known, strict=True)]
        parts.extend((part, number, purpose) for part, number in split)
    sets = [
        build_940(
            part,
            f"{out.transaction + i:04d}",
            depositor=depositor,
            purpose=purpose,
            depositor_order=number,
            cartons=None if purpose == "F" else cartons,
        )
        for i, (part, number, purpose) in enumerate(parts)
    ]
    return interchange(out, "OW", sets)


def depositor_orders(data: bytes) -> list[str]:
    """The depositor order numbers (W0502) of the new or changed orders (W0501 N, R) in a 940 crossdock sent, in
    order: what the 3PL holds the order under, whichever rule numbered it then."""
    numbers: list[str] = []
    for ts in read_transactions(data):
        for elements in ts.element_lists():
            if elements[0] == "W05" and len(elements) > 2 and elements[1] in (ORIGINAL, "R") and elements[2]:
                numbers.append(elements[2])
    return numbers


def count_940s(orders: list[Order], ship_to_per_line: bool = False) -> int:
    """How many 940 sets ``write_940s`` writes for these orders: the ST numbers to reserve."""
    return sum(len(orders_940(order, ship_to_per_line)) for order in orders)


def write_180(
    ret: Return,
    out: Outgoing,
    *,
    rma: str,
    order_number: str | None = None,
    depositor: str | None = None,
    cancel: bool = False,
) -> bytes:
    """One interchange carrying the 180 that tells a 3PL to expect return ``ret`` under ``rma`` (with ``cancel``:
    no longer to expect it, BGN01 ``01``)."""
    control = f"{out.transaction:04d}"
    built = build_180(ret, control, out.created, rma=rma, order_number=order_number, depositor=depositor, cancel=cancel)
    return interchange(out, "AN", [built])


def write_943(
    ret: Return,
    order: Order,
    out: Outgoing,
    *,
    rma: str,
    warehouse: Party,
    order_number: str | None = None,
    depositor: str | None = None,
    cancel: bool = False,
) -> bytes:
    """One interchange carrying the 943 that tells a 3PL (``warehouse``) to expect return ``ret`` of ``order`` under
    ``rma`` (with ``cancel``: no longer to expect it, W0612 ``G``)."""
    control = f"{out.transaction:04d}"
    built = build_943(
        ret,
        order,
        control,
        out.created,
        rma=rma,
        warehouse=warehouse,
        order_number=order_number,
        depositor=depositor,
        cancel=cancel,
        version=out.version,
    )
    return interchange(out, "AR", [built])
