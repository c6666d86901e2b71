"""The HTTP endpoints warehouses post to, one per ``type: http`` source, and the sales channels' webhooks, at
``/webhooks/<source>`` for each channel source with a ``webhook_secret``, with ``/healthz`` beside them:
answered by ``crossdock serve``, and by ``crossdock run`` whenever the configuration declares any.

A post is handled like a file read from a folder: its bytes are stored first (the raw-first law), then
processed, and the answer says what became of it: 202 with the document's id and state. The poster
authenticates with the source's bearer token (compared in constant time). An ``Idempotency-Key`` header
makes a repeated post recognisable; without one, the same bytes posted twice are kept as a duplicate and not
processed twice. Python's threading HTTP server is enough here: each request is one small transaction, and a
channel's webhooks are stored and recorded in groups by ``webhooks.py``, which knows nothing of this server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crossdock.connectors.base import Inbound
from crossdock.core.config import Config
from crossdock.core.config_trust import SHORTEST_TOKEN
from crossdock.core.config_types import resolve_secret
from crossdock.core.connector_config import HttpSourceConfig
from crossdock.core.errors import ConfigError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process
from crossdock.webhooks import MAX_BYTES, Answer, Webhooks, hook_sources, webhook_path

log = logging.getLogger("crossdock.server")
REQUEST_TIMEOUT = 30.0  # seconds a client may take to send a request


class _Endpoint:
    def __init__(self, name: str, config: HttpSourceConfig) -> None:
        self.name = name
        self.config = config
        token = (resolve_secret(config.token) or "").strip()
        if len(token) < SHORTEST_TOKEN:  # whoever builds a server without `check`: never an empty header's match
            raise ConfigError(f"sources.{name}.token: a bearer token needs at least {SHORTEST_TOKEN} characters")
        self.expected = f"Bearer {token}".encode()


def _handler(hub: Hub, endpoints: dict[str, _Endpoint], hooks: Webhooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "crossdock"
        timeout = REQUEST_TIMEOUT  # a client that stops sending does not hold a thread for ever

        def log_message(self, fmt: str, *args: Any) -> None:
            """Each request at info, but a health probe's only at debug: probes come every few seconds."""
            probe = getattr(self, "path", "") == "/healthz"
            log.log(logging.DEBUG if probe else logging.INFO, "%s %s", self.address_string(), fmt % args)

        def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _length(self) -> int | None:
            """The body's declared length, or None once a 400 is sent: a negative length would read to EOF."""
            value = (self.headers.get("Content-Length") or "0").strip()
            if not (value.isascii() and value.isdigit()):
                self._answer(HTTPStatus.BAD_REQUEST, {"error": f"Content-Length {value!r} is not a length"})
                return None
            return int(value)

        def _body(self, length: int) -> bytes | None:
            """The declared body, or None once a 408 is sent because it did not all come in time."""
            try:
                data = self.rfile.read(length)
            except TimeoutError:
                data = b""
            if len(data) < length:
                message = f"the body did not come whole ({length} bytes) within {self.timeout:g} s"
                self._answer(HTTPStatus.REQUEST_TIMEOUT, {"error": message})
                self.close_connection = True
                return None
            return data

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if self.path == "/healthz":
                self._answer(HTTPStatus.OK, {"ok": True})
            elif path in hooks and (answer := hooks.challenge(path, dict(urllib.parse.parse_qsl(query)))):
                self._answer(answer.status, answer.body)
            else:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"nothing at {self.path}"})

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if path in hooks:
                self._webhook(hooks, path)
                return
            endpoint = endpoints.get(path)
            if endpoint is None:
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"no endpoint at {self.path}"})
                return
            given = (self.headers.get("Authorization") or "").encode()
            if not hmac.compare_digest(given, endpoint.expected):
                self._answer(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
                return
            length = self._length()
            if length is None:
                return
            if length > endpoint.config.max_bytes:
                self._answer(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"more than {endpoint.config.max_bytes} bytes"}
                )
                return
            data = self._body(length)
            if data is None:
                return
            key = self.headers.get("Idempotency-Key") or hashlib.sha256(data).hexdigest()
            item = Inbound(name=f"{endpoint.name}-{key[:40]}", data=data, identity=f"http:{endpoint.name}:{key}")
            got = ingest(hub, endpoint.name, item)
            result = process(hub, got.document_id) if got.state == "received" else None
            body: dict[str, Any] = {"document": got.document_id, "new": got.new, "state": got.state}
            if result is not None:
                body.update(state=result.state, error=result.error, shipments=result.shipments)
            self._answer(HTTPStatus.ACCEPTED, body)

        def _webhook(self, hooks: Webhooks, path: str) -> None:
            length = self._length()
            if length is None:
                return
            if length > MAX_BYTES:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"more than {MAX_BYTES} bytes"})
                return
            data = self._body(length)
            if data is None:
                return
            answer: Answer = hooks.post(path, data, {k.lower(): v for k, v in self.headers.items()})
            self._answer(answer.status, answer.body)

    return Handler


def _endpoints(config: Config) -> dict[str, _Endpoint]:
    """Each http source's endpoint, by its path."""
    return {cfg.path: _Endpoint(name, cfg) for name, cfg in config.sources.items() if isinstance(cfg, HttpSourceConfig)}


def declared_paths(config: Config) -> list[str]:
    """The paths ``serve`` answers besides /healthz; ``run`` opens its port only when there are some."""
    return sorted([*_endpoints(config), *(webhook_path(name) for name in hook_sources(config))])


class _Server(ThreadingHTTPServer):
    """A threading server whose listen queue holds a burst of webhooks (the default of 5 reset the connections of
    a channel posting a few dozen at once), and which records the webhooks waiting before it closes."""

    request_queue_size = 128

    def __init__(self, address: tuple[str, int], hub: Hub) -> None:
        self.webhooks = Webhooks(hub)
        super().__init__(address, _handler(hub, _endpoints(hub.config), self.webhooks))

    def server_close(self) -> None:
        super().server_close()
        self.webhooks.close()


def make_server(hub: Hub, host: str | None = None, port: int | None = None) -> ThreadingHTTPServer:
    """A server for every endpoint of the configuration (not started)."""
    settings = hub.config.server
    address = (host or settings.host, settings.port if port is None else port)
    try:
        server = _Server(address, hub)
    except OSError as exc:  # the port is taken, the address is not this machine's
        raise ConfigError(f"server: cannot listen on {address[0]}:{address[1]}: {exc.strerror or exc}") from None
    server.daemon_threads = True
    return server


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="crossdock-serve", daemon=True)
    thread.start()
    return thread
