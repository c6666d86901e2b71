"""The HTTP endpoints warehouses post to, one per ``type: http`` source, and the sales channels' webhooks, at
``/webhooks/<source>`` for each channel source with a ``webhook_secret``, with ``/healthz``, ``/readyz`` and
``/metrics`` beside them:
answered by ``crossdock serve``, and by ``crossdock run`` whenever the configuration declares any.

The endpoints are a Starlette application (``http_app.py``) under uvicorn, on an event loop in one background
thread: a client that is slow to send holds a connection, not a thread, and ``http_guard.py`` bounds how long it
may take and how many connections are open at once (``server.deadline``, ``server.max_connections``). The port is
bound when the server is made, before any work starts, so a port in use is one clear error. Stopping stops
accepting, lets the requests that have arrived be answered (for up to ``server.deadline``), then records the
webhooks waiting in the intakes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from crossdock.as2_server import as2_path
from crossdock.core.configuration.config import Config
from crossdock.core.errors import ConfigError, CrossdockError
from crossdock.core.hub import Hub
from crossdock.http_app import build_app, endpoints
from crossdock.http_guard import Limits, guarded_protocol
from crossdock.webhooks import Webhooks, hook_sources, webhook_path

BACKLOG = 128  # connections the kernel holds before they are accepted: a burst of webhooks
STARTUP = 30.0  # seconds the server thread may take to start answering


def declared_paths(config: Config) -> list[str]:
    """The paths ``serve`` answers besides /healthz; ``run`` opens its port only when there are some."""
    as2 = [as2_path(name) for name, cfg in config.sources.items() if cfg.type == "as2"]
    console = ["/console"] if config.console is not None else []
    return sorted([*endpoints(config), *(webhook_path(name) for name in hook_sources(config)), *as2, *console])


class Server:
    """Every endpoint of a configuration, listening from the start, answering once ``serve_in_background``."""

    def __init__(self, hub: Hub, host: str, port: int, scheduler: Callable[[], bool] | None = None) -> None:
        settings = hub.config.server
        self.webhooks = Webhooks(hub)
        self._ready = threading.Event()
        # refuses a short token before the port is taken
        app = build_app(hub, self.webhooks, self._ready.set, scheduler)
        self.socket = _listen(host, port)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            http=guarded_protocol(Limits(settings.deadline, settings.max_connections)),
            lifespan="on",
            log_config=None,  # crossdock's logging stays as configured
            access_log=False,  # http_app logs each request
            server_header=False,
            headers=[("server", "crossdock"), ("connection", "close")],  # one request a connection: see http_guard
            backlog=BACKLOG,
            timeout_graceful_shutdown=int(settings.deadline) + 1,
        )
        self._uvicorn = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # its start and stop lines; crossdock says its own
        self._thread: threading.Thread | None = None

    def serve_in_background(self) -> threading.Thread:
        """Answer in a daemon thread; returns once the application is up (or raises why it is not)."""
        thread = threading.Thread(target=self._uvicorn.run, kwargs={"sockets": [self.socket]}, name="crossdock-serve")
        thread.daemon = True
        thread.start()
        self._thread = thread
        began = time.monotonic()
        while not self._ready.wait(0.05):
            if not thread.is_alive():
                raise CrossdockError("server: the HTTP server stopped while starting (see the log above)")
            if time.monotonic() - began > STARTUP:
                raise CrossdockError(f"server: the HTTP server did not start within {STARTUP:g} s")
        return thread

    def shutdown(self) -> None:
        """Stop accepting, answer what has arrived (bounded by server.deadline), and wait for the thread."""
        self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def server_close(self) -> None:
        """Release the port (if never served) and record the webhooks waiting, then release their API clients."""
        self.socket.close()
        self.webhooks.close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=BACKLOG)
    except OSError as exc:  # the port is taken, the address is not this machine's
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"server: cannot listen on {host}:{port}: {why}") from None


def make_server(
    hub: Hub, host: str | None = None, port: int | None = None, scheduler: Callable[[], bool] | None = None
) -> Server:
    """A server for every endpoint of the configuration, bound to its port (not yet answering); ``scheduler``
    says whether ``run``'s jobs run, for ``/readyz``."""
    settings = hub.config.server
    return Server(hub, host or settings.host, settings.port if port is None else port, scheduler)


def serve_in_background(server: Server) -> threading.Thread:
    return server.serve_in_background()
