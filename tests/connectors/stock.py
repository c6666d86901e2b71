"""What the stock push tests (``test_<channel>_stock.py``) share: a push as the outbox hands it to a channel's
sink, and a clock that the pushes' waits move instead of sleeping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crossdock.connectors import stock_push, throttle
from crossdock.core.ports import Outbound
from crossdock.core.stock.models import STOCK, STOCK_CHECK, FeedCheck, StockLevel, StockPush


def levels(count: int, **ids: str) -> list[StockLevel]:
    """``count`` levels, SKU-0001 at 1, SKU-0002 at 2, ...; each id given as a template with ``{n}``."""
    return [
        StockLevel(sku=f"SKU-{n:04d}", available=n, ids={k: v.format(n=n) for k, v in ids.items()})
        for n in range(1, count + 1)
    ]


def as_push(channel: str, found: list[StockLevel], push_id: str = "P-1") -> Outbound:
    """The levels as the outbox sends a stock push to the channel's sink."""
    push = StockPush(channel=channel, push_id=push_id, as_of=dt.datetime(2026, 12, 7, tzinfo=dt.UTC), levels=found)
    data = json.dumps(push.model_dump(mode="json")).encode()
    return Outbound(name=f"stock-{push_id}.json", data=data, idempotency_key="s" * 20, purpose=STOCK)


class Clock:
    """Time that passes only when a push waits: every sleep is recorded and moves the clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        monkeypatch.setattr(stock_push, "_clock", lambda: self.now)
        monkeypatch.setattr(stock_push, "_sleep", self.sleep)
        monkeypatch.setattr(throttle, "_sleep", self.sleep)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def as_check(channel: str, feed_id: str, figures: dict[str, int]) -> Outbound:
    """A look at a submitted stock feed, as the outbox hands it to the channel's sink."""
    check = FeedCheck(channel=channel, push_id="P-1", feed_id=feed_id, levels=figures)
    data = json.dumps(check.model_dump(mode="json")).encode()
    return Outbound(name=f"stock-check-{feed_id}.json", data=data, idempotency_key="c" * 20, purpose=STOCK_CHECK)
