"""The console's fixtures: a folder hub on SQLite with a console block (an operator and a viewer), two orders
received, one dead letter, and a client signed in as either user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from crossdock.console.passwords import hash_password
from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries
from crossdock.http_app import build_app
from crossdock.webhooks import Webhooks
from tests.hub.conftest import base_config, receive, write_config
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


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    h = console_hub(tmp_path, monkeypatch)
    yield h
    h.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(build_app(hub, Webhooks(hub), lambda: None), follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, user: str) -> None:
    answer = client.post("/console/login", data={"user": user, "password": PASSWORDS[user]})
    assert answer.status_code == 303, answer.text


def csrf(client: TestClient) -> str:
    """The session's CSRF token, as the forms of a page carry it."""
    page = client.get("/console/now").text
    start = page.index('name="csrf" value="') + len('name="csrf" value="')
    return page[start : page.index('"', start)]
