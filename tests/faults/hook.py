"""A web hook on 127.0.0.1 that records every request crossdock makes of it: the fault suite's HTTP sink.

Each POST is kept with its idempotency key and the PO number its JSON body names, in the order they arrived,
so a test can tell a send repeated after a fault (the same key twice) from a lost one (a key never seen).
``delay`` makes each answer slow (a sink slower than the outbox lease).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Post:
    key: str
    po_number: str | None


class Hook(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.posts: list[Post] = []
        self.answering = 0  # POSTs taken and not yet answered
        self.most_at_once = 0
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client killed mid-request is what the fault suite does: not worth a traceback."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/orders"

    def count(self) -> int:
        with self.lock:
            return len(self.posts)

    def keys(self) -> Counter[str]:
        with self.lock:
            return Counter(p.key for p in self.posts)

    def repeats(self) -> int:
        """Sends beyond the first of each key: what faults cost a destination that ignores the key."""
        keys = self.keys()
        return sum(keys.values()) - len(keys)


class _Handler(BaseHTTPRequestHandler):
    server: Hook
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            po = json.loads(body).get("po_number")
        except (ValueError, AttributeError):
            po = None
        if not length or len(body) < length or po is None:
            # cut mid-request (its headers end early, its body is short): no server takes such a request
            self.close_connection = True
            return
        hook = self.server
        with hook.lock:
            hook.posts.append(Post(self.headers.get("Idempotency-Key", ""), po))
            hook.answering += 1
            hook.most_at_once = max(hook.most_at_once, hook.answering)
        try:
            if hook.delay:
                time.sleep(hook.delay)
            self._answer(201)
        finally:
            with hook.lock:
                hook.answering -= 1

    def do_HEAD(self) -> None:
        self._answer(200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def running_hook(delay: float = 0.0) -> Iterator[Hook]:
    server = Hook(delay)
    thread = threading.Thread(target=server.serve_forever, name="hook", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
