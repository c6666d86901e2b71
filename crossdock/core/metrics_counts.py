"""The figures of this process, counted where they happen: poll durations and errors, sends and their outcomes,
sink latency. Each worker counts its own; ``crossdock/metrics.py`` serves them beside the store's figures.

They live in one registry of their own (not prometheus-client's global one), so /metrics says only crossdock's
figures, and a library that registers metrics of its own never collides with them. The dispatcher's own process
(``outbox.process``) counts its sends too, and hands what it counted to its parent after each round (``tap``,
``taken``, ``replay``), so the worker's /metrics shows them as the thread's would.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
Counted = tuple[str, str, str, str | float]  # ("send", sink, "", seconds) or ("outcome", sink, purpose, kind)
_tapped: list[Counted] | None = None  # in the dispatcher's own process: what it counted since its last hand-over
OUTCOMES = {"sent": "sent", "retry": "retried", "dead": "dead", "late": "too_late"}  # outbox kind -> label

POLL_SECONDS = Histogram(
    "crossdock_poll_duration_seconds",
    "How long a source's poll took, from its lease to its last document recorded",
    ["source"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=REGISTRY,
)
POLL_ERRORS = Counter(
    "crossdock_poll_errors",
    "Polls of a source that ended in an error (its next poll reads again)",
    ["source"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "crossdock_deliveries",
    "Sends recorded by this process, by sink, purpose and outcome (sent, retried, dead, too_late)",
    ["sink", "purpose", "outcome"],
    registry=REGISTRY,
)
SINK_SECONDS = Histogram(
    "crossdock_sink_send_seconds",
    "How long a sink took to take one document (whatever the outcome)",
    ["sink"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)


@contextmanager
def polling(source: str) -> Iterator[list[str | None]]:
    """Time a poll; the caller puts the poll's error (or None) in the list it is given. Raising counts as one."""
    error: list[str | None] = [None]
    began = time.monotonic()
    try:
        yield error
    except BaseException:
        error[0] = "raised"
        raise
    finally:
        POLL_SECONDS.labels(source).observe(time.monotonic() - began)
        if error[0] is not None:
            POLL_ERRORS.labels(source).inc()


@contextmanager
def sending(sink: str) -> Iterator[None]:
    """Time one send to a sink, whatever it ends in."""
    began = time.monotonic()
    try:
        yield
    finally:
        took = time.monotonic() - began
        SINK_SECONDS.labels(sink).observe(took)
        if _tapped is not None:
            _tapped.append(("send", sink, "", took))


def recorded(outcomes: Iterable[tuple[str, str, str]]) -> None:
    """Count sends once their outcomes are committed: (sink, purpose, outbox kind) each."""
    for sink, purpose, kind in outcomes:
        DELIVERIES.labels(sink, purpose, OUTCOMES.get(kind, kind)).inc()
        if _tapped is not None:
            _tapped.append(("outcome", sink, purpose, kind))


def tap() -> None:
    """Keep what this process counts for ``taken`` (the dispatcher's own process, for its parent)."""
    global _tapped
    _tapped = []


def taken() -> list[Counted]:
    """What was counted since the last call, handed over once."""
    global _tapped
    if not _tapped:
        return []
    got, _tapped = _tapped, []
    return got


def replay(counted: Iterable[Counted]) -> None:
    """Count here what another process counted (the parent of the dispatcher's own process)."""
    for what, sink, purpose, value in counted:
        if what == "send" and isinstance(value, float):
            SINK_SECONDS.labels(sink).observe(value)
        elif what == "outcome" and isinstance(value, str):
            DELIVERIES.labels(sink, purpose, OUTCOMES.get(value, value)).inc()
