"""``/metrics`` (Prometheus text format) and ``/readyz``, answered beside ``/healthz`` by ``run`` and ``serve``.

Two kinds of figures. What lives in the store (documents by direction, partner and state; the outbox's depth and
oldest age; acknowledgements overdue; control numbers used) is read at scrape time by ``StoreCollector``, with
queries an index answers, so every worker of one store says the same. What happens in this process (polls,
sends, sink latency) is counted where it happens (``core/metrics_counts.py``) and is this worker's own.

The figures name partners and their volumes: /metrics answers on the server's address only (loopback unless
``server.host`` says otherwise) and, when ``server.metrics_token`` is set, only to that bearer token.
"""

from __future__ import annotations

import functools
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from http import HTTPStatus
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crossdock.core.acknowledgments.compliance import Compliance, compliance
from crossdock.core.configuration.config import Config
from crossdock.core.configuration.trust import SHORTEST_TOKEN
from crossdock.core.configuration.types import resolve_secret
from crossdock.core.errors import ConfigError
from crossdock.core.hub import Hub
from crossdock.core.metrics_counts import REGISTRY
from crossdock.core.storage import migrate
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, sequences
from crossdock.core.storage.store import Store

METRICS = "/metrics"
READY = "/readyz"
WAITING = ("pending", "held", "dead")  # the outbox's states that are not done: few rows, found by ix_deliveries_due
# The classic text format, which every Prometheus reads; crossdock's names and labels need nothing newer.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MOST_SAID = 200  # characters of a failed check's reason in /readyz
COMPLIANCE_DAYS = 30  # the period of the compliance figures /metrics says


def _one_line(exc: BaseException) -> str:
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {said[0] if said else ''}"[:MOST_SAID]


class StoreCollector(Collector):
    """The store's figures, read at each scrape; a store that does not answer gives ``crossdock_store_up 0``.
    With the configuration, also each partner's and channel's compliance figures of the last
    ``COMPLIANCE_DAYS`` days (``core/acknowledgments/compliance.py``)."""

    def __init__(self, store: Store, config: Config | None = None) -> None:
        self.store = store
        self.config = config

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crossdock_store_up", "1 when the store answered this scrape's queries")
        try:
            with self.store.engine.connect() as conn:
                figures = list(_store_figures(conn))
                if self.config is not None:
                    figures.extend(_compliance_figures(compliance(conn, self.config, COMPLIANCE_DAYS)))
        except Exception:  # said by /readyz and the jobs' log; a scrape still serves this process's figures
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures


def _store_figures(conn: Connection) -> Iterator[Metric]:
    docs = GaugeMetricFamily(
        "crossdock_documents",
        "Stored documents by direction, partner and state",
        labels=["direction", "partner", "state"],
    )
    partner = func.coalesce(documents.c.partner, "")
    by_state = select(documents.c.state, documents.c.direction, partner, func.count()).group_by(
        documents.c.state, documents.c.direction, documents.c.partner
    )  # answered from ix_documents_state_partner alone, without reading the documents' rows
    for state, direction, who, count in conn.execute(by_state):
        docs.add_metric([direction, who, state], count)
    yield docs

    depth = GaugeMetricFamily(
        "crossdock_outbox_deliveries",
        "Deliveries not done, by sink and state (pending, held, dead)",
        labels=["sink", "state"],
    )
    oldest = GaugeMetricFamily(
        "crossdock_outbox_oldest_age_seconds", "Age of the oldest pending delivery, by sink", labels=["sink"]
    )
    now = utcnow()
    waiting = (
        select(deliveries.c.state, deliveries.c.sink, func.count(), func.min(deliveries.c.created_at))
        .where(deliveries.c.state.in_(WAITING))
        .group_by(deliveries.c.state, deliveries.c.sink)  # state first: SQLite keeps to ix_deliveries_due
    )
    for state, sink, count, first in conn.execute(waiting):
        depth.add_metric([sink, state], count)
        if state == "pending" and first is not None:
            oldest.add_metric([sink], max(0.0, (now - first).total_seconds()))
    yield depth
    yield oldest

    overdue = GaugeMetricFamily(
        "crossdock_acks_overdue", "Documents sent whose 997/999 is overdue, by partner", labels=["partner"]
    )
    # Counted here, not by GROUP BY partner: with statistics (ANALYZE) SQLite would group by walking
    # ix_documents_interchange, reading every document; this way ix_documents_ack finds only the overdue ones.
    late = Counter(who for (who,) in conn.execute(select(partner).where(documents.c.ack_state == "overdue")))
    for who, count in sorted(late.items()):
        overdue.add_metric([who], count)
    yield overdue

    numbers = GaugeMetricFamily(
        "crossdock_control_number",
        "The last control number used, by scope (a partner, or (company) for invoice numbers) and kind",
        labels=["scope", "kind"],
    )
    for scope, kind, value in conn.execute(select(sequences.c.scope, sequences.c.kind, sequences.c.value)):
        numbers.add_metric([scope, kind], value)
    yield numbers


def _compliance_figures(c: Compliance) -> Iterator[Metric]:
    window = f"in the last {COMPLIANCE_DAYS} days"
    per_partner = {
        "crossdock_partner_documents_sent": (f"X12 documents sent that wait for or got a 997/999, {window}", "sent"),
        "crossdock_partner_rejection_ratio": (
            f"Rejected (by a 997/999 or an 824/864) over sent, {window}",
            "rejection_rate",
        ),
        "crossdock_partner_acks_late": (f"Documents whose 997/999 went overdue, {window}", "late_acks"),
        "crossdock_partner_asns": (f"856s queued, {window}", "asns"),
        "crossdock_partner_asns_late": (f"856s sent (or unsent) past the partner's window, {window}", "late_asns"),
    }
    for name, (about, attribute) in per_partner.items():
        family = GaugeMetricFamily(name, about, labels=["partner"])
        for partner, figures in sorted(c.partners.items()):
            family.add_metric([partner], getattr(figures, attribute))
        yield family
    rejections = GaugeMetricFamily(
        "crossdock_partner_rejections",
        f"Documents sent that were rejected, by what rejected them, {window}",
        labels=["partner", "by"],
    )
    for partner, figures in sorted(c.partners.items()):
        rejections.add_metric([partner, "ack"], figures.rejected_by_ack)
        rejections.add_metric([partner, "advice"], figures.rejected_by_advice)
    yield rejections
    per_channel = {
        "crossdock_channel_calls": (
            f"Calls to a channel (fulfilment, cancel, refund, return, stock), {window}",
            "calls",
        ),
        "crossdock_channel_calls_refused": (f"Channel calls dead-lettered, {window}", "refused"),
        "crossdock_channel_refusal_ratio": (f"Channel calls refused over made, {window}", "rejection_rate"),
        "crossdock_channel_fulfilments_late": (
            f"Fulfilments told a channel over a day late, {window}",
            "late_fulfilments",
        ),
    }
    for name, (about, attribute) in per_channel.items():
        family = GaugeMetricFamily(name, about, labels=["channel"])
        for channel, calls in sorted(c.channels.items()):
            family.add_metric([channel], getattr(calls, attribute))
        yield family


@functools.cache
def _head() -> str | None:
    return migrate.head()


def readiness(store: Store, scheduler: Callable[[], bool] | None) -> dict[str, dict[str, Any]]:
    """Each check's outcome: the store answers, its migrations are this crossdock's, the scheduler runs."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        current = migrate.current(store.engine)  # one query: it answers, and says its migration
    except Exception as exc:
        checks["store"] = {"ok": False, "error": f"the store does not answer: {_one_line(exc)}"}
        checks["migrations"] = {"ok": False, "error": "not checked: the store does not answer"}
    else:
        checks["store"] = {"ok": True}
        head = _head()
        if current == head:
            checks["migrations"] = {"ok": True, "at": head}
        else:
            why = f"the store is at migration {current or 'none'}, this crossdock needs {head}"
            checks["migrations"] = {"ok": False, "error": f"{why}: restart crossdock to apply it, or upgrade"}
    if scheduler is None:
        checks["scheduler"] = {"ok": True, "note": "crossdock serve runs no scheduler"}
    elif scheduler():
        checks["scheduler"] = {"ok": True}
    else:
        checks["scheduler"] = {"ok": False, "error": "the scheduler or the processing thread is not running"}
    return checks


def _expected(hub: Hub) -> bytes | None:
    token = hub.config.server.metrics_token
    if token is None:
        return None
    value = (resolve_secret(token) or "").strip()
    if len(value) < SHORTEST_TOKEN:
        raise ConfigError(f"server.metrics_token: a bearer token needs at least {SHORTEST_TOKEN} characters")
    return f"Bearer {value}".encode()


def routes(hub: Hub, scheduler: Callable[[], bool] | None) -> list[Route]:
    """``/metrics`` and ``/readyz`` for ``hub``'s store; ``scheduler`` says whether ``run``'s jobs run (None: serve)."""
    expected = _expected(hub)
    stored = CollectorRegistry(auto_describe=False)  # so registering does not run the queries once more
    stored.register(StoreCollector(hub.store, hub.config))

    def scrape() -> bytes:
        return generate_latest(REGISTRY) + generate_latest(stored)

    async def metrics(request: Request) -> Response:
        given = (request.headers.get("authorization") or "").encode("latin-1")
        if expected is not None and not hmac.compare_digest(given, expected):
            body = {"error": "missing or wrong bearer token (server.metrics_token)"}
            return JSONResponse(body, status_code=HTTPStatus.UNAUTHORIZED)
        return Response(await run_in_threadpool(scrape), media_type=CONTENT_TYPE)

    async def ready(_: Request) -> Response:
        checks = await run_in_threadpool(readiness, hub.store, scheduler)
        ok = all(check["ok"] for check in checks.values())
        status = HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE
        return JSONResponse({"ready": ok, "checks": checks}, status_code=status)

    handlers: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [(METRICS, metrics), (READY, ready)]
    return [Route(path, handler, methods=["GET"]) for path, handler in handlers]
