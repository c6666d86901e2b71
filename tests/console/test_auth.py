"""Sign-in, sessions, CSRF and roles: nothing is readable without signing in, and only an operator acts."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from crossdock.cli import main
from crossdock.console.passwords import hash_password, verify_password
from crossdock.console.sessions import COOKIE, Sessions
from crossdock.core.configuration.console import ConsoleConfig
from crossdock.core.errors import ConfigError
from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries
from tests.console.conftest import SECRET, Client, client_of, console_hub, csrf, log_in, sign_in, sign_in_token

PAGES = ["/console/now", "/console/search", "/console/documents/1", "/console/orders/1", "/console/partners"]


def test_passwords_hash_with_salt_and_verify() -> None:
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("correct horse", one) and not verify_password("wrong horse", one)
    assert not verify_password("correct horse", "scrypt$1$1$1$x$y"), "a malformed hash matches nothing"
    assert not verify_password("x", "scrypt$1073741824$8$1$AAAA$AAAA"), "a hash cannot ask for a gigabyte"


@pytest.mark.parametrize("path", PAGES)
def test_nothing_is_readable_without_signing_in(client: Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login?next=")
    assert "PO-1" not in answer.text


def test_sign_in_sets_a_strict_http_only_cookie(client: Client) -> None:
    assert log_in(client, "alice", "nope").status_code == 401
    assert log_in(client, "mallory", "nope").status_code == 401
    answer = log_in(client, "alice", "alice-password-1")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/now"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    page = client.get("/console/now")
    assert page.status_code == 200 and "alice (operator)" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_sign_in_goes_back_only_inside_the_console(client: Client) -> None:
    assert log_in(client, "alice", "alice-password-1", next="/console/search").headers["location"] == "/console/search"
    for elsewhere in ("https://evil.example/", "//evil.example/console/", "/healthz"):
        assert log_in(client, "alice", "alice-password-1", next=elsewhere).headers["location"] == "/console/now"


def test_the_sign_in_form_needs_its_own_token(hub: Hub, client: Client) -> None:
    login = {"user": "alice", "password": "alice-password-1"}
    refused = client.post("/console/login", data=login)
    assert refused.status_code == 403 and 'id="refused"' in refused.text, "no token: another site's form"
    token = sign_in_token(client)
    assert client.post("/console/login", data={**login, "csrf": token + "x"}).status_code == 403
    token = sign_in_token(client)  # a refused form comes back with a token (and cookie) of its own
    with client_of(hub) as elsewhere:  # a token read by another browser is no good without that browser's cookie
        assert elsewhere.post("/console/login", data={**login, "csrf": token}).status_code == 403
    assert client.post("/console/login", data={**login, "csrf": token}).status_code == 303
    assert hub.config.console is not None
    sessions = Sessions(hub.config.console)
    cookie, signed = sessions.sign_in_token(now=1000)
    assert sessions.sign_in_ok(cookie, signed, now=1000 + 60) and not sessions.sign_in_ok(cookie, signed, now=10**6)


def test_forged_and_ended_sessions_are_refused(hub: Hub, client: Client) -> None:
    assert hub.config.console is not None
    sessions = Sessions(hub.config.console)
    good = sessions.issue("alice")
    assert sessions.read(good) is not None
    body, signature = good.rsplit(".", 1)
    assert sessions.read(body + "x." + signature) is None, "a changed body breaks the signature"
    assert sessions.read(good, now=10**10) is None, "a session ends"
    assert sessions.read(sessions.issue("nobody")) is None, "a user taken out of the configuration is out"
    client.cookies.set(COOKIE, body + "x." + signature, path="/console")
    assert client.get("/console/now").status_code == 303


def test_a_short_session_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHORT_SECRET", "short")
    with pytest.raises(ConfigError, match="session_secret"):
        Sessions(ConsoleConfig(session_secret="${SHORT_SECRET}"))


def test_every_action_needs_the_csrf_token_and_this_origin(hub: Hub, client: Client) -> None:
    sign_in(client, "alice")
    token = csrf(client)
    form = {"id": "1", "confirm": "yes"}
    assert client.post("/console/act/retry", data=form).status_code == 403
    assert client.post("/console/act/retry", data={**form, "csrf": "wrong"}).status_code == 403
    crossed = client.post(
        "/console/act/retry", data={**form, "csrf": token}, headers={"origin": "https://evil.example"}
    )
    assert crossed.status_code == 403
    with hub.store.transaction() as conn:
        assert "dead" in set(conn.execute(select(deliveries.c.state)).scalars()), "nothing was retried"


def test_a_viewer_reads_but_cannot_act(hub: Hub, client: Client) -> None:
    sign_in(client, "victor")
    page = client.get("/console/now")
    assert page.status_code == 200 and "victor (viewer)" in page.text and 'id="retry"' not in page.text
    answer = client.post("/console/act/retry", data={"id": "1", "confirm": "yes", "csrf": csrf(client)})
    assert answer.status_code == 403 and "viewers cannot act" in answer.text
    with hub.store.transaction() as conn:
        assert "dead" in set(conn.execute(select(deliveries.c.state)).scalars())


def test_a_proxy_header_signs_in_a_configured_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = console_hub(tmp_path, monkeypatch, proxy_header="X-Remote-User")
    with client_of(hub) as client:
        assert "victor (viewer)" in client.get("/console/now", headers={"x-remote-user": "victor"}).text
        assert client.get("/console/now", headers={"x-remote-user": "mallory"}).status_code == 303
        assert client.get("/console/now", headers={"x-other": "alice"}).status_code == 303
    hub.close()


def test_hash_password_prints_a_hash_the_console_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["console", "hash-password"]) == 0
    printed = capsys.readouterr().out.strip()
    assert verify_password("a long enough password", printed)
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["console", "hash-password"]) == 1
    assert SECRET not in printed


def test_run_opens_its_port_for_the_console(hub: Hub) -> None:
    from crossdock.server import declared_paths

    assert "/console" in declared_paths(hub.config), "crossdock run listens when only the console is configured"


def test_a_password_hash_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLGA_HASH", hash_password("olga-password-1"))
    hub = console_hub(tmp_path, monkeypatch, users={"olga": {"role": "operator", "password_hash": "${OLGA_HASH}"}})
    with client_of(hub) as client:
        assert log_in(client, "olga", "wrong").status_code == 401
        assert log_in(client, "olga", "olga-password-1").status_code == 303
        assert "olga (operator)" in client.get("/console/now").text
    hub.close()


def test_wrong_passwords_are_bounded_per_user(hub: Hub, client: Client) -> None:
    for _ in range(5):
        assert log_in(client, "alice", "guess").status_code == 401
    refused = log_in(client, "alice", "alice-password-1")
    assert refused.status_code == 429 and f"{COOKIE}=" not in refused.headers.get("set-cookie", "")
    with client_of(hub) as other_worker:  # the failures are in the store: another worker's process refuses too
        assert log_in(other_worker, "alice", "alice-password-1").status_code == 429
    assert log_in(client, "victor", "victor-password-1").status_code == 303


def test_the_throttle_forgets_after_its_window(hub: Hub) -> None:
    import datetime as dt

    from crossdock.console.throttle import Throttle
    from crossdock.core.storage.schema import signin_failures

    at = dt.datetime(2026, 12, 7, 12, 0, 0)
    throttle = Throttle(hub.store, most=2, window=10)
    throttle.failed("a", now=at)
    throttle.failed("a", now=at + dt.timedelta(seconds=1))
    assert throttle.blocked("a", now=at + dt.timedelta(seconds=5))
    assert not throttle.blocked("b", now=at + dt.timedelta(seconds=5))
    assert not throttle.blocked("a", now=at + dt.timedelta(seconds=11)), "the failures aged out"
    throttle.failed("b", now=at + dt.timedelta(seconds=30))
    with hub.store.transaction() as conn:
        names = list(conn.execute(select(signin_failures.c.name)).scalars())
    assert names == ["b"], "a failure clears the rows older than the window"
