"""A stock snapshot file: items read, and a bad file refused with its place."""

from __future__ import annotations

import datetime as dt

import pytest

from crossdock.core.errors import DecodeError
from crossdock.mappings.stockcsv import snapshot_from_csv

COLUMNS = {"sku": "Item", "quantity": "Qty", "description": "Name"}
DAY = dt.date(2026, 11, 22)


def test_items_are_read_with_their_available_quantity() -> None:
    snap = snapshot_from_csv(b'Item,Qty,Name\nA-1,"1,500",Mug\n', COLUMNS, report_id="r1", report_date=DAY)
    (item,) = snap.items
    assert (item.product_ids, str(item.quantities["33"]), item.description) == ({"VN": "A-1"}, "1500", "Mug")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Item,Name\nA-1,Mug\n", "no column 'Qty'"),
        (b"Item,Qty,Name\n,5,Mug\n", "row 2: column 'Item' (sku) is empty"),
        (b"Item,Qty,Name\nA-1,5,Mug\nA-2,NaN,Pan\n", "row 3 column 'Qty': 'NaN' is not a quantity"),
        (b"Item,Qty,Name\n", "no rows after the header"),
    ],
)
def test_a_bad_snapshot_is_refused_with_the_place(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        snapshot_from_csv(data, COLUMNS, report_id="r1", report_date=DAY, name="stock.csv")
    assert message in str(caught.value) and "stock.csv" in str(caught.value)
