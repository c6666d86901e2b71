"""Stock to the channels: a change of 1,000 SKUs pushed to a local fake of each channel's API, paced to the
channel's published rate limit.

    python bench/stock_push_bench.py [--skus 1000] [--real-sleep]

One fake HTTP server on 127.0.0.1 (``tests/fakeapi.py``) plays every channel's stock endpoints (and its token
endpoint), answering each call as accepted. Each row is one ``StockPush`` of ``--skus`` levels sent through the
channel's sink as the outbox does (``sink.send``), on the channel's default settings, plus the per-SKU paths that
Amazon and Walmart take below their feed threshold. The waits that pacing asks for (Amazon's usage plan, the
Walmart rate, the Trading API's burst) are counted on a clock that moves by them instead of sleeping, so a run
takes seconds: "paced" is that total, "work" the wall time of the calls themselves, and their sum is the time the
push takes at the channel's published limit. ``--real-sleep`` sleeps them instead (Amazon's and Walmart's per-SKU
rows then take over three minutes each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossdock.connectors import amazon, bigcommerce, stock_push, throttle  # noqa: E402
from crossdock.connectors.amazon_config import AmazonSourceConfig  # noqa: E402
from crossdock.connectors.amazon_sink import AmazonSink  # noqa: E402
from crossdock.connectors.bigcommerce import BigCommerceSink  # noqa: E402
from crossdock.connectors.bigcommerce_config import BigCommerceSourceConfig  # noqa: E402
from crossdock.connectors.ebay_config import EbaySourceConfig  # noqa: E402
from crossdock.connectors.ebay_sink import EbaySink  # noqa: E402
from crossdock.connectors.walmart_config import WalmartSourceConfig  # noqa: E402
from crossdock.connectors.walmart_sink import WalmartSink  # noqa: E402
from crossdock.connectors.woocommerce import WooCommerceSink  # noqa: E402
from crossdock.connectors.woocommerce_config import WooCommerceSourceConfig  # noqa: E402
from crossdock.core.ports import Outbound  # noqa: E402
from crossdock.core.stock.models import STOCK, StockLevel, StockPush  # noqa: E402
from tests.fakeapi import FakeApi, Request, Response  # noqa: E402

NS = "{urn:ebay:apis:eBLBaseComponents}"


class Clock:
    """Monotonic time plus every wait asked for: the pacing sees time pass, nobody sleeps (unless ``real``)."""

    def __init__(self, real: bool) -> None:
        self.real = real
        self.offset = 0.0
        self.waited = 0.0

    def now(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        if self.real:
            time.sleep(seconds)
        else:
            self.offset += seconds

    def install(self) -> None:
        for module in (stock_push, amazon):
            module._clock = self.now  # type: ignore[attr-defined]
        for module in (stock_push, amazon, throttle, bigcommerce):
            module._sleep = self.sleep  # type: ignore[attr-defined]


def _echo_batch(request: Request) -> Response:
    return Response(
        200, {"update": [{"id": i["id"], "stock_quantity": i["stock_quantity"]} for i in request.json()["update"]]}
    )


def _bulk(request: Request) -> Response:
    return Response(200, {"responses": [{"sku": r["sku"], "statusCode": 200} for r in request.json()["requests"]]})


def _revised(request: Request) -> Response:
    root = ET.fromstring(request.body)
    done = "".join(
        f"<InventoryStatus><ItemID>{s.findtext(f'{NS}ItemID')}</ItemID><Quantity>{s.findtext(f'{NS}Quantity')}"
        "</Quantity></InventoryStatus>"
        for s in root.findall(f"{NS}InventoryStatus")
    )
    body = f'<ReviseInventoryStatusResponse xmlns="urn:ebay:apis:eBLBaseComponents"><Ack>Success</Ack>{done}'
    return Response(200, (body + "</ReviseInventoryStatusResponse>").encode(), {"Content-Type": "text/xml"})


def _listing(request: Request) -> Response:
    sku = request.path.rsplit("/", 1)[1]
    return Response(200, {"sku": sku, "status": "ACCEPTED", "submissionId": "s", "issues": []})


def fake(api: FakeApi) -> None:
    token = {"access_token": "t", "token_type": "bearer", "expires_in": 3600}
    api.route("POST", "/token", lambda r: Response(200, token))
    api.route("POST", "/v3/token", lambda r: Response(200, {**token, "expires_in": 900}))
    api.route("POST", "/wp-json/wc/v3/products/", _echo_batch)
    left = {"X-Rate-Limit-Requests-Left": "140", "X-Rate-Limit-Time-Reset-Ms": "20000"}
    api.route(
        "PUT", "/stores/h/v3/inventory/adjustments/absolute", lambda r: Response(200, {"transaction_id": "x"}, left)
    )
    api.route("PATCH", "/listings/2021-08-01/items/", _listing)
    api.route(
        "POST",
        "/feeds/2021-06-30/documents",
        lambda r: Response(201, {"feedDocumentId": "d", "url": f"{api.url}/upload"}),
    )
    api.route("PUT", "/upload", lambda r: Response(200))
    api.route("POST", "/feeds/2021-06-30/feeds", lambda r: Response(202, {"feedId": "f"}))
    api.route("PUT", "/v3/inventory", lambda r: Response(200, r.json()))
    api.route("POST", "/v3/feeds", lambda r: Response(200, {"feedId": "f"}))
    api.route("POST", "/sell/inventory/v1/bulk_update_price_quantity", _bulk)
    api.route("POST", "/ws/api.dll", _revised)


def push(channel: str, skus: int, ids: Callable[[int], dict[str, str]]) -> Outbound:
    levels = [StockLevel(sku=f"SKU-{n:05d}", available=n % 50, ids=ids(n)) for n in range(1, skus + 1)]
    found = StockPush(channel=channel, push_id="bench", as_of=dt.datetime.now(dt.UTC), levels=levels)
    return Outbound(
        name="stock.json",
        data=json.dumps(found.model_dump(mode="json")).encode(),
        idempotency_key="b" * 20,
        purpose=STOCK,
    )


def sinks(url: str) -> list[tuple[str, Any, Callable[[int], dict[str, str]]]]:
    for var in ("K", "S", "R"):
        os.environ[f"BENCH_{var}"] = "secret"
    keys = {"client_id": "${BENCH_K}", "client_secret": "${BENCH_S}"}
    amazon_config: dict[str, Any] = {
        "type": "amazon", "endpoint": url, "token_url": f"{url}/token", "marketplace_ids": ["ATVPDKIKX0DER"],
        "refresh_token": "${BENCH_R}", "merchant_id": "A2BENCH", **keys,
    }  # fmt: skip
    walmart_config: dict[str, Any] = {"type": "walmart", "url": url, **keys}
    return [
        (
            "WooCommerce (products batch)",
            WooCommerceSink("woo", WooCommerceSourceConfig.model_validate(
                {"type": "woocommerce", "url": url, "consumer_key": "${BENCH_K}", "consumer_secret": "${BENCH_S}"})),
            lambda n: {"product_id": str(n)},
        ),
        (
            "BigCommerce (absolute adjustments)",
            BigCommerceSink("bc", BigCommerceSourceConfig.model_validate(
                {"type": "bigcommerce", "store_hash": "h", "api_url": url, "access_token": "${BENCH_K}"})),
            lambda n: {"variant_id": str(n)},
        ),
        ("Amazon (listings feed)", AmazonSink("amz", AmazonSourceConfig.model_validate(amazon_config)), lambda n: {}),
        (
            "Amazon (patchListingsItem each)",
            AmazonSink("amz", AmazonSourceConfig.model_validate({**amazon_config, "stock_feed_threshold": 10**6})),
            lambda n: {},
        ),
        (
            "Walmart (inventory feed)",
            WalmartSink("wm", WalmartSourceConfig.model_validate(walmart_config)),
            lambda n: {},
        ),
        (
            "Walmart (inventory update each)",
            WalmartSink("wm", WalmartSourceConfig.model_validate({**walmart_config, "stock_feed_threshold": 10**6})),
            lambda n: {},
        ),
        (
            "eBay (bulk_update_price_quantity)",
            EbaySink("ebay", EbaySourceConfig.model_validate(
                {"type": "ebay", "url": url, "token_url": f"{url}/token", "refresh_token": "${BENCH_R}", **keys})),
            lambda n: {"offer_id": str(n)},
        ),
        (
            "eBay (ReviseInventoryStatus)",
            EbaySink("ebay", EbaySourceConfig.model_validate(
                {"type": "ebay", "url": url, "token_url": f"{url}/token", "refresh_token": "${BENCH_R}", **keys})),
            lambda n: {"item_id": str(110000 + n)},
        ),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--real-sleep", action="store_true", help="sleep the pacing waits instead of counting them")
    args = parser.parse_args()
    api = FakeApi().start()
    try:
        fake(api)
        print(f"{args.skus} SKUs changed, one push per channel; {'slept' if args.real_sleep else 'counted'} waits")
        print(f"{'channel (call)':36} {'calls':>6} {'work s':>8} {'paced s':>9} {'total s':>9}")
        for label, sink, ids in sinks(api.url):
            clock = Clock(args.real_sleep)
            clock.install()
            outbound = push(sink.name, args.skus, ids)
            before = len(api.requests)
            started = time.perf_counter()
            said = sink.send(outbound)
            work = time.perf_counter() - started - (clock.waited if args.real_sleep else 0.0)
            sink.close()
            calls = len(api.requests) - before
            assert f"{args.skus} of {args.skus} levels" in said and "refused" not in said, said
            print(f"{label:36} {calls:>6} {work:>8.2f} {clock.waited:>9.1f} {work + clock.waited:>9.1f}")
    finally:
        api.stop()


if __name__ == "__main__":
    main()
