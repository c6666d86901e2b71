"""Which X12 version of an order wins (core/lifecycle/order_versions.py): BEG01 purposes, 860 change sequences,
dates."""

from __future__ import annotations

import pytest

from crossdock.core.lifecycle.order_versions import Verdict, Version, after, judge, made_at, sequence_of

EARLY, LATE = "202611200900", "202611211000"


def _v(purpose: str, sequence: int | None = None, made: str | None = LATE, change: bool = False) -> Version:
    return Version(purpose, sequence, made, from_860=change)


@pytest.mark.parametrize(
    ("new", "stored", "cancelled", "verdict", "why"),
    [
        (_v("05"), _v("00", made=EARLY), False, Verdict.APPLY, ""),
        (_v("05", made=EARLY), _v("05"), False, Verdict.OLDER, "older version"),
        (_v("00"), _v("05", made=EARLY), False, Verdict.CONFLICT, "original (BEG01 00) after a replacement"),
        (_v("00"), _v("04", 2, EARLY), False, Verdict.CONFLICT, "after an 860 change"),
        (_v("00"), _v("01", made=EARLY), True, Verdict.CONFLICT, "after a cancel"),
        (_v("00"), _v("00", made=EARLY), False, Verdict.APPLY, ""),
        (_v("07"), _v("00", made=EARLY), False, Verdict.OLDER, "duplicate"),
        (_v("06"), _v("00", made=EARLY), False, Verdict.OLDER, "confirmation"),
        (_v("04", 2, change=True), _v("04", 1), False, Verdict.APPLY, ""),
        (_v("04", 1, change=True), _v("04", 1), False, Verdict.OLDER, "applied already"),
        (_v("04", 3, change=True), _v("04", 1), False, Verdict.CONFLICT, "came before change 2"),
        (_v("04", 1, change=True), _v("00", made=EARLY), False, Verdict.APPLY, ""),
        (_v("04", None, EARLY, change=True), _v("00"), False, Verdict.OLDER, "older 860"),
        (_v("04", 1, change=True), _v("01", made=EARLY), True, Verdict.CONFLICT, "cancelled order"),
        (_v("01", 1, change=True), _v("01", made=EARLY), True, Verdict.OLDER, "cancelled already"),
        (_v("05", 1, change=True), _v("01", made=EARLY), True, Verdict.APPLY, ""),
    ],
)
def test_judge(new: Version, stored: Version, cancelled: bool, verdict: Verdict, why: str) -> None:
    got, reason = judge(new, stored, stored_cancelled=cancelled, stored_later=False)
    assert got is verdict and why in reason


def test_versions_made_at_the_same_minute_are_ordered_as_stored() -> None:
    same = _v("05", made=LATE)
    assert judge(same, _v("05"), stored_cancelled=False, stored_later=True)[0] is Verdict.OLDER
    assert judge(same, _v("05"), stored_cancelled=False, stored_later=False)[0] is Verdict.APPLY
    undated = _v("05", made=None)
    assert judge(undated, _v("05"), stored_cancelled=False, stored_later=True)[0] is Verdict.OLDER


def test_stored_text_round_trip_and_orders_stored_before_versions() -> None:
    version = Version("04", 3, "202611201530")
    assert Version.parse(version.text()) == version
    assert Version.parse(None, "05") == Version("05")
    assert Version.parse("", None) == Version("00")
    assert after(Version("05", None, LATE), Version("04", 3, EARLY)) == Version("05", 3, LATE), "sequence kept"


def test_dates_and_sequences_as_sent() -> None:
    assert made_at("20261120", "0915") == "202611200915"
    assert made_at("261120", "091530") == "202611200915"  # ISA09 YYMMDD, seconds dropped
    assert made_at("PO DATE", "0915") is None and made_at(None, None) is None
    assert sequence_of(" 007 ") == 7 and sequence_of("A1") is None and sequence_of(None) is None
