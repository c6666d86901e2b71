"""The stock documents crossdock writes to the channels, one golden file each (tests/cases/channels/<channel>/
stock_*), and their writers and readers under hypothesis: whatever a catalogue holds for a SKU (markup, quotes,
any text), eBay's XML request stays well formed and reads back as sent, Amazon's listings feed fits the owner's
schema, Walmart's feed carries every SKU once at its figure, and an answer that echoes a request refuses
nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from crossdock.core.stock.models import StockLevel
from crossdock.mappings import amazon_stock, bigcommerce_stock, ebay_stock, walmart_stock, woocommerce_stock
from tests.conftest import CASES
from tests.golden import assert_golden
from tests.openapi import AMAZON

LEVELS = [
    StockLevel(sku="MUG-RED", available=12, ids={"product_id": "41", "variant_id": "410", "offer_id": "9001"}),
    StockLevel(sku="TEE-M", available=0, ids={"product_id": "50", "variation_id": "52", "item_id": "110052"}),
    StockLevel(sku="CAP & <HAT>", available=-3, ids={"product_type": "HAT", "item_id": "1107", "variation_sku": "C&H"}),
]
FEED_SCHEMA = Draft7Validator(json.loads((AMAZON / "listings-feed-schema-v2.json").read_text()))
NS = ebay_stock.NS
# What a catalogue may hold: any text XML 1.0 can carry (no control characters, no surrogates), never empty.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t.strip())


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def test_the_request_bodies_golden() -> None:
    channels = CASES / "channels"
    planned = woocommerce_stock.plan(LEVELS)
    assert planned.missing == ["CAP & <HAT>"]
    woo = {
        "products": woocommerce_stock.batch_body(planned.products, planned.quantities),
        "variations of 50": woocommerce_stock.batch_body(planned.variations[50], planned.quantities),
    }
    assert_golden(channels / "woocommerce" / "stock_batch.json", _json(woo))
    items = [found for level in LEVELS if (found := bigcommerce_stock.item(level, 1)) is not None]
    assert_golden(channels / "bigcommerce" / "stock_adjustment.json", _json(bigcommerce_stock.adjustment(items, "P-9")))
    assert_golden(channels / "amazon" / "stock_patch.json", _json(amazon_stock.patch_body(LEVELS[2], "PRODUCT")))
    feed = json.loads(amazon_stock.feed(LEVELS, "A2MERCHANT7", "PRODUCT"))
    assert list(FEED_SCHEMA.iter_errors(feed)) == []
    assert_golden(channels / "amazon" / "stock_listings_feed.json", _json(feed))
    assert_golden(channels / "walmart" / "stock_update.json", _json(walmart_stock.update_body(LEVELS[0])))
    assert_golden(channels / "walmart" / "stock_inventory_feed.json", _json(json.loads(walmart_stock.feed(LEVELS))))
    assert_golden(channels / "ebay" / "stock_bulk.json", _json(ebay_stock.bulk_body(LEVELS[:1])))
    trading = [level for level in LEVELS if ebay_stock.by_trading(level)]
    assert [level.sku for level in trading] == ["TEE-M", "CAP & <HAT>"]
    assert_golden(channels / "ebay" / "stock_revise.xml", ebay_stock.revise_request(trading) + b"\n")


def _echo(request: bytes) -> bytes:
    """eBay's answer to a request it took whole: each InventoryStatus back."""
    root = ET.fromstring(request)
    statuses = "".join(ET.tostring(s, encoding="unicode") for s in root.findall(f"{NS}InventoryStatus"))
    answer = f'<ReviseInventoryStatusResponse xmlns="urn:ebay:apis:eBLBaseComponents"><Ack>Success</Ack>{statuses}'
    return (answer + "</ReviseInventoryStatusResponse>").encode()


@given(
    st.lists(
        st.tuples(TEXT, TEXT, st.one_of(st.none(), TEXT), st.integers(-10, 10**6)),
        min_size=1,
        max_size=ebay_stock.MAX_REVISE,
        unique_by=lambda x: x[1],
    )
)
def test_the_trading_request_reads_back_as_sent_whatever_the_ids(rows: list[tuple[str, str, str | None, int]]) -> None:
    levels = [
        StockLevel(sku=sku, available=n, ids={"item_id": item, **({"variation_sku": v} if v else {})})
        for sku, item, v, n in rows
    ]
    request = ebay_stock.revise_request(levels)
    root = ET.fromstring(request)
    read = [
        (s.findtext(f"{NS}ItemID"), s.findtext(f"{NS}SKU"), s.findtext(f"{NS}Quantity"))
        for s in root.findall(f"{NS}InventoryStatus")
    ]
    assert read == [(item, v, str(max(0, n))) for _, item, v, n in rows]
    assert ebay_stock.revise_answer(_echo(request), levels).refused == {}


@given(st.lists(st.tuples(TEXT, st.integers(-5, 10**9), st.one_of(st.none(), TEXT)), min_size=1, max_size=30))
def test_the_amazon_feed_fits_the_owners_schema(rows: list[tuple[str, int, str | None]]) -> None:
    levels = [StockLevel(sku=sku, available=n, ids={"product_type": t} if t else {}) for sku, n, t in rows]
    feed = json.loads(amazon_stock.feed(levels, "A2MERCHANT7", "PRODUCT"))
    assert list(FEED_SCHEMA.iter_errors(feed)) == []
    quantities = [m["patches"][0]["value"][0]["quantity"] for m in feed["messages"]]
    assert quantities == [max(0, n) for _, n, _ in rows]


@given(st.lists(st.tuples(TEXT, st.integers(-5, 10**9)), min_size=1, max_size=30, unique_by=lambda x: x[0]))
def test_the_walmart_feed_carries_each_sku_at_its_figure(rows: list[tuple[str, int]]) -> None:
    levels = [StockLevel(sku=sku, available=n) for sku, n in rows]
    feed = json.loads(walmart_stock.feed(levels))
    assert {i["sku"]: i["quantity"]["amount"] for i in feed["Inventory"]} == {s: max(0, n) for s, n in rows}
    for level in levels:  # an answer echoing the update (as a number or its text) refuses nothing
        body = walmart_stock.update_body(level)
        assert walmart_stock.refusal(level, body) is None
        text = {**body, "quantity": {"unit": "EACH", "amount": f"{max(0, level.available)}.0"}}
        assert walmart_stock.refusal(level, text) is None


@given(st.lists(st.tuples(TEXT, st.integers(1, 10**9), st.integers(-5, 1000)), min_size=1, max_size=25))
def test_a_woocommerce_answer_echoing_the_batch_refuses_nothing(rows: list[tuple[str, int, int]]) -> None:
    levels = [
        StockLevel(sku=f"{n}-{sku}", available=q, ids={"product_id": str(i)}) for n, (sku, i, q) in enumerate(rows)
    ]
    planned = woocommerce_stock.plan(levels)
    body = woocommerce_stock.batch_body(planned.products, planned.quantities)
    answer = httpx.Response(200, json={"update": body["update"]}).json()
    assert woocommerce_stock.refusals(answer, planned.products) == {}
    assert all(item["stock_quantity"] >= 0 and item["manage_stock"] is True for item in body["update"])
