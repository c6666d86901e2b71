"""``crossdock serve``: the HTTP endpoints warehouses post to, one per ``type: http`` source.

A post is handled like a file read from a folder: its bytes are stored first (the raw-first law), then
processed, and the answer says what became of it: 202 with the document's id and state. The poster
authenticates with the source's bearer token (compared in constant time). An ``Idempotency-Key`` header
makes a repeated post recognisable; without one, the same bytes posted twice are kept as a duplicate and not
processed twice. Python's threading HTTP server is enough here: each request is one small transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crossdock.connectors.base import Inbound
from crossdock.core.config_types import resolve_secret
from crossdock.core.connector_config import HttpSourceConfig
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process

log = logging.getLogger("crossdock.server")


class _Endpoint:
    def __init__(self, name: str, config: HttpSourceConfig) -> None:
        self.name = name
        self.config = config
        self.expected = f"Bearer {resolve_secret(config.token)}".encode()


def _handler(hub: Hub, endpoints: dict[str, _Endpoint]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "crossdock"

        def log_message(self, fmt: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._answer(HTTPStatus.OK, {"ok": True})
            else:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"nothing at {self.path}"})

        def do_POST(self) -> None:
            endpoint = endpoints.get(self.path.split("?", 1)[0])
            if endpoint is None:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"no endpoint at {self.path}"})
                return
            given = (self.headers.get("Authorization") or "").encode()
            if not hmac.compare_digest(given, endpoint.expected):
                self._answer(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > endpoint.config.max_bytes:
                self._answer(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"more than {endpoint.config.max_bytes} bytes"}
                )
                return
            data = self.rfile.read(length)
            key = self.headers.get("Idempotency-Key") or hashlib.sha256(data).hexdigest()
            item = Inbound(name=f"{endpoint.name}-{key[:40]}", data=data, identity=f"http:{endpoint.name}:{key}")
            got = ingest(hub, endpoint.name, item)
            result = process(hub, got.document_id) if got.state == "received" else None
            body: dict[str, Any] = {"document": got.document_id, "new": got.new, "state": got.state}
            if result is not None:
                body.update(state=result.state, error=result.error, shipments=result.shipments)
            self._answer(HTTPStatus.ACCEPTED, body)

    return Handler


def make_server(hub: Hub, host: str | None = None, port: int | None = None) -> ThreadingHTTPServer:
    """A server for every http source of the configuration (not started)."""
    endpoints = {
        cfg.path: _Endpoint(name, cfg) for name, cfg in hub.config.sources.items() if isinstance(cfg, HttpSourceConfig)
    }
    settings = hub.config.server
    server = ThreadingHTTPServer(
        (host or settings.host, settings.port if port is None else port), _handler(hub, endpoints)
    )
    server.daemon_threads = True
    return server


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="crossdock-serve", daemon=True)
    thread.start()
    return thread
