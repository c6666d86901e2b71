"""The HTTP endpoints as a Starlette application: ``/healthz``, ``/readyz`` and ``/metrics`` (``metrics.py``), one
endpoint per ``type: http`` source, and the channels' webhooks (``webhooks.py`` says what a webhook means; this
module only carries it).

A warehouse's post is handled like a file read from a folder: its bytes are stored first (the raw-first law), then
processed, and the answer says what became of it: 202 with the document's id and state. The poster authenticates
with the source's bearer token (compared in constant time). An ``Idempotency-Key`` header makes a repeated post
recognisable; without one, the same bytes posted twice are kept as a duplicate and not processed twice. A body is
read as it comes (by its length or in chunks) and refused (413) as soon as it is longer than its endpoint takes;
the store's work runs in a worker thread, so the event loop goes on answering, ``/healthz`` first of all. At most
``server.max_requests`` requests are read or answered at once (``/healthz`` apart): one more is answered 503 at
once, and the poster sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crossdock.as2_server import as2_endpoints, process_after, received
from crossdock.connectors.as2 import As2Endpoint
from crossdock.connectors.http_config import HttpSourceConfig
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.trust import SHORTEST_TOKEN
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError
from crossdock.core.hub import Hub
from crossdock.core.pipeline import ingest, process
from crossdock.core.ports import Inbound
from crossdock.metrics import METRICS, READY
from crossdock.metrics import routes as metrics_routes
from crossdock.webhooks import MAX_BYTES, Answer, Pending, Webhooks

log = logging.getLogger("crossdock.server")
HEALTH = "/healthz"


class Endpoint:
    """One http source's endpoint: its configuration and the exact Authorization header its poster sends."""

    def __init__(self, name: str, config: HttpSourceConfig) -> None:
        self.name = name
        self.config = config
        token = (resolve_secret(config.token) or "").strip()
        if len(token) < SHORTEST_TOKEN:  # whoever builds a server without `check`: never an empty header's match
            raise ConfigError(f"sources.{name}.token: a bearer token needs at least {SHORTEST_TOKEN} characters")
        self.expected = f"Bearer {token}".encode()


def endpoints(config: Config) -> dict[str, Endpoint]:
    """Each http source's endpoint, by its path."""
    return {cfg.path: Endpoint(name, cfg) for name, cfg in config.sources.items() if isinstance(cfg, HttpSourceConfig)}


def _json(status: HTTPStatus | int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=int(status), headers=headers)


async def _body(request: Request, limit: int) -> bytes | Response:
    """The request's body, or the answer that refuses it: longer than ``limit`` (by its declared length before
    any of it is read, else as soon as the chunks read pass it), or not all sent."""
    declared = request.headers.get("content-length")  # h11 has checked it is one number
    if declared is not None and int(declared) > limit:
        return _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"more than {limit} bytes"})
    data = bytearray()
    try:
        async for chunk in request.stream():
            data += chunk
            if len(data) > limit:
                return _json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"more than {limit} bytes"})
    except ClientDisconnect:  # the client left, or server.deadline cut it (and answered 408 itself)
        return _json(HTTPStatus.REQUEST_TIMEOUT, {"error": "the request did not come whole"})
    return bytes(data)


def _posted(hub: Hub, endpoint: Endpoint, data: bytes, key: str) -> dict[str, Any]:
    """Store the post (committed), then process it: what the poster is told (in a worker thread)."""
    item = Inbound(name=f"{endpoint.name}-{key[:40]}", data=data, identity=f"http:{endpoint.name}:{key}")
    got = ingest(hub, endpoint.name, item)
    result = process(hub, got.document_id) if got.state == "received" else None
    body: dict[str, Any] = {"document": got.document_id, "new": got.new, "state": got.state}
    if result is not None:
        body.update(state=result.state, error=result.error, shipments=result.shipments)
    return body


def _http_source(hub: Hub, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def post(request: Request) -> Response:
        given = (request.headers.get("authorization") or "").encode("latin-1")
        if not hmac.compare_digest(given, endpoint.expected):
            return _json(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
        data = await _body(request, endpoint.config.max_bytes)
        if isinstance(data, Response):
            return data
        key = request.headers.get("idempotency-key") or hashlib.sha256(data).hexdigest()
        return _json(HTTPStatus.ACCEPTED, await run_in_threadpool(_posted, hub, endpoint, data, key))

    return post


def _as2(hub: Hub, endpoint: As2Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def post(request: Request) -> Response:
        data = await _body(request, endpoint.config.max_bytes)
        if isinstance(data, Response):
            return data
        headers = {name.lower(): value for name, value in request.headers.items()}
        reply, then = await run_in_threadpool(received, hub, endpoint, headers, data)
        after = BackgroundTask(process_after, hub, then) if then is not None else None
        return Response(reply.body, status_code=reply.status, headers=reply.headers, background=after)

    return post


def _webhook(hooks: Webhooks) -> Callable[[Request], Awaitable[Response]]:
    async def hook(request: Request) -> Response:
        path = request.url.path
        if request.method == "GET":
            found = await run_in_threadpool(hooks.challenge, path, dict(request.query_params))
            return _answer(found) if found else _json(HTTPStatus.NOT_FOUND, {"error": f"nothing at {path}"})
        data = await _body(request, MAX_BYTES)
        if isinstance(data, Response):
            return data
        headers = {name.lower(): value for name, value in request.headers.items()}
        taken = await run_in_threadpool(hooks.receive, path, data, headers)
        if isinstance(taken, Pending):
            with contextlib.suppress(Exception):  # settle reads the outcome; shielded: a commit is never cut off
                await asyncio.shield(asyncio.wrap_future(taken.recorded))
            taken = hooks.settle(taken)
        return _answer(taken)

    return hook


def _answer(answer: Answer) -> Response:
    return _json(answer.status, answer.body)


async def _health(_: Request) -> Response:
    return _json(HTTPStatus.OK, {"ok": True})


async def _not_found(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        error = f"{request.method} is not answered at {request.url.path}"
        return _json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": error}, dict(exc.headers or {}))
    what = "no endpoint" if request.method == "POST" else "nothing"
    return _json(HTTPStatus.NOT_FOUND, {"error": f"{what} at {request.url.path}"})


class _Bounded:
    """At most ``most`` requests in flight (``/healthz`` apart: it costs nothing), each logged with its answer."""

    def __init__(self, app: ASGIApp, most: int) -> None:
        self.app = app
        self.most = most
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        probe = scope["path"] == HEALTH
        quiet = probe or scope["path"] in (METRICS, READY)  # scraped and probed every few seconds
        status = [0]

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            if not probe and self.in_flight >= self.most:
                busy = {"error": f"{self.most} requests at once already (server.max_requests): send it again"}
                await _json(HTTPStatus.SERVICE_UNAVAILABLE, busy, {"Retry-After": "1"})(scope, receive, sent)
                return
            self.in_flight += not probe
            try:
                await self.app(scope, receive, sent)
            finally:
                self.in_flight -= not probe
        finally:  # 0: no answer was sent (the client left, or the application failed and uvicorn answers 500)
            client = scope.get("client")
            who = f"{client[0]}:{client[1]}" if client else "-"
            level = logging.DEBUG if quiet else logging.INFO
            log.log(level, "%s %s %s %d", who, scope["method"], scope["path"], status[0])


def build_app(
    hub: Hub, hooks: Webhooks, on_start: Callable[[], None], scheduler: Callable[[], bool] | None = None
) -> ASGIApp:
    """The application for every endpoint of ``hub``'s configuration; ``on_start`` is called once it is up;
    ``scheduler`` says whether ``run``'s jobs run, for ``/readyz`` (None: ``serve``, which runs none)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        on_start()
        yield

    routes: list[BaseRoute] = [Route(HEALTH, _health, methods=["GET"]), *metrics_routes(hub, scheduler)]
    posted = endpoints(hub.config).items()
    routes += [Route(path, _http_source(hub, endpoint), methods=["POST"]) for path, endpoint in posted]
    routes += [Route(path, _webhook(hooks), methods=["GET", "POST"]) for path in hooks.paths()]
    routes += [
        Route(path, _as2(hub, endpoint), methods=["POST"]) for path, endpoint in as2_endpoints(hub.config).items()
    ]
    if hub.config.console is not None:  # the operator console's pages (crossdock/console)
        from crossdock.console.app import PREFIX, console_app

        routes.append(Mount(PREFIX, console_app(hub, hub.config.console)))
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found}, lifespan=lifespan)
    app.router.redirect_slashes = False  # a path is answered as configured, not redirected
    return _Bounded(app, hub.config.server.max_requests)
