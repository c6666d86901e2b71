"""A poll's documents are decoded before the recording transaction locks them (``x12_inbound._read_ahead``): what
was decoded is used only for a document still waiting once locked, and a document crossdock fails on while
decoding ahead is decoded again under the lock, where it fails alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from crossdock.core import x12_inbound
from crossdock.core.hub import Hub
from crossdock.core.poller import poll
from crossdock.core.storage.schema import documents, orders
from tests.hub.edi import interchange, order


def _drop(hub: Hub, *pos: str) -> None:
    folder = Path(hub.config.sources["drop"].path)  # type: ignore[union-attr]
    for n, po in enumerate(pos, start=1):
        (folder / f"{po}.edi").write_bytes(interchange([order(po)], control=n))


def _states(hub: Hub) -> dict[str, str]:
    with hub.store.transaction() as conn:
        return {
            str(r.remote_name): str(r.state)
            for r in conn.execute(select(documents).where(documents.c.direction == "in"))
        }


def _pos(hub: Hub) -> set[str]:
    with hub.store.transaction() as conn:
        return set(conn.execute(select(orders.c.po_number)).scalars())


def test_a_document_recorded_meanwhile_is_not_recorded_again(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    real = x12_inbound._read_ahead

    def another_worker_took_one(h: Hub, ids: list[int]) -> Any:
        ahead = real(h, ids)
        assert ahead, "the documents were decoded ahead"
        with h.store.transaction() as conn:  # between the look and the lock, as another worker would
            conn.execute(update(documents).where(documents.c.id == min(ids)).values(state="processed"))
        return ahead

    monkeypatch.setattr(x12_inbound, "_read_ahead", another_worker_took_one)
    _drop(hub, "PO-1", "PO-2")
    report = poll(hub, "drop", "test")
    assert report.error is None
    assert _pos(hub) == {"PO-2"}  # PO-1's document was no longer waiting once locked: its decoding went unused
    assert _states(hub) == {"PO-1.edi": "processed", "PO-2.edi": "processed"}


def test_a_fault_while_decoding_ahead_fails_that_document_alone(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    real = x12_inbound._decode
    calls: list[str] = []

    def decode(h: Hub, row: Any) -> Any:
        calls.append(str(row.remote_name))
        if row.remote_name == "PO-1.edi":
            raise RuntimeError("a crossdock bug")
        return real(h, row)

    monkeypatch.setattr(x12_inbound, "_decode", decode)
    _drop(hub, "PO-1", "PO-2")
    report = poll(hub, "drop", "test")
    assert report.error is None
    assert calls.count("PO-1.edi") >= 2  # ahead, then again under the lock
    assert _pos(hub) == {"PO-2"}
    states = _states(hub)
    assert states == {"PO-1.edi": "failed", "PO-2.edi": "processed"}, states
