"""The catalogue from config and CSV, and what crossdock check says of it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crossdock.core.configuration.check import check_config
from crossdock.core.stock.catalogue import load
from tests.hub.conftest import base_config, write_config


def _config(tmp_path: Path, csv_text: str | None = None, **items: dict[str, dict[str, str]]) -> dict[str, object]:
    data = base_config(tmp_path, f"sqlite:///{tmp_path}/c.db")
    data["sources"]["shop"] = {  # type: ignore[index]
        "type": "shopify",
        "url": "https://example.myshopify.com",
        "access_token": "${SHOPIFY_TOKEN}",
        "stock": {"buffer": "10%"},
    }
    stock: dict[str, object] = {"items": items}
    if csv_text is not None:
        (tmp_path / "catalogue.csv").write_text(csv_text)
        stock["catalogue"] = "catalogue.csv"
    data["stock"] = stock
    return data


def test_the_csv_and_the_inline_items_make_one_catalogue(tmp_path: Path) -> None:
    csv_text = "sku,channel,inventory_item_id,location_id\nMUG-RED,shop,gid://shopify/InventoryItem/12,gid://shopify/Location/2\n"
    config = write_config(tmp_path, _config(tmp_path, csv_text, **{"MUG-BLU": {"shop": {"inventory_item_id": "i11"}}}))
    catalogue = load(config)
    assert catalogue.for_channel("shop") == {
        "MUG-BLU": {"inventory_item_id": "i11"},
        "MUG-RED": {"inventory_item_id": "gid://shopify/InventoryItem/12", "location_id": "gid://shopify/Location/2"},
    }
    assert catalogue.problems == []


def test_check_reports_unknown_channels_skus_twice_shared_ids_and_missing_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    csv_text = (
        "sku,channel,inventory_item_id\n"
        "A,shop,i1\n"
        "A,shop,i9\n"  # A twice for shop
        "B,shop,i9\n"  # B on the inventory item A has last
        "C,shop,\n"  # no inventory item
        "D,nowhere,i4\n"  # no such channel
    )
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(_config(tmp_path, csv_text)))
    (tmp_path / "drop").mkdir()
    said = [p.message for p in check_config(path).problems]
    assert any("'A' is catalogued twice for channel 'shop'" in m for m in said), said
    assert any("share shop inventory_item_id 'i9'" in m for m in said), said
    assert any("'C' on shop: needs one of inventory_item_id" in m for m in said), said
    assert any("no sales channel named 'nowhere'" in m for m in said), said


def test_a_catalogue_with_an_unknown_column_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(_config(tmp_path, "sku,channel,colour\nA,shop,red\n")))
    (tmp_path / "drop").mkdir()
    said = [p.message for p in check_config(path).problems]
    assert any("unknown column(s) ['colour']" in m for m in said), said


def test_a_percentage_buffer_holds_back_that_share_of_what_is_free(tmp_path: Path) -> None:
    config = write_config(tmp_path, _config(tmp_path))
    stock = config.sources["shop"].stock  # type: ignore[union-attr]
    assert stock is not None
    assert (stock.held_back(50), stock.held_back(5), stock.held_back(0), stock.held_back(-3)) == (5, 1, 0, 0)


def test_check_reports_a_stock_source_naming_no_such_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_TOKEN", "shpat_" + "x" * 32)
    data = _config(tmp_path)
    data["stock"] = {"sources": {"bob": {"shipbob": "nowhere"}, "erp": {"odoo": "west"}}}
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "drop").mkdir()
    said = {p.path: p.message for p in check_config(path).problems}
    assert said["stock.sources.bob.shipbob"] == "no shipbob sink or source named 'nowhere'"
    assert said["stock.sources.erp.odoo"] == "no odoo sink or source named 'west'"  # west is a folder sink
