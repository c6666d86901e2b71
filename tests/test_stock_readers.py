"""The stock readers (ShipBob's inventory levels, Odoo's quants, the catalogue CSV) and the Shopify stock
mutation's variables: properties over generated inputs (hypothesis) and a golden file for what crossdock sends."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.errors import ConfigError, DecodeError
from crossdock.core.stock.catalogue import ID_NAMES, _rows
from crossdock.core.stock.models import StockLevel, StockPush
from crossdock.mappings import odoo_stock, shipbob_stock, shopify_stock
from tests.golden import assert_golden

CASES = Path(__file__).parent / "cases" / "stock"
SKU = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters=',"'), min_size=1, max_size=20
)
TODAY = dt.date(2026, 12, 7)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(SKU, st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=4), max_size=20))
def test_shipbob_on_hand_is_the_sum_over_its_centers(levels: dict[str, list[int]]) -> None:
    items = [
        {
            "inventory_id": i,
            "sku": sku,
            "locations": [{"location_id": n, "on_hand_quantity": q} for n, q in enumerate(qs)],
        }
        for i, (sku, qs) in enumerate(levels.items())
    ]
    half = len(items) // 2
    data = json.dumps([{"items": items[:half], "next": "x"}, items[half:]]).encode()
    snapshot = shipbob_stock.snapshot_from_levels(data, report_id="r", report_date=TODAY, name="bob")
    got = {item.product_ids["VN"]: int(item.quantities["17"]) for item in snapshot.items}
    assert got == {sku.strip(): sum(qs) for sku, qs in levels.items() if sku.strip()}


@pytest.mark.parametrize(
    "body", [b"{}", b"[1]", b"not json", b'[{"items": [{"sku": "A", "locations": [{"on_hand_quantity": "x"}]}]}]']
)
def test_shipbob_levels_that_do_not_read_are_refused(body: bytes) -> None:
    with pytest.raises(DecodeError, match="bob"):
        shipbob_stock.snapshot_from_levels(body, report_id="r", report_date=TODAY, name="bob")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.decimals(min_value=0, max_value=10**5, places=2)), max_size=30))
def test_odoo_quants_sum_by_default_code_in_whole_units(quants: list[tuple[int, object]]) -> None:
    body = {
        "quants": [{"product_id": [p, "x"], "quantity": float(q)} for p, q in quants],  # type: ignore[arg-type]
        "products": [{"id": p, "default_code": f"SKU-{p}" if p != 5 else False} for p in range(1, 6)],
    }
    snapshot = odoo_stock.snapshot_from_quants(json.dumps(body).encode(), report_id="r", report_date=TODAY, name="o")
    got = {item.product_ids["VN"]: item.quantities["17"] for item in snapshot.items}
    expected: dict[str, object] = {}
    for p, q in quants:
        if p != 5:
            expected[f"SKU-{p}"] = expected.get(f"SKU-{p}", 0) + json.loads(json.dumps(float(q)))  # type: ignore[operator]
    assert set(got) == set(expected)
    for sku, total in expected.items():
        assert int(got[sku]) == int(total)  # type: ignore[call-overload]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(SKU, st.sampled_from(["shop", "web"]), st.sampled_from(ID_NAMES), SKU), max_size=20))
def test_catalogue_rows_read_back_as_written(rows: list[tuple[str, str, str, str]]) -> None:
    header = ["sku", "channel", *ID_NAMES]
    lines = [",".join(header)]
    for sku, channel, id_name, value in rows:
        lines.append(",".join([sku, channel, *[value if n == id_name else "" for n in ID_NAMES]]))
    read = list(_rows("\n".join(lines).encode(), "c.csv"))
    assert [(sku, ch, ids) for _, sku, ch, ids in read] == [(s.strip(), c, {n: v.strip()}) for s, c, n, v in rows]


def test_a_catalogue_without_sku_and_channel_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs sku and channel"):
        list(_rows(b"product,variant\n1,2\n", "c.csv"))


def test_the_shopify_stock_mutation_variables_are_as_golden() -> None:
    push = StockPush(
        channel="shop",
        push_id="0123456789abcdef0123456789abcdef01234567",
        as_of=dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC),
        levels=[
            StockLevel(
                sku="MUG-BLU", available=8, ids={"inventory_item_id": "11"}, location="gid://shopify/Location/1", told=5
            ),
            StockLevel(sku="MUG-RED", available=0, ids={"inventory_item_id": "12"}, location="1", told=None),
        ],
    )
    text, variables = shopify_stock.set_variables(push, push.levels, "2026-10", {})
    assert "@idempotent(key: $key)" in text
    assert_golden(CASES / "shopify-inventory-set.json", json.dumps(variables, indent=2).encode() + b"\n")
    old_text, old = shopify_stock.set_variables(push, push.levels, "2025-10", {})
    assert "@idempotent" not in old_text and old["input"]["ignoreCompareQuantity"] is True
    assert old["input"]["quantities"][0]["compareQuantity"] == 5
