"""Partner files for the hub's tests, written with crossdock's own 850 writer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crossdock.core.models import Address, Order, OrderLine, Party
from crossdock.mappings.x12.delimiters import Delimiters
from crossdock.mappings.x12.po850 import build_850
from crossdock.mappings.x12.writer import Envelope, write_interchange


def order(
    po: str, *, state: str = "CA", skus: tuple[str, ...] = ("MUG-BLU",), qty: int = 5, purpose: str = "00"
) -> Order:
    return Order(
        po_number=po,
        order_date=dt.date(2026, 11, 20),
        purpose=purpose,
        order_type="SA",
        parties=[
            Party(
                role="ST",
                name="DC 42",
                id_qualifier="92",
                id="0042",
                address=Address(lines=["1 MAIN ST"], city="TOWN", state=state, postal_code="94607", country="US"),
            )
        ],
        lines=[
            OrderLine(
                position=i + 1,
                line_number=f"{i + 1:04d}",
                quantity=Decimal(qty),
                uom="EA",
                unit_price=Decimal("12.50"),
                price_basis="PE",
                product_ids={"VN": sku},
            )
            for i, sku in enumerate(skus)
        ],
    )


def large_order(po: str, lines: int, *, purpose: str = "00", qty: int = 3) -> Order:
    """An order of ``lines`` lines, each with a description and notes (PID segments), like the large-file bench;
    as an 850 it is about 600 bytes a line, and more than ``streamed.BATCH`` segments from 600 lines on."""
    big = order(po, purpose=purpose)
    big.lines = [
        OrderLine(
            position=i,
            line_number=str(i),
            quantity=Decimal(qty),
            uom="EA",
            unit_price=Decimal("9.99"),
            price_basis="PE",
            product_ids={"UP": f"{i:012d}", "VN": f"SKU-{i}"},
            description=f"HEAVY DUTY STAINLESS STEEL SHELF UNIT {i}",
            notes=[f"WITH ADJUSTABLE FEET {i}-{k}" for k in range(5)],
        )
        for i in range(1, lines + 1)
    ]
    return big


def interchange(
    orders: list[Order],
    *,
    control: int = 1,
    sender: str = "NORTHWIND",
    usage: str = "P",
    created: dt.datetime = dt.datetime(2026, 11, 20, 9, 15),
) -> bytes:
    env = Envelope(
        sender_qualifier="ZZ",
        sender_id=sender,
        receiver_qualifier="ZZ",
        receiver_id="CROSSDOCK",
        interchange_control=control,
        group_control=control,
        functional_id="PO",
        usage=usage,
        created=created,
    )
    sets = [build_850(o, f"{i + 1:04d}") for i, o in enumerate(orders)]
    return write_interchange(env, sets, Delimiters("*", ">", "~"), newline=True)


def ship_advice(
    po: str,
    shipment_id: str,
    lines: list[tuple[str, int, int, str]],
    *,
    control: int = 50,
    sender: str = "ACME3PL",
    sscc: str | None = None,
    tracking: str | None = None,
    closed: tuple[str, ...] = (),
) -> bytes:
    """A 3PL's 945 for ``po``: each line as (line number, ordered, shipped, vendor item number). A short line's
    W1201 is BP (the rest to follow), or CP (no more will ship) for the line numbers in ``closed``."""
    body = [
        f"W06*N*{po}*20261121*{shipment_id}***{po}",
        "N1*ST*DC 42*92*0042",
        *([f"N9*2I*{tracking}"] if tracking else []),
        "G62*11*20261121",
        "W27*M*UPSN*GROUND",
    ]
    for i, (line_number, ordered, shipped, sku) in enumerate(lines, 1):
        body.append(f"LX*{i}")
        if sscc is not None:
            body.append(f"MAN*GM*{sscc}")
        status = "CC" if shipped >= ordered else "CP" if line_number in closed else "BP"
        body.append(f"W12*{status}*{ordered}*{shipped}*{max(ordered - shipped, 0)}*EA**VN*{sku}")
        body.append(f"N9*LI*{line_number}")
    body.append(f"W03*{sum(line[2] for line in lines)}*10*LB")
    segments = ["ST*945*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*CROSSDOCK      *261121*1000*U*00401*{control:09d}*0*P*>"
    text = [isa, f"GS*SW*{sender}*CROSSDOCK*20261121*1000*{control}*X*004010", *segments, f"GE*1*{control}"]
    text.append(f"IEA*1*{control:09d}")
    return ("~\n".join(text) + "~\n").encode()


def change(
    po: str,
    purpose: str,
    pocs: list[str],
    *,
    sequence: str = "",
    control: int = 70,
    sender: str = "NORTHWIND",
    made: str = "20261121*1000",
) -> bytes:
    """A buyer's 860 for ``po``: BCH01 ``purpose``, BCH05 ``sequence``, each POC given as its elements after the tag
    (``"0001*QD*3**EA*12.50**VN*MUG-BLU"``); ``made`` is GS04*GS05."""
    body = [f"BCH*{purpose}*SA*{po}**{sequence}*20261120", *(f"POC*{poc}" for poc in pocs), f"CTT*{len(pocs)}"]
    segments = ["ST*860*0001", *body]
    segments.append(f"SE*{len(segments) + 1}*0001")
    day = made[2:8]
    isa = f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*CROSSDOCK      *{day}*1000*U*00401*{control:09d}*0*P*>"
    text = [isa, f"GS*PC*{sender}*CROSSDOCK*{made}*{control}*X*004010", *segments, f"GE*1*{control}"]
    text.append(f"IEA*1*{control:09d}")
    return ("~\n".join(text) + "~\n").encode()
