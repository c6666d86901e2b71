"""Asynchronous MDNs, in one process: what a sink's awaiting message comes to (positive, negative, a MIC not the
one sent, none in its window, a forged MDN), and where a source may send the MDN a sender asks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import insert, select, update

from crossdock.as2_server import as2_endpoints, received
from crossdock.connectors.as2 import As2Sink
from crossdock.connectors.as2_check import _mdn_findings
from crossdock.connectors.as2_config import As2SinkConfig
from crossdock.connectors.as2_mdn import As2MdnSink, mdn_request, mdn_url_allowed
from crossdock.connectors.as2_mime import build, build_mdn
from crossdock.core.acknowledgments.as2_receipts import MdnRecords, overdue, receipts
from crossdock.core.configuration.config import load_config
from crossdock.core.errors import PermanentError
from crossdock.core.hub import Hub
from crossdock.core.ports import Outbound
from crossdock.core.storage.queries import Queries
from crossdock.core.storage.schema import as2_mdns, deliveries, documents, events, orders
from tests.as2_keys import Party, make_party

OURS_URL = "http://127.0.0.1:8711/as2/northwind"
THEIR_MDN_URL = "http://127.0.0.1:8712/as2/crossdock"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Party]:
    folder = tmp_path_factory.mktemp("as2keys")
    return {name: make_party(folder, name) for name in ("ours", "theirs", "stranger")}


def _party(keys: dict[str, Party], **extra: Any) -> dict[str, Any]:
    return {
        "type": "as2",
        "as2_id": "CROSSDOCK-AS2",
        "partner_as2_id": "NORTHWIND-AS2",
        "certificate": str(keys["ours"].cert_path),
        "private_key": str(keys["ours"].key_path),
        "partner_certificate": str(keys["theirs"].cert_path),
        **extra,
    }


@pytest.fixture
def hub(tmp_path: Path, store_url: str, keys: dict[str, Party]) -> Iterator[Hub]:
    data = {
        "store": {"url": store_url},
        "company": {"isa_id": "CROSSDOCK"},
        "sources": {"northwind": _party(keys, partner_mdn_url=THEIR_MDN_URL)},
        "sinks": {
            "northwind": _party(
                keys, url="http://127.0.0.1:8712/as2/crossdock", mdn="async", mdn_url=OURS_URL, mdn_window="1h"
            ),
            "ops": {"type": "folder", "path": str(tmp_path / "alerts")},
        },
        "alerts": {"sink": "ops"},
        "retry": {"max_attempts": 3, "initial": 0, "maximum": 0, "jitter": 0},
    }
    (tmp_path / "crossdock.yaml").write_text(yaml.safe_dump(data))
    found = Hub(load_config(tmp_path / "crossdock.yaml"))
    yield found
    found.close()


def _sent(hub: Hub) -> tuple[str, str, int]:
    """One document posted by the async sink through the outbox (the partner answers 200, no MDN): its Message-ID,
    the MIC the MDN must return, and its delivery."""
    posted: list[httpx.Request] = []

    def partner(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200, text="thanks")

    sink = As2Sink("northwind", hub.config.sinks["northwind"], transport=httpx.MockTransport(partner))  # type: ignore[arg-type]
    sink.records = MdnRecords(hub.store)
    hub._sinks["northwind"] = sink
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with hub.store.transaction() as conn:
        doc = hub.store.add_document(conn, direction="out", data=b"ISA*00~", state="queued", endpoint="northwind")
        order = conn.execute(
            insert(orders).values(
                channel="edi",
                partner="northwind",
                external_id="PO-1",
                po_number="PO-1",
                status="routed",
                revision=1,
                data="{}",
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        delivery = hub.store.enqueue(
            conn, key="k-940-1", sink="northwind", purpose="order", document_id=doc, order_id=order
        )
    assert delivery is not None
    report = hub.dispatcher("w1").drain()
    assert report.sent == 1, report.errors
    with hub.store.transaction() as conn:
        assert conn.execute(select(orders.c.status)).scalar() == "delivered"  # sent: the outbox counts it so
    (request,) = posted
    assert request.headers["receipt-delivery-option"] == OURS_URL
    with hub.store.transaction() as conn:
        row = conn.execute(select(as2_mdns)).one()
    assert row.state == "awaiting" and row.document_id == doc and row.due_at is not None
    return row.message_id, row.mic, delivery


def _mdn(
    keys: dict[str, Party], mid: str, disposition: str, mic: str, *, signer: str = "theirs"
) -> tuple[dict[str, str], bytes]:
    entity = build_mdn(keys[signer].keys, "NORTHWIND-AS2", mid, disposition, "said so", mic, "sha256")
    headers = {"as2-from": "NORTHWIND-AS2", "as2-to": "CROSSDOCK-AS2", "content-type": entity.content_type}
    return headers, entity.body


def _state(hub: Hub, delivery: int) -> tuple[str, str]:
    with hub.store.transaction() as conn:
        got = conn.execute(
            select(deliveries.c.state, as2_mdns.c.state)
            .join(as2_mdns, as2_mdns.c.delivery_key == deliveries.c.key)
            .where(deliveries.c.id == delivery)
        ).one()
    return got[0], got[1]


def _alerts(hub: Hub) -> list[str]:
    with hub.store.transaction() as conn:
        return [r.remote_name for r in conn.execute(select(documents.c.remote_name).where(documents.c.kind == "alert"))]


def _endpoint(hub: Hub) -> Any:
    return as2_endpoints(hub.config)["/as2/northwind"]


def test_a_positive_mdn_with_the_mic_completes_the_message(hub: Hub, keys: dict[str, Party]) -> None:
    mid, mic, delivery = _sent(hub)
    headers, body = _mdn(keys, mid, "processed", mic)
    reply, then = received(hub, _endpoint(hub), headers, body)
    assert reply.status == 200 and b"positive" in reply.body and then is None
    assert _state(hub, delivery) == ("sent", "positive") and _alerts(hub) == []
    again, _ = received(hub, _endpoint(hub), headers, body)
    assert b"a repeat" in again.body


@pytest.mark.parametrize(
    ("disposition", "mic", "why"),
    [
        ("processed/error: decryption-failed", None, "negative MDN"),
        ("processed", "AAAA, sha-256", "is not the one sent"),
    ],
)
def test_a_negative_mdn_or_a_wrong_mic_raises_one_alert_and_dead_letters(
    hub: Hub, keys: dict[str, Party], disposition: str, mic: str | None, why: str
) -> None:
    mid, sent_mic, delivery = _sent(hub)
    headers, body = _mdn(keys, mid, disposition, mic or sent_mic)
    reply, _ = received(hub, _endpoint(hub), headers, body)
    assert reply.status == 200 and b"negative" in reply.body
    assert _state(hub, delivery) == ("dead", "negative")
    with hub.store.transaction() as conn:
        assert conn.execute(select(orders.c.status)).scalar() == "routed", "not delivered: its MDN refused it"
    received(hub, _endpoint(hub), headers, body)  # the same MDN again
    overdue(hub.store, hub.config)
    assert len(_alerts(hub)) == 1
    with hub.store.transaction() as conn:
        error = conn.execute(select(deliveries.c.last_error).where(deliveries.c.id == delivery)).scalar()
    assert why in (error or "")


def test_each_attempt_refused_again_after_a_retry_raises_its_own_alert(hub: Hub, keys: dict[str, Party]) -> None:
    mid, mic, delivery = _sent(hub)
    headers, body = _mdn(keys, mid, "processed/error: decryption-failed", mic)
    received(hub, _endpoint(hub), headers, body)
    assert _state(hub, delivery) == ("dead", "negative") and len(_alerts(hub)) == 1
    with hub.store.transaction() as conn:
        assert Queries(hub.store).retry(conn, delivery).queued
    assert hub.dispatcher("w1").drain().sent == 2  # the alert, and the message posted again (same Message-ID)
    assert _state(hub, delivery) == ("sent", "awaiting")
    received(hub, _endpoint(hub), headers, body)  # the partner refuses the new attempt too
    received(hub, _endpoint(hub), headers, body)  # and says so twice
    overdue(hub.store, hub.config)
    assert _state(hub, delivery) == ("dead", "negative")
    assert len(_alerts(hub)) == 2, "one alert per attempt refused"


def test_no_mdn_within_the_window_raises_one_alert_and_a_late_positive_one_still_counts(
    hub: Hub, keys: dict[str, Party]
) -> None:
    mid, mic, delivery = _sent(hub)
    assert overdue(hub.store, hub.config) == 0, "not due yet"
    with hub.store.transaction() as conn:
        conn.execute(update(as2_mdns).values(due_at=dt.datetime(2026, 1, 1)))
        conn.execute(update(deliveries).values(state="pending"))
    assert overdue(hub.store, hub.config) == 0, "sent again, not yet recorded: its outcome decides first"
    with hub.store.transaction() as conn:
        conn.execute(update(deliveries).values(state="sent"))
    assert overdue(hub.store, hub.config) == 1
    assert overdue(hub.store, hub.config) == 0
    assert _state(hub, delivery) == ("dead", "overdue") and len(_alerts(hub)) == 1
    headers, body = _mdn(keys, mid, "processed", mic)
    received(hub, _endpoint(hub), headers, body)
    assert _state(hub, delivery) == ("sent", "positive")


@pytest.mark.parametrize("case", ["wrongly signed", "unknown message", "from another partner"])
def test_an_mdn_that_does_not_hold_is_refused_and_kept(hub: Hub, keys: dict[str, Party], case: str) -> None:
    mid, mic, delivery = _sent(hub)
    headers, body = _mdn(
        keys,
        "<other@x>" if case == "unknown message" else mid,
        "processed",
        mic,
        signer="stranger" if case == "wrongly signed" else "theirs",
    )
    if case == "from another partner":
        headers["as2-from"] = "SOMEONE"
    reply, _ = received(hub, _endpoint(hub), headers, body)
    assert reply.status == (403 if case == "from another partner" else 400)
    assert _state(hub, delivery) == ("sent", "awaiting")
    with hub.store.transaction() as conn:
        kept = conn.execute(select(documents.c.state, documents.c.error).where(documents.c.direction == "in")).all()
    if case == "from another partner":
        assert kept == []  # nobody's: not stored
    else:
        (doc,) = kept
        assert doc.state == "quarantined" and "AS2 MDN refused" in doc.error


def _message(keys: dict[str, Party], asked: str | None) -> tuple[dict[str, str], bytes]:
    entity, _ = build(
        b"ISA*00*~",
        "application/edi-x12",
        keys["theirs"].keys,
        keys["ours"].cert,
        sign_it=True,
        encrypt_it=True,
        digest="sha256",
        cipher="aes256",
    )
    headers = {
        "as2-from": "NORTHWIND-AS2",
        "as2-to": "CROSSDOCK-AS2",
        "message-id": "<m-1@northwind>",
        "content-type": entity.content_type,
        "disposition-notification-options": "signed-receipt-protocol=optional, pkcs7-signature; "
        "signed-receipt-micalg=optional, sha256",
    }
    if asked:
        headers["receipt-delivery-option"] = asked
    return headers, entity.body


@pytest.mark.parametrize(
    ("asked", "queued"),
    [
        (THEIR_MDN_URL, True),
        ("http://127.0.0.1:8712/as2/other", True),  # the partner's origin
        ("http://127.0.0.1:9999/as2/crossdock", False),
        ("http://evil.example/as2", False),
    ],
)
def test_an_asynchronous_mdn_goes_through_the_outbox_only_to_the_partners_origin(
    hub: Hub, keys: dict[str, Party], asked: str, queued: bool
) -> None:
    headers, body = _message(keys, asked)
    reply, then = received(hub, _endpoint(hub), headers, body)
    assert reply.status == 200 and reply.body.startswith(b"received") and then is not None
    assert b"Disposition" not in reply.body, "no MDN in the answer: it follows"
    with hub.store.transaction() as conn:
        sends = conn.execute(select(deliveries.c.sink, deliveries.c.purpose)).all()
        row = conn.execute(select(as2_mdns)).one()
        said = list(conn.execute(select(events.c.message)).scalars())
    assert (
        row.direction == "in"
        and row.state == ("queued" if queued else "refused")
        and b"Original-Message-ID: <m-1@northwind>" in row.mdn
    )
    assert sends == ([("as2-mdn:northwind", "mdn")] if queued else [])
    if not queued:
        assert any("not sent" in m and "not on the partner's origin" in m for m in said)


@pytest.mark.parametrize(("answer", "final"), [(200, "sent"), (403, "dead")])
def test_an_asynchronous_mdn_we_send_records_what_became_of_it(
    hub: Hub, keys: dict[str, Party], answer: int, final: str
) -> None:
    headers, body = _message(keys, THEIR_MDN_URL)
    _, then = received(hub, _endpoint(hub), headers, body)
    assert then is not None
    source = hub.config.sources["northwind"]
    transport = httpx.MockTransport(lambda _: httpx.Response(answer, text="no"))
    hub._sinks["as2-mdn:northwind"] = As2MdnSink("as2-mdn:northwind", source, transport=transport)  # type: ignore[arg-type]
    hub.dispatcher("w1").drain()
    with hub.store.transaction() as conn:
        assert conn.execute(select(deliveries.c.state)).scalar() == final
        (shown,) = receipts(conn, then)
        assert conn.execute(select(as2_mdns.c.state)).scalar() == "queued", "housekeeping records it"
    assert shown["state"] == final, "documents show and the console tell the outcome at once"
    overdue(hub.store, hub.config)
    with hub.store.transaction() as conn:
        assert conn.execute(select(as2_mdns.c.state)).scalar() == final
    if final == "dead":  # sent again by hand, and taken this time
        with hub.store.transaction() as conn:
            assert Queries(hub.store).retry(conn, conn.execute(select(deliveries.c.id)).scalar()).queued
            assert receipts(conn, then)[0]["state"] == "queued"
        taken = httpx.MockTransport(lambda _: httpx.Response(200))
        hub._sinks["as2-mdn:northwind"] = As2MdnSink("as2-mdn:northwind", source, transport=taken)  # type: ignore[arg-type]
        assert hub.dispatcher("w1").drain().sent == 1
        overdue(hub.store, hub.config)
        with hub.store.transaction() as conn:
            assert conn.execute(select(as2_mdns.c.state)).scalar() == "sent"


def test_the_mdn_sink_posts_what_was_stored_and_refuses_another_origin(hub: Hub) -> None:
    posted: list[httpx.Request] = []

    def partner(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(200)

    source = hub.config.sources["northwind"]
    sink = As2MdnSink("as2-mdn:northwind", source, transport=httpx.MockTransport(partner))  # type: ignore[arg-type]
    data = mdn_request(THEIR_MDN_URL, {"AS2-From": "CROSSDOCK-AS2", "Content-Type": "multipart/report"}, b"MDN")
    assert "posted to" in sink.send(Outbound("m.mdn", data, "k"))
    (request,) = posted
    assert (
        str(request.url) == THEIR_MDN_URL
        and request.content == b"MDN"
        and request.headers["as2-from"] == "CROSSDOCK-AS2"
    )
    with pytest.raises(PermanentError, match="not on the partner's origin"):
        sink.send(Outbound("m.mdn", mdn_request("http://127.0.0.1:1/x", {}, b"MDN"), "k2"))
    assert len(posted) == 1


def test_the_url_rule_and_the_async_config() -> None:
    assert mdn_url_allowed("https://a.example/mdn", "https://a.example:443/as2") is None
    assert mdn_url_allowed("https://a.example.evil/mdn", "https://a.example/as2") is not None
    assert mdn_url_allowed("http://a.example/mdn", "https://a.example/as2") is not None
    assert mdn_url_allowed("https://a.example/x", None) is not None
    assert mdn_url_allowed("https://a.example/x\r\nHost: b", "https://a.example/") is not None
    base = {
        "type": "as2",
        "url": "http://x/as2",
        "as2_id": "A",
        "partner_as2_id": "B",
        "certificate": "a.crt",
        "private_key": "a.key",
        "partner_certificate": "b.crt",
    }
    assert As2SinkConfig(**base).mdn == "sync"
    with pytest.raises(ValidationError, match="mdn_url"):
        As2SinkConfig(**base, mdn="async")
    assert As2SinkConfig(**base, mdn="async", mdn_url=OURS_URL).mdn_window == 4 * 3600


def test_check_says_when_mdn_url_is_not_an_as2_source_for_the_partner(hub: Hub) -> None:
    assert _mdn_findings(hub.config) == []
    sink = hub.config.sinks["northwind"]
    assert isinstance(sink, As2SinkConfig)
    hub.config.sinks["northwind"] = sink.model_copy(update={"mdn_url": "http://127.0.0.1:8711/as2/nobody"})
    (finding,) = _mdn_findings(hub.config)
    assert finding.refused and finding.loc == ("sinks", "northwind", "mdn_url") and "/as2/nobody" in finding.message
