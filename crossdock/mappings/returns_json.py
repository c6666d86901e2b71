"""What the channels' return mappings (``<channel>_returns.py``) share: reading a return document's JSON within a
bound, and telling a buyer's reason from the channel's code or words. Pure: no I/O.

A return document is what a channel's source stored for one return: the channel's own JSON for it (a Walmart
return order, an eBay return, an Amazon returns-report row, a WooCommerce or BigCommerce refund with its order's
ids). Everything in it is the buyer's or the channel's: sizes are bounded, texts cut, and anything that is not
what the channel sends is a ``DecodeError`` naming the document and the JSON path.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from crossdock.core.errors import DecodeError
from crossdock.core.returns.models import Reason

MAX_DOCUMENT = 2_000_000  # one return's JSON: a real one is a few kB
MAX_LINES = 1_000  # lines of one return
MAX_TEXT = 500  # a reason or comment kept from the buyer or channel, in characters

# Words in a channel's reason code or a buyer's text -> the canonical reason; the first that matches wins.
_WORDS: tuple[tuple[tuple[str, ...], Reason], ...] = (
    (("defect", "not_work", "not work", "broken", "malfunction", "missing_part", "missing part"), "defective"),
    (("damage",), "damaged"),
    (("wrong_item", "wrong item", "incorrect", "not_ordered", "different"), "wrong_item"),
    (("not_as_described", "not as described", "description", "bad_desc", "quality"), "not_as_described"),
    (("size", "fit", "too_small", "too_large", "too small", "too large"), "size_or_fit"),
    (("late", "arrived_late", "too_long"), "late"),
    (
        (
            "no_longer",
            "no longer",
            "unwanted",
            "changed",
            "remorse",
            "mind",
            "better_price",
            "lower_price",
            "price",
            "somewhere_else",
            "ordered_by_mistake",
            "mistake",
            "accident",
            "duplicate",
        ),
        "unwanted",
    ),
)


def load(data: bytes, name: str) -> Any:
    """The document's JSON, numbers as ``Decimal``; a document over ``MAX_DOCUMENT`` bytes or not JSON is refused."""
    if len(data) > MAX_DOCUMENT:
        raise DecodeError(f"{len(data)} bytes, more than the {MAX_DOCUMENT} one return may be", source=name)
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_refused)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, nesting too deep
        raise DecodeError(f"not JSON: {str(exc)[:200]}", source=name) from None


def _refused(value: str) -> Any:
    raise ValueError(f"{value} is not a number")


def reason(*said: str | None) -> Reason:
    """The canonical reason of a channel's code or the buyer's words (the first given that says one), else other."""
    for text in said:
        if not text:
            continue
        low = text.lower().replace("-", "_")
        for words, found in _WORDS:
            if any(word in low for word in words):
                return found
    return "other"


def cut(text: str | None) -> str | None:
    """A buyer's or channel's text kept within ``MAX_TEXT`` characters."""
    if text is None:
        return None
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
