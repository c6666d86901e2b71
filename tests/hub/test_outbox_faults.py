"""The outbox under faults: a kill mid-batch, a batch that outlives its lease, a crashed worker's claims, a
delivery that kills the process each time it is sent, and an error text that quotes a secret."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import select, update

from crossdock.core.configuration.config import RetryConfig
from crossdock.core.errors import TransientError
from crossdock.core.hub import Hub
from crossdock.core.outbox import Dispatcher
from crossdock.core.ports import Outbound
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, events
from crossdock.core.storage.store import Store
from tests.hub.conftest import base_config, run, write_config
from tests.hub.test_outbox import ScriptedSink, delivery, queue_one


class Killed(BaseException):
    """What a kill looks like from inside: nothing after it runs, not even the dispatcher's bookkeeping."""


def dead_owner() -> str:
    """A worker id of this host whose process has exited, as a killed worker leaves it behind."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return f"{socket.gethostname()}:{int(proc.stdout)}:deadbeef"


def dispatcher(store: Store, sink: Any, owner: str, **kw: Any) -> Dispatcher:
    policy = RetryPolicy(RetryConfig(max_attempts=3, initial=0, maximum=0, jitter=0))
    return Dispatcher(store, lambda name: sink, policy, owner=owner, **kw)


class KillingSink(ScriptedSink):
    """Sends, and kills the process at the send number ``kill_at`` (1-based), every time it gets that far."""

    def __init__(self, kill_at: int) -> None:
        super().__init__([])
        self.kill_at = kill_at
        self.calls = 0

    def send(self, document: Outbound) -> str:
        self.calls += 1
        if self.calls == self.kill_at:
            self.sent.append(document)
            raise Killed
        return super().send(document)


def test_a_kill_repeats_only_the_send_in_flight(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(5)]
    sink = KillingSink(kill_at=3)
    with pytest.raises(Killed):
        dispatcher(store, sink, dead_owner()).run_once()
    assert [delivery(store, d).state for d in ids] == ["sent", "sent", "pending", "pending", "pending"]
    dispatcher(store, sink, "restarted").drain()  # the dead worker's claims are released at once
    assert Counter(o.idempotency_key for o in sink.sent) == {"key-0": 1, "key-1": 1, "key-2": 2, "key-3": 1, "key-4": 1}
    assert [delivery(store, d).state for d in ids] == ["sent"] * 5


class UploadingSink(KillingSink):
    """Delivers each document at send (as an SFTP upload does) though it has a flush (for its bundles)."""

    def at_flush(self, document: Outbound) -> bool:
        return False

    def flush(self) -> None:
        return None


def test_a_kill_repeats_only_the_upload_in_flight_for_a_sink_that_also_flushes(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(4)]
    sink = UploadingSink(kill_at=3)
    with pytest.raises(Killed):
        dispatcher(store, sink, dead_owner()).run_once()
    assert [delivery(store, d).state for d in ids] == ["sent", "sent", "pending", "pending"]


class FlushKillingSink(ScriptedSink):
    """Takes documents and makes them durable at flush; the first flush kills the process."""

    def __init__(self) -> None:
        super().__init__([])
        self.durable: list[str] = []
        self.taken: list[str] = []
        self.kills = 1

    def send(self, document: Outbound) -> str:
        self.taken.append(document.idempotency_key)
        return super().send(document)

    def flush(self) -> None:
        if self.kills:
            self.kills -= 1
            self.taken.clear()
            raise Killed
        self.durable.extend(self.taken)
        self.taken.clear()


def test_a_sink_that_delivers_at_flush_is_recorded_after_its_flush(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(4)]
    sink = FlushKillingSink()
    with pytest.raises(Killed):
        dispatcher(store, sink, dead_owner()).run_once()
    assert [delivery(store, d).state for d in ids] == ["pending"] * 4  # nothing durable, nothing marked sent
    dispatcher(store, sink, "restarted").drain()
    assert sorted(sink.durable) == [f"key-{i}" for i in range(4)]
    assert [(delivery(store, d).state, delivery(store, d).attempts) for d in ids] == [("sent", 2)] * 4


class PoisonSink(ScriptedSink):
    def send(self, document: Outbound) -> str:
        self.sent.append(document)
        raise Killed


def test_a_delivery_that_kills_the_process_every_time_dead_letters_after_max_attempts(store: Store) -> None:
    poison = queue_one(store, "poison")
    sink = PoisonSink([])
    for _ in range(3):  # max_attempts 3: each crash is an attempt, committed before the send
        with pytest.raises(Killed):
            dispatcher(store, sink, dead_owner()).run_once()
    assert delivery(store, poison).attempts == 3
    report = dispatcher(store, sink, "restarted").drain()
    row = delivery(store, poison)
    assert len(sink.sent) == 3 and report.dead == 1
    assert row.state == "dead" and row.attempts == 3 and "gave up after 3 attempts" in row.last_error


class StealingSink(ScriptedSink):
    """On its first send, another worker takes over every other claim of the batch (its lease ran out)."""

    def __init__(self, store: Store) -> None:
        super().__init__([])
        self.store = store

    def send(self, document: Outbound) -> str:
        if not self.sent:
            with self.store.transaction() as conn:
                conn.execute(
                    update(deliveries).where(deliveries.c.key != document.idempotency_key).values(lease_owner="other")
                )
        return super().send(document)


def test_a_claim_lost_mid_batch_is_not_sent(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(4)]
    sink = StealingSink(store)
    report = dispatcher(store, sink, "w1").run_once()
    assert [o.idempotency_key for o in sink.sent] == ["key-0"]
    assert report.sent == 1 and report.lost_lease == 3
    assert [delivery(store, d).lease_owner for d in ids[1:]] == ["other"] * 3


def test_a_heartbeat_renews_only_this_workers_leases_and_names_those_taken(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(3)]
    with store.transaction() as conn:
        store.claim(conn, "w1", limit=3, lease=1)
        conn.execute(update(deliveries).where(deliveries.c.id == ids[2]).values(lease_owner="w2"))
    with store.transaction() as conn:
        taken = store.renew_claims(conn, ids, "w1", 60)
    soon = utcnow() + dt.timedelta(seconds=30)
    assert taken == {ids[2]}
    assert [delivery(store, d).lease_until > soon for d in ids] == [True, True, False]


class SlowSink(ScriptedSink):
    """Takes its time over each send and counts every send of every worker."""

    def __init__(self, seconds: float) -> None:
        super().__init__([])
        self.seconds = seconds
        self.lock = threading.Lock()

    def send(self, document: Outbound) -> str:
        time.sleep(self.seconds)
        with self.lock:
            self.sent.append(document)
        return f"remote/{document.name}"


def test_two_workers_with_a_slow_sink_and_a_short_lease_send_each_delivery_once(store: Store) -> None:
    ids = [queue_one(store, f"key-{i}") for i in range(6)]
    sink = SlowSink(0.5)  # each send outlives the lease: only the heartbeat keeps it
    workers = [dispatcher(store, sink, f"w{n}", batch=3, lease=0.4) for n in range(2)]
    lost: list[int] = []
    until = time.monotonic() + 3.5

    def work(d: Dispatcher) -> None:
        while time.monotonic() < until:  # each keeps looking for due deliveries, the other's included
            lost.append(d.drain().lost_lease)
            time.sleep(0.02)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(o.idempotency_key for o in sink.sent) == {f"key-{i}": 1 for i in range(6)}
    assert {delivery(store, d).state for d in ids} == {"sent"} and sum(lost) == 0


def test_a_crashed_worker_on_another_machine_is_taken_over_once_its_short_lease_lapses(store: Store) -> None:
    d = queue_one(store)
    with store.transaction() as conn:
        store.claim(conn, "elsewhere:4242:cafe", limit=10, lease=0.5)  # then that machine died
    sink = ScriptedSink([])
    assert dispatcher(store, sink, "w1").drain().claimed == 0  # not ours to release: another host's process
    time.sleep(0.6)
    assert dispatcher(store, sink, "w1").drain().sent == 1 and delivery(store, d).state == "sent"


def test_the_default_lease_lets_other_workers_take_over_within_seconds() -> None:
    from crossdock.core.configuration.config import OutboxConfig

    assert OutboxConfig().lease <= 15


def test_a_restarted_worker_releases_its_dead_predecessors_claims_at_once(store: Store) -> None:
    d = queue_one(store)
    with store.transaction() as conn:
        store.claim(conn, dead_owner(), limit=10, lease=3600)
    sink = ScriptedSink([])
    assert dispatcher(store, sink, "restarted").drain().sent == 1 and delivery(store, d).state == "sent"
    with store.transaction() as conn:
        said = conn.execute(select(events.c.message).where(events.c.kind == "lease")).scalars().all()
    assert len(said) == 1 and "deadbeef" in said[0] and "not running" in said[0]


# --- secrets in connector errors -------------------------------------------------------------------------

TOKEN = "tok-9f8e7d6c5b4a39281706"
URL = "https://wms.example.test/api/orders"


def _echo_headers(request: httpx.Request) -> httpx.Response:
    """An error page that quotes the request it was sent, headers and all."""
    echoed = "\n".join(f"{k}: {v}" for k, v in request.headers.items())
    status = 503 if _echo_headers.calls == 0 else 400  # type: ignore[attr-defined]
    _echo_headers.calls += 1  # type: ignore[attr-defined]
    return httpx.Response(status, text=f"<pre>{echoed}</pre>")


def test_an_error_page_that_echoes_the_token_never_puts_it_anywhere(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("WMS_TOKEN", f"Bearer {TOKEN}")
    data = base_config(tmp_path, store_url)
    data["sinks"]["wms"] = {"type": "http", "url": URL, "auth": "${WMS_TOKEN}"}
    hub = Hub(write_config(tmp_path, data))
    path = tmp_path / "crossdock.yaml"
    with hub.store.transaction() as conn:
        doc = hub.store.add_document(conn, direction="out", data=b'{"po": 1}', state="queued", remote_name="a.json")
        hub.store.enqueue(conn, key="key-1", sink="wms", purpose="order", document_id=doc)
    _echo_headers.calls = 0  # type: ignore[attr-defined]
    caplog.set_level(logging.DEBUG)
    try:
        with respx.mock(assert_all_called=True) as mock:
            mock.post(URL).mock(side_effect=_echo_headers)
            report = hub.dispatcher().drain()  # 503, retried at once (no backoff here), then 400: dead
        assert report.retried == 1 and report.dead == 1
        with hub.store.transaction() as conn:
            stored = [
                *conn.execute(select(deliveries.c.last_error)).scalars(),
                *conn.execute(select(documents.c.error)).scalars(),
                *conn.execute(select(events.c.message)).scalars(),
                *(d.decode("utf-8", "replace") for d in conn.execute(select(documents.c.data)).scalars()),
            ]
    finally:
        hub.close()
    shown = [run(capsys, "status", "-c", str(path))[1], run(capsys, "status", "-c", str(path), "--json")[1]]
    assert any("authorization: ***" in (s or "") for s in stored)  # the page was quoted, the token masked
    for text in [*(s or "" for s in stored), caplog.text, *shown, *report.errors]:
        assert TOKEN not in text
    assert "400" in shown[0]


def test_a_key_without_its_begin_line_is_refused_without_being_shown(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    text = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
        .decode()
    )
    body = [line for line in text.splitlines()[1:-1] if line]  # what a pasted secret lost: its first line
    monkeypatch.setenv("UP_KEY", "\n".join(body) + "\n-----END OPENSSH PRIVATE KEY-----")
    data = base_config(tmp_path, store_url)
    data["sinks"]["up"] = {
        "type": "sftp",
        "host": "127.0.0.1",
        "username": "u",
        "private_key": "${UP_KEY}",
        "host_key_fingerprint": "SHA256:" + "A" * 43,
    }
    hub = Hub(write_config(tmp_path, data))
    with hub.store.transaction() as conn:
        doc = hub.store.add_document(conn, direction="out", data=b"x", state="queued", remote_name="a.json")
        hub.store.enqueue(conn, key="key-1", sink="up", purpose="order", document_id=doc)
    caplog.set_level(logging.DEBUG)
    try:
        report = hub.dispatcher().drain()
        with hub.store.transaction() as conn:
            row = conn.execute(select(deliveries.c.state, deliveries.c.last_error)).one()
            said = [
                *conn.execute(select(events.c.message)).scalars(),
                *conn.execute(select(documents.c.error)).scalars(),
                *(d.decode("utf-8", "replace") for d in conn.execute(select(documents.c.data)).scalars()),
            ]
    finally:
        hub.close()
    path = str(tmp_path / "crossdock.yaml")
    shown = [run(capsys, "status", "-c", path)[1], run(capsys, "status", "-c", path, "--json")[1]]
    assert row.state == "dead" and "neither a key (no -----BEGIN line) nor a readable key file" in row.last_error
    assert "neither a key" in shown[0]
    for text_ in [row.last_error, caplog.text, *(s or "" for s in said), *report.errors, *shown]:
        assert all(line not in text_ for line in body)


class QuotingSource:
    """A source whose server answers a failed login by quoting the password it was given."""

    name = "mail"

    def receive(self) -> Any:
        raise TransientError(f"imap mail: login refused: LOGIN orders {PASSWORD} -> NO [AUTHENTICATIONFAILED]")


PASSWORD = "pw-5a4b3c2d1e0f9g8h"


def test_a_source_error_that_quotes_its_password_is_masked_everywhere(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from crossdock.core.connections import try_connections
    from crossdock.core.poller import poll

    monkeypatch.setenv("MAIL_PW", PASSWORD)
    data = base_config(tmp_path, store_url)
    data["sources"]["mail"] = {
        "type": "imap",
        "host": "127.0.0.1",
        "username": "orders",
        "password": "${MAIL_PW}",
        "allowed_senders": ["@partner.test"],
    }
    config = write_config(tmp_path, data)
    hub = Hub(config)
    monkeypatch.setattr(hub, "source", lambda name: QuotingSource())
    caplog.set_level(logging.DEBUG)
    try:
        report = poll(hub, "mail", "w1")
        with hub.store.transaction() as conn:
            said = list(conn.execute(select(events.c.message)).scalars())
    finally:
        hub.close()

    def quoting_probe(name: str, block: Any) -> str:
        if name != "mail":
            return "reached"
        raise TransientError(f"imap {name}: LOGIN orders {PASSWORD} refused")

    monkeypatch.setattr("crossdock.core.connections.registry.probe", lambda side, kind: quoting_probe)
    verdicts = try_connections(config)
    status = run(capsys, "status", "-c", str(tmp_path / "crossdock.yaml"))[1]
    assert report.error is not None and "LOGIN orders *** -> NO" in report.error
    assert any("LOGIN orders ***" in s for s in said) and "mail" in status
    probed = [v for v in verdicts if v.name == "mail"]
    assert len(probed) == 1 and "LOGIN orders *** refused" in str(probed[0])
    for text in [report.error, *said, status, caplog.text, *(str(v) for v in verdicts)]:
        assert PASSWORD not in text
