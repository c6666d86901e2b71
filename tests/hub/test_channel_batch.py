"""A channel's orders are stored and recorded a page at a time: what that must not change. A bad order fails
alone with its raw bytes kept, the same remote object twice in a page is stored once, and a source that fails
mid-page still has what it gave stored, with the checkpoint left where it was."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from crossdock.connectors.woocommerce import _inbound
from crossdock.core.errors import TransientError
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.ports import Inbound
from crossdock.core.storage.schema import documents, orders
from tests.conftest import FIXTURES
from tests.hub.conftest import base_config, write_config

EXAMPLE = json.loads((FIXTURES / "woocommerce" / "orders.retrieve.response.json").read_text())


def order(order_id: int, modified: str = "2026-11-22T08:00:00") -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data.update(id=order_id, number=str(order_id), date_modified_gmt=modified)
    return data


class ScriptedChannel:
    """A channel source that gives these documents, then raises ``fail`` when it is set."""

    def __init__(self, items: list[Inbound], fail: Exception | None = None) -> None:
        self.name = "shop"
        self.since: str | None = None
        self.reached: str | None = None
        self.items = items
        self.fail = fail

    @contextmanager
    def receive(self) -> Iterator[Iterator[Inbound]]:
        def give() -> Iterator[Inbound]:
            yield from self.items
            if self.fail is not None:
                raise self.fail

        yield give()


@pytest.fixture
def hub(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    monkeypatch.setenv("WOO_KEY", "ck")
    monkeypatch.setenv("WOO_SECRET", "cs")
    cfg = base_config(tmp_path, store_url)
    cfg["sources"]["shop"] = {
        "type": "woocommerce",
        "url": "http://127.0.0.1:9",
        "consumer_key": "${WOO_KEY}",
        "consumer_secret": "${WOO_SECRET}",
    }
    h = Hub(write_config(tmp_path, cfg))
    yield h
    h.close()


def use(hub: Hub, monkeypatch: pytest.MonkeyPatch, source: ScriptedChannel) -> None:
    monkeypatch.setattr(hub, "source", lambda name: source)


def stored(hub: Hub) -> list[Any]:
    with hub.store.transaction() as conn:
        query = select(documents).where(documents.c.endpoint == "shop").order_by(documents.c.id)
        return list(conn.execute(query))


def order_ids(hub: Hub) -> set[str]:
    with hub.store.transaction() as conn:
        return set(conn.execute(select(orders.c.external_id)).scalars())


def test_a_bad_order_in_a_page_fails_alone_and_keeps_its_bytes(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = order(2)
    bad["line_items"][0]["quantity"] = "many"
    items = [_inbound(order(1)), _inbound(bad), _inbound(order(3))]
    items[-1].checkpoint = "2026-11-22T08:00:00"
    use(hub, monkeypatch, ScriptedChannel(items))
    report = poll(hub, "shop", "me")
    assert [p.state for p in report.processed] == ["processed", "failed", "processed"]
    assert "woocommerce-order-2.json" in str(report.processed[1].error)
    assert "line_items[0].quantity" in str(report.processed[1].error)
    assert order_ids(hub) == {"1", "3"}
    failed = next(row for row in stored(hub) if row.state == "failed")
    assert json.loads(bytes(failed.data))["line_items"][0]["quantity"] == "many", "the raw order is kept"
    with hub.store.transaction() as conn:
        assert hub.store.cursor(conn, "sync:shop") == "2026-11-22T08:00:00"


def test_an_order_that_trips_a_mapping_bug_fails_alone(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from crossdock.mappings import woocommerce

    real = woocommerce.order_from_payload

    def buggy(payload: dict[str, Any], *, name: str) -> Any:
        if payload["id"] == 2:
            raise IndexError("list index out of range")
        return real(payload, name=name)

    monkeypatch.setattr(woocommerce, "order_from_payload", buggy)
    use(hub, monkeypatch, ScriptedChannel([_inbound(order(1)), _inbound(order(2)), _inbound(order(3))]))
    report = poll(hub, "shop", "me")
    assert [p.state for p in report.processed] == ["processed", "failed", "processed"]
    assert "IndexError" in str(report.processed[1].error) and "crossdock bug" in str(report.processed[1].error)
    assert order_ids(hub) == {"1", "3"}


def test_the_same_order_twice_in_a_page_is_stored_once_and_the_same_bytes_under_another_name_are_a_duplicate(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _inbound(order(1))
    again = _inbound(order(1))
    renamed = Inbound(name="copy.json", data=first.data, identity="woocommerce:copy")
    use(hub, monkeypatch, ScriptedChannel([first, again, renamed]))
    report = poll(hub, "shop", "me")
    assert (report.received, report.already) == (2, 1)
    rows = stored(hub)
    assert [row.state for row in rows] == ["processed", "duplicate"]
    assert f"the same bytes as document {rows[0].id}" in rows[1].error
    assert order_ids(hub) == {"1"}


def test_a_source_failing_mid_page_has_what_it_gave_stored_and_the_checkpoint_unmoved(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [_inbound(order(1)), _inbound(order(2))]
    items[0].checkpoint = "2026-11-22T08:00:00"
    use(hub, monkeypatch, ScriptedChannel(items, fail=TransientError("page 2: 503")))
    report = poll(hub, "shop", "me")
    assert report.error == "page 2: 503"
    assert order_ids(hub) == {"1", "2"}, "the orders read before the failure are not lost"
    with hub.store.transaction() as conn:
        assert hub.store.cursor(conn, "sync:shop") == "2026-11-22T08:00:00", "only as far as was read"


def test_two_versions_of_an_order_in_one_page_make_one_order_with_two_revisions(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = order(1, "2026-11-22T09:00:00")
    changed["customer_note"] = "leave at the door"
    use(hub, monkeypatch, ScriptedChannel([_inbound(order(2)), _inbound(order(1)), _inbound(changed)]))
    report = poll(hub, "shop", "me")
    assert [(p.orders_new, p.orders_changed) for p in report.processed] == [(1, 0), (1, 0), (0, 1)]
    with hub.store.transaction() as conn:
        rows = {r.external_id: r for r in conn.execute(select(orders))}
    assert set(rows) == {"1", "2"} and rows["1"].revision == 2 and "leave at the door" in rows["1"].data


def test_the_next_page_is_read_on_a_thread_that_ends_before_the_connection_closes(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Recording(ScriptedChannel):
        @contextmanager
        def receive(self) -> Iterator[Iterator[Inbound]]:
            def give() -> Iterator[Inbound]:
                for item in self.items:
                    events.append(f"read on {threading.current_thread().name}")
                    yield item
                events.append("read done")

            yield give()
            events.append("closed")

    use(hub, monkeypatch, Recording([_inbound(order(1)), _inbound(order(2))]))
    assert poll(hub, "shop", "me").received == 2
    assert events == ["read on crossdock-read-ahead"] * 2 + ["read done", "closed"]
