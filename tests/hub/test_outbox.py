"""The dispatcher: send, retry transient failures by the one policy, dead-letter, and hand-retry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from crossdock.core.configuration.config import RetryConfig
from crossdock.core.errors import PermanentError, TransientError
from crossdock.core.outbox import Dispatcher
from crossdock.core.ports import Outbound
from crossdock.core.retry import RetryPolicy
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.store import Store


class ScriptedSink:
    """A sink that fails as scripted, then succeeds; it records every document it was given."""

    name = "scripted"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = list(failures)
        self.sent: list[Outbound] = []

    def send(self, document: Outbound) -> str:
        self.sent.append(document)
        if self.failures:
            raise self.failures.pop(0)
        return f"remote/{document.name}"

    def close(self) -> None:
        return None


def queue_one(store: Store, key: str = "key-1") -> int:
    with store.transaction() as conn:
        doc = store.add_document(conn, direction="out", data=b"ISA...", state="queued", remote_name="a.edi")
        delivery = store.enqueue(conn, key=key, sink="scripted", purpose="997", document_id=doc)
    assert delivery is not None
    return delivery


def dispatcher(store: Store, sink: ScriptedSink, **retry: float) -> Dispatcher:
    config = RetryConfig(**{"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0, **retry})
    return Dispatcher(store, lambda name: sink, RetryPolicy(config), owner="w1")


def delivery(store: Store, delivery_id: int):  # type: ignore[no-untyped-def]
    with store.transaction() as conn:
        return store.delivery(conn, delivery_id)


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    yield utcnow()


def test_a_delivery_is_sent_once_with_its_stable_key(store: Store) -> None:
    d = queue_one(store)
    sink = ScriptedSink([])
    report = dispatcher(store, sink).drain()
    assert report.sent == 1 and [o.idempotency_key for o in sink.sent] == ["key-1"]
    row = delivery(store, d)
    assert row.state == "sent" and row.remote_ref == "remote/a.edi" and row.attempts == 1
    assert dispatcher(store, sink).drain().claimed == 0


def test_a_transient_failure_is_retried_then_sent(store: Store) -> None:
    d = queue_one(store)
    sink = ScriptedSink([TransientError("connection reset")])
    first = dispatcher(store, sink).run_once()
    assert first.retried == 1 and delivery(store, d).state == "pending"
    assert delivery(store, d).last_error == "connection reset"
    dispatcher(store, sink).drain()
    row = delivery(store, d)
    assert row.state == "sent" and row.attempts == 2 and len(sink.sent) == 2
    assert {o.idempotency_key for o in sink.sent} == {"key-1"}


def test_retry_after_is_honoured(store: Store, now: dt.datetime) -> None:
    d = queue_one(store)
    sink = ScriptedSink([TransientError("429 slow down", retry_after=120)])
    dispatcher(store, sink).run_once()
    row = delivery(store, d)
    assert row.next_attempt_at >= now + dt.timedelta(seconds=119)
    assert dispatcher(store, sink).run_once().claimed == 0, "not due yet"


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(RetryConfig(initial=2, maximum=30, jitter=0))
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]
    jittered = RetryPolicy(RetryConfig(initial=2, maximum=30, jitter=1))
    assert all(2 <= jittered.delay(1) <= 3 for _ in range(50))
    assert policy.delay(1, TransientError("busy", retry_after=90)) == 90


def test_too_many_transient_failures_dead_letter_with_the_reason(store: Store) -> None:
    d = queue_one(store)
    sink = ScriptedSink([TransientError("timeout")] * 5)
    dispatcher(store, sink).drain()
    row = delivery(store, d)
    assert row.state == "dead" and row.attempts == 3 and len(sink.sent) == 3
    assert row.last_error == "gave up after 3 attempts: timeout"
    with store.transaction() as conn:
        dead = Queries(store).problems(conn)["dead_deliveries"]
    assert [x["id"] for x in dead] == [d]


def test_a_permanent_failure_is_not_retried(store: Store) -> None:
    d = queue_one(store)
    sink = ScriptedSink([PermanentError("550 mailbox unavailable")])
    dispatcher(store, sink).drain()
    row = delivery(store, d)
    assert row.state == "dead" and row.attempts == 1 and row.last_error == "550 mailbox unavailable"


def test_an_unexpected_exception_is_retried_like_a_transient_one(store: Store) -> None:
    d = queue_one(store)
    sink = ScriptedSink([KeyError("bug")])
    dispatcher(store, sink).drain()
    row = delivery(store, d)
    assert row.state == "sent" and row.attempts == 2


def test_a_dead_delivery_can_be_retried_by_hand(store: Store) -> None:
    d = queue_one(store)
    dispatcher(store, ScriptedSink([PermanentError("no such folder")])).drain()
    with store.transaction() as conn:
        assert Queries(store).retry(conn, d).queued
    sink = ScriptedSink([])
    dispatcher(store, sink).drain()
    assert delivery(store, d).state == "sent"
    with store.transaction() as conn:
        again = Queries(store).retry(conn, d)
        assert not again.queued and again.state == "sent", "a sent delivery is not sent again by retry"
        missing = Queries(store).retry(conn, d + 1000)
        assert not missing.queued and missing.state is None, "a delivery that does not exist is said not to"


def test_a_missing_sink_dead_letters_with_its_name(store: Store) -> None:
    d = queue_one(store)

    def no_sink(name: str) -> ScriptedSink:
        from crossdock.core.errors import CrossdockError

        raise CrossdockError(f"no sink named {name!r} in the configuration")

    Dispatcher(store, no_sink, RetryPolicy(), owner="w1").drain()  # type: ignore[arg-type]
    row = delivery(store, d)
    assert row.state == "dead" and "no sink named 'scripted'" in row.last_error


class FlushingSink(ScriptedSink):
    """Takes every document, then fails its flush as scripted."""

    def __init__(self, flush_failures: list[Exception]) -> None:
        super().__init__([])
        self.flush_failures = list(flush_failures)

    def flush(self) -> None:
        if self.flush_failures:
            raise self.flush_failures.pop(0)


def test_a_flush_that_fails_for_now_retries_every_document_the_sink_took(store: Store) -> None:
    first, second = queue_one(store, "key-1"), queue_one(store, "key-2")
    sink = FlushingSink([TransientError("disk full")])
    report = dispatcher(store, sink).run_once()
    assert report.retried == 2 and report.sent == 0
    assert [delivery(store, d).last_error for d in (first, second)] == ["disk full", "disk full"]
    dispatcher(store, sink).drain()
    assert [delivery(store, d).state for d in (first, second)] == ["sent", "sent"]


def test_a_flush_refused_for_good_dead_letters_with_the_reason(store: Store) -> None:
    d = queue_one(store)
    dispatcher(store, FlushingSink([PermanentError("sftp wh: permission denied")])).drain()
    row = delivery(store, d)
    assert row.state == "dead" and row.attempts == 1 and row.last_error == "sftp wh: permission denied"


def test_an_x12_document_is_sent_as_edi_x12(store: Store) -> None:
    queue_one(store)  # its bytes open with ISA
    with store.transaction() as conn:
        doc = store.add_document(conn, direction="out", data=b'{"po": 1}', state="queued", remote_name="a.json")
        store.enqueue(conn, key="key-json", sink="scripted", purpose="order", document_id=doc)
    sink = ScriptedSink([])
    dispatcher(store, sink).drain()
    assert {o.name: o.content_type for o in sink.sent} == {
        "a.edi": "application/edi-x12",
        "a.json": "application/octet-stream",
    }
