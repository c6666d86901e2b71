"""``crossdock run`` answers whatever ``serve`` would (a channel's webhooks, http sources) with /healthz, and opens
no port when the configuration declares no endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from crossdock.core.configuration.config import Config
from crossdock.core.errors import ConfigError
from crossdock.scheduler import Worker
from crossdock.server import declared_paths
from tests.fakeapi import FakeApi
from tests.hub.channels import order_rows, served
from tests.hub.conftest import base_config, write_config
from tests.hub.test_woocommerce_flow import ENVIRONMENT, HOOK_SECRET, FakeStore, example


@pytest.fixture
def store() -> Iterator[tuple[FakeStore, FakeApi]]:
    yield from served(FakeStore())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def only_a_webshop(tmp_path: Path, store_url: str, url: str, monkeypatch: pytest.MonkeyPatch, port: int) -> Config:
    """A configuration whose one source is a WooCommerce store with a webhook secret: no http source at all."""
    for var, value in ENVIRONMENT.items():
        monkeypatch.setenv(var, value)
    cfg = base_config(tmp_path, store_url)
    cfg["sources"] = {
        "shop": {
            "type": "woocommerce",
            "url": url,
            "consumer_key": "${WOO_KEY}",
            "consumer_secret": "${WOO_SECRET}",
            "webhook_secret": "${WOO_HOOK}",
            "first_sync": "30d",
            "timeout": 2,
            "schedule": {"every": 3600},
        }
    }
    cfg["server"] = {"host": "127.0.0.1", "port": port}
    return write_config(tmp_path, cfg)


def test_run_answers_a_channel_webhook_with_no_http_source_declared(
    tmp_path: Path, store_url: str, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, api = store
    config = only_a_webshop(tmp_path, store_url, api.url, monkeypatch, port=0)
    assert declared_paths(config) == ["/webhooks/shop"]
    worker = Worker(config)
    worker.start()
    try:
        assert worker.server is not None, "run opened the webhook's port"
        base = f"http://127.0.0.1:{worker.server.server_address[1]}"
        deadline = time.monotonic() + 10
        while not api.calls("GET", "/wp-json/wc/v3/orders") and time.monotonic() < deadline:
            time.sleep(0.05)  # the first poll, at start, found nothing: the order below comes by the webhook only
        assert api.calls("GET", "/wp-json/wc/v3/orders")
        fake.orders[201] = example(201, "2026-11-22T08:00:00")
        body = json.dumps({"id": 201}).encode()
        signature = base64.b64encode(hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        answer = httpx.post(f"{base}/webhooks/shop", content=body, headers={"X-WC-Webhook-Signature": signature})
        assert answer.status_code == 202 and answer.json()["new"] is True
        assert httpx.post(f"{base}/webhooks/shop", content=body).status_code == 401, "an unsigned post is refused"
        assert httpx.get(f"{base}/healthz").json() == {"ok": True}
        assert set(order_rows(worker.hub, "woocommerce")) == {"201"}, "the webhook's order is stored"
    finally:
        worker.stop()


def test_run_opens_no_port_when_nothing_is_declared(tmp_path: Path, store_url: str) -> None:
    port = free_port()
    cfg = base_config(tmp_path, store_url, server={"host": "127.0.0.1", "port": port})
    config = write_config(tmp_path, cfg)
    assert declared_paths(config) == []
    worker = Worker(config)
    worker.start()
    try:
        assert worker.server is None
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        worker.stop()


def test_a_port_in_use_stops_run_with_the_address_named(
    tmp_path: Path, store_url: str, store: tuple[FakeStore, FakeApi], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        worker = Worker(only_a_webshop(tmp_path, store_url, store[1].url, monkeypatch, port=port))
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            worker.start()
        assert not worker.scheduler.running, "no job started"
        worker.stop()
