"""The console's fixtures: a folder hub on SQLite with a console block (an operator and a viewer), two orders
received, one dead letter, and a client signed in as either user.

The client is ``httpx.AsyncClient`` over ``httpx.ASGITransport`` driven from a blocking portal, so the tests stay
plain functions: Starlette's TestClient warns that its use of httpx is deprecated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import select, update

from crossdock.console.passwords import hash_password
from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries
from crossdock.http_app import build_app
from crossdock.webhooks import Webhooks
from tests.hub.conftest import _pg_schema_url, base_config, receive, write_config
from tests.hub.edi import interchange, order

SECRET = "s" * 40
HOSTILE = "<script src=//x"  # a PO a partner chose: rendered, it would be a tag
PASSWORDS = {"alice": "alice-password-1", "victor": "victor-password-1"}
_HASHES = {name: hash_password(password) for name, password in PASSWORDS.items()}


def console_block(**extra: Any) -> dict[str, Any]:
    return {
        "session_secret": "${CROSSDOCK_CONSOLE_SECRET}",
        "secure_cookie": False,  # the test client speaks plain http to "testserver"
        "users": {
            "alice": {"role": "operator", "password_hash": _HASHES["alice"]},
            "victor": {"role": "viewer", "password_hash": _HASHES["victor"]},
        },
        **extra,
    }


def console_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str | None = None, **extra: Any) -> Hub:
    """A hub with two orders (PO-1 and a hostile PO) received and one of PO-1's deliveries dead."""
    monkeypatch.setenv("CROSSDOCK_CONSOLE_SECRET", SECRET)
    data = base_config(tmp_path, url or f"sqlite:///{tmp_path}/crossdock.db", console=console_block(**extra))
    hub = Hub(write_config(tmp_path, data))
    receive(hub, interchange([order("PO-1")], control=1), "po1.edi")
    receive(hub, interchange([order(HOSTILE)], control=2), "po2.edi")
    with hub.store.transaction() as conn:
        first = conn.execute(select(deliveries.c.id).where(deliveries.c.purpose == "order").order_by(deliveries.c.id))
        dead = int(first.scalars().first() or 0)
        conn.execute(update(deliveries).where(deliveries.c.id == dead).values(state="dead", last_error="refused <b>"))
    return hub


def both_engines(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """The console hub on SQLite, or on a fresh schema of the PostgreSQL peer (skipped without one)."""
    if engine == "sqlite":
        h = console_hub(tmp_path, monkeypatch)
        yield h
        h.close()
        return
    base = os.environ.get("CROSSDOCK_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL peer: run scripts/peers up (CROSSDOCK_PG_URL unset)")
    for url in _pg_schema_url(base):
        h = console_hub(tmp_path, monkeypatch, url)
        yield h
        h.close()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    h = console_hub(tmp_path, monkeypatch)
    yield h
    h.close()


class Client:
    """The requests a test makes, answered by the app in-process; cookies are kept between them."""

    def __init__(self, portal: BlockingPortal, app: Any) -> None:
        self._portal = portal
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        return self._portal.call(partial(self.http.request, method, url, **options))

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def close(self) -> None:
        self._portal.call(self.http.aclose)


@contextmanager
def client_of(hub: Hub) -> Iterator[Client]:
    with start_blocking_portal() as portal:
        c = Client(portal, build_app(hub, Webhooks(hub), lambda: None))
        try:
            yield c
        finally:
            c.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[Client]:
    with client_of(hub) as c:
        yield c


def _hidden(page: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def sign_in_token(client: Client) -> str:
    """The sign-in form's own token (its cookie is kept by the client)."""
    return _hidden(client.get("/console/login").text, "csrf")


def log_in(client: Client, user: str, password: str, **form: str) -> httpx.Response:
    """Post the sign-in form as a browser would: with the token of a sign-in page read first."""
    data = {"csrf": sign_in_token(client), "user": user, "password": password, **form}
    return client.post("/console/login", data=data)


def sign_in(client: Client, user: str) -> None:
    answer = log_in(client, user, PASSWORDS[user])
    assert answer.status_code == 303, answer.text


def csrf(client: Client) -> str:
    """The session's CSRF token, as the forms of a page carry it."""
    return _hidden(client.get("/console/now").text, "csrf")
