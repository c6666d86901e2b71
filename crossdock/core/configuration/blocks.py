"""The source and sink blocks a configuration may hold: each connector owns its block's model
(``connectors/<name>_config.py``); the registry names them, and the unions are built from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from crossdock.core import registry

if TYPE_CHECKING:
    from crossdock.connectors.amazon_config import AmazonSourceConfig
    from crossdock.connectors.as2_config import As2SinkConfig, As2SourceConfig
    from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig
    from crossdock.connectors.ebay_config import EbaySourceConfig
    from crossdock.connectors.folder_config import FolderSinkConfig, FolderSourceConfig
    from crossdock.connectors.http_config import HttpSinkConfig, HttpSourceConfig
    from crossdock.connectors.imap_config import ImapSourceConfig
    from crossdock.connectors.odoo_config import OdooSinkConfig
    from crossdock.connectors.sftp_config import SftpSinkConfig, SftpSourceConfig
    from crossdock.connectors.shipbob_config import ShipBobSinkConfig, ShipBobSourceConfig
    from crossdock.connectors.shopify_config import ShopifySourceConfig
    from crossdock.connectors.smtp_config import SmtpSinkConfig
    from crossdock.connectors.walmart_config import WalmartSourceConfig
    from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig

    SourceConfig = Annotated[
        FolderSourceConfig
        | SftpSourceConfig
        | ImapSourceConfig
        | HttpSourceConfig
        | As2SourceConfig
        | ShipBobSourceConfig
        | ShopifySourceConfig
        | WooCommerceSourceConfig
        | BigCommerceSourceConfig
        | AmazonSourceConfig
        | EbaySourceConfig
        | WalmartSourceConfig,
        Field(discriminator="type"),
    ]
    SinkConfig = Annotated[
        FolderSinkConfig
        | SftpSinkConfig
        | SmtpSinkConfig
        | HttpSinkConfig
        | OdooSinkConfig
        | ShipBobSinkConfig
        | As2SinkConfig,
        Field(discriminator="type"),
    ]
else:

    def _union(models: tuple[type, ...]) -> Any:
        return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007 (a tuple of types, built at run time)

    SourceConfig = _union(registry.config_models("source"))
    SinkConfig = _union(registry.config_models("sink"))
# Sinks whose request body a mapping of the same name writes from the order (``order_request``).
ORDER_APIS = ("odoo", "shipbob")
# Order APIs crossdock reads shipments from: a revision of a partly shipped order names the shipments it counted.
SHIPMENT_APIS = ("shipbob",)
# Order APIs that report no shipments to crossdock but say what they delivered: a revision names every key the
# order was created under there, so what any of those delivered is not asked for again (Odoo's qty_delivered).
DELIVERED_APIS = ("odoo",)
# Sources that are a sales channel: each is also where its orders' fulfilments go, under the source's name.
CHANNELS = ("shopify", "woocommerce", "bigcommerce", "amazon", "ebay", "walmart")
