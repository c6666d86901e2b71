"""A SKU a channel refuses is recorded per SKU and alerted once; the channel's other SKUs keep being pushed, and a
later, different figure for the refused SKU tries it again."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from crossdock.core.hub import Hub
from crossdock.core.stock.ledger import Figure, record_figures
from crossdock.core.stock.models import StockSent
from crossdock.core.stock.push import push
from crossdock.core.storage.schema import deliveries, stock_told
from tests.hub.conftest import run, write_config
from tests.hub.test_stock_push import stock_config

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


class Refusing:
    """A channel that refuses the SKUs in ``bad`` (as the stock sinks answer: done, with those SKUs refused)."""

    def __init__(self, bad: set[str]) -> None:
        self.bad = bad
        self.pushes: list[dict[str, int]] = []

    def send(self, document: Any) -> str:
        levels = {lv["sku"]: lv["available"] for lv in json.loads(document.data)["levels"]}
        self.pushes.append(levels)
        refused = {sku: "8541: the SKU is not listed" for sku in levels if sku in self.bad}
        return StockSent(f"{len(levels) - len(refused)} set", refused=refused)

    def close(self) -> None:
        pass


def config(tmp_path: Path, store_url: str) -> dict[str, Any]:
    data = stock_config(tmp_path, store_url)
    data["sinks"]["ops"] = {"type": "folder", "path": str(tmp_path / "ops")}
    data["alerts"] = {"sink": "ops"}
    return data


@pytest.fixture
def shop(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    h = Hub(write_config(tmp_path, config(tmp_path, store_url)))
    yield h
    h.close()


def _figures(hub: Hub, at: int, **on_hand: int) -> None:
    with hub.store.transaction() as conn:
        record_figures(
            conn, [Figure(sku, "main", qty, T0 + dt.timedelta(hours=at), "t") for sku, qty in on_hand.items()]
        )


def _told(hub: Hub) -> dict[str, tuple[Any, ...]]:
    with hub.store.engine.connect() as conn:
        rows = conn.execute(select(stock_told).where(stock_told.c.channel == "shop")).all()
    return {r.sku: (r.told, r.queued, r.refused, r.refused_said) for r in rows}


def _states(hub: Hub, purpose: str) -> list[str]:
    with hub.store.engine.connect() as conn:
        query = select(deliveries.c.state).where(deliveries.c.purpose == purpose).order_by(deliveries.c.id)
        return list(conn.execute(query).scalars())


def test_a_refused_sku_is_recorded_alerted_once_and_never_stops_the_other_skus(shop: Hub) -> None:
    channel = Refusing({"MUG-RED"})
    shop._sinks["shop"] = channel  # type: ignore[assignment]
    _figures(shop, 0, **{"MUG-BLU": 10, "MUG-RED": 5})
    push(shop)
    shop.dispatcher().drain()
    assert _states(shop, "stock") == ["sent"]  # the push is done: MUG-BLU was set
    push(shop)  # settles what was sent
    assert _told(shop) == {
        "MUG-BLU": (8, None, None, None),
        "MUG-RED": (None, None, 3, "8541: the SKU is not listed"),  # refused, never passed for told
    }
    assert _states(shop, "alert") == ["sent"]
    for hour, blu in ((1, 9), (2, 7)):  # later pushes carry MUG-BLU alone, and all are sent
        _figures(shop, hour, **{"MUG-BLU": blu})
        push(shop)
        shop.dispatcher().drain()
    assert channel.pushes[1:] == [{"MUG-BLU": 7}, {"MUG-BLU": 5}]
    assert _states(shop, "stock") == ["sent", "sent", "sent"]
    assert len(_states(shop, "alert")) == 1  # one alert for the SKU, not one a push


def test_a_later_different_figure_tries_the_refused_sku_again(shop: Hub) -> None:
    channel = Refusing({"MUG-RED"})
    shop._sinks["shop"] = channel  # type: ignore[assignment]
    _figures(shop, 0, **{"MUG-BLU": 10, "MUG-RED": 5})
    push(shop)
    shop.dispatcher().drain()
    channel.bad.clear()  # the listing was fixed on the channel
    _figures(shop, 1, **{"MUG-RED": 6})
    push(shop)
    shop.dispatcher().drain()
    assert channel.pushes[-1] == {"MUG-RED": 4}
    push(shop)
    assert _told(shop)["MUG-RED"] == (4, None, None, None)


def test_stock_show_names_the_refusal(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    data = config(tmp_path, store_url)
    hub = Hub(write_config(tmp_path, data))
    hub._sinks["shop"] = Refusing({"MUG-RED"})  # type: ignore[assignment]
    _figures(hub, 0, **{"MUG-RED": 5})
    push(hub)
    hub.dispatcher().drain()
    hub.close()
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out, _ = run(capsys, "stock", "show", "-c", str(path), "MUG-RED")
    assert code == 0
    assert "shop: available 3; never told" in out
    assert "refused 3 (refused since" in out and "8541: the SKU is not listed" in out


class Feeding:
    """A channel that takes pushes as feeds processed later: each look at a feed answers the next of ``looks``."""

    def __init__(self, looks: list[StockSent]) -> None:
        self.looks = looks
        self.checked: list[dict[str, Any]] = []

    def send(self, document: Any) -> str:
        if document.purpose == "stock":
            return StockSent("submitted", feeds=["F-1"])
        self.checked.append(json.loads(document.data))
        return self.looks.pop(0)

    def close(self) -> None:
        pass


def _due(hub: Hub) -> None:
    from sqlalchemy import update

    with hub.store.transaction() as conn:
        conn.execute(update(deliveries).where(deliveries.c.state == "pending").values(next_attempt_at=T0))


def test_a_feed_is_looked_at_later_until_its_report_refuses_a_sku(shop: Hub) -> None:
    channel = Feeding([StockSent("IN_PROGRESS", feeds=["F-1"]), StockSent("DONE", refused={"MUG-RED": "not listed"})])
    shop._sinks["shop"] = channel  # type: ignore[assignment]
    _figures(shop, 0, **{"MUG-BLU": 10, "MUG-RED": 5})
    push(shop)
    shop.dispatcher().drain()
    assert _states(shop, "stock-check") == ["pending"] and channel.checked == []  # not due for five minutes
    _due(shop)
    shop.dispatcher().drain()
    assert _states(shop, "stock-check") == ["sent", "pending"]  # still processing: looked at again later
    _due(shop)
    shop.dispatcher().drain()
    assert [c["feed_id"] for c in channel.checked] == ["F-1", "F-1"]
    assert channel.checked[0]["levels"] == {"MUG-BLU": 8, "MUG-RED": 3}
    push(shop)
    told = _told(shop)
    assert told["MUG-RED"][2:] == (3, "not listed") and told["MUG-BLU"] == (8, None, None, None)
    assert len(_states(shop, "alert")) == 1


def test_skus_a_feed_did_not_set_for_the_channel_s_own_reasons_are_pushed_again(shop: Hub) -> None:
    channel = Feeding([StockSent("CANCELLED", retry=["MUG-BLU"])])
    shop._sinks["shop"] = channel  # type: ignore[assignment]
    _figures(shop, 0, **{"MUG-BLU": 10, "MUG-RED": 5})
    push(shop)
    shop.dispatcher().drain()
    _due(shop)
    shop.dispatcher().drain()
    (again,) = push(shop)
    assert [(lv.sku, lv.available) for lv in again.levels] == [("MUG-BLU", 8)]


def test_retry_refused_pushes_a_refused_sku_again_with_its_figure_unchanged(shop: Hub) -> None:
    channel = Refusing({"MUG-RED"})
    shop._sinks["shop"] = channel  # type: ignore[assignment]
    _figures(shop, 0, **{"MUG-BLU": 10, "MUG-RED": 5})
    push(shop)
    shop.dispatcher().drain()
    assert push(shop)[0].levels == []  # nothing changed, and MUG-RED stays refused
    channel.bad.clear()  # the catalogue or the listing was fixed
    (dry,) = push(shop, dry_run=True, retry_refused=True)
    assert [(lv.sku, lv.available) for lv in dry.levels] == [("MUG-RED", 3)]
    push(shop, retry_refused=True)
    shop.dispatcher().drain()
    assert channel.pushes[-1] == {"MUG-RED": 3}
    push(shop)
    assert _told(shop)["MUG-RED"] == (3, None, None, None)
