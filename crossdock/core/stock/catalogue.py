"""The catalogue: which SKUs each sales channel sells, and the channel's own ids for them (Shopify's inventory
item and location, WooCommerce's product or variation, BigCommerce's product or variant, Amazon's seller SKU,
Walmart's SKU, eBay's offer or item), from ``stock.items`` and the ``stock.catalogue`` CSV. A channel is told
only about the SKUs it has a row for."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from crossdock.core.configuration.blocks import CHANNELS
from crossdock.core.errors import ConfigError

ID_NAMES = (  # as the channels' sinks read them from ``StockLevel.ids`` (mappings/<channel>_stock.py)
    "inventory_item_id",  # Shopify, with location_id
    "location_id",  # Shopify, BigCommerce: where the figure is set (else the channel's stock.location_id)
    "product_id",  # WooCommerce (with variation_id), BigCommerce (with variant_id)
    "variation_id",
    "variant_id",
    "product_type",  # Amazon (default: the source's stock_product_type)
    "offer_id",  # eBay: an Inventory API offer; else item_id (with variation_sku) for a Trading listing
    "item_id",
    "variation_sku",
)
# the ids a channel's push needs, any one of each group (Amazon and Walmart take the SKU itself)
NEEDED: dict[str, tuple[str, ...]] = {
    "shopify": ("inventory_item_id",),
    "woocommerce": ("product_id", "variation_id"),
    "bigcommerce": (),  # else the SKU itself
    "ebay": (),  # a bare SKU is an Inventory API SKU
    "amazon": (),
    "walmart": (),
}
MAX_CATALOGUE = 200_000_000  # bytes of the CSV: a million rows with room to spare
MAX_ID = 256


@dataclass
class Catalogue:
    """SKU -> channel -> the channel's ids; ``problems`` are (where, what) found while reading."""

    ids: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    problems: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)

    def add(self, sku: str, channel: str, ids: dict[str, str], where: tuple[str | int, ...]) -> None:
        held = self.ids.setdefault(sku, {})
        if channel in held:
            self.problems.append((where, f"SKU {sku!r} is catalogued twice for channel {channel!r}"))
        held[channel] = ids

    def by_channel(self) -> dict[str, dict[str, dict[str, str]]]:
        """channel -> SKU -> ids: what each channel sells."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for sku, channels in self.ids.items():
            for channel, ids in channels.items():
                out.setdefault(channel, {})[sku] = ids
        return out

    def for_channel(self, channel: str) -> dict[str, dict[str, str]]:
        """SKU -> ids of every SKU the channel sells."""
        return {sku: channels[channel] for sku, channels in self.ids.items() if channel in channels}


# the last catalogue read, by config and file version; the config is held too, so its id is not reused meanwhile
_LOADED: dict[tuple[int, str, int, int], tuple[Any, Catalogue]] = {}


def load(config: Any) -> Catalogue:
    """The catalogue of ``config`` (a ``Config``): inline items first, then the CSV's rows. Kept while the
    configuration and the file are the same: the oversell guard asks for it with every order recorded."""
    path = config.stock.catalogue
    try:
        stat = os.stat(path) if path is not None else None
    except OSError:
        stat = None
    key = (id(config), str(path), stat.st_mtime_ns if stat else 0, stat.st_size if stat else -1)
    held = _LOADED.get(key)
    if held is not None:
        return held[1]
    found = _read(config)
    _LOADED.clear()
    _LOADED[key] = (config, found)
    return found


def _read(config: Any) -> Catalogue:
    catalogue = Catalogue()
    for sku, channels in config.stock.items.items():
        for channel, ids in channels.items():
            catalogue.add(sku, channel, dict(ids), ("stock", "items", sku, channel))
    path = config.stock.catalogue
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_CATALOGUE + 1)
        except OSError as exc:
            raise ConfigError(f"stock catalogue {path}: cannot read it: {exc.strerror}") from None
        if len(data) > MAX_CATALOGUE:
            raise ConfigError(f"stock catalogue {path}: more than {MAX_CATALOGUE} bytes")
        for row_number, sku, channel, ids in _rows(data, str(path)):
            catalogue.add(sku, channel, ids, ("stock", "catalogue", f"row {row_number}"))
    return catalogue


def _rows(data: bytes, name: str) -> Iterator[tuple[int, str, str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace"), newline=""))
    headers = reader.fieldnames or []
    if "sku" not in headers or "channel" not in headers:
        raise ConfigError(f"stock catalogue {name}: the header row needs sku and channel, has {headers[:20]}")
    unknown = [h for h in headers if h not in ("sku", "channel", *ID_NAMES)]
    if unknown:
        raise ConfigError(f"stock catalogue {name}: unknown column(s) {unknown[:10]}; ids are {', '.join(ID_NAMES)}")
    try:
        for number, row in enumerate(reader, start=2):
            sku, channel = (row.get("sku") or "").strip(), (row.get("channel") or "").strip()
            if not sku or not channel or len(sku) > 128 or len(channel) > 64:
                raise ConfigError(f"stock catalogue {name}: row {number}: sku and channel are needed (128/64 at most)")
            ids = {k: v.strip() for k, v in row.items() if k in ID_NAMES and v and v.strip()}
            if any(len(v) > MAX_ID for v in ids.values()):
                raise ConfigError(f"stock catalogue {name}: row {number}: an id longer than {MAX_ID} characters")
            yield number, sku, channel, ids
    except csv.Error as exc:
        raise ConfigError(f"stock catalogue {name}: not CSV ({exc})") from None


def pushing(config: Any) -> dict[str, Any]:
    """The channels that are told about stock: channel name -> its source block."""
    return {
        name: source
        for name, source in config.sources.items()
        if source.type in CHANNELS and getattr(source, "stock", None) is not None and source.stock.push
    }


def problems(config: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """What ``crossdock check`` reports of the catalogue: unknown channels, SKUs catalogued twice for a channel
    or two SKUs on one channel id, and ids missing for a channel that pushes."""
    try:
        catalogue = load(config)
    except ConfigError as exc:
        return [(("stock", "catalogue"), str(exc))]
    found = list(catalogue.problems)
    for name, source in config.stock.sources.items():
        for kind in ("shipbob", "odoo"):
            named = getattr(source, kind)
            api = config.sinks.get(named) or config.sources.get(named) if named else None
            if named and getattr(api, "type", None) != kind:
                found.append((("stock", "sources", name, kind), f"no {kind} sink or source named {named!r}"))
    for sink in config.stock.ships_from:
        if sink not in config.sinks and sink not in config.sources:
            found.append((("stock", "ships_from", sink), f"no destination (sink) named {sink!r}"))
    channels = {name for name, s in config.sources.items() if s.type in CHANNELS}
    push = pushing(config)
    seen: dict[tuple[str, str, str], str] = {}
    for sku, by_channel in catalogue.ids.items():
        for channel, ids in by_channel.items():
            where = ("stock", "catalogue" if config.stock.catalogue else "items", sku, channel)
            if channel not in channels:
                found.append((where, f"SKU {sku!r}: no sales channel named {channel!r} among the sources"))
                continue
            needed = NEEDED.get(config.sources[channel].type, ())
            if channel in push and needed and not any(ids.get(n) for n in needed):
                found.append((where, f"SKU {sku!r} on {channel}: needs one of {', '.join(needed)}"))
            for name in needed:
                if ids.get(name):
                    other = seen.setdefault((channel, name, ids[name]), sku)
                    if other != sku:
                        found.append((where, f"SKUs {other!r} and {sku!r} share {channel} {name} {ids[name]!r}"))
    return found
