"""Connectors and mappings by name, imported on demand: the only way ``core`` reaches them.

A config block's ``type:`` names its connector class; a document kind names its mapping module. Importing
this module imports neither, so a configuration that uses only folders never loads paramiko.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crossdock.core.ports import Sink, Source

SOURCES = {
    "folder": "crossdock.connectors.folder:FolderSource",
    "sftp": "crossdock.connectors.sftp:SftpSource",
    "imap": "crossdock.connectors.imap:ImapSource",
    "shipbob": "crossdock.connectors.shipbob:ShipBobSource",
    "shopify": "crossdock.connectors.shopify:ShopifySource",
    "woocommerce": "crossdock.connectors.woocommerce:WooCommerceSource",
    "bigcommerce": "crossdock.connectors.bigcommerce:BigCommerceSource",
    "amazon": "crossdock.connectors.amazon:AmazonSource",
    "ebay": "crossdock.connectors.ebay:EbaySource",
    "walmart": "crossdock.connectors.walmart:WalmartSource",
}
CHANNEL_SINKS = {
    "shopify": "crossdock.connectors.shopify:ShopifySink",
    "woocommerce": "crossdock.connectors.woocommerce:WooCommerceSink",
    "bigcommerce": "crossdock.connectors.bigcommerce:BigCommerceSink",
    "amazon": "crossdock.connectors.amazon_sink:AmazonSink",
    "ebay": "crossdock.connectors.ebay_sink:EbaySink",
    "walmart": "crossdock.connectors.walmart_sink:WalmartSink",
}
# Sinks a source answers its partner through, named ``<prefix>:<source>``: prefix -> (source type, sink class).
ANSWER_SINKS = {"as2-mdn": ("as2", "crossdock.connectors.as2_mdn:As2MdnSink")}
SINKS = {
    "folder": "crossdock.connectors.folder:FolderSink",
    "sftp": "crossdock.connectors.sftp:SftpSink",
    "smtp": "crossdock.connectors.smtp:SmtpSink",
    "http": "crossdock.connectors.http:HttpSink",
    "as2": "crossdock.connectors.as2:As2Sink",
    "odoo": "crossdock.connectors.odoo:OdooSink",
    "shipbob": "crossdock.connectors.shipbob:ShipBobSink",
}


# Each connector's configuration block, by side and ``type:``: the connector owns the model, core collects it here.
SOURCE_CONFIGS = {
    "folder": "crossdock.connectors.folder_config:FolderSourceConfig",
    "sftp": "crossdock.connectors.sftp_config:SftpSourceConfig",
    "imap": "crossdock.connectors.imap_config:ImapSourceConfig",
    "http": "crossdock.connectors.http_config:HttpSourceConfig",
    "as2": "crossdock.connectors.as2_config:As2SourceConfig",
    "shipbob": "crossdock.connectors.shipbob_config:ShipBobSourceConfig",
    "shopify": "crossdock.connectors.shopify_config:ShopifySourceConfig",
    "woocommerce": "crossdock.connectors.woocommerce_config:WooCommerceSourceConfig",
    "bigcommerce": "crossdock.connectors.bigcommerce_config:BigCommerceSourceConfig",
    "amazon": "crossdock.connectors.amazon_config:AmazonSourceConfig",
    "ebay": "crossdock.connectors.ebay_config:EbaySourceConfig",
    "walmart": "crossdock.connectors.walmart_config:WalmartSourceConfig",
}
SINK_CONFIGS = {
    "folder": "crossdock.connectors.folder_config:FolderSinkConfig",
    "sftp": "crossdock.connectors.sftp_config:SftpSinkConfig",
    "smtp": "crossdock.connectors.smtp_config:SmtpSinkConfig",
    "http": "crossdock.connectors.http_config:HttpSinkConfig",
    "odoo": "crossdock.connectors.odoo_config:OdooSinkConfig",
    "shipbob": "crossdock.connectors.shipbob_config:ShipBobSinkConfig",
    "as2": "crossdock.connectors.as2_config:As2SinkConfig",
}
# Checks a connector adds to ``crossdock check``: ``check(config, secrets=...)`` returns findings.
CONFIG_CHECKS = ("crossdock.connectors.as2_check:certificate_findings",)


# ``check --connect``: the function that tries a connector once, by side and type; an http source has none (it
# is crossdock's own endpoint). API connectors are tried by their base URL.
_API_PROBE = "crossdock.connectors.http:probe_api"
SOURCE_PROBES = {
    "folder": "crossdock.connectors.folder:probe",
    "sftp": "crossdock.connectors.sftp:probe",
    "imap": "crossdock.connectors.imap:probe",
    **{kind: _API_PROBE for kind in ("shipbob", *CHANNEL_SINKS)},
}
SINK_PROBES = {
    "folder": "crossdock.connectors.folder:probe",
    "sftp": "crossdock.connectors.sftp:probe",
    "smtp": "crossdock.connectors.smtp:probe",
    "http": "crossdock.connectors.http:probe",
    "as2": "crossdock.connectors.http:probe",  # the partner's AS2 URL answers (nothing is posted)
    "odoo": _API_PROBE,
    "shipbob": _API_PROBE,
}


MAPPINGS = {
    "x12": "crossdock.mappings.x12.hub",
    "x12_warehouse": "crossdock.mappings.x12.warehouse",
    "labels": "crossdock.mappings.labels",
    "csv": "crossdock.mappings.csv",
    "json": "crossdock.mappings.jsonmap",
    "shipcsv": "crossdock.mappings.shipcsv",
    "stockcsv": "crossdock.mappings.stockcsv",
    "stockjson": "crossdock.mappings.stockjson",
    "shipbob_stock": "crossdock.mappings.shipbob_stock",
    "odoo_stock": "crossdock.mappings.odoo_stock",
    "shopify": "crossdock.mappings.shopify",
    "woocommerce": "crossdock.mappings.woocommerce",
    "bigcommerce": "crossdock.mappings.bigcommerce",
    "amazon": "crossdock.mappings.amazon",
    "ebay": "crossdock.mappings.ebay",
    "walmart": "crossdock.mappings.walmart",
    "woocommerce_returns": "crossdock.mappings.woocommerce_returns",
    "bigcommerce_returns": "crossdock.mappings.bigcommerce_returns",
    "amazon_returns": "crossdock.mappings.amazon_returns",
    "ebay_returns": "crossdock.mappings.ebay_returns",
    "walmart_returns": "crossdock.mappings.walmart_returns",
    "shipjson": "crossdock.mappings.shipjson",
    "odoo": "crossdock.mappings.odoo",
    "shipbob": "crossdock.mappings.shipbob",
    "shipbob_returns": "crossdock.mappings.shipbob_returns",
    "returnfiles": "crossdock.mappings.returnfiles",
    "shopify_returns": "crossdock.mappings.shopify_returns",
}


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def build_source(name: str, config: Any) -> Source:
    source: Source = _load(SOURCES[config.type])(name, config)
    return source


def build_sink(name: str, config: Any) -> Sink:
    sink: Sink = _load(SINKS[config.type])(name, config)
    return sink


def build_answer_sink(name: str, sources: Mapping[str, Any]) -> Sink | None:
    """The sink named ``<prefix>:<source>`` that source answers through (an AS2 source's async MDNs), else None."""
    prefix, _, source = name.partition(":")
    kind, target = ANSWER_SINKS.get(prefix, ("", ""))
    config = sources.get(source)
    if not target or getattr(config, "type", None) != kind:
        return None
    sink: Sink = _load(target)(name, config)
    return sink


def build_channel_sink(name: str, config: Any) -> Sink:
    """A sales channel's sink, built from its source block: fulfilments go back where the orders came from."""
    sink: Sink = _load(CHANNEL_SINKS[config.type])(name, config)
    return sink


def probe(side: str, kind: str) -> Callable[[str, Any], str] | None:
    """The probe of a source's or sink's type: ``probe(name, config)`` returns what it found or raises why not."""
    target = (SOURCE_PROBES if side == "source" else SINK_PROBES).get(kind)
    if target is None:
        return None
    found: Callable[[str, Any], str] = _load(target)
    return found


def connector(module: str, name: str) -> Any:
    """A function of a connector module (``http.fetch``), imported when first needed."""
    return _load(f"crossdock.connectors.{module}:{name}")


_MAPPED: dict[str, ModuleType] = {}


def mapping(kind: str) -> ModuleType:
    """A format's mapping module, imported when first needed; looked up for every document, so kept once found."""
    found = _MAPPED.get(kind)
    if found is None:
        found = _MAPPED[kind] = importlib.import_module(MAPPINGS[kind])
    return found


def config_models(side: str) -> tuple[type, ...]:
    """The configuration models of every connector on ``side`` (``source`` or ``sink``), for the config's unions."""
    return tuple(_load(target) for target in (SOURCE_CONFIGS if side == "source" else SINK_CONFIGS).values())


def config_checks() -> list[Callable[..., list[Any]]]:
    """The checks connectors add to ``crossdock check``."""
    return [_load(target) for target in CONFIG_CHECKS]
