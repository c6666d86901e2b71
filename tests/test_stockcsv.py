"""A stock snapshot file: items read, and a bad file refused with its place."""

from __future__ import annotations

import datetime as dt

import pytest

from crossdock.core.errors import DecodeError
from crossdock.mappings.stockcsv import snapshot_from_csv
from crossdock.mappings.stockjson import snapshot_from_json

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
        (b"Item,Qty,Name\n", "no items"),
    ],
)
def test_a_bad_snapshot_is_refused_with_the_place(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        snapshot_from_csv(data, COLUMNS, report_id="r1", report_date=DAY, name="stock.csv")
    assert message in str(caught.value) and "stock.csv" in str(caught.value)


def test_a_json_snapshot_is_read_from_its_text_never_through_float() -> None:
    data = b'{"items": [{"Item": "A-1", "Qty": 0.1, "Name": "Mug"}, {"Item": "A-2", "Qty": "7"}]}'
    snap = snapshot_from_json(data, COLUMNS, report_id="r1", report_date=DAY)
    assert [(i.product_ids["VN"], str(i.quantities["33"]), i.description) for i in snap.items] == [
        ("A-1", "0.1", "Mug"),
        ("A-2", "7", None),
    ]
    assert snapshot_from_json(b'[{"Item": "A-1", "Qty": 3}]', COLUMNS, report_id="r", report_date=DAY).items


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"stock": []}', "expected a list of items"),
        (b'[{"Item": "A-1", "Qty": 1}, "A-2"]', "item 2: not an object"),
        (b'[{"Item": "A-1", "Qty": "lots"}]', "item 1 key 'Qty': 'lots' is not a number"),
        (b'[{"Qty": 1}]', "item 1: key 'Item' (sku) is empty"),
        (b"[]", "no items"),
    ],
)
def test_a_bad_json_snapshot_is_refused_with_the_place(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        snapshot_from_json(data, COLUMNS, report_id="r1", report_date=DAY, name="https://wms/stock")
    assert message in str(caught.value) and "https://wms/stock" in str(caught.value)
