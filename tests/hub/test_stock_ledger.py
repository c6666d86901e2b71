"""The stock ledger on both engines: the newest figure wins, movements count on top of it once."""

from __future__ import annotations

import datetime as dt

import pytest

from crossdock.core.errors import CrossdockError
from crossdock.core.stock.ledger import Figure, figures, on_hand, record_figures, record_movement
from crossdock.core.storage.store import Store

T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def test_an_older_figure_never_overwrites_a_newer_one(store: Store) -> None:
    with store.transaction() as conn:
        record_figures(conn, [Figure("A-1", "main", 10, _at(2), "846")])
        kept = record_figures(conn, [Figure("A-1", "main", 99, _at(1), "csv")])
        assert kept == []
        assert on_hand(conn) == {("A-1", "main"): 10}
        record_figures(conn, [Figure("A-1", "main", 7, _at(3), "csv")])
        assert on_hand(conn) == {("A-1", "main"): 7}
        assert figures(conn, "A-1")[0][:2] == ("main", 7)


def test_within_one_batch_the_newest_figure_wins(store: Store) -> None:
    with store.transaction() as conn:
        record_figures(conn, [Figure("A-1", "main", 5, _at(2), "x"), Figure("A-1", "main", 1, _at(1), "x")])
        assert on_hand(conn) == {("A-1", "main"): 5}


def test_a_movement_counts_on_top_of_the_figure_it_follows(store: Store) -> None:
    with store.transaction() as conn:
        record_figures(conn, [Figure("A-1", "main", 10, _at(1), "846")])
        record_movement(conn, sku="A-1", location="main", delta=2, at=_at(2), reason="return", reference="RMA-1")
        record_movement(conn, sku="A-1", location="main", delta=-1, at=_at(0), reason="adjust", reference="old")
        assert on_hand(conn) == {("A-1", "main"): 12}  # the movement before the figure is already in it
        record_figures(conn, [Figure("A-1", "main", 20, _at(3), "846")])
        assert on_hand(conn) == {("A-1", "main"): 20}  # the newer figure includes the return


def test_the_same_movement_recorded_twice_counts_once(store: Store) -> None:
    with store.transaction() as conn:
        for _ in range(2):
            record_movement(conn, sku="B-2", location="east", delta=3, at=_at(1), reason="return", reference="RMA-9")
        record_movement(conn, sku="B-2", location="east", delta=1, at=_at(1), reason="return", reference="RMA-10")
        assert on_hand(conn) == {("B-2", "east"): 4}  # no figure yet: from zero
        assert on_hand(conn, ["nope"]) == {}


def test_a_naive_time_is_taken_as_utc(store: Store) -> None:
    with store.transaction() as conn:
        record_figures(conn, [Figure("C", "main", 4, _at(1).replace(tzinfo=None), "x")])
        record_movement(conn, sku="C", location="main", delta=1, at=_at(1.5), reason="return", reference="r")
        assert on_hand(conn, ["C"]) == {("C", "main"): 5}


@pytest.mark.parametrize(
    ("sku", "location", "delta", "reason"),
    [("", "main", 1, "return"), ("A" * 129, "main", 1, "return"), ("A", "main", 10**10, "return"), ("A", "m", 1, "")],
)
def test_a_bad_movement_is_refused_with_its_sku(store: Store, sku: str, location: str, delta: int, reason: str) -> None:
    with store.transaction() as conn, pytest.raises(CrossdockError, match="stock"):
        record_movement(conn, sku=sku, location=location, delta=delta, at=T0, reason=reason, reference="ref")


def test_the_whole_table_read_by_location_agrees_with_on_hand(store: Store) -> None:
    from crossdock.core.stock.ledger import on_hand_by_location

    with store.transaction() as conn:
        record_figures(conn, [Figure("A", "main", 3, _at(1), "x"), Figure("A", "east", 4, _at(1), "x")])
        record_figures(conn, [Figure("B", "main", 9, _at(1), "x")])
        record_movement(conn, sku="A", location="main", delta=2, at=_at(2), reason="return", reference="r1")
        record_movement(conn, sku="A", location="main", delta=5, at=_at(0), reason="return", reference="r0")
        record_movement(conn, sku="C", location="west", delta=1, at=_at(2), reason="return", reference="r2")
        regrouped: dict[str, dict[str, int]] = {}
        for (sku, loc), qty in on_hand(conn).items():
            regrouped.setdefault(loc, {})[sku] = qty
        assert on_hand_by_location(conn) == regrouped == {"main": {"A": 5, "B": 9}, "east": {"A": 4}, "west": {"C": 1}}
        assert on_hand_by_location(conn, ["A"]) == {"main": {"A": 5}, "east": {"A": 4}}
