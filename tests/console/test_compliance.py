"""Compliance figures per partner and channel over a period, the same on the Partners page and in /metrics, on
both engines: rejections by 997/999 and by 824/864, acknowledgments gone overdue, 856s and fulfilments late."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import update

from crossdock.core.acknowledgments.compliance import compliance
from crossdock.core.hub import Hub
from crossdock.core.storage.engine import utcnow
from crossdock.core.storage.schema import deliveries, documents, events
from crossdock.metrics import StoreCollector
from tests.console.conftest import Client, both_engines, sign_in

DAY = dt.timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)])
def hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    yield from both_engines(request.param, tmp_path, monkeypatch)


def _sent(hub: Hub, ack_state: str, detail: str | None = None, age: dt.timedelta = dt.timedelta(0)) -> int:
    """An X12 document sent to northwind with the acknowledgment state given, ``age`` ago."""
    with hub.store.transaction() as conn:
        doc = hub.store.add_document(
            conn, direction="out", data=b"ISA", state="sent", kind="855", partner="northwind", endpoint="drop"
        )
        at = utcnow() - age
        values = {"ack_state": ack_state, "ack_detail": detail, "created_at": at, "ack_due_at": at + DAY}
        conn.execute(update(documents).where(documents.c.id == doc).values(**values))
    return doc


def _call(hub: Hub, purpose: str, sink: str, state: str, took: dt.timedelta | None, key: str) -> None:
    """A delivery queued two days ago, done ``took`` later (None: not done yet)."""
    with hub.store.transaction() as conn:
        doc = hub.store.add_document(conn, direction="out", data=b"x", state="sent", kind=purpose, partner="northwind")
        queued = utcnow() - 2 * DAY
        done = None if took is None else queued + took
        new = hub.store.enqueue(conn, key=key, sink=sink, purpose=purpose, document_id=doc)
        conn.execute(
            update(deliveries).where(deliveries.c.id == new).values(created_at=queued, sent_at=done, state=state)
        )


@pytest.fixture
def scored(hub: Hub) -> Hub:
    """Northwind: six documents due a 997 in the period (one 997-rejected, one 824-rejected, two went overdue),
    one older than the period; three 856s (one sent after 30 hours, one never sent); shop: three channel calls."""
    with hub.store.transaction() as conn:  # the fixture's own outbound documents are not part of the score
        conn.execute(update(documents).values(ack_state=None))
    for state in ("accepted", "accepted", "waiting"):
        _sent(hub, state)
    _sent(hub, "rejected", "AK5 R 5")
    _sent(hub, "rejected", "824 TR: price mismatch")
    late = [_sent(hub, "overdue"), _sent(hub, "accepted")]  # the second's 997 came after it went overdue
    _sent(hub, "rejected", "AK5 R 5", age=40 * DAY)  # outside a 30-day period
    with hub.store.transaction() as conn:
        for doc in late:
            hub.store.log(conn, "overdue", "no 997", document_id=doc)
        hub.store.log(conn, "overdue", "no 997 long ago", document_id=late[0])  # one document counts once
        old = conn.execute(events.select().where(events.c.kind == "overdue")).all()
        assert len(old) == 3
    _call(hub, "856", "drop", "sent", dt.timedelta(hours=2), "a1")
    _call(hub, "856", "drop", "sent", dt.timedelta(hours=30), "a2")
    _call(hub, "856", "drop", "pending", None, "a3")
    _call(hub, "fulfilment", "shop", "sent", dt.timedelta(minutes=5), "f1")
    _call(hub, "fulfilment", "shop", "sent", dt.timedelta(hours=26), "f2")
    _call(hub, "refund", "shop", "dead", None, "r1")
    _call(hub, "order", "shop", "sent", None, "x1")  # the order itself: not a channel call
    return hub


def test_figures_per_partner_and_channel(scored: Hub) -> None:
    with scored.store.transaction() as conn:
        month = compliance(conn, scored.config, 30)
        year = compliance(conn, scored.config, 365)
    north = month.partners["northwind"]
    assert (north.sent, north.rejected_by_ack, north.rejected_by_advice, north.late_acks) == (7, 1, 1, 2)
    assert north.rejection_rate == pytest.approx(2 / 7)
    assert (north.asns, north.late_asns) == (3, 2), "30 hours and never sent are both past the 24-hour default"
    assert (year.partners["northwind"].sent, year.partners["northwind"].rejected_by_ack) == (8, 2)
    shop = month.channels["shop"]
    assert (shop.calls, shop.refused, shop.fulfilments, shop.late_fulfilments) == (3, 1, 2, 1)
    assert set(month.channels) == {"shop"}


def test_a_partners_own_856_window(scored: Hub) -> None:
    northwind = scored.config.partners["northwind"].model_copy(update={"asn_due_within": 3600.0})
    config = scored.config.model_copy(update={"partners": {"northwind": northwind}})
    with scored.store.transaction() as conn:
        assert compliance(conn, config, 30).partners["northwind"].late_asns == 3, "two hours is late for a 1 h window"


def test_the_partners_page_shows_the_period_asked_for(scored: Hub, client: Client) -> None:
    sign_in(client, "victor")
    page = client.get("/console/partners").text
    row = page[page.index('id="compliance"') :].split("<tr>")[2].split("</tr>")[0]
    assert row.startswith('<td>northwind</td><td class="num">7</td>') and "28.6%" in row
    assert '<td class="num bad">2</td><td class="num">3</td><td class="num bad">2</td><td class="num">24 h</td>' in row
    channels = page[page.index('id="channels"') :].split("</table>")[0]
    assert '<td>shop</td><td class="num">3</td><td class="num bad">1</td><td class="num">33.3%</td>' in channels
    year = client.get("/console/partners", params={"days": "365"}).text
    assert '<option value="365" selected>' in year
    assert year[year.index('id="compliance"') :].split("<tr>")[2].startswith('<td>northwind</td><td class="num">8</td>')
    odd = client.get("/console/partners", params={"days": "12345"}).text
    assert '<option value="30" selected>' in odd, "only the periods offered"


def test_metrics_say_the_same_figures(scored: Hub) -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(scored.store, scored.config))
    text = generate_latest(registry).decode()
    for line in (
        'crossdock_partner_documents_sent{partner="northwind"} 7.0',
        'crossdock_partner_rejections{by="ack",partner="northwind"} 1.0',
        'crossdock_partner_rejections{by="advice",partner="northwind"} 1.0',
        'crossdock_partner_acks_late{partner="northwind"} 2.0',
        'crossdock_partner_asns_late{partner="northwind"} 2.0',
        'crossdock_channel_calls_refused{channel="shop"} 1.0',
        'crossdock_channel_fulfilments_late{channel="shop"} 1.0',
    ):
        assert line in text, line
    assert 'crossdock_partner_rejection_ratio{partner="northwind"} 0.2857' in text
    bare = CollectorRegistry(auto_describe=False)
    bare.register(StoreCollector(scored.store))
    assert "crossdock_partner_" not in generate_latest(bare).decode(), "without the configuration, as before"
