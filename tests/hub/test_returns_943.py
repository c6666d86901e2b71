"""A 3PL whose destination says ``returns_as: "943"`` hears of a return by a 943, not a 180: a Shopify return is
announced by one (valid by crossdock's own 943 spec), and the 944 answering it, naming the return only by the W1704
echo of the 943's W0602, restocks the sellable unit and refunds; an EDI buyer's return of a split order reaches the
3PL with the 3PL's own lines only, and its cancel goes as the same 943 with W0612 ``G``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crossdock.core.configuration.yaml_text import ConfigProblems
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.stock.ledger import on_hand
from crossdock.mappings.x12.envelope import TransactionSet
from crossdock.mappings.x12.reader import parse
from crossdock.mappings.x12.validator import status, validate
from tests.fakeapi import FakeApi
from tests.hub.channels import channel_hub, drain
from tests.hub.conftest import base_config, receive, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_e2e_returns import SKU, ReturningShop, hub_config, shop, shopify_return
from tests.hub.test_return_edges import RETURNED, SKUS, files, return_180
from tests.hub.test_shopify_flow import ENVIRONMENT, example

__all__ = ["shop"]  # the fixture of the fake shop, taken from the module that defines it


def the_set(data: bytes) -> TransactionSet:
    (ic,) = parse(data)
    (ts,) = ic.groups[0].transactions
    assert [str(e) for e in validate(ts) if e.is_error] == []
    assert status(ts) == "accepted"
    return ts


def elements(ts: TransactionSet, sid: str) -> list[list[str]]:
    return [list(s.elements[1:]) for s in ts.segments if s.id == sid]


def test_a_3pl_that_takes_943s_gets_one_and_its_944_echoing_the_rma_restocks_and_refunds(
    tmp_path: Path, store_url: str, shop: tuple[ReturningShop, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = shop
    cfg = hub_config(tmp_path, store_url, api.url, "on_receipt")
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl-acks"}
    cfg["sinks"]["3pl-acks"] = {"type": "folder", "path": str(tmp_path / "3pl-acks")}
    cfg["sinks"]["3pl"] = {
        "type": "folder", "path": str(tmp_path / "3pl"), "format": "x12-940", "partner": "acme3pl",
        "depositor": "CROSSDOCK", "returns_as": "943",
    }  # fmt: skip
    cfg["routing"] = {"default": "3pl"}
    with channel_hub(tmp_path, cfg, monkeypatch, ENVIRONMENT) as hub:
        placed = example(903, "2026-11-22T08:00:00Z", displayFinancialStatus="PAID")
        placed["lineItems"]["nodes"][0].update(quantity=3, currentQuantity=3)
        fake.add(placed)
        poll(hub, "shop", "me")
        drain(hub)
        (sent,) = (tmp_path / "3pl").glob("*940*.edi")
        order_940 = the_set(sent.read_bytes())  # Shopify's own VARIANT id is no X12 qualifier: left out of W01
        w01s = elements(order_940, "W01")
        assert ["SK", SKU] in [e[3:5] for e in w01s]
        assert all(e[3] == "SK" and len(e) <= 5 for e in w01s), w01s
        fake.returns[903] = [shopify_return(903, 9030, 2)]
        fake.orders[903].update(returnStatus="IN_PROGRESS", updatedAt="2026-11-25T08:00:00Z")
        poll(hub, "shop", "me")
        drain(hub)
        assert list((tmp_path / "3pl").glob("*-180-*.edi")) == []
        (notice,) = (tmp_path / "3pl").glob("acme3pl-943-*.edi")
        ts = the_set(notice.read_bytes())
        (w06,) = elements(ts, "W06")
        assert (w06[0], w06[1], w06[5]) == ("C", "#903-R1", "#903")
        assert [e[:5] for e in elements(ts, "W04")] == [["2", "EA", "", "SK", SKU]]
        assert ["ST", "ACME3PL"] in [[e[0], e[3]] for e in elements(ts, "N1") if len(e) > 3]

        receipt_944 = (
            "ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*CROSSDOCK      *261127*1400*U*00401*000000031*0*P*>~"
            "GS*RE*ACME3PL*CROSSDOCK*20261127*1400*31*X*004010~"
            f"ST*944*0001~W17*C*20261127*R-100*{w06[1]}~N1*WH*ACME~"
            f"W07*2*EA**SK*{SKU}~W13*1*EA*01~W14*2~SE*7*0001~GE*1*31~IEA*1*000000031~"
        )
        (tmp_path / "drop" / "receipt.edi").write_text(receipt_944)
        got = poll(hub, "drop", "me").processed
        assert [p.error for p in got] == [None]
        drain(hub)
        with hub.store.transaction() as conn:
            assert on_hand(conn, [SKU]) == {(SKU, "acme3pl"): 1}
        (refund,) = fake.refunds
        assert [(x["lineItemId"], x["quantity"]) for x in refund["refundLineItems"]] == [
            ("gid://shopify/LineItem/9030", 2)
        ]


@pytest.fixture
def hub_943(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    """An order split three ways (the 3PL taking 943s gets the mugs), as in ``test_return_edges``."""
    cfg = base_config(tmp_path, store_url)
    cfg["partners"]["northwind"]["send_855"] = False
    cfg["partners"]["acme3pl"] = {"isa_qualifier": "ZZ", "isa_id": "ACME3PL", "reply_to": "3pl"}
    cfg["sinks"]["3pl"] = {
        "type": "folder", "path": str(tmp_path / "3pl"), "format": "x12-940", "partner": "acme3pl",
        "depositor": "CROSSDOCK", "returns_as": "943",
    }  # fmt: skip
    cfg["sinks"]["import"] = {"type": "folder", "path": str(tmp_path / "import"), "format": "json"}
    cfg["routing"] = {
        "rules": [
            {"match": {"sku": ["MUG-*"]}, "to": "3pl", "split": True},
            {"match": {"sku": ["KTL-*", "BOX-*"]}, "to": "import", "split": True},
        ],
        "default": "west",
    }
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def test_a_split_orders_return_reaches_the_943_3pl_with_its_own_lines_and_its_cancel_as_w0612_g(
    hub_943: Hub, tmp_path: Path
) -> None:
    hub = hub_943
    receive(hub, interchange([order("PO-1", skus=SKUS, qty=5)]))
    assert hub.dispatcher("test").drain().dead == 0
    receive(hub, return_180(2, lines=RETURNED), "return.edi")
    receive(hub, return_180(3, purpose="01", lines=RETURNED), "return-cancelled.edi")
    assert hub.dispatcher("test").drain().dead == 0

    assert files(tmp_path / "3pl", "*-180-*.edi") == []
    told, cancelled = (the_set(p.read_bytes()) for p in files(tmp_path / "3pl", "*-943-*.edi"))
    for ts in (told, cancelled):
        assert [e[:5] for e in elements(ts, "W04")] == [["1", "EA", "", "SK", "MUG-BLU"]], "the 3PL's line alone"
        assert elements(ts, "W03") == [["1"]]
    (w06,) = elements(told, "W06")
    assert w06[:2] == ["C", "RA-1"] and len(w06) < 12
    (w06,) = elements(cancelled, "W06")
    assert (w06[1], w06[11]) == ("RA-1", "G")


def test_returns_as_is_a_setting_of_a_940_destination_only_and_180_by_default(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url)
    cfg["sinks"]["import"] = {"type": "folder", "path": str(tmp_path / "import"), "format": "json", "returns_as": "943"}
    with pytest.raises(ConfigProblems, match="returns_as is a setting of format x12-940"):
        write_config(tmp_path, cfg)
    cfg["sinks"]["import"] = {
        "type": "folder",
        "path": str(tmp_path / "3pl"),
        "format": "x12-940",
        "partner": "northwind",
    }
    h = Hub(write_config(tmp_path, cfg))
    try:
        assert h.config.sinks["import"].returns_as == "180"
    finally:
        h.close()
