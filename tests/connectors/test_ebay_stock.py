"""Stock to eBay (respx): Inventory API listings (an offer id, or none) by ``bulk_update_price_quantity``, 25 SKUs
a call; listings made elsewhere (an item id alone) by the Trading API's ``ReviseInventoryStatus``, 4 a call, paced;
a 429, or the Trading API's call-limit error, waited out mid-push; a SKU refused inside a 200/207 answer named.
eBay's inventory and Trading schemas are not among the fixtures (eBay's API licence): the bodies and answers
follow eBay's documented fields (``channel-lifecycle.md`` §5, the pages named there)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import respx

from crossdock.connectors import ebay_stock
from crossdock.connectors.ebay_config import EbaySourceConfig
from crossdock.connectors.ebay_sink import EbaySink
from crossdock.core.stock.models import StockLevel, StockSent
from tests.connectors.stock import Clock, as_push, levels
from tests.connectors.test_ebay import API, TOKEN, config, fresh_caches, token_answer

__all__ = ["config", "fresh_caches"]  # the fixtures, shared with test_ebay
BULK = f"{API}/sell/inventory/v1/bulk_update_price_quantity"
TRADING = f"{API}/ws/api.dll"
NS = "{urn:ebay:apis:eBLBaseComponents}"


def bulk_answer(request: httpx.Request, refuse: frozenset[str] = frozenset()) -> httpx.Response:
    """eBay's answer: a response per SKU (and offer), 207 when any is refused."""
    responses: list[dict[str, Any]] = []
    for item in json.loads(request.content)["requests"]:
        found: dict[str, Any] = {"sku": item["sku"], "statusCode": 200}
        if item["sku"] in refuse:
            error = {"errorId": 25001, "message": "A system error has occurred.", "longMessage": "Invalid SKU"}
            found.update(statusCode=400, errors=[error])
        responses.append(found)
    return httpx.Response(207 if refuse else 200, json={"responses": responses})


def revised(request: httpx.Request, fail: frozenset[str] = frozenset(), code: str = "21916") -> httpx.Response:
    """The Trading answer: each listing revised back as an InventoryStatus, or an error for an item in ``fail``."""
    root = ET.fromstring(request.content)
    statuses = [
        (s.findtext(f"{NS}ItemID") or "", s.findtext(f"{NS}SKU") or "", s.findtext(f"{NS}Quantity") or "")
        for s in root.findall(f"{NS}InventoryStatus")
    ]
    done = "".join(
        f"<InventoryStatus><ItemID>{i}</ItemID>{f'<SKU>{s}</SKU>' if s else ''}<Quantity>{q}</Quantity>"
        "</InventoryStatus>"
        for i, s, q in statuses
        if i not in fail
    )
    errors = "".join(
        f"<Errors><ShortMessage>Invalid item</ShortMessage><LongMessage>Item {i} is not yours</LongMessage>"
        f"<ErrorCode>{code}</ErrorCode><SeverityCode>Error</SeverityCode>"
        f"<ErrorClassification>RequestError</ErrorClassification></Errors>"
        for i, _, _ in statuses
        if i in fail
    )
    ack = "Success" if not errors else ("Failure" if not done else "PartialFailure")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><ReviseInventoryStatusResponse xmlns="urn:ebay:apis:eBLBaseComponents">'
        f"<Ack>{ack}</Ack>{errors}{done}</ReviseInventoryStatusResponse>"
    )
    return httpx.Response(200, content=body.encode(), headers={"Content-Type": "text/xml"})


def trading_levels(count: int) -> list[StockLevel]:
    return [StockLevel(sku=f"OLD-{n}", available=n, ids={"item_id": f"11000{n}"}) for n in range(1, count + 1)]


def test_each_listing_goes_through_its_own_api_in_batches(config: EbaySourceConfig) -> None:
    found = [
        *levels(26, offer_id="90{n}"),
        StockLevel(sku="BARE", available=2),
        *trading_levels(4),
        StockLevel(sku="TEE-M", available=7, ids={"item_id": "120", "variation_sku": "TEE-M-EBAY"}),
    ]
    with respx.mock(assert_all_called=True) as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        bulk = mock.post(BULK).mock(side_effect=bulk_answer)
        trading = mock.post(TRADING).mock(side_effect=revised)
        said = EbaySink("ebay", config).send(as_push("ebay", found))
    sent = [json.loads(call.request.content)["requests"] for call in bulk.calls]
    assert [len(batch) for batch in sent] == [25, 2]
    assert sent[0][0] == {
        "sku": "SKU-0001",
        "shipToLocationAvailability": {"quantity": 1},
        "offers": [{"offerId": "901", "availableQuantity": 1}],
    }
    assert sent[1][1] == {"sku": "BARE", "shipToLocationAvailability": {"quantity": 2}}
    assert trading.call_count == 2
    first = trading.calls[0].request
    assert first.headers["X-EBAY-API-CALL-NAME"] == "ReviseInventoryStatus"
    assert first.headers["X-EBAY-API-SITEID"] == "0" and first.headers["X-EBAY-API-IAF-TOKEN"]
    assert len(ET.fromstring(first.content).findall(f"{NS}InventoryStatus")) == 4
    last = ET.fromstring(trading.calls[1].request.content).find(f"{NS}InventoryStatus")
    assert last is not None and [(x.tag[len(NS) :], x.text) for x in last] == [
        ("ItemID", "120"),
        ("SKU", "TEE-M-EBAY"),
        ("Quantity", "7"),
    ]
    assert "32 of 32 levels set" in said


def test_trading_calls_are_paced(config: EbaySourceConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    monkeypatch.setattr(ebay_stock, "TRADING_RATE", (2.0, 1))
    with respx.mock() as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        trading = mock.post(TRADING).mock(side_effect=revised)
        EbaySink("ebay", config).send(as_push("ebay", trading_levels(12)))
    assert trading.call_count == 3
    assert clock.slept == [0.5, 0.5]


def test_a_429_and_the_call_limit_error_are_waited_out_mid_push(
    config: EbaySourceConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    throttled = httpx.Response(429, json={"errors": [{"errorId": 2001, "message": "Too many requests"}]})
    throttled.headers["Retry-After"] = "2"
    with respx.mock() as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        bulk = mock.post(BULK)
        bulk.side_effect = [bulk_answer, throttled, bulk_answer]
        trading = mock.post(TRADING)
        trading.side_effect = [lambda r: revised(r, fail=frozenset({"110001"}), code="518"), revised]
        said = EbaySink("ebay", config).send(as_push("ebay", [*levels(30), *trading_levels(2)]))
    assert bulk.call_count == 3 and trading.call_count == 2
    assert clock.slept == [2.0, 15.0]
    assert "32 of 32 levels set" in said


def test_skus_refused_inside_a_2xx_answer_are_named(config: EbaySourceConfig) -> None:
    with respx.mock() as mock:
        mock.post(TOKEN).mock(side_effect=token_answer)
        mock.post(BULK).mock(side_effect=lambda r: bulk_answer(r, refuse=frozenset({"SKU-0002"})))
        mock.post(TRADING).mock(side_effect=lambda r: revised(r, fail=frozenset({"110002"})))
        said = EbaySink("ebay", config).send(as_push("ebay", [*levels(3), *trading_levels(3)]))
    assert isinstance(said, StockSent) and sorted(said.refused) == ["OLD-2", "SKU-0002"]
    assert "4 of 6 levels set" in said and "2 refused" in said
    assert "SKU-0002: 400: 25001 Invalid SKU" in said
    assert "OLD-2: Ack PartialFailure: 21916 Item 110002 is not yours" in said


def test_an_answer_declaring_a_dtd_is_not_read() -> None:
    found = ebay_stock.mapping.revise_answer(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', trading_levels(1))
    assert found.refused == {"OLD-1": ("the answer declares a DTD: not read", False)}
