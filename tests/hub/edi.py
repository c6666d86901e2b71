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


def interchange(orders: list[Order], *, control: int = 1, sender: str = "NORTHWIND", usage: str = "P") -> bytes:
    env = Envelope(
        sender_qualifier="ZZ",
        sender_id=sender,
        receiver_qualifier="ZZ",
        receiver_id="CROSSDOCK",
        interchange_control=control,
        group_control=control,
        functional_id="PO",
        usage=usage,
        created=dt.datetime(2026, 11, 20, 9, 15),
    )
    sets = [build_850(o, f"{i + 1:04d}") for i, o in enumerate(orders)]
    return write_interchange(env, sets, Delimiters("*", ">", "~"), newline=True)
