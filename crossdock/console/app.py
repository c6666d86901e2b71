"""The console's routes: sign-in, Now, Search, a document, an order, partners, and the actions.

Nothing but the sign-in page is answered without a session (or a user a configured reverse proxy vouches for).
An action is a POST that carries the session's CSRF token; the first POST shows what will be done and asks for
confirmation, the second (``confirm=yes``) does it. Only an ``operator`` may act. Pages are Jinja2 templates with
autoescaping on: every value shown may come from a partner or a shopper.
"""

from __future__ import annotations

import hmac
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from crossdock.console import actions, queries
from crossdock.console.places import findings
from crossdock.console.segments import Shown, show
from crossdock.console.sessions import COOKIE, SIGN_IN_COOKIE, SIGN_IN_SECONDS, Session, Sessions, csrf_ok
from crossdock.console.settings import partners_view
from crossdock.console.throttle import Throttle
from crossdock.core.configuration.console import ConsoleConfig, ConsoleUser
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError, CrossdockError
from crossdock.core.hub import Hub
from crossdock.core.storage.order_json import document_bytes

PREFIX = "/console"
log = logging.getLogger("crossdock.console")
LONGEST_FORM = 64 * 1024
_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
Handler = Callable[[Request, Session], Awaitable[Response]]


class Console:
    def __init__(self, hub: Hub, config: ConsoleConfig) -> None:
        self.hub = hub
        self.config = config
        self.sessions = Sessions(config)
        self.throttle = Throttle(hub.store)
        self.env = Environment(
            loader=PackageLoader("crossdock.console", "templates"), autoescape=select_autoescape(default=True)
        )

    def page(self, template: str, session: Session | None, status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(session=session, prefix=PREFIX, **values)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def who(self, request: Request) -> Session | None:
        if self.config.proxy_header:
            by_proxy = self.sessions.from_proxy(request.headers.get(self.config.proxy_header))
            if by_proxy is not None:
                return by_proxy
        return self.sessions.read(request.cookies.get(COOKIE))

    def signed_in(self, handler: Handler, *, act: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session = self.who(request)
            if session is None:
                target = urllib.parse.quote(request.url.path)
                return RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303, headers=HEADERS)
            if request.method == "POST":
                if not _same_origin(request):
                    return self.page("message.html", session, 403, title="Refused", lines=["cross-site request"])
                form = await _form(request)
                if form is None or not csrf_ok(session, form.get("csrf")):
                    return self.page("message.html", session, 403, title="Refused", lines=["missing or wrong token"])
                request.state.form = form
            if act and not session.can_act:
                return self.page("message.html", session, 403, title="Refused", lines=["viewers cannot act"])
            return await handler(request, session)

        return endpoint

    # --- sign-in ---------------------------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        target = _local(request.query_params.get("next"))
        if request.method == "GET":
            return self._sign_in_page(target, 200)
        form = await _form(request) or {}
        target = _local(form.get("next")) or target
        if not self.sessions.sign_in_ok(request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")):
            return self._sign_in_page(target, 403, refused=True)
        user = str(form.get("user", ""))[:128]
        password = str(form.get("password", ""))
        found = self.config.users.get(user)
        if await run_in_threadpool(self.throttle.blocked, user):
            return self._sign_in_page(target, 429, failed=True)
        ok = await run_in_threadpool(_verify, password, _stored_hash(found))
        if not ok or found is None or not _same_origin(request):
            await run_in_threadpool(self.throttle.failed, user)
            return self._sign_in_page(target, 401, failed=True)
        await run_in_threadpool(self.throttle.succeeded, user)
        response = RedirectResponse(target or f"{PREFIX}/now", status_code=303, headers=HEADERS)
        response.delete_cookie(SIGN_IN_COOKIE, path=f"{PREFIX}/login")
        response.set_cookie(
            COOKIE,
            self.sessions.issue(user),
            max_age=int(self.config.session_hours * 3600),
            path=PREFIX,
            secure=self.config.secure_cookie,
            httponly=True,
            samesite="strict",
        )
        return response

    def _sign_in_page(self, target: str, status: int, **values: Any) -> Response:
        """The sign-in form with a fresh token of its own, its cookie beside it."""
        cookie, token = self.sessions.sign_in_token()
        response = self.page("login.html", None, status, target=target, token=token, **values)
        response.set_cookie(
            SIGN_IN_COOKIE,
            cookie,
            max_age=SIGN_IN_SECONDS,
            path=f"{PREFIX}/login",
            secure=self.config.secure_cookie,
            httponly=True,
            samesite="strict",
        )
        return response

    async def logout(self, request: Request, session: Session) -> Response:
        response = RedirectResponse(f"{PREFIX}/login", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # --- pages -----------------------------------------------------------------------------------------------

    async def now(self, request: Request, session: Session) -> Response:
        figures = await run_in_threadpool(self._read, queries.now)
        return self.page("now.html", session, now=figures)

    async def search(self, request: Request, session: Session) -> Response:
        f = queries.Filters.of(request.query_params)
        kind = "orders" if request.query_params.get("kind") == "orders" else "documents"
        before = _int(request.query_params.get("before"))
        if kind == "orders":
            rows = await run_in_threadpool(self._read, queries.search_orders, f, before)
        else:
            rows = await run_in_threadpool(self._read, queries.search_documents, f, before)
        more = None
        if len(rows) == queries.PAGE:
            params = {k: v for k, v in request.query_params.items() if k != "before"}
            more = f"{PREFIX}/search?" + urllib.parse.urlencode({**params, "before": rows[-1]["id"]})
        return self.page("search.html", session, f=f, kind=kind, rows=rows, more=more)

    async def document(self, request: Request, session: Session) -> Response:
        document_id = int(request.path_params["id"])
        at = _int(request.query_params.get("at")) or 0

        def read() -> dict[str, Any] | None:
            with self.hub.store.transaction() as conn:
                found = queries.document(conn, document_id)
                if found is None:
                    return None
                data = document_bytes(conn, document_id) or b""
                thread = queries.thread(conn, document_id)
                calls = queries.channel_calls(conn, [int(t["id"]) for t in thread])
            return {"d": found, "thread": thread, "calls": calls, "shown": _shown(data, found, at)}

        values = await run_in_threadpool(read)
        if values is None:
            return self.page("message.html", session, 404, title="Not found", lines=[f"no document {document_id}"])
        return self.page("document.html", session, **values)

    async def order(self, request: Request, session: Session) -> Response:
        order_id = int(request.path_params["id"])
        found = await run_in_threadpool(self._read, queries.order, order_id)
        if found is None:
            return self.page("message.html", session, 404, title="Not found", lines=[f"no order {order_id}"])
        return self.page("order.html", session, o=found)

    async def partners(self, request: Request, session: Session) -> Response:
        days = _int(request.query_params.get("days")) or 30
        view = await run_in_threadpool(partners_view, self.hub, days)
        return self.page("partners.html", session, view=view)

    # --- actions ---------------------------------------------------------------------------------------------

    async def act(self, request: Request, session: Session) -> Response:
        form: dict[str, Any] = request.state.form
        what = request.path_params["action"]
        ids = [int(i) for i in form.get("id_list", []) if str(i).isdecimal()][: actions.MOST_AT_ONCE]
        reason = " ".join(str(form.get("reason", "")).split())[:200]
        doing = _describe(what, ids, reason)
        if doing is None or not ids:
            return self.page("message.html", session, 400, title="Nothing to do", lines=["choose what to act on"])
        if form.get("confirm") != "yes":
            return self.page("confirm.html", session, action=what, ids=ids, reason=reason, doing=doing)
        try:
            lines = await run_in_threadpool(self._do, what, session, ids, reason)
        except CrossdockError as exc:
            return self.page("message.html", session, 409, title="Not done", lines=[str(exc)])
        return self.page("message.html", session, title="Done", lines=lines)

    def _do(self, what: str, session: Session, ids: list[int], reason: str) -> list[str]:
        if what == "retry":
            return actions.retry(self.hub, session, ids)
        if what == "acknowledge":
            return actions.acknowledge(self.hub, session, ids)
        if what == "replay":
            return actions.replay_document(self.hub, session, ids[0])
        if what == "resend":
            return actions.resend_document(self.hub, session, ids[0])
        if what == "hold":
            return actions.hold(self.hub, session, ids[0], reason or "held in the console")
        return actions.release(self.hub, session, ids[0])

    def _read(self, read: Callable[..., Any], *args: Any) -> Any:
        with self.hub.store.transaction() as conn:
            return read(conn, *args)


def _shown(data: bytes, found: dict[str, Any], at: int) -> Shown:
    """The page of the document from byte ``at``; a document with an error is validated again for its places."""
    shown = show(data, found.get("error"), at=at)
    if found.get("error") and shown.segments:
        shown = show(data, found.get("error"), findings(data, shown.terminator), at)
    return shown


def _describe(what: str, ids: list[int], reason: str) -> str | None:
    names = ", ".join(str(i) for i in ids)
    return {
        "retry": f"retry dead letter(s) {names}",
        "acknowledge": f"acknowledge alert(s) {names}",
        "replay": f"replay document {names}",
        "resend": f"resend document {names} under new control numbers",
        "hold": f"hold order {names}" + (f": {reason}" if reason else ""),
        "release": f"release order {names}",
    }.get(what)


def _stored_hash(user: ConsoleUser | None) -> str | None:
    """A user's hash, from the file or its ``${VAR}``; none (no sign-in by password) when the variable is unset."""
    if user is None or user.password_hash is None:
        return None
    if not user.password_hash.startswith("${"):
        return user.password_hash
    try:
        return resolve_secret(user.password_hash)
    except ConfigError:
        log.warning("console: the password hash of a user is in an unset variable; that user cannot sign in")
        return None


def _verify(password: str, stored: str | None) -> bool:
    from crossdock.console.passwords import verify_password

    ok = verify_password(password, stored or _DUMMY)  # an unknown user costs the same time
    return ok and stored is not None


async def _form(request: Request) -> dict[str, Any] | None:
    """A url-encoded form, bounded; ``id`` may repeat (a selection of dead letters)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > LONGEST_FORM:
            return None
    pairs = urllib.parse.parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500)
    form: dict[str, Any] = dict(pairs)
    form["id_list"] = [v for k, v in pairs if k == "id"]
    return form


def _same_origin(request: Request) -> bool:
    """A browser's Origin (when it sends one) must be this server: no other site posts a form here."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return hmac.compare_digest(urllib.parse.urlsplit(origin).netloc.encode(), host.encode())


def _local(target: Any) -> str:
    """A redirect target inside the console only."""
    text = str(target or "")
    return text if text.startswith(f"{PREFIX}/") and not text.startswith("//") and "\\" not in text else ""


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdecimal() and len(text) < 19 else None


def console_app(hub: Hub, config: ConsoleConfig) -> Starlette:
    """The console, to mount at ``/console``."""
    c = Console(hub, config)

    async def home(_: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/now", status_code=303)

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/login", c.login, methods=["GET", "POST"]),
        Route("/logout", c.signed_in(c.logout), methods=["POST"]),
        Route("/now", c.signed_in(c.now), methods=["GET"]),
        Route("/search", c.signed_in(c.search), methods=["GET"]),
        Route("/documents/{id:int}", c.signed_in(c.document), methods=["GET"]),
        Route("/orders/{id:int}", c.signed_in(c.order), methods=["GET"]),
        Route("/partners", c.signed_in(c.partners), methods=["GET"]),
        Route("/act/{action:str}", c.signed_in(c.act, act=True), methods=["POST"]),
    ]
    return Starlette(routes=routes)
