"""The console in a real browser: Debian's headless Chromium driven by Playwright against ``crossdock serve``'s
server on loopback. An operator signs in, searches a PO, opens its thread, retries a dead letter and sees the
result; a viewer is offered no action and is refused one. The main pages are saved under build/screenshots/
(docs/screenshots/ with CROSSDOCK_SCREENSHOTS=docs/screenshots).

Marked ``peers``: it skips (visibly) where Chromium cannot run, and CI (CROSSDOCK_REQUIRE_PEERS=1) fails the skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries, documents, orders
from crossdock.server import make_server
from tests.console.conftest import PASSWORDS, console_hub

pytestmark = pytest.mark.peers
CHROMIUM = os.environ.get("CROSSDOCK_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
# Each run saves its screenshots under build/ (ignored), so a test run leaves the checkout clean;
# CROSSDOCK_SCREENSHOTS=docs/screenshots refreshes the committed ones.
SHOTS = ROOT / os.environ.get("CROSSDOCK_SCREENSHOTS", "build/screenshots")


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (scripts/test does, as root)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_api.sync_playwright() as p:
        try:
            found = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Exception as exc:  # a Chromium that cannot start here (no sandbox support, missing libraries)
            pytest.skip(f"Chromium at {CHROMIUM} cannot run: {str(exc).splitlines()[0]}")
        yield found
        found.close()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Hub, str]]:
    hub = console_hub(tmp_path, monkeypatch, secure_cookie=True)  # browsers keep Secure cookies for localhost
    server = make_server(hub, "127.0.0.1", 0)
    server.serve_in_background()
    yield hub, f"http://localhost:{server.server_address[1]}/console"
    server.shutdown()
    server.server_close()
    hub.close()


def _sign_in(page: Any, base: str, user: str) -> None:
    page.goto(f"{base}/now")
    assert "/console/login" in page.url, "nothing is readable before signing in"
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("#sign-in")
    page.wait_for_url(f"{base}/now")


def test_an_operator_finds_a_po_follows_its_thread_and_retries_a_dead_letter(
    browser: Any, served: tuple[Hub, str]
) -> None:
    hub, base = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/now")
    page.screenshot(path=str(SHOTS / "console-sign-in.png"))
    _sign_in(page, base, "alice")
    assert page.inner_text("#who") == "alice (operator)"
    page.screenshot(path=str(SHOTS / "console-now.png"), full_page=True)

    page.click("nav >> text=Search")
    page.fill("input[name=q]", "PO-1")
    page.click("#go")
    page.screenshot(path=str(SHOTS / "console-search.png"), full_page=True)
    with hub.store.transaction() as conn:
        inbound = conn.execute(select(documents.c.id).where(documents.c.remote_name == "po1.edi")).scalar_one()
        replies = list(conn.execute(select(documents.c.id).where(documents.c.parent_id == inbound)).scalars())
        order_id = conn.execute(select(orders.c.id).where(orders.c.document_id == inbound)).scalar_one()
        told = hub.store.add_document(conn, direction="out", data=b"{}", state="sent", kind="fulfilment")
        hub.store.enqueue(conn, key="shot", sink="shop", purpose="fulfilment", document_id=told, order_id=order_id)
        other = conn.execute(select(documents.c.id, documents.c.data).where(documents.c.remote_name == "po2.edi")).one()
        bad = bytes(other.data).replace(b"PO1*0001*5*EA", b"PO1*0001*X*EA")
        conn.execute(
            update(documents)
            .where(documents.c.id == other.id)
            .values(data=bad, state="rejected", error="850 0001 rejected")
        )
    page.click(f"#results a[href='/console/documents/{inbound}']")
    page.wait_for_url(f"{base}/documents/{inbound}")
    thread = page.inner_text("#thread")
    assert all(str(r) in thread for r in replies) and "BEG" in page.inner_text("#segments")
    assert "fulfilment" in page.inner_text("#calls"), "the order's channel call is a step of the thread"
    page.screenshot(path=str(SHOTS / "console-document.png"), full_page=True)
    page.goto(f"{base}/documents/{other.id}")
    assert "is not a decimal number" in page.inner_text("#findings")
    assert page.inner_text("#segments tr.marked span.marked") == "02=X"
    page.screenshot(path=str(SHOTS / "console-findings.png"), full_page=True)
    page.goto(f"{base}/documents/{inbound}")
    page.click(f"#thread a[href='/console/documents/{replies[0]}']")
    assert f"/console/documents/{inbound}" in page.content(), "the reply's thread leads back to the 850"

    page.click("nav >> text=Now")
    page.check("#dead-letters input[type=checkbox]")
    page.click("#retry")
    assert "You are about to retry dead letter(s)" in page.inner_text("main")
    page.click("#confirm")
    assert "queued again" in page.inner_text("#result")
    page.screenshot(path=str(SHOTS / "console-retried.png"))
    with hub.store.transaction() as conn:
        assert "dead" not in set(conn.execute(select(deliveries.c.state)).scalars())

    page.goto(f"{base}/search?kind=orders&q=PO-1")
    page.click("#results a")
    assert "Order PO-1" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "console-order.png"), full_page=True)
    page.click("nav >> text=Partners")
    page.screenshot(path=str(SHOTS / "console-partners.png"), full_page=True)


def test_a_viewer_cannot_act(browser: Any, served: tuple[Hub, str]) -> None:
    hub, base = served
    page = browser.new_context().new_page()
    _sign_in(page, base, "victor")
    assert page.inner_text("#who") == "victor (viewer)"
    assert page.locator("#retry").count() == 0, "no action is offered to a viewer"
    token = page.get_attribute("input[name=csrf]", "value")
    with hub.store.transaction() as conn:
        dead = conn.execute(select(deliveries.c.id).where(deliveries.c.state == "dead")).scalar_one()
    answer = page.request.post(
        f"{base}/act/retry",
        form={"csrf": token, "id": str(dead), "confirm": "yes"},
        headers={"origin": base.removesuffix("/console")},
    )
    assert answer.status == 403 and "viewers cannot act" in answer.text()
    with hub.store.transaction() as conn:
        assert conn.execute(select(deliveries.c.state).where(deliveries.c.id == dead)).scalar_one() == "dead"
