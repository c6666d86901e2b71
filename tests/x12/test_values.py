"""Element values read forgivingly: a bad value is None, never a crash, and a good one reads the same however
it was found (fast path or not)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crossdock.mappings.x12.values import decimal, id_pairs, integer, padded


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" 3 ", Decimal(3)),
        ("-.5", Decimal("-0.5")),
        ("", None),
        ("   ", None),
        ("NaN", None),
        ("Infinity", None),
        ("1.2.3", None),
        ("12A", None),
    ],
)
def test_decimal(raw: str, expected: Decimal | None) -> None:
    assert decimal(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("0006", 6), ("2.7", 2), ("-3", -3), (" 4 ", 4), ("\uff11\uff12", 12), ("", None), ("x", None)],
)
def test_integer_truncates_like_int_of_a_decimal(raw: str, expected: int | None) -> None:
    assert integer(raw) == expected


def test_padded_copies_only_a_short_list() -> None:
    full = ["PO4", "12", "", "", "", "", "", "", "", "", "", "", "", "", "1"]
    assert padded(full, 14) is full
    short = ["PID", "F"]
    assert padded(short, 5)[5] == "" and short == ["PID", "F"]


def test_id_pairs_skip_half_pairs_and_keep_the_first_of_a_repeated_qualifier() -> None:
    elements = ["PO1", "1", "2", "EA", "1", "PE", "UP", "123", "UP", "9", "", "7", "BP", " 5 ", "VN"]
    assert id_pairs(elements, 6, 25) == {"UP": "123", "BP": "5"}
