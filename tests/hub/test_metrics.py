"""/metrics and /readyz: the store's figures and this process's counts, read back with prometheus-client's own
parser; readiness that says which check failed."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, text, update

from crossdock.core.errors import ConfigError, PermanentError, TransientError
from crossdock.core.hub import Hub
from crossdock.core.metrics_counts import REGISTRY
from crossdock.core.pipeline import process_received
from crossdock.core.storage.schema import documents
from crossdock.metrics import StoreCollector
from crossdock.scheduler import Worker
from crossdock.server import make_server, serve_in_background
from tests.hub.conftest import base_config, write_config
from tests.hub.edi import interchange, order
from tests.hub.test_check import found, write
from tests.hub.test_config import MINIMAL
from tests.hub.test_outbox import ScriptedSink, dispatcher

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
TOKEN = "scrape-token-of-ops-team"


class Client:
    """GET from a server answering on loopback, as a scraper or a probe does."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=headers, timeout=10)


def scrape(client: Client, **headers: str) -> Samples:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@contextlib.contextmanager
def app(hub: Hub, running: bool | None = None) -> Iterator[Client]:
    """``hub``'s endpoints served on a free loopback port; ``running`` is what run's scheduler says (None: serve)."""
    server = make_server(hub, "127.0.0.1", 0, None if running is None else (lambda: running))
    serve_in_background(server)
    try:
        yield Client(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def client(hub: Hub) -> Iterator[Client]:
    with app(hub) as served:
        yield served


def test_a_scrape_after_a_poll_and_a_dispatch(hub: Hub, client: Client) -> None:
    before = scrape(client)
    (Path(hub.config.sources["drop"].path) / "po.edi").write_bytes(interchange([order("PO-1")]))  # type: ignore[union-attr]
    Worker(hub.config, hub)._poll("drop")  # the scheduler's job, timed and counted as it runs it
    process_received(hub, 100)  # on PostgreSQL the poll hands what it stored to the processing thread
    shutil.rmtree(hub.config.sources["drop"].path)  # type: ignore[union-attr]
    Worker(hub.config, hub)._poll("drop")  # a poll that fails
    dispatcher(hub.store, ScriptedSink([])).drain()  # what the poll queued: sent

    with hub.store.transaction() as conn:  # three deliveries to one sink: retried, dead, sent
        for key in ("retried", "dead", "sent"):
            doc = hub.store.add_document(conn, direction="out", data=b"ISA...", state="queued", remote_name=key)
            hub.store.enqueue(conn, key=key, sink="scripted", purpose="997", document_id=doc)
    sink = ScriptedSink([TransientError("connection reset"), PermanentError("550 no such mailbox")])
    dispatcher(hub.store, sink, initial=3600, maximum=3600).run_once()
    with hub.store.transaction() as conn:
        sent_855 = conn.execute(  # what the partner has not acknowledged in time
            select(func.min(documents.c.id)).where(documents.c.direction == "out", documents.c.partner == "northwind")
        ).scalar_one()
        conn.execute(update(documents).where(documents.c.id == sent_855).values(ack_state="overdue"))
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "crossdock_store_up") == 1
    assert delta("crossdock_poll_duration_seconds_count", source="drop") == 2
    assert delta("crossdock_poll_errors_total", source="drop") == 1
    for outcome in ("sent", "retried", "dead"):
        assert delta("crossdock_deliveries_total", sink="scripted", purpose="997", outcome=outcome) == 1, outcome
    assert delta("crossdock_sink_send_seconds_count", sink="scripted") == 3
    assert value(after, "crossdock_outbox_deliveries", sink="scripted", state="pending") == 1  # the retried one
    assert value(after, "crossdock_outbox_deliveries", sink="scripted", state="dead") == 1
    assert value(after, "crossdock_outbox_oldest_age_seconds", sink="scripted") >= 0
    assert ("crossdock_outbox_oldest_age_seconds", frozenset({("sink", "scripted")})) in after
    assert value(after, "crossdock_documents", direction="out", partner="", state="sent") == 1
    assert value(after, "crossdock_documents", direction="out", partner="", state="dead") == 1
    assert value(after, "crossdock_documents", direction="out", partner="", state="queued") == 1
    with hub.store.transaction() as conn:
        stored = conn.execute(text("SELECT state, direction, partner, COUNT(*) FROM documents GROUP BY 1, 2, 3")).all()
        numbers = conn.execute(text("SELECT scope, kind, value FROM sequences")).all()
    for state, direction, partner, count in stored:
        assert value(after, "crossdock_documents", direction=direction, partner=partner or "", state=state) == count
    assert value(after, "crossdock_documents", direction="in", partner="northwind", state="processed") == 1
    assert value(after, "crossdock_acks_overdue", partner="northwind") == 1
    assert numbers, "the 997 and 855 took control numbers"
    for scope, kind, number in numbers:
        assert value(after, "crossdock_control_number", scope=scope, kind=kind) == number


def test_a_scrape_with_the_store_gone_still_serves_the_process_figures(tmp_path: Path) -> None:
    hub = Hub(write_config(tmp_path, base_config(tmp_path, f"sqlite:///{tmp_path}/store/crossdock.db")))
    with app(hub) as client:
        assert value(scrape(client), "crossdock_store_up") == 1
        gone(hub, tmp_path / "store")
        samples = scrape(client)
    assert value(samples, "crossdock_store_up") == 0
    assert not any(name == "crossdock_documents" for name, _ in samples)
    hub.close()


def gone(hub: Hub, folder: Path) -> None:
    """The store's file and its folder removed, and no connection left open to it."""
    hub.store.engine.dispose()
    shutil.rmtree(folder)


def test_metrics_ask_for_the_token_when_one_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    hub = Hub(write_config(tmp_path, base_config(tmp_path, f"sqlite:///{tmp_path}/c.db", server=_token())))
    with app(hub) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        assert wrong.status_code == 401 and "server.metrics_token" in wrong.json()["error"]
        assert value(scrape(client, Authorization=f"Bearer {TOKEN}"), "crossdock_store_up") == 1
        assert client.get("/readyz").status_code == 200, "readiness names no partner: no token asked"
    hub.close()


def _token() -> dict[str, Any]:
    return {"metrics_token": "${METRICS_TOKEN}"}


def test_a_short_metrics_token_is_refused_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "short")
    hub = Hub(write_config(tmp_path, base_config(tmp_path, f"sqlite:///{tmp_path}/c.db", server=_token())))
    with pytest.raises(ConfigError, match=r"server\.metrics_token"), app(hub):
        pass
    hub.close()


def test_readyz_says_every_check(client: Client) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["ready"] is True and set(body["checks"]) == {"store", "migrations", "scheduler"}
    assert "serve" in body["checks"]["scheduler"]["note"]


def test_readyz_fails_when_the_store_is_gone(tmp_path: Path) -> None:
    hub = Hub(write_config(tmp_path, base_config(tmp_path, f"sqlite:///{tmp_path}/store/crossdock.db")))
    with app(hub) as client:
        gone(hub, tmp_path / "store")
        answer = client.get("/readyz")
    hub.close()
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["store"]["ok"] is False and "the store does not answer" in checks["store"]["error"]
    assert "OperationalError" in checks["store"]["error"]
    assert checks["migrations"]["ok"] is False and checks["scheduler"]["ok"] is True


def test_readyz_fails_when_a_migration_is_missing(hub: Hub, client: Client) -> None:
    with hub.store.transaction() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["store"]["ok"] is True
    assert checks["migrations"] == {
        "ok": False,
        "error": f"the store is at migration 0012, this crossdock needs {head}: "
        "restart crossdock to apply it, or upgrade",
    }


def test_readyz_fails_when_the_scheduler_does_not_run(hub: Hub) -> None:
    with app(hub, running=False) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["scheduler"] == {
        "ok": False,
        "error": "the scheduler or the processing thread is not running",
    }
    with app(hub, running=True) as client:
        assert client.get("/readyz").json()["checks"]["scheduler"] == {"ok": True}


def test_run_with_server_metrics_answers_readyz_and_metrics(tmp_path: Path, store_url: str) -> None:
    cfg = base_config(tmp_path, store_url, server={"metrics": True, "port": 0})
    worker = Worker(write_config(tmp_path, cfg))
    worker.start()
    try:
        assert worker.server is not None, "no endpoints declared, but server.metrics opens the port"
        base = f"http://127.0.0.1:{worker.server.server_address[1]}"
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["checks"]["scheduler"] == {"ok": True}
        assert "crossdock_store_up 1.0" in httpx.get(f"{base}/metrics", timeout=10).text
    finally:
        worker.stop()
    assert worker._running() is False


def test_run_without_endpoints_or_metrics_opens_no_port(tmp_path: Path, store_url: str) -> None:
    worker = Worker(write_config(tmp_path, base_config(tmp_path, store_url)))
    worker.start()
    try:
        assert worker.server is None
    finally:
        worker.stop()


def test_the_sample_dashboard_draws_only_metrics_crossdock_serves(hub: Hub) -> None:
    served = {family.name for family in REGISTRY.collect()}
    served |= {family.name for family in StoreCollector(hub.store).collect()}
    dashboard = json.loads((Path(__file__).parents[2] / "docs" / "grafana" / "crossdock.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    drawn = {re.sub(r"_(total|bucket|count|sum)$", "", name) for e in exprs for name in re.findall(r"crossdock_\w+", e)}
    assert len(drawn) >= 9 and drawn <= served, drawn - served


def test_a_short_metrics_token_fails_check_without_showing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "scrape-me")
    path = write(tmp_path, MINIMAL + "server:\n  metrics_token: ${METRICS_TOKEN}\n")
    ((_, key, message),) = found(path)
    assert key == "server.metrics_token" and "holds 9 characters" in message and "scrape-me" not in message
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    assert found(path) == []
