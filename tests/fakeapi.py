"""A small HTTP server on 127.0.0.1 that plays a partner's API (an ERP, a 3PL, a channel) for integration tests.

Routes are plain functions of the request; faults are scripted ahead (``fail_next``: a status with its
headers, or a delay longer than the client waits), so a test can say "the next two calls answer 429, then
the API is fine" and watch the outbox retry. Every request is recorded, faults included.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(slots=True)
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    """Room in the listen queue for a crossdock that reads many orders at once (the default 5 resets some)."""

    request_queue_size = 128


class FakeApi:
    """Routes by (method, path prefix); the longest matching prefix answers. Unknown paths answer 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.requests: list[Request] = []
        self.faults: list[Response] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, method: str, prefix: str, handler: Handler) -> None:
        self.routes[(method.upper(), prefix)] = handler

    def fail_next(self, *responses: Response) -> None:
        """Answer the next requests with these, in order, before the routes answer again."""
        with self._lock:
            self.faults.extend(responses)

    def calls(self, method: str, prefix: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method.upper() and r.path.startswith(prefix)]

    def _answer(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            if self.faults:
                return self.faults.pop(0)
        found = [p for m, p in self.routes if m == request.method and request.path.startswith(p)]
        if not found:
            return Response(404, {"error": f"no route for {request.method} {request.path}"})
        return self.routes[(request.method, max(found, key=len))](request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes: Nagle held the body 40 ms

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                response = api._answer(request)
                if response.delay:
                    time.sleep(response.delay)
                data = response.encoded()
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": "application/json", **response.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return _Handler

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi().start()
    try:
        yield api
    finally:
        api.stop()
