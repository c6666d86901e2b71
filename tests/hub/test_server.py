"""The endpoints warehouses post to: stored first, processed, answered with what became of the post."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.core.errors import ConfigError
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.queries import Queries
from crossdock.server import make_server, serve_in_background
from tests.hub.conftest import write_config
from tests.hub.edi import interchange, order
from tests.hub.test_ship_flow import config, cycle, files

TOKEN = "t0ken-of-the-acme-3pl"

SHIPMENT = {
    "shipment_id": "WEB-1",
    "ship_date": "2026-11-21",
    "carrier_scac": "UPSN",
    "orders": [{"po_number": "PO-1", "lines": [{"line_number": "0001", "quantity": "5"}]}],
}


@contextlib.contextmanager
def serving(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, **server: Any
) -> Iterator[tuple[Hub, str]]:
    """A server for the acme3pl configuration with an http source, its ``server`` settings as given."""
    monkeypatch.setenv("ACME_POST_TOKEN", TOKEN)
    cfg = config(tmp_path, store_url)
    cfg["sources"]["acme-post"] = {
        "type": "http",
        "path": "/inbound/acme",
        "token": "${ACME_POST_TOKEN}",
        "format": "shipment-json",
        "partner": "acme3pl",
        "max_bytes": 10_000,
    }
    cfg["server"] = server
    hub = Hub(write_config(tmp_path, cfg))
    server_ = make_server(hub, "127.0.0.1", 0)
    serve_in_background(server_)
    try:
        yield hub, f"http://127.0.0.1:{server_.server_address[1]}"
    finally:
        server_.shutdown()
        server_.server_close()
        hub.close()


@pytest.fixture
def served(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Hub, str]]:
    with serving(tmp_path, store_url, monkeypatch) as got:
        yield got


def post(url: str, body: Any, token: str = TOKEN, **headers: str) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url, content=data, headers={"Authorization": f"Bearer {token}", **headers}, timeout=10)


def test_a_posted_shipment_is_recorded_and_answered(served: tuple[Hub, str], tmp_path: Path) -> None:
    hub, base = served
    cycle(hub, "po.edi", interchange([order("PO-1", qty=5)]))
    answer = post(f"{base}/inbound/acme", SHIPMENT, **{"Idempotency-Key": "ship-WEB-1"})
    assert answer.status_code == 202
    body = answer.json()
    assert body["new"] is True and body["state"] == "processed" and body["shipments"] == 1
    again = post(f"{base}/inbound/acme", SHIPMENT, **{"Idempotency-Key": "ship-WEB-1"}).json()
    assert again["new"] is False and again["document"] == body["document"]
    hub.dispatcher("test").drain()
    assert len(files(tmp_path / "partner-inbox", "856")) == 1


@pytest.mark.parametrize("token", ["", "  ", "short"])
def test_a_server_is_never_built_on_an_empty_or_short_token(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("ACME_POST_TOKEN", token)
    cfg = config(tmp_path, store_url)
    cfg["sources"]["acme-post"] = {"type": "http", "path": "/in", "token": "${ACME_POST_TOKEN}", "partner": "acme3pl"}
    hub = Hub(write_config(tmp_path, cfg))
    try:
        with pytest.raises(ConfigError, match=r"sources\.acme-post\.token: a bearer token needs at least 16"):
            make_server(hub, "127.0.0.1", 0)
    finally:
        hub.close()


def test_refusals(served: tuple[Hub, str]) -> None:
    hub, base = served
    assert post(f"{base}/inbound/acme", SHIPMENT, token="wrong").status_code == 401
    assert post(f"{base}/inbound/other", SHIPMENT).status_code == 404
    assert post(f"{base}/inbound/acme", b"x" * 20_000).status_code == 413
    assert httpx.get(f"{base}/healthz").json() == {"ok": True}
    with hub.store.transaction() as conn:
        assert Queries(hub.store).documents(conn, direction="in") == [], "nothing refused was stored"


def exchange(address: tuple[str, int], request: str) -> str:
    """Send a raw request and read the answer until the server closes (HTTP/1.0: one answer a connection)."""
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(request.encode())
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode()


@pytest.mark.parametrize("length", ["-1", "ten", "1e3"])
def test_a_content_length_that_is_not_a_length_is_refused(served: tuple[Hub, str], length: str) -> None:
    """A negative length would have the handler read until the client hangs up."""
    hub, base = served
    host, port = base.removeprefix("http://").split(":")
    request = (
        f"POST /inbound/acme HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Length: {length}\r\n\r\n{{}}"
    )
    answer = exchange((host, int(port)), request)
    assert answer.startswith("HTTP/1.1 400") and f"Content-Length '{length}' is not a length" in answer
    with hub.store.transaction() as conn_:
        assert Queries(hub.store).documents(conn_, direction="in") == []


def test_a_body_that_stops_short_is_answered_408_and_not_stored(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(tmp_path, store_url, monkeypatch, deadline=0.5) as (hub, base):
        host, port = base.removeprefix("http://").split(":")
        request = (
            f"POST /inbound/acme HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Length: 100\r\n\r\n{}"
        )
        answer = exchange((host, int(port)), request)
        assert answer.startswith("HTTP/1.1 408") and "did not come whole within 0.5 s" in answer
        with hub.store.transaction() as conn_:
            assert Queries(hub.store).documents(conn_, direction="in") == []


def test_a_bad_post_is_kept_failed_with_the_place(served: tuple[Hub, str]) -> None:
    hub, base = served
    body = post(f"{base}/inbound/acme", {"shipment_id": "X", "orders": [{"lines": []}]}).json()
    assert body["state"] == "failed" and "orders.0.po_number" in body["error"]
    with hub.store.transaction() as conn:
        assert Queries(hub.store).data(conn, body["document"]) == b'{"shipment_id": "X", "orders": [{"lines": []}]}'


def test_an_http_source_is_not_polled(served: tuple[Hub, str]) -> None:
    hub, _ = served
    assert (
        poll(hub, "acme-post", "me").skipped == "an http source is posted to, not polled (crossdock serve answers it)"
    )


def serve_config(tmp_path: Path, store_url: str, port: int) -> Path:
    cfg = config(tmp_path, store_url)
    cfg["sources"]["acme-post"] = {"type": "http", "path": "/in", "token": "${ACME_POST_TOKEN}", "partner": "acme3pl"}
    cfg["server"] = {"host": "127.0.0.1", "port": port}
    write_config(tmp_path, cfg)
    return tmp_path / "crossdock.yaml"


def crossdock_serve(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "serve", "-c", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ACME_POST_TOKEN": TOKEN},
    )


def test_serve_answers_until_sigterm_then_stops(tmp_path: Path, store_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = crossdock_serve(serve_config(tmp_path, store_url, port))
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"crossdock serving on http://127.0.0.1:{port}\n"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"ok": True}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")


def test_serve_on_a_port_in_use_is_one_line(tmp_path: Path, store_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        process = crossdock_serve(serve_config(tmp_path, store_url, port))
        out, err = process.communicate(timeout=60)
    assert process.returncode != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith(
        f"crossdock: configuration: server: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
