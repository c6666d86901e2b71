"""``to_json``: the stored order's text. Equal data must keep giving equal text (a re-read order is compared by
it), so the shared encoder writes exactly what ``json.dumps`` compact with ``default=str`` wrote."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.core.storage.store import to_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
)
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4))


@settings(max_examples=200, deadline=None)
@given(DATA)
def test_the_text_is_compact_json_in_the_data_order(data: Any) -> None:
    assert to_json(data) == json.dumps(data, separators=(",", ":"), default=str)


def test_values_json_cannot_hold_become_their_text() -> None:
    assert to_json({"b": Decimal("1.50"), "a": date(2026, 12, 7), "é": [1, None]}) == (
        '{"b":"1.50","a":"2026-12-07","\\u00e9":[1,null]}'
    )
