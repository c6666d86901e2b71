"""A warehouse's CSV ship file: rows grouped into shipments, and every bad row refused with its place."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crossdock.core.errors import DecodeError
from crossdock.mappings.shipcsv import shipments_from_csv

COLUMNS = {
    "shipment_id": "Shipment",
    "po_number": "PO",
    "ship_date": "Shipped",
    "carrier_scac": "SCAC",
    "tracking_number": "Tracking",
    "line_number": "Line",
    "sku": "SKU",
    "quantity": "Qty",
    "weight": "Kg",
}
HEADER = "Shipment,PO,Shipped,SCAC,Tracking,Line,SKU,Qty,Kg\r\n"


def test_rows_become_shipments_with_packages_by_tracking_number() -> None:
    data = (
        HEADER
        + "S1,PO-1,2026-11-21,UPSN,1Z1,0001,MUG-BLU,4,2.5\r\n"
        + "S1,PO-1,2026-11-21,UPSN,1Z1,0002,KTL-STL,1,2.5\r\n"
        + "S1,PO-1,2026-11-21,UPSN,1Z2,0002,KTL-STL,1,1.0\r\n"
        + 'S2,PO-2,11/22/2026,FDEG,,0001,PAN-SET,"1,200",\r\n'
    ).encode()
    first, second = shipments_from_csv(data, COLUMNS, weight_unit="KG")
    assert (first.shipment_id, first.ship_date, first.carrier_scac) == ("S1", dt.date(2026, 11, 21), "UPSN")
    assert first.tracking_numbers == ["1Z1", "1Z2"]
    (order,) = first.orders
    assert [
        (p.tracking_number, [line.line_number for line in p.lines], p.weight, p.weight_uom) for p in order.packages
    ] == [
        ("1Z1", ["0001", "0002"], Decimal("2.5"), "KG"),
        ("1Z2", ["0002"], Decimal("1.0"), "KG"),
    ]
    (loose,) = second.orders[0].lines
    assert loose.quantity == Decimal("1200") and loose.product_ids == {"VN": "PAN-SET"}


def test_lines_ending_in_a_lone_cr_read_as_lines() -> None:
    rows = ["S1,PO-1,2026-11-21,UPSN,1Z1,0001,MUG-BLU,4,2.5", "S1,PO-1,2026-11-21,UPSN,1Z1,0002,KTL-STL,1,2.5"]
    crlf = shipments_from_csv((HEADER + "\r\n".join(rows) + "\r\n").encode(), COLUMNS, weight_unit="KG")
    cr = shipments_from_csv((HEADER.replace("\r\n", "\r") + "\r".join(rows) + "\r").encode(), COLUMNS, weight_unit="KG")
    mixed = shipments_from_csv((HEADER + rows[0] + "\r" + rows[1] + "\n").encode(), COLUMNS, weight_unit="KG")
    assert cr == crlf == mixed
    assert [line.line_number for p in cr[0].orders[0].packages for line in p.lines] == ["0001", "0002"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Shipment,PO,Qty\r\nS1,PO-1,4\r\n", "no column 'Shipped', 'SCAC', 'Tracking', 'Line', 'SKU', 'Kg'"),
        (HEADER + "S1,,2026-11-21,UPSN,,0001,MUG,4,\r\n", "row 2: column 'PO' (po_number) is empty"),
        (HEADER + "S1,PO-1,2026-11-21,UPSN,,0001,MUG,4,\r\nS1,PO-1,,,,0002,KTL,four,\r\n", "row 3 column 'Qty'"),
        (HEADER + "S1,PO-1,21st Nov,UPSN,,0001,MUG,4,\r\n", "row 2 column 'Shipped': '21st Nov' is not a date"),
        (HEADER + "S1,PO-1,2026-11-21,UPSN,,0001,MUG,-4,\r\n", "'-4' is not a quantity"),
        (HEADER, "no rows after the header"),
        (  # a quote never closed swallows the rest of the file into one field
            HEADER + 'S1,PO-1,2026-11-21,UPSN,,0001,MUG,4,\r\nS1,"PO-1,,,,0002,KTL,1,\r\n' + "S1,PO-1\r\n" * 20_000,
            "row 3: not CSV (field larger than field limit",
        ),
    ],
)
def test_a_bad_file_is_refused_with_the_place(data: str, message: str) -> None:
    with pytest.raises(DecodeError, match=r"ship\.csv") as caught:
        shipments_from_csv(data.encode(), COLUMNS, name="ship.csv", weight_unit="KG")
    assert message in str(caught.value)[:200]


def test_the_source_and_channel_order_id_columns_keep_one_po_number_of_two_stores_apart() -> None:
    columns = {**COLUMNS, "source": "Store", "external_id": "Order"}
    data = (
        "Shipment,PO,Shipped,SCAC,Tracking,Line,SKU,Qty,Kg,Store,Order\r\n"
        + "S1,1001,2026-11-21,UPSN,1Z1,1,MUG-BLU,1,1,shop-a,111\r\n"
        + "S1,1001,2026-11-21,UPSN,1Z2,1,MUG-BLU,1,1,shop-b,222\r\n"
    ).encode()
    (first,), (second,) = (s.orders for s in shipments_from_csv(data, columns, weight_unit="KG"))
    assert (first.source, first.external_id, second.source, second.external_id) == ("shop-a", "111", "shop-b", "222")


def test_a_weight_takes_the_rows_unit_column_else_the_sources_unit() -> None:
    columns = {**COLUMNS, "weight_unit": "Unit"}
    data = (
        "Shipment,PO,Shipped,SCAC,Tracking,Line,SKU,Qty,Kg,Unit\r\n"
        + "S1,PO-1,2026-11-21,UPSN,1Z1,1,MUG-BLU,1,3.5,lbs\r\n"
        + "S1,PO-1,2026-11-21,UPSN,1Z2,2,KTL-STL,1,2,\r\n"
    ).encode()
    (shipment,) = shipments_from_csv(data, columns, weight_unit="KG")
    assert [(p.weight, p.weight_uom) for p in shipment.orders[0].packages] == [
        (Decimal("3.5"), "LB"),
        (Decimal(2), "KG"),
    ]
    with pytest.raises(DecodeError, match=r"row 3: the weight has no unit"):
        shipments_from_csv(data, columns)
    with pytest.raises(DecodeError, match=r"row 2 column 'Unit': 'stone' is not a weight unit"):
        shipments_from_csv(data.replace(b"lbs", b"stone"), columns, weight_unit="KG")


def test_an_optional_delivery_date_column_is_the_warehouses_estimate() -> None:
    columns = {**COLUMNS, "delivery_date": "ETA"}
    header = HEADER.replace("\r\n", ",ETA\r\n")
    data = (
        header
        + "S1,PO-1,2026-11-21,UPSN,1Z1,0001,MUG-BLU,4,2.5,11/24/2026\r\n"
        + "S2,PO-2,2026-11-21,UPSN,1Z2,0001,MUG-BLU,4,2.5,\r\n"
    ).encode()
    first, second = shipments_from_csv(data, columns, weight_unit="KG")
    assert (first.delivery_date, second.delivery_date) == (dt.date(2026, 11, 24), None)
    (without,) = shipments_from_csv(
        (HEADER + "S1,PO-1,2026-11-21,UPSN,1Z1,0001,MUG,4,2.5\r\n").encode(), COLUMNS, weight_unit="KG"
    )
    assert without.delivery_date is None


@pytest.mark.parametrize(
    ("eta", "message"),
    [
        ("next week", "ship.csv row 2 column 'ETA': 'next week' is not a date (write 2026-11-21)"),
        ("2026-13-01", "ship.csv row 2 column 'ETA': '2026-13-01' is not a date"),
        ("2026-11-20", "ship.csv row 2 column 'ETA': '2026-11-20' is before the ship date 2026-11-21"),
    ],
)
def test_a_bad_delivery_date_is_refused_with_file_row_and_column(eta: str, message: str) -> None:
    columns = {**COLUMNS, "delivery_date": "ETA"}
    data = (HEADER.replace("\r\n", ",ETA\r\n") + f"S1,PO-1,2026-11-21,UPSN,1Z1,0001,MUG-BLU,4,2.5,{eta}\r\n").encode()
    with pytest.raises(DecodeError) as caught:
        shipments_from_csv(data, columns, name="ship.csv", weight_unit="KG")
    assert message in str(caught.value)
