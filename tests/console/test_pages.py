"""The console's pages answer "what happened to PO-1?" and "what is broken?", and never render a partner's value
as markup; the actions do what the command line does and record who did it."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crossdock.console import queries
from crossdock.core.hub import Hub
from crossdock.core.storage.schema import deliveries, documents, events, orders
from tests.console.conftest import HOSTILE, Client, both_engines, csrf, sign_in


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.peers)])
def hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """The pages read the same on both engines."""
    yield from both_engines(request.param, tmp_path, monkeypatch)


def _ids(hub: Hub, table: object, where: object) -> list[int]:
    with hub.store.transaction() as conn:
        return [int(i) for i in conn.execute(select(table.c.id).where(where).order_by(table.c.id)).scalars()]  # type: ignore[attr-defined]


def test_search_finds_a_po_and_its_documents(hub: Hub, client: Client) -> None:
    sign_in(client, "victor")
    (order_id,) = _ids(hub, orders, orders.c.po_number == "PO-1")
    found = client.get("/console/search", params={"kind": "orders", "q": "PO-1"}).text
    assert f'href="/console/orders/{order_id}"' in found and "no orders found" not in found
    docs = client.get("/console/search", params={"q": "PO-1"}).text
    (inbound,) = _ids(hub, documents, documents.c.remote_name == "po1.edi")
    assert f'href="/console/documents/{inbound}"' in docs
    by_control = client.get("/console/search", params={"q": "000000002"}).text
    (second,) = _ids(hub, documents, documents.c.remote_name == "po2.edi")
    assert f'href="/console/documents/{second}"' in by_control and f'/documents/{inbound}"' not in by_control
    nothing = client.get("/console/search", params={"q": "PO-1", "partner": "someone-else"}).text
    assert "no documents found" in nothing


def test_search_pages_by_keyset(hub: Hub, monkeypatch: object) -> None:
    everything = _ids(hub, documents, documents.c.id > 0)
    with hub.store.transaction() as conn:
        first = queries.search_documents(conn, queries.Filters(), None)
        after = queries.search_documents(conn, queries.Filters(), first[1]["id"])
    assert [d["id"] for d in first] == everything[::-1][: queries.PAGE]
    assert [d["id"] for d in after] == [i for i in everything[::-1] if i < first[1]["id"]][: queries.PAGE]


def test_search_by_a_term_pages_through_every_match(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """No cap on the matches: a page at a time (here of 2) down to the oldest, each way of naming merged."""
    from tests.hub.conftest import receive
    from tests.hub.edi import interchange, order

    monkeypatch.setattr(queries, "PAGE", 2)
    for control in range(3, 8):
        receive(hub, interchange([order(f"PO-{control}")], control=control), f"more-{control}.edi")
    with hub.store.transaction() as conn:
        named = set(conn.execute(select(orders.c.document_id).where(orders.c.po_number == "PO-1")).scalars())
        by = {"more-3.edi": "group_control", "more-5.edi": "interchange_control", "more-6.edi": "group_control"}
        for name, column in by.items():  # the same text as another document's ISA13 or GS06
            conn.execute(update(documents).where(documents.c.remote_name == name).values({column: "PO-1"}))
    expected = sorted(named | set(_ids(hub, documents, documents.c.remote_name.in_(list(by)))), reverse=True)
    seen: list[int] = []
    before = None
    with hub.store.transaction() as conn:
        while page := queries.search_documents(conn, queries.Filters(term="PO-1"), before):
            seen.extend(d["id"] for d in page)
            before = page[-1]["id"]
            assert len(seen) < 20
        narrowed = queries.search_documents(conn, queries.Filters(term="PO-1", state="rejected"), None)
    assert seen == expected and len(seen) == 4, "every document naming PO-1, newest first, none twice"
    assert narrowed == []


def test_a_hostile_value_is_shown_as_text(hub: Hub, client: Client) -> None:
    sign_in(client, "alice")
    page = client.get("/console/search", params={"kind": "orders"}).text
    assert HOSTILE not in page and html.escape(HOSTILE) in page
    (second,) = _ids(hub, documents, documents.c.remote_name == "po2.edi")
    doc = client.get(f"/console/documents/{second}").text
    assert HOSTILE not in doc and "&lt;script src=//x" in doc
    now = client.get("/console/now").text
    assert "refused <b>" not in now and "refused &lt;b&gt;" in now


def test_a_document_shows_raw_parsed_and_its_thread(hub: Hub, client: Client) -> None:
    sign_in(client, "victor")
    (inbound,) = _ids(hub, documents, documents.c.remote_name == "po1.edi")
    thread = _ids(hub, documents, documents.c.parent_id == inbound)
    assert thread, "the 997 and 855 answer the 850"
    page = client.get(f"/console/documents/{inbound}").text
    assert '<pre id="raw">ISA*' in page and "<td>BEG</td>" in page and "03=PO-1" in page
    for child in thread:
        assert f'href="/console/documents/{child}"' in page
    reply = client.get(f"/console/documents/{thread[0]}").text
    assert f'href="/console/documents/{inbound}"' in reply, "the thread reads the same from any document in it"
    assert client.get("/console/documents/999999").status_code == 404


def test_the_thread_shows_its_orders_channel_calls(hub: Hub, client: Client) -> None:
    """A fulfilment and a refund told to a channel are steps of the thread, with their state and attempts."""
    (inbound,) = _ids(hub, documents, documents.c.remote_name == "po1.edi")
    (order_id,) = _ids(hub, orders, orders.c.po_number == "PO-1")
    with hub.store.transaction() as conn:
        sent = []
        for purpose in ("fulfilment", "refund"):
            doc = hub.store.add_document(
                conn, direction="out", data=b"{}", state="queued", kind=purpose, endpoint="shop"
            )
            sent.append(
                hub.store.enqueue(
                    conn, key=f"t-{purpose}", sink="shop", purpose=purpose, document_id=doc, order_id=order_id
                )
            )
        conn.execute(
            update(deliveries)
            .where(deliveries.c.id == sent[1])
            .values(state="dead", attempts=4, last_error="refund <refused>")
        )
    sign_in(client, "victor")
    page = client.get(f"/console/documents/{inbound}").text
    calls = page[page.index('id="calls"') : page.index("</table>", page.index('id="calls"'))]
    rows = calls.split("<tr>")[2:]
    assert len(rows) == 2 and rows[0].startswith("<td>fulfilment</td><td>shop</td>")
    assert f'href="/console/orders/{order_id}"' in rows[0] and '<td class="">pending</td>' in rows[0]
    assert rows[1].startswith("<td>refund</td>") and '<td class="bad">dead</td><td class="num">4</td>' in rows[1]
    assert "refund &lt;refused&gt;" in rows[1]
    assert "<td>order</td>" not in calls, "the order sent on is a document of the thread, not a channel call"


def test_every_finding_is_marked_at_its_segment_and_element(hub: Hub, client: Client) -> None:
    """The places come from the validator, not from the error's words: this error text names no place at all."""
    (inbound,) = _ids(hub, documents, documents.c.remote_name == "po1.edi")
    with hub.store.transaction() as conn:
        raw = bytes(conn.execute(select(documents.c.data).where(documents.c.id == inbound)).scalar_one())
        bad = raw.replace(b"PO1*0001*5*EA", b"PO1*0001*X*EA").replace(b"N1*ST", b"N9*ST")
        conn.execute(update(documents).where(documents.c.id == inbound).values(data=bad, state="rejected", error="no"))
    sign_in(client, "victor")
    page = client.get(f"/console/documents/{inbound}").text
    segments = page[page.index('id="segments"') :]
    po1_at, n9_at = bad.index(b"PO1*"), bad.index(b"N9*")
    number, n9_number = bad[:po1_at].count(b"~") + 1, bad[:n9_at].count(b"~") + 1
    po1 = segments[segments.index(f'<tr id="segment-{number}"') :].split("</tr>")[0]
    assert 'class="marked"' in po1 and "<td>PO1</td>" in po1 and 'class="marked">02=X</span>' in po1
    assert 'class="">01=0001</span>' in po1, "only the element the finding names is marked"
    assert "is not a decimal number" in po1
    n9 = segments[segments.index(f'<tr id="segment-{n9_number}"') :].split("</tr>")[0]
    assert 'class="marked">04=0042</span>' in n9 and "N904" in n9
    findings = page[page.index('id="findings"') : page.index('id="segments"')]
    assert f'href="/console/documents/{inbound}?at={po1_at}#segment-{number}">PO1 {number}</a>' in findings
    clean = page[page.index('<tr id="segment-2"') :].split("</tr>")[0]
    assert 'class="marked"' not in clean.split(">")[0], "a segment without a finding is not marked"
    assert 'Failed documents</th><td class="num bad">' in client.get("/console/now").text


def test_a_large_document_is_shown_a_page_of_segments_at_a_time(
    hub: Hub, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crossdock.console import segments
    from tests.hub.conftest import receive
    from tests.hub.edi import interchange, large_order

    monkeypatch.setattr(segments, "SHOWN", 8 * 1024)  # pages of 8 KiB: a 60 KiB order is several
    receive(hub, interchange([large_order("PO-BIG", 100)], control=7), "big.edi")
    (big,) = _ids(hub, documents, documents.c.remote_name == "big.edi")
    with hub.store.transaction() as conn:
        raw = bytes(conn.execute(select(documents.c.data).where(documents.c.id == big)).scalar_one())
    assert len(raw) > segments.SHOWN, "the document is larger than a page"
    sign_in(client, "victor")
    first = client.get(f"/console/documents/{big}").text
    assert 'id="previous"' not in first and '<tr id="segment-1" class=""><td class="num">1</td><td>ISA</td>' in first
    later = first[first.index('id="next" href="') + len('id="next" href="') :].split('"')[0]
    at = int(later.rsplit("=", 1)[1])
    assert raw[at - 1 : at] == b"~", "a page ends after a whole segment"
    second = client.get(later).text
    number = raw[:at].count(b"~") + 1
    assert f'<tr id="segment-{number}" class=""><td class="num">{number}</td>' in second
    assert f'<tr id="segment-{number - 1}"' not in second and 'id="previous"' in second
    assert raw[at : at + 40].decode() in second
    pages, url = 1, later
    while 'id="next"' in (text := client.get(url).text):
        url = text[text.index('id="next" href="') + len('id="next" href="') :].split('"')[0]
        pages += 1
        assert pages < 100
    assert "IEA*1*000000007" in text and pages >= len(raw) // segments.SHOWN


def test_an_order_shows_its_deliveries_and_history(hub: Hub, client: Client) -> None:
    sign_in(client, "victor")
    (order_id,) = _ids(hub, orders, orders.c.po_number == "PO-1")
    page = client.get(f"/console/orders/{order_id}").text
    assert "Order PO-1" in page and "dead" in page and "refused &lt;b&gt;" in page
    assert 'id="hold"' not in page, "a viewer is offered no action"


def test_now_counts_what_is_broken(client: Client) -> None:
    sign_in(client, "victor")
    page = client.get("/console/now").text
    assert 'Dead letters</th><td class="num bad">1</td>' in page
    assert "<td>northwind</td><td>drop</td>" in page


def test_partners_page_never_shows_a_secret(hub: Hub, client: Client) -> None:
    sign_in(client, "victor")
    page = client.get("/console/partners").text
    assert "northwind" in page and "NORTHWIND" in page and "s" * 40 not in page


def test_retrying_a_dead_letter_asks_then_acts_and_records_who(hub: Hub, client: Client) -> None:
    (dead,) = _ids(hub, deliveries, deliveries.c.state == "dead")
    sign_in(client, "alice")
    token = csrf(client)
    asked = client.post("/console/act/retry", data={"csrf": token, "id": str(dead)})
    assert asked.status_code == 200 and f"retry dead letter(s) {dead}" in asked.text
    with hub.store.transaction() as conn:
        assert conn.execute(select(deliveries.c.state).where(deliveries.c.id == dead)).scalar_one() == "dead"
    done = client.post("/console/act/retry", data={"csrf": token, "id": str(dead), "confirm": "yes"})
    assert done.status_code == 200 and f"delivery {dead} (order to" in done.text and "queued again" in done.text
    with hub.store.transaction() as conn:
        assert conn.execute(select(deliveries.c.state).where(deliveries.c.id == dead)).scalar_one() == "pending"
        said = list(conn.execute(select(events.c.message).where(events.c.kind == "console")).scalars())
    assert said == [f"delivery {dead} retried by alice"]


def test_hold_and_release_an_order(hub: Hub, client: Client) -> None:
    (order_id,) = _ids(hub, orders, orders.c.po_number == "PO-1")
    sign_in(client, "alice")
    token = csrf(client)
    form = {"csrf": token, "id": str(order_id), "confirm": "yes", "reason": "check the price"}
    held = client.post("/console/act/hold", data=form)
    assert held.status_code == 200 and "order PO-1 on hold" in held.text
    assert "On hold: check the price (by alice)" in client.get(f"/console/orders/{order_id}").text
    again = client.post("/console/act/hold", data=form)
    assert again.status_code == 409 and "on hold already" in again.text
    released = client.post("/console/act/release", data=form)
    assert released.status_code == 200 and "order PO-1 released" in released.text
    with hub.store.transaction() as conn:
        said = list(conn.execute(select(events.c.message).where(events.c.kind == "console")).scalars())
    assert said == ["order PO-1 held (by alice in the console)", "order PO-1 released (by alice in the console)"]


def test_replay_a_document(hub: Hub, client: Client) -> None:
    (inbound,) = _ids(hub, documents, documents.c.remote_name == "po1.edi")
    sign_in(client, "alice")
    done = client.post("/console/act/replay", data={"csrf": csrf(client), "id": str(inbound), "confirm": "yes"})
    assert done.status_code == 200 and f"document {inbound} replayed: processed" in done.text
    assert len(_ids(hub, orders, orders.c.po_number == "PO-1")) == 1, "a replay never doubles the order"


def test_an_order_shows_its_revisions_and_what_changed(hub: Hub, client: Client) -> None:
    from tests.hub.conftest import receive
    from tests.hub.edi import interchange, order

    receive(hub, interchange([order("PO-1", qty=7, purpose="05")], control=3), "po1-again.edi")
    (order_id,) = _ids(hub, orders, orders.c.po_number == "PO-1")
    sign_in(client, "victor")
    page = client.get(f"/console/orders/{order_id}").text
    revisions = page[page.index('id="revisions"') : page.index("<h2>Deliveries")]
    assert "order PO-1 from northwind received" in revisions and "revision 2" in revisions and "the first" in revisions
    assert '<span class="bad">-PO1*0001*5*EA' in revisions and '<span class="">+PO1*0001*7*EA' in revisions


def test_search_by_dates(hub: Hub) -> None:
    import datetime as dt

    from crossdock.core.storage.engine import utcnow

    today = utcnow().date()
    everything = _ids(hub, documents, documents.c.id > 0)
    with hub.store.transaction() as conn:
        found = queries.search_documents(conn, queries.Filters(since=today, until=today), None)
        before = queries.search_documents(conn, queries.Filters(until=today - dt.timedelta(days=1)), None)
        orders_today = queries.search_orders(conn, queries.Filters(since=today), None)
    assert [d["id"] for d in found] == everything[::-1] and before == [] and len(orders_today) == 2


def test_an_alert_is_listed_until_acknowledged(hub: Hub, client: Client) -> None:
    from crossdock.core.alerts import raise_alert
    from crossdock.core.configuration.config import AlertsConfig

    config = hub.config.model_copy(update={"alerts": AlertsConfig(sink="east")})
    with hub.store.transaction() as conn:
        assert raise_alert(hub.store, conn, config, "test:1", "crossdock: <i>a source fails</i>", "text")
    (alert,) = _ids(hub, documents, documents.c.kind == "alert")
    sign_in(client, "alice")
    now = client.get("/console/now").text
    assert f'name="id" value="{alert}"' in now and "&lt;i&gt;a source fails&lt;/i&gt;" in now
    form = {"csrf": csrf(client), "id": str(alert)}
    assert "acknowledge alert(s)" in client.post("/console/act/acknowledge", data=form).text
    done = client.post("/console/act/acknowledge", data={**form, "confirm": "yes"})
    assert f"alert {alert} acknowledged" in done.text
    assert f'name="id" value="{alert}"' not in client.get("/console/now").text
    with hub.store.transaction() as conn:
        said = list(conn.execute(select(events.c.message).where(events.c.kind == "acknowledged")).scalars())
    assert said == ["alert acknowledged by alice"]
